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
    let year = time::OffsetDateTime::now_utc().year();
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
        let body = b"2";
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
    assert!(stderr.contains("store format 2") && stderr.contains("reads format 1"), "{stderr}");
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
