//! Federation: registries that each serve their own countries, a verifier node that
//! verifies both from their bundles and follows their status, the bundles it refuses
//! from a peer that lies, and an officer verifying offline with a bundle file.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::support::{Server, Start, TEST_START, assert_error, check, cli, example, test_start};

/// A registry serving `country` only, at its own address.
fn registry(country: &str) -> Server {
    Server::start_with(Start {
        args: vec!["--countries".into(), country.into()],
        public_url_is_base: true,
        ..Start::default()
    })
}

fn federation_key(server: &Server) -> String {
    let (status, description) = server.call("GET", "/.well-known/cartouche-registry.json", None, None);
    assert_eq!(status, 200, "{description}");
    description["federation_key"].as_str().unwrap().to_owned()
}

fn pin(server: &Server) -> String {
    format!("{}={}", server.base, federation_key(server))
}

/// Issues the named example at `server` with an issuer of `country`; returns (number, QR text).
fn issue(server: &Server, country: &str, name: &str, title: &str) -> (String, String) {
    let issuer = server.token("issuer", Some(country));
    let mut application = example(name);
    application["objects"][0]["title"] = json!(title);
    let record = server.issue(&issuer, &application);
    (record["certificate"]["number"].as_str().unwrap().to_owned(), record["qr_text"].as_str().unwrap().to_owned())
}

/// Polls `probe` every 250 ms until it gives `Some`, for at most `seconds`.
fn wait_for<T>(seconds: u64, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "gave up after {seconds} s waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn peer_health(node: &Server, url: &str) -> Value {
    let (_, health) = node.call("GET", "/healthz", None, None);
    health["peers"].as_array().into_iter().flatten().find(|peer| peer["url"] == url).cloned().unwrap_or(Value::Null)
}

#[test]
fn a_verifier_node_verifies_two_registries_and_follows_their_status() {
    let fr = registry("FR");
    let mut it = registry("IT");
    // Each registry issues for its own country only.
    let italian_issuer_at_fr = fr.token("issuer", Some("IT"));
    let (status, body) = fr.call(
        "POST",
        "/api/v1/certificates",
        Some(&italian_issuer_at_fr),
        Some(&example("it-archaeology-temporary-ch.json")),
    );
    assert_error(status, &body, 422, "country_not_served");
    let (status, body) = fr.call("POST", "/api/v1/countries/IT/keys", Some(&fr.admin), None);
    assert_error(status, &body, 404, "country_not_served");
    let (_, description) = fr.call("GET", "/.well-known/cartouche-registry.json", None, None);
    assert_eq!(description["countries"], json!(["FR"]));
    let (_, trust) = fr.call("GET", "/api/v1/trust-list", None, None);
    assert!(trust["keys"].as_array().unwrap().iter().all(|key| key["country"] == "FR"), "{trust}");

    let (fr_number, fr_qr) = issue(&fr, "FR", "fr-painting-to-us.json", "Paysage I");
    let (_, it_qr) = issue(&it, "IT", "it-archaeology-temporary-ch.json", "Cratere I");

    let ch = Server::start_with(Start {
        args: vec![
            "--verifier".into(),
            "--peer".into(),
            pin(&fr),
            "--peer".into(),
            pin(&it),
            "--peer-sync".into(),
            "1".into(),
            "--max-status-age".into(),
            "20".into(),
        ],
        public_url_is_base: true,
        no_bundled_plugins: true,
        ..Start::default()
    });
    for peer in [&fr.base, &it.base] {
        wait_for(60, "the peers' first bundles", || (peer_health(&ch, peer)["state"] == "ok").then_some(()));
    }
    // Until FR pins CH, FR does not give CH a certificate's full text: CH cannot run the
    // exit-check rules, and says so (never VALID without them).
    let verdict = ch.verify(&fr_qr);
    assert_eq!(verdict["verdict"], "INDETERMINATE", "{verdict:#}");
    assert_eq!(check(&verdict, "rules").0, "not_checked", "{verdict:#}");
    // FR and IT pin CH in turn: they answer its requests for a certificate's full text
    // (and take the exits it records). Their clocks agree with CH's.
    let registry_pinning = |country: &str, now: String| Start {
        args: vec!["--countries".into(), country.into(), "--peer".into(), pin(&ch)],
        public_url_is_base: true,
        fake_clock: Some(now),
        ..Start::default()
    };
    let ch_now = || ch.verify("eyJhbGciOiJFZERTQSJ9.e30.AA")["checked_at"].as_str().unwrap().to_owned();
    let mut fr = fr;
    fr.kill9();
    fr.start_again(registry_pinning("FR", ch_now()));
    it.kill9();
    it.start_again(registry_pinning("IT", ch_now()));
    let (_, description) = ch.call("GET", "/.well-known/cartouche-registry.json", None, None);
    assert_eq!((description["verifier"].clone(), description["countries"].clone()), (json!(true), json!([])));
    // A verifier node issues nothing.
    let issuer_at_ch = ch.token("issuer", Some("FR"));
    let (status, body) =
        ch.call("POST", "/api/v1/certificates", Some(&issuer_at_ch), Some(&example("fr-painting-to-us.json")));
    assert_error(status, &body, 422, "country_not_served");

    // Both countries' seals verify at CH, with the status from their registries and the
    // issuing countries' exit-check plugins, downloaded from their bundles.
    for (qr, registry) in [(&fr_qr, &fr), (&it_qr, &it)] {
        let verdict = wait_for(60, "CH to verify with the peer's plugins", || {
            let verdict = ch.verify(qr);
            (verdict["verdict"] == "VALID").then_some(verdict)
        });
        let (outcome, detail) = check(&verdict, "registry_status");
        assert_eq!(outcome, "pass");
        assert!(detail.contains(&registry.base) && detail.contains("status as of"), "{detail}");
        let (outcome, detail) = check(&verdict, "rules");
        assert_eq!(outcome, "pass", "{detail}");
        assert!(detail.contains("eu-export"), "the EU exit check ran at CH: {detail}");
    }
    // At a checkpoint outside the EU, FR's EU exit check warns, as it does at FR.
    let (_, verdict) =
        ch.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": fr_qr, "checkpoint_country": "CH" })));
    let warned = verdict["rules"].as_array().unwrap().iter().flat_map(|r| r["findings"].as_array().unwrap().iter());
    assert!(warned.clone().any(|f| f["code"] == "EU116.EXIT_OUTSIDE_EU"), "{verdict:#}");
    let (_, plugins) = ch.call("GET", "/api/v1/plugins", None, None);
    assert!(plugins.to_string().contains("eu-export"), "{plugins}");

    // FR revokes: CH says INVALID after its next sync.
    let (status, body) = fr.call(
        "POST",
        &format!("/api/v1/certificates/{fr_number}/revoke"),
        Some(&fr.token("issuer", Some("FR"))),
        Some(&json!({ "reason": "stolen after issue" })),
    );
    assert_eq!(status, 200, "{body}");
    let verdict = wait_for(60, "CH to see the revocation", || {
        let verdict = ch.verify(&fr_qr);
        (verdict["verdict"] == "INVALID").then_some(verdict)
    });
    assert!(check(&verdict, "registry_status").1.starts_with("revoked"), "{verdict:#}");

    // IT stops: CH keeps verifying IT seals with its last good bundle, until the status
    // budget ends; then INDETERMINATE, never VALID from stale data.
    it.kill9();
    assert_eq!(ch.verify(&it_qr)["verdict"], "VALID", "the last good bundle is still within its budget");
    let verdict = wait_for(90, "the IT status to pass its budget", || {
        let verdict = ch.verify(&it_qr);
        (verdict["verdict"] != "VALID").then_some(verdict)
    });
    assert_eq!(verdict["verdict"], "INDETERMINATE", "{verdict:#}");
    let (outcome, detail) = check(&verdict, "registry_status");
    assert_eq!(outcome, "not_checked");
    assert!(detail.contains("budget"), "{detail}");
    let it_health = peer_health(&ch, &it.base);
    assert!(["stale", "unreachable"].contains(&it_health["state"].as_str().unwrap()), "{it_health}");
    // FR is unaffected: a new FR seal becomes VALID at CH with FR's next bundle.
    let (_, second_qr) = issue(&fr, "FR", "fr-painting-to-us.json", "Paysage II");
    wait_for(60, "CH to verify FR's new seal", || (ch.verify(&second_qr)["verdict"] == "VALID").then_some(()));
    assert_eq!(ch.verify(&fr_qr)["verdict"], "INVALID");

    // IT comes back (its clock agreeing with CH's: a fake clock starts where it is told):
    // its seals are VALID again, and its bundle's sequence went on from before the restart.
    let sequence_before = peer_health(&ch, &it.base)["sequence"].as_u64().unwrap();
    it.start_again(registry_pinning("IT", ch_now()));
    wait_for(60, "IT's seals to verify again", || (ch.verify(&it_qr)["verdict"] == "VALID").then_some(()));
    assert!(peer_health(&ch, &it.base)["sequence"].as_u64().unwrap() > sequence_before);
}

/// A peer under the test's control: serves whatever bundle it is given, and log tiles.
struct FakePeer {
    base: String,
    body: Arc<Mutex<String>>,
    files: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    signing: ed25519_dalek::SigningKey,
}

impl FakePeer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let body = Arc::new(Mutex::new(String::new()));
        let files = Arc::new(Mutex::new(std::collections::HashMap::<String, Vec<u8>>::new()));
        let (served, served_files) = (Arc::clone(&body), Arc::clone(&files));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let (status, bytes) = if path == "/api/v1/bundle" {
                    ("200 OK", served.lock().unwrap().clone().into_bytes())
                } else {
                    match served_files.lock().unwrap().get(&path) {
                        Some(bytes) => ("200 OK", bytes.clone()),
                        None => ("404 Not Found", Vec::new()),
                    }
                };
                let _ =
                    write!(stream, "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", bytes.len());
                let _ = stream.write_all(&bytes);
            }
        });
        Self { base, body, files, signing: ed25519_dalek::SigningKey::from_bytes(&[42; 32]) }
    }

    fn serve_file(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_owned(), bytes);
    }

    fn key(&self) -> String {
        cartouche_seal::federation::federation_key_text(&self.signing.verifying_key().to_bytes())
    }

    fn serve(&self, token: String) {
        *self.body.lock().unwrap() = token;
    }

    /// A bundle for `countries` with keys of `key_countries`, signed by `signing`.
    fn bundle(
        &self,
        signing: &ed25519_dalek::SigningKey,
        sequence: u64,
        exp: i64,
        countries: &[&str],
        key_countries: &[&str],
    ) -> String {
        self.bundle_with_log(signing, sequence, exp, countries, key_countries, None)
    }

    /// As [`FakePeer::bundle`], with a log: its signed checkpoint and its key.
    fn bundle_with_log(
        &self,
        signing: &ed25519_dalek::SigningKey,
        sequence: u64,
        exp: i64,
        countries: &[&str],
        key_countries: &[&str],
        log: Option<(String, cartouche_seal::TrustedLog)>,
    ) -> String {
        use cartouche_seal::federation::*;
        use ed25519_dalek::Signer as _;
        let public = signing.verifying_key().to_bytes();
        let sign = |message: &[u8]| Ok(signing.sign(message).to_bytes());
        let iat = test_start().unix_timestamp() - 3600;
        let claims = StatusListClaims {
            sub: format!("{}/api/v1/status-list", self.base),
            iat,
            exp,
            ttl: 300,
            status_list: StatusList::new(16).encode(),
        };
        let status_list =
            sign_document(STATUS_LIST_TYP, &public, &serde_json::to_vec(&claims).unwrap(), &sign).unwrap();
        let keys = key_countries
            .iter()
            .map(|country| {
                let pair = cartouche_seal::KeyPair::generate(cartouche_model::Algorithm::EdDSA).unwrap();
                let created = test_start() - time::Duration::days(30);
                cartouche_seal::TrustedKey::new(
                    country,
                    cartouche_model::Algorithm::EdDSA,
                    &pair.public,
                    created,
                    None,
                    created + time::Duration::days(3650),
                )
                .unwrap()
            })
            .collect();
        let bundle = Bundle {
            v: BUNDLE_VERSION,
            registry: self.base.clone(),
            countries: countries.iter().map(|c| (*c).to_owned()).collect(),
            iat,
            exp,
            sequence,
            trust_list: cartouche_seal::TrustList { generated_at: test_start(), keys, log: log.clone().map(|l| l.1) },
            status_list,
            checkpoint: log.map(|l| l.0),
            plugins: Vec::new(),
            reference_data: None,
        };
        sign_document(BUNDLE_TYP, &public, &serde_json::to_vec(&bundle).unwrap(), &sign).unwrap()
    }
}

#[test]
fn a_verifier_node_refuses_lying_bundles_and_keeps_the_last_good_one() {
    let peer = FakePeer::start();
    let later = test_start().unix_timestamp() + 10 * 86_400;
    peer.serve(peer.bundle(&peer.signing, 100, later, &["GR"], &["GR"]));
    let ch = Server::start_with(Start {
        args: vec![
            "--verifier".into(),
            "--peer".into(),
            format!("{}={}", peer.base, peer.key()),
            "--peer-sync".into(),
            "1".into(),
        ],
        no_bundled_plugins: true,
        ..Start::default()
    });
    wait_for(60, "the good bundle", || (peer_health(&ch, &peer.base)["sequence"] == 100).then_some(()));
    let intruder = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let expired = test_start().unix_timestamp() - 60;
    let lies = [
        ("rollback", peer.bundle(&peer.signing, 50, later, &["GR"], &["GR"])),
        ("expired", peer.bundle(&peer.signing, 101, expired, &["GR"], &["GR"])),
        ("bad_signature", peer.bundle(&intruder, 102, later, &["GR"], &["GR"])),
        ("foreign_country", peer.bundle(&peer.signing, 103, later, &["GR"], &["GR", "IT"])),
    ];
    for (reason, token) in lies {
        peer.serve(token);
        let health = wait_for(30, reason, || {
            let health = peer_health(&ch, &peer.base);
            (health["last_error_code"] == reason).then_some(health)
        });
        assert_eq!(health["sequence"], 100, "the last good bundle stays in service: {health}");
        assert_eq!(health["state"], "refused", "{health}");
    }
    let (_, metrics) = ch.raw("GET", "/metrics", None, None, &[]);
    for reason in ["rollback", "expired", "bad_signature", "foreign_country"] {
        assert!(metrics.contains(&format!("reason=\"{reason}\"")), "no refusal metric for {reason}");
    }
    assert!(ch.log_text().contains("peer bundle refused"), "the refusals are logged");
    // A newer honest bundle is taken again.
    peer.serve(peer.bundle(&peer.signing, 104, later, &["GR"], &["GR"]));
    wait_for(30, "the next good bundle", || (peer_health(&ch, &peer.base)["state"] == "ok").then_some(()));
    assert_eq!(peer_health(&ch, &peer.base)["sequence"], 104);
}

#[test]
fn an_officer_verifies_offline_with_a_bundle_file() {
    let fr = registry("FR");
    let (number, qr) = issue(&fr, "FR", "fr-painting-to-us.json", "Paysage hors ligne");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let at = |offset: time::Duration| {
        (test_start() + offset).format(&time::format_description::well_known::Rfc3339).unwrap()
    };
    let an_hour_later = at(time::Duration::hours(1));
    let clock = |text: &str| vec![("CARTOUCHE_UNSAFE_FAKE_CLOCK", text.to_owned())];
    let run = |args: &[&str], now: &str| {
        let env = clock(now);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cli(args, &env, dir)
    };
    let fetch = || {
        let (code, _, stderr) = run(&["bundle", "fetch", "--server", &pin(&fr), "--out", "post.json"], &an_hour_later);
        assert_eq!(code, 0, "{stderr}");
    };
    fetch();
    let (code, stdout, stderr) = run(&["verify", "--bundle", "post.json", &qr], &an_hour_later);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("VALID"), "{stdout}");
    assert!(stdout.contains("status as of"), "{stdout}");

    // Past the status budget: INDETERMINATE, never VALID from stale data.
    let (code, stdout, _) = run(&["verify", "--bundle", "post.json", &qr], &at(time::Duration::days(3)));
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("budget"), "{stdout}");
    // A device clock set before the bundle was signed is refused.
    let (code, _, stderr) = run(&["verify", "--bundle", "post.json", &qr], &at(-time::Duration::days(1)));
    assert_eq!(code, 1);
    assert!(stderr.contains("check the device clock"), "{stderr}");
    // A bundle file changed after the fetch is refused.
    let text = std::fs::read_to_string(dir.join("post.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let bundle = file["bundles"][0]["bundle"].as_str().unwrap();
    let altered = text.replace(bundle, &bundle.replacen("eyJ", "eyK", 2));
    std::fs::write(dir.join("altered.json"), altered).unwrap();
    let (code, _, stderr) = run(&["verify", "--bundle", "altered.json", &qr], &an_hour_later);
    assert_eq!(code, 1);
    assert!(stderr.contains("refused"), "{stderr}");

    // Revoked at the registry: the next bundle says so, offline.
    let (status, body) = fr.call(
        "POST",
        &format!("/api/v1/certificates/{number}/revoke"),
        Some(&fr.token("issuer", Some("FR"))),
        Some(&json!({ "reason": "reported stolen" })),
    );
    assert_eq!(status, 200, "{body}");
    let stdout = wait_for(30, "a bundle with the revocation", || {
        fetch();
        let (code, stdout, _) = run(&["verify", "--bundle", "post.json", &qr], &an_hour_later);
        (code == 2).then_some(stdout)
    });
    assert!(stdout.starts_with("INVALID") && stdout.contains("revoked"), "{stdout}");
    // Without a pinned key, the fetch says whose key it trusted.
    let (code, _, stderr) = run(&["bundle", "fetch", "--server", &fr.base, "--out", "tofu.json"], &an_hour_later);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("on first use"), "{stderr}");
    assert!(TEST_START < an_hour_later.as_str());
}

#[test]
fn exits_recorded_at_a_verifier_node_reach_the_issuing_registry_even_after_an_outage() {
    let mut fr = registry("FR");
    let ch = Server::start_with(Start {
        args: vec![
            "--verifier".into(),
            "--peer".into(),
            pin(&fr),
            "--peer-sync".into(),
            "1".into(),
            "--forward-retry".into(),
            "1".into(),
        ],
        public_url_is_base: true,
        no_bundled_plugins: true,
        ..Start::default()
    });
    // FR accepts forwarded events only from the nodes it pins: it pins CH.
    let fr_start = |now: String| Start {
        args: vec!["--countries".into(), "FR".into(), "--peer".into(), pin(&ch)],
        public_url_is_base: true,
        fake_clock: Some(now),
        ..Start::default()
    };
    let ch_now = || {
        let (_, health) = ch.call("GET", "/healthz", None, None);
        assert!(health.is_object());
        // A verdict's checked_at is the node's clock.
        ch.verify("eyJhbGciOiJFZERTQSJ9.e30.AA")["checked_at"].as_str().unwrap().to_owned()
    };
    fr.kill9();
    fr.start_again(fr_start(ch_now()));
    let numbers: Vec<(String, String)> =
        (0..3).map(|n| issue(&fr, "FR", "fr-painting-to-us.json", &format!("Paysage {n}"))).collect();
    wait_for(60, "CH to hold FR's bundle", || (ch.verify(&numbers[2].1)["verdict"] == "VALID").then_some(()));

    // The officer at CH compares the object with FR's certified photo: CH fetches it from
    // FR, checks it against its name, keeps it, and shows it on the verdict page.
    let fr_issuer = fr.token("issuer", Some("FR"));
    let upload = crate::photos::camera_jpeg();
    let (status, text) =
        fr.raw("POST", "/api/v1/photos", Some(&fr_issuer), Some(&upload), &[("Content-Type", "image/jpeg")]);
    assert_eq!(status, 201, "{text}");
    let sha = serde_json::from_str::<Value>(&text).unwrap()["sha256"].as_str().unwrap().to_owned();
    let mut application = example("fr-painting-to-us.json");
    application["objects"][0]["photos"][0]["sha256"] = json!(sha);
    let with_photo = fr.issue(&fr_issuer, &application)["qr_text"].as_str().unwrap().to_owned();
    // CH asks FR only for photos a verified FR seal named: not before the scan.
    assert_eq!(crate::photos::get_bytes(&ch, &format!("/api/v1/photos/{sha}")).0, 404);
    let path = &with_photo[with_photo.find("/v/").unwrap()..];
    let (status, html) = ch.raw("GET", path, None, None, &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/api/v1/photos/{sha}/thumbnail")), "the verdict page shows FR's photo");
    let (status, photo) = crate::photos::get_bytes(&ch, &format!("/api/v1/photos/{sha}"));
    assert_eq!(status, 200);
    assert_eq!(crate::photos::hex(&sha2::Sha256::digest(&photo)), sha);
    assert_eq!(crate::photos::get_bytes(&ch, &format!("/api/v1/photos/{sha}/thumbnail")).0, 200);
    let officer = ch.token("officer", Some("CH"));
    let exit = |office: &str| json!({ "kind": "exited", "office": office, "declaration_ref": "26CH0000001" });
    let record = |server: &Server, token: &str, number: &str, office: &str| {
        server.call("POST", &format!("/api/v1/certificates/{number}/events"), Some(token), Some(&exit(office)))
    };
    let fr_state = |fr: &Server, number: &str| {
        let (status, view) = fr.call("GET", &format!("/api/v1/certificates/{number}"), Some(&fr.admin), None);
        assert_eq!(status, 200, "{view}");
        view
    };

    // Delivered at once: FR records the exit, saying where it came from.
    let (status, body) = record(&ch, &officer, &numbers[0].0, "Bâle-Saint-Louis");
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["state"].as_str(), body["forwarded_to"].as_str()), (Some("delivered"), Some(fr.base.as_str())));
    let view = fr_state(&fr, &numbers[0].0);
    assert_eq!(view["status"]["state"], "used", "{view:#}");
    let office = view["status"]["events"][1]["office"].as_str().unwrap();
    assert!(office.contains("Bâle-Saint-Louis") && office.contains(&ch.base), "{office}");

    // An exit already recorded at FR: the one from CH is refused, at both ends.
    let fr_officer = fr.token("officer", Some("FR"));
    let (status, body) = record(&fr, &fr_officer, &numbers[1].0, "Roissy fret");
    assert_eq!(status, 200, "{body}");
    let (status, body) = record(&ch, &officer, &numbers[1].0, "Chiasso");
    assert_error(status, &body, 409, "event_conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("already"), "{body}");
    let (_, health) = ch.call("GET", "/healthz", None, None);
    assert_eq!(health["forwarding"]["conflicts"], 1, "{health}");
    let (_, audit) = fr.call("GET", "/api/v1/audit?limit=50", Some(&fr.admin), None);
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["target"] == numbers[1].0.as_str() && e["outcome"] == "denied"),
        "FR's audit trail shows the refused exit: {audit:#}"
    );

    // FR is down: the exit waits at CH, durably, and reaches FR when it is back.
    fr.kill9();
    let (status, body) = record(&ch, &officer, &numbers[2].0, "Genève-Cornavin");
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["state"], "queued");
    let (_, health) = ch.call("GET", "/healthz", None, None);
    assert_eq!(health["forwarding"]["queued"], 1, "{health}");
    fr.start_again(fr_start(ch_now()));
    wait_for(60, "the queued exit to reach FR", || {
        (fr_state(&fr, &numbers[2].0)["status"]["state"] == "used").then_some(())
    });
    wait_for(30, "CH's outbox to empty", || {
        let (_, health) = ch.call("GET", "/healthz", None, None);
        (health["forwarding"]["queued"] == 0).then_some(())
    });

    // FR takes forwarded events from the nodes it pins, and no other.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let public = stranger.verifying_key().to_bytes();
    let payload = json!({
        "id": "00", "number": numbers[0].0, "kind": "returned", "office": "x", "country": "CH",
        "at": test_start().unix_timestamp(), "officer": "t", "origin": "http://stranger.invalid"
    });
    let document = cartouche_seal::federation::sign_document(
        cartouche_seal::federation::EVENT_TYP,
        &public,
        payload.to_string().as_bytes(),
        &|message| {
            use ed25519_dalek::Signer as _;
            Ok(stranger.sign(message).to_bytes())
        },
    )
    .unwrap();
    let (status, body) = fr.raw("POST", "/api/v1/federation/events", None, Some(document.as_bytes()), &[]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("unknown_peer"), "{body}");
}

#[test]
fn a_verifier_node_refuses_a_peer_whose_log_forked_even_as_it_grew() {
    let peer = FakePeer::start();
    let later = test_start().unix_timestamp() + 10 * 86_400;
    let signer = cartouche_log::LogSigner::new("fake.example/log", &[5; 32]).unwrap();
    let trusted = cartouche_seal::TrustedLog {
        origin: "fake.example/log".into(),
        vkey: signer.vkey().to_string(),
        url: format!("{}/log/", peer.base),
    };
    // The peer's log: its entry bundle as served, and a checkpoint of its root.
    let publish = |entries: &[&[u8]]| {
        let mut tree = cartouche_log::tree::MemoryTree::new();
        for entry in entries {
            tree.push(entry).unwrap();
        }
        let size = entries.len() as u64;
        let path = format!("/log/tile/entries/000.p/{size}");
        peer.serve_file(&path, cartouche_log::tiles::bundle(entries).unwrap());
        let note = signer.sign(size, tree.root_at(size).unwrap()).unwrap();
        (String::from_utf8(note).unwrap(), trusted.clone())
    };
    let log = publish(&[b"issued A", b"issued B"]);
    peer.serve(peer.bundle_with_log(&peer.signing, 100, later, &["GR"], &["GR"], Some(log)));
    let ch = Server::start_with(Start {
        args: vec![
            "--verifier".into(),
            "--peer".into(),
            format!("{}={}", peer.base, peer.key()),
            "--peer-sync".into(),
            "1".into(),
        ],
        no_bundled_plugins: true,
        ..Start::default()
    });
    wait_for(60, "the first bundle", || (peer_health(&ch, &peer.base)["sequence"] == 100).then_some(()));
    // The log grew, but its first entry changed: a fork, properly signed.
    let forked = publish(&[b"issued A, altered", b"issued B", b"issued C"]);
    peer.serve(peer.bundle_with_log(&peer.signing, 101, later, &["GR"], &["GR"], Some(forked)));
    let health = wait_for(30, "the fork to be refused", || {
        let health = peer_health(&ch, &peer.base);
        (health["last_error_code"] == "checkpoint_inconsistent").then_some(health)
    });
    assert_eq!(health["sequence"], 100, "{health}");
    assert!(health["last_error"].as_str().unwrap().contains("forked"), "{health}");
    // Honest growth is taken.
    let grown = publish(&[b"issued A", b"issued B", b"issued C"]);
    peer.serve(peer.bundle_with_log(&peer.signing, 102, later, &["GR"], &["GR"], Some(grown)));
    wait_for(30, "the honest bundle", || (peer_health(&ch, &peer.base)["sequence"] == 102).then_some(()));
    assert_eq!(peer_health(&ch, &peer.base)["state"], "ok");
}
