//! A registry on PostgreSQL: several `cartouche serve` processes on one database, a node
//! killed mid-burst, failover to a synchronous standby, a move from the embedded store,
//! and a backup restored onto a fresh database. Each test starts its own throw-away
//! cluster (Debian's server binaries, run as `postgres`) on 127.0.0.1 and stops it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cartouche_store::testing::PgCluster;
use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, cli, example};

fn qr(record: &Value) -> String {
    record["qr_text"].as_str().unwrap().to_owned()
}

/// A node of the registry whose store is `url`; with `kek`, it joins (a registry that
/// exists: the same key-encryption key as the first node).
fn node(url: &str, kek: Option<&str>) -> Server {
    let mut env = vec![("CARTOUCHE_STORE_CONNECT_TIMEOUT".to_owned(), "2".to_owned())];
    if let Some(kek) = kek {
        env.push(("CARTOUCHE_KEK".to_owned(), kek.to_owned()));
    }
    Server::start_with(Start {
        args: vec!["--store".into(), url.to_owned(), "--countries".into(), "FR,IT".into()],
        env,
        public_url_is_base: true,
        ..Start::default()
    })
}

fn kek(server: &Server) -> String {
    std::fs::read_to_string(server.data_dir().join("kek.key")).unwrap().trim().to_owned()
}

/// Two nodes of one registry: the first bootstraps the database, the second joins with
/// its KEK and admin token.
fn two_nodes(url: &str) -> (Server, Server) {
    let first = node(url, None);
    let mut second = node(url, Some(&kek(&first)));
    assert!(second.admin.is_empty(), "a joining node writes no admin token of its own");
    second.admin = first.admin.clone();
    (first, second)
}

fn issue_status(server: &Server, issuer: &str, application: &Value) -> (u16, Value) {
    server.call("POST", "/api/v1/certificates", Some(issuer), Some(application))
}

fn wait_for(seconds: u64, what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !probe() {
        assert!(Instant::now() < deadline, "{what}: not within {seconds} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_nodes_on_one_database_are_one_registry() {
    let cluster = PgCluster::start();
    let url = cluster.create_database("registry");
    let (a, b) = two_nodes(&url);
    let (status, health) = b.call("GET", "/healthz", None, None);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["database"]["kind"], "postgres", "{health}");
    assert!(!health["database"]["target"].as_str().unwrap().contains("password"));

    // A token made at one node works at the other.
    let issuer = a.token("issuer", Some("FR"));
    let officer = b.token("officer", Some("FR"));

    // Issuance at both nodes at once: unique, gapless numbers.
    let nodes = Arc::new([a, b]);
    let numbers = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let (nodes, numbers, issuer) = (Arc::clone(&nodes), Arc::clone(&numbers), issuer.clone());
            std::thread::spawn(move || {
                for i in 0..10 {
                    let mut application = example("fr-painting-to-us.json");
                    application["objects"][0]["title"] = json!(format!("Nature morte {n}-{i}"));
                    let record = nodes[n % 2].issue(&issuer, &application);
                    numbers
                        .lock()
                        .unwrap()
                        .push((record["certificate"]["number"].as_str().unwrap().to_owned(), qr(&record)));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let [a, b] = Arc::try_unwrap(nodes).ok().unwrap();
    let mut issued = numbers.lock().unwrap().clone();
    issued.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("FR-2026-{n:06}")).collect();
    assert_eq!(issued.iter().map(|(number, _)| number.clone()).collect::<Vec<_>>(), expected);
    // Each verifies at the node that did not issue it, as at the other.
    for (index, (_, qr)) in issued.iter().enumerate().step_by(7) {
        let verdict = [&a, &b][index % 2].verify(qr);
        assert_eq!(verdict["verdict"], "VALID", "{verdict}");
    }

    // Two officers at two nodes record the first exit of one certificate at once:
    // exactly one is accepted.
    for (number, _) in issued.iter().take(3) {
        let exit = json!({ "kind": "exited", "office": "Roissy-Charles-de-Gaulle fret", "declaration_ref": "26FR000123456789" });
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
            let handles: Vec<_> = [&a, &b]
                .into_iter()
                .map(|node| {
                    let (barrier, exit, officer) = (Arc::clone(&barrier), exit.clone(), officer.clone());
                    scope.spawn(move || {
                        barrier.wait();
                        node.call("POST", &format!("/api/v1/certificates/{number}/events"), Some(&officer), Some(&exit))
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(accepted, 1, "{answers:?}");
        let (status, body) = answers.iter().find(|(status, _)| *status != 200).unwrap();
        assert_error(*status, body, 409, "already_exited");
    }

    // One Idempotency-Key sent to both nodes at once issues one certificate.
    let application = example("fr-painting-to-us.json");
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|node| {
                let (barrier, application, issuer) = (Arc::clone(&barrier), application.clone(), issuer.clone());
                scope.spawn(move || {
                    barrier.wait();
                    node.call_with(
                        "POST",
                        "/api/v1/certificates",
                        Some(&issuer),
                        Some(&application),
                        &[("Idempotency-Key", "fr-2026-export-0007")],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 201], "one issues, the other replays: {answers:?}");
    assert_eq!(answers[0].1["certificate"]["number"], answers[1].1["certificate"]["number"]);

    // A revocation at one node is seen by the next verification at the other.
    let (number, revoked_qr) = &issued[10];
    let (status, body) = a.call(
        "POST",
        &format!("/api/v1/certificates/{number}/revoke"),
        Some(&issuer),
        Some(&json!({ "reason": "issued in error" })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(b.verify(revoked_qr)["verdict"], "INVALID");

    // A key rotated at one node signs at the other within the follow interval (1 s).
    let (status, rotated) = a.call("POST", "/api/v1/countries/FR/keys", Some(&a.admin), None);
    assert_eq!(status, 201, "{rotated}");
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    let started = Instant::now();
    wait_for(15, "the other node signs with the new key", || {
        let record = b.issue(&issuer, &example("fr-painting-to-us.json"));
        record["kid"].as_str() == Some(kid.as_str())
    });
    eprintln!("a key rotated at one node signed at the other after {:?}", started.elapsed());
    let (_, jwks) = b.call("GET", "/.well-known/jwks.json", None, None);
    assert!(jwks.to_string().contains(&kid), "the other node publishes the new key");

    // A plugin published at one node is in service at the other within the follow
    // interval (plus its compilation).
    let plugin = cartouche_plugins::test_plugin("hostile-test").unwrap();
    let (status, body) = crate::plugins::publish(&a, &a.admin, plugin.manifest, plugin.component, plugin.cases);
    assert_eq!(status, 201, "{body}");
    let started = Instant::now();
    wait_for(60, "the other node has the plugin in service", || {
        let (_, listing) = b.call("GET", "/api/v1/plugins", None, None);
        listing["items"].as_array().unwrap().iter().any(|item| item["id"] == "hostile-test")
    });
    eprintln!("a plugin published at one node was in service at the other after {:?}", started.elapsed());
    drop((a, b));
}

#[test]
fn a_node_killed_mid_burst_loses_no_acknowledged_certificate() {
    let cluster = PgCluster::start();
    let url = cluster.create_database("registry");
    let (mut a, b) = two_nodes(&url);
    let issuer = a.token("issuer", Some("IT"));
    let application = example("it-archaeology-temporary-ch.json");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let base = a.base.clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (acknowledged, issuer, application, base) =
                (Arc::clone(&acknowledged), issuer.clone(), application.clone(), base.clone());
            std::thread::spawn(move || {
                let agent = crate::support::agent();
                for _ in 0..200 {
                    let Ok(mut response) = agent
                        .post(&format!("{base}/api/v1/certificates"))
                        .header("Authorization", &format!("Bearer {issuer}"))
                        .send_json(&application)
                    else {
                        return;
                    };
                    if response.status() == 201 {
                        let record: Value = response.body_mut().read_json().unwrap();
                        acknowledged.lock().unwrap().push((
                            record["certificate"]["number"].as_str().unwrap().to_owned(),
                            record["qr_text"].as_str().unwrap().to_owned(),
                        ));
                    }
                }
            })
        })
        .collect();
    wait_for(60, "a few acknowledged issuances", || acknowledged.lock().unwrap().len() >= 20);
    a.kill9();
    for thread in threads {
        thread.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 20);
    for (number, qr) in &acknowledged {
        let verdict = b.verify(qr);
        assert_eq!(verdict["verdict"], "VALID", "{number}: {verdict}");
    }
    // The numbers the database holds have no gap (one may be committed but unacknowledged).
    let (status, listed) = b.call("GET", "/api/v1/certificates?country=IT&limit=500", Some(&issuer), None);
    assert_eq!(status, 200, "{listed}");
    let held: Vec<String> =
        listed["items"].as_array().unwrap().iter().map(|item| item["number"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = (1..=held.len()).map(|n| format!("IT-2026-{n:06}")).collect();
    assert_eq!(held, expected, "gapless");
    assert!(held.len() >= acknowledged.len());
}

#[test]
fn failover_to_the_synchronous_standby_loses_no_acknowledged_certificate() {
    let mut primary = PgCluster::start();
    primary.create_database("registry");
    let standby = primary.standby(true);
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/registry?target_session_attrs=read-write",
        primary.port(),
        standby.port()
    );
    let a = node(&url, None);
    let issuer = a.token("issuer", Some("FR"));
    let application = example("fr-painting-to-us.json");
    let mut acknowledged = Vec::new();
    for _ in 0..10 {
        acknowledged.push(qr(&a.issue(&issuer, &application)));
    }
    // The primary's machine is lost.
    primary.kill();
    let lost = Instant::now();
    // With no primary, the node answers 503 database_unavailable, within the connect
    // timeout: no 500, no hang.
    let started = Instant::now();
    let (status, body) = issue_status(&a, &issuer, &application);
    assert_error(status, &body, 503, "database_unavailable");
    assert!(started.elapsed() < Duration::from_secs(30), "answered in {:?}", started.elapsed());
    let (status, health) = a.call("GET", "/healthz", None, None);
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["store"], "database_unavailable");
    // The standby is promoted; the node finds it (the second host of its URL).
    standby.promote();
    let mut after = None;
    wait_for(60, "issuance on the promoted standby", || match issue_status(&a, &issuer, &application) {
        (201, record) => {
            after = Some(record);
            true
        }
        (503, _) => false,
        (status, body) => panic!("during failover: {status} {body}"),
    });
    let after = after.unwrap();
    eprintln!("issuance resumed {:?} after the primary was lost (promotion included)", lost.elapsed());
    assert_eq!(after["certificate"]["number"], "FR-2026-000011", "numbering goes on without a gap");
    for qr in &acknowledged {
        assert_eq!(a.verify(qr)["verdict"], "VALID", "every certificate acknowledged before the failover");
    }
    drop(a);
    drop(standby);
}

#[test]
fn a_registry_moves_from_sled_to_postgres_and_is_restored_from_a_backup() {
    // A registry on the embedded store, with history.
    let mut old = Server::start_with(Start {
        args: vec!["--countries".into(), "FR,IT".into()],
        public_url_is_base: true,
        ..Start::default()
    });
    let issuer = old.token("issuer", Some("FR"));
    let records: Vec<Value> = (0..5).map(|_| old.issue(&issuer, &example("fr-painting-to-us.json"))).collect();
    let revoked = records[1]["certificate"]["number"].as_str().unwrap().to_owned();
    let (status, _) = old.call(
        "POST",
        &format!("/api/v1/certificates/{revoked}/revoke"),
        Some(&issuer),
        Some(&json!({ "reason": "issued in error" })),
    );
    assert_eq!(status, 200);
    let kek = kek(&old);
    let data_dir = old.data_dir();
    old.kill9();

    let cluster = PgCluster::start();
    let url = cluster.create_database("registry");
    let from = format!("sled:{}", data_dir.display());
    let (code, out, err) = cli(&["store", "migrate", "--from", &from, "--to", &url], &[], &data_dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("certificates") && out.contains("record checksums verified"), "{out}");
    // Into a database that holds a registry: refused, nothing written.
    let (code, out, err) = cli(&["store", "migrate", "--from", &from, "--to", &url], &[], &data_dir);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("already holds a registry"), "{err}");

    let moved = node(&url, Some(&kek));
    let verdicts: Vec<String> =
        records.iter().map(|record| moved.verify(&qr(record))["verdict"].as_str().unwrap().to_owned()).collect();
    assert_eq!(verdicts, ["VALID", "INVALID", "VALID", "VALID", "VALID"]);
    let mut moved = moved;
    moved.admin = old.admin.clone();
    let next = moved.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(next["certificate"]["number"], "FR-2026-000006", "numbering goes on");
    drop(moved);

    // pg_dump, then pg_restore onto a fresh database: the registry comes back whole.
    let dump = cluster.scratch().join("registry.dump");
    let port = cluster.port().to_string();
    let dump_path = dump.display().to_string();
    let out = cluster
        .tool("pg_dump", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-Fc", "-f", &dump_path, "registry"])
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    let restored_url = cluster.create_database("restored");
    let out = cluster
        .tool(
            "pg_restore",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", "restored", "--no-owner", &dump_path],
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
    let restored = node(&restored_url, Some(&kek));
    assert_eq!(restored.verify(&qr(&records[0]))["verdict"], "VALID");
    assert_eq!(restored.verify(&qr(&records[1]))["verdict"], "INVALID");
    let mut restored = restored;
    restored.admin = old.admin.clone();
    let again = restored.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(again["certificate"]["number"], "FR-2026-000007", "the backup holds the sixth");
}

#[test]
fn nodes_started_at_once_on_an_empty_database_set_it_up_once() {
    let cluster = PgCluster::start();
    let url = cluster.create_database("registry");
    // An orchestrator starts every replica at once, each given the registry's KEK.
    let kek = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let (a, b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| node(&url, Some(kek)));
        let second = scope.spawn(|| node(&url, Some(kek)));
        (first.join().unwrap(), second.join().unwrap())
    });
    let admins: Vec<&str> = [&a, &b].iter().map(|node| node.admin.as_str()).filter(|admin| !admin.is_empty()).collect();
    assert_eq!(admins.len(), 1, "one node set the registry up and wrote the admin token");
    for node in [&a, &b] {
        let (status, keys) = node.call("GET", "/api/v1/keys", Some(admins[0]), None);
        assert_eq!(status, 200, "{keys}");
        let countries: Vec<&str> =
            keys["items"].as_array().unwrap().iter().map(|key| key["country"].as_str().unwrap()).collect();
        assert_eq!(countries.len(), 2, "one key per country, made once: {keys}");
        assert!(countries.contains(&"FR") && countries.contains(&"IT"), "{keys}");
    }
}
