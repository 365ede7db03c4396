//! Crashes and concurrency: what was acknowledged survives kill -9; numbers stay unique
//! and gapless under concurrent issuance; an incompatible store is refused at start.

use std::sync::Arc;

use crate::support::{Server, cli, example};

#[test]
fn kill_9_right_after_201_loses_nothing() {
    let mut server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let mut acknowledged = Vec::new();
    for round in 0..3 {
        let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
        acknowledged.push(record);
        // SIGKILL immediately after the 201: no graceful shutdown, no background flush.
        server.kill9();
        server.restart();
        for record in &acknowledged {
            let number = record["certificate"]["number"].as_str().unwrap();
            let (status, stored) = server.call("GET", &format!("/api/v1/certificates/{number}"), Some(&issuer), None);
            assert_eq!(status, 200, "round {round}: {number} lost after kill -9");
            assert_eq!(stored["certificate"], record["certificate"]);
            assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
        }
    }
    // Numbering continues after the crashes, without gaps.
    let next = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert!(next["certificate"]["number"].as_str().unwrap().ends_with("-000004"));
}

#[test]
fn concurrent_issuance_gives_unique_gapless_numbers() {
    let server = Arc::new(Server::start());
    let issuer = Arc::new(server.token("issuer", Some("GB")));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let server = Arc::clone(&server);
            let issuer = Arc::clone(&issuer);
            std::thread::spawn(move || {
                (0..8)
                    .map(|_| {
                        server.issue(&issuer, &example("gb-sculpture.json"))["certificate"]["number"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    numbers.sort();
    let year = crate::support::test_start().year();
    let expected: Vec<String> = (1..=64).map(|n| format!("GB-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[test]
fn a_store_of_another_format_version_is_refused_with_a_clear_message() {
    let mut server = Server::start();
    server.kill9();
    let store_dir = server.data_dir().join("store");
    {
        let db = sled::open(&store_dir).unwrap();
        let meta = db.open_tree("meta").unwrap();
        let body = b"4";
        let mut framed = vec![1u8];
        framed.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(body));
        framed.extend_from_slice(body);
        meta.insert("format_version", framed).unwrap();
        db.flush().unwrap();
    }
    let data_dir = server.data_dir();
    let (code, _, stderr) = cli(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("CARTOUCHE_DATA_DIR", data_dir.to_str().unwrap())],
        server.dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("store format 4") && stderr.contains("reads format 3"), "{stderr}");
}

#[test]
fn the_admin_token_file_is_private() {
    let server = Server::start();
    let path = server.data_dir().join("admin.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(server.log_text().contains("admin.token"), "serve says where the token is");
    assert!(!server.log_text().contains(&server.admin), "but never prints it");
}

#[test]
fn a_stale_admin_token_file_is_replaced_not_a_lockout() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("admin.token"), "ct_stale-from-a-deleted-store\n").unwrap();
    let listen = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listen.local_addr().unwrap().port();
    drop(listen);
    let mut child = std::process::Command::new(crate::support::binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CARTOUCHE_DATA_DIR", &data)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let token = loop {
        let text = std::fs::read_to_string(data.join("admin.token")).unwrap_or_default();
        if !text.contains("stale") && !text.trim().is_empty() {
            break text.trim().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "admin.token never replaced");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let status = loop {
        let request = crate::support::agent()
            .get(&format!("http://127.0.0.1:{port}/api/v1/audit"))
            .header("Authorization", &format!("Bearer {token}"))
            .call();
        if let Ok(response) = request {
            break response.status().as_u16();
        }
        assert!(std::time::Instant::now() < deadline, "server never answered");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "the new admin token works");
}

#[test]
fn a_busy_port_fails_before_anything_is_written() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let (code, _, stderr) =
        cli(&["serve", "--listen", &address], &[("CARTOUCHE_DATA_DIR", data.to_str().unwrap())], work.path());
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(!data.exists(), "no data directory is created when the port is taken");
}
