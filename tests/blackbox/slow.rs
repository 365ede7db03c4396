//! Slow and greedy clients: idle connections, request heads sent a byte at a time, a
//! flood from one address, a client that never reads its answers. None of them may stop
//! verification for others, and each gives its resources back after a timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Server, Start, example};

/// A connection to the server from the loopback address `source` (127.0.0.0/8 is all
/// loopback: each address is another client to the server's limits).
fn connect_from(server: &Server, source: [u8; 4]) -> TcpStream {
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from((source, 0)).into()).unwrap();
    socket.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into()).unwrap();
    socket.into()
}

/// The server's count of open connections, from /metrics.
fn open_connections(server: &Server) -> u64 {
    let (status, text) = server.raw("GET", "/metrics", None, None, &[]);
    assert_eq!(status, 200);
    text.lines()
        .find(|line| line.starts_with("cartouche_connections_open "))
        .and_then(|line| line.split_whitespace().nth(1))
        .map_or(0, |value| value.parse::<f64>().unwrap() as u64)
}

/// Waits (at most 60 s) until at most `at_most` connections are open besides the one
/// asking; returns how many were.
fn wait_for_open_connections(server: &Server, at_most: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = open_connections(server);
        if open <= at_most || Instant::now() > deadline {
            return open;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// 200 verifications by a normal client, each answered VALID; their times, sorted.
fn verify_times(server: &Server, qr: &str) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let (status, verdict) = server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": qr })));
        latencies.push(started.elapsed());
        assert_eq!(status, 200, "{verdict}");
        assert_eq!(verdict["verdict"], "VALID");
    }
    latencies.sort();
    latencies
}

fn limited_server() -> Server {
    Server::start_with(Start {
        no_bundled_plugins: true,
        verify_rate_limit: Some(0),
        // Timeouts far longer than opening the 1,150 connections takes on a loaded machine,
        // so that they are all open while the normal client verifies.
        args: ["--max-connections-per-address", "120", "--header-timeout", "20", "--idle-timeout", "20"]
            .map(String::from)
            .to_vec(),
        ..Start::default()
    })
}

#[test]
fn a_thousand_idle_or_byte_at_a_time_clients_do_not_stop_verification_for_others() {
    let server = limited_server();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let qr = record["qr_text"].as_str().unwrap().to_owned();
    let alone = verify_times(&server, &qr);

    // 1,000 connections from ten addresses (100 each, under the limit of 120): half send
    // nothing, half send a request head a byte at a time.
    let mut idle = Vec::new();
    let mut trickling = Vec::new();
    for n in 0..1000u32 {
        let stream = connect_from(&server, [127, 0, 0, 2 + (n % 10) as u8]);
        if n % 2 == 0 { idle.push(stream) } else { trickling.push(stream) }
    }
    // A flood from one more address: 150 connections, 30 over its limit, each of those
    // answered 503 too_many_connections and closed.
    let mut flood = Vec::new();
    for _ in 0..150 {
        flood.push(connect_from(&server, [127, 0, 0, 20]));
    }
    // Each socket is read until it answers or ends (bounded): the refused ones answer
    // at once, the admitted ones say nothing until the server lets them go.
    let mut refused = 0;
    let mut pending: Vec<usize> = (0..flood.len()).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !pending.is_empty() && refused < 30 && Instant::now() < deadline {
        pending.retain(|&index| {
            let stream = &mut flood[index];
            stream.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
            let mut answer = [0u8; 512];
            match stream.read(&mut answer) {
                Ok(0) => false,
                Ok(n) => {
                    let text = String::from_utf8_lossy(&answer[..n]);
                    assert!(text.starts_with("HTTP/1.1 503") && text.contains("too_many_connections"), "{text}");
                    refused += 1;
                    false
                }
                Err(_) => true,
            }
        });
    }
    assert_eq!(refused, 30, "the connections over the per-address limit are refused, the others kept");

    assert!(open_connections(&server) >= 1000, "the slow clients were admitted");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickle = {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            let head = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
            let mut at = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && at < head.len() {
                for stream in &mut trickling {
                    let _ = stream.write_all(&head[at..at + 1]);
                }
                at += 1;
                std::thread::sleep(Duration::from_millis(300));
            }
            trickling
        })
    };

    // A normal client meanwhile: every verification answered, and its latencies reported
    // beside those of the same client before the slow ones came.
    let crowded = verify_times(&server, &qr);
    println!(
        "200 verifications, p50 / p99 / max: alone {:?} / {:?} / {:?}; with 1,000 idle or trickling connections open \
         and 120 from a flooding address {:?} / {:?} / {:?}",
        alone[100], alone[198], alone[199], crowded[100], crowded[198], crowded[199]
    );

    // The server lets them go: the idle ones after the idle timeout, the trickling ones
    // after the header timeout, however slowly they go on sending.
    let open = wait_for_open_connections(&server, 2);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let trickling = trickle.join().unwrap();
    assert!(open <= 2, "{open} connections still open after the timeouts");
    for stream in idle.iter_mut().chain(flood.iter_mut()).take(50) {
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    }
    drop(trickling);
}

#[test]
fn a_client_that_never_reads_its_answers_is_let_go() {
    let server = limited_server();
    // Counted once the connections of the start-up (health checks, tokens) are gone: one
    // of them closing while this client's opens would hide it.
    let before = wait_for_open_connections(&server, 1);
    let stream = connect_from(&server, [127, 0, 0, 30]);
    // Thousands of pipelined requests for a large answer, and not a byte read: the
    // server's writes stall once the socket buffers are full. Written from another thread,
    // so that how long the writing blocks (until the server lets go) does not decide when
    // the connection is looked at.
    let request = b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4000);
    let mut writing = stream.try_clone().unwrap();
    writing.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let writer = std::thread::spawn(move || {
        let _ = writing.write_all(&request);
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_connections(&server) <= before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = open_connections(&server);
    assert!(now > before, "the connection is open while it stalls ({now} open, {before} before it)");
    let open = wait_for_open_connections(&server, before);
    assert!(open <= before, "the stalled connection was not closed ({open} open)");
    writer.join().unwrap();
    drop(stream);
    // And the server serves others all along.
    assert_eq!(server.raw("GET", "/healthz", None, None, &[]).0, 200);
}
