//! Where the signing keys live: sealed in the store under the key-encryption key (KEK),
//! or in an HSM (SoftHSM2 here) that they never leave; the key ceremony; retirement.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::{Server, Start, assert_error, check, cli, example};

/// A record as the store frames it: `[1][sha256(body)][body]`.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = vec![1u8];
    framed.extend_from_slice(&sha2::Sha256::digest(body));
    framed.extend_from_slice(body);
    framed
}

fn unframe(bytes: &[u8]) -> Value {
    assert_eq!(bytes[0], 1, "key records are small, never compressed");
    serde_json::from_slice(&bytes[33..]).unwrap()
}

/// Every secret the store holds, opened with the KEK: (record key, secret).
fn opened_secrets(store_dir: &Path, kek: &cartouche_seal::Kek) -> Vec<(String, Vec<u8>)> {
    let db = sled::open(store_dir).unwrap();
    let mut secrets = Vec::new();
    for item in db.open_tree("keys").unwrap().iter() {
        let (_, bytes) = item.unwrap();
        let record = unframe(&bytes);
        assert_eq!(record["custody"]["kind"], "sealed", "{record}");
        assert_eq!(record["custody"]["kek"], kek.id(), "{record}");
        let context = format!(
            "cartouche seal key v1\n{}\n{}\n{}",
            record["country"].as_str().unwrap(),
            record["alg"].as_str().unwrap(),
            record["kid"].as_str().unwrap()
        );
        let sealed = STANDARD.decode(record["secret"].as_str().unwrap()).unwrap();
        let secret = kek.open(&sealed, context.as_bytes()).expect("the KEK opens every sealed key");
        assert_eq!(secret.len(), 32);
        secrets.push((record["kid"].as_str().unwrap().to_owned(), secret));
    }
    for item in db.open_tree("service_keys").unwrap().iter() {
        let (_, bytes) = item.unwrap();
        let record = unframe(&bytes);
        assert_eq!(record["custody"]["kind"], "sealed", "{record}");
        let context = format!(
            "cartouche service key v1\n{}\n{}",
            record["purpose"].as_str().unwrap(),
            record["name"].as_str().unwrap()
        );
        let sealed = STANDARD.decode(record["secret"].as_str().unwrap()).unwrap();
        secrets.push((record["purpose"].as_str().unwrap().to_owned(), kek.open(&sealed, context.as_bytes()).unwrap()));
    }
    secrets
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn kek_of(data_dir: &Path) -> cartouche_seal::Kek {
    cartouche_seal::Kek::parse(&std::fs::read_to_string(data_dir.join("kek.key")).unwrap()).unwrap()
}

fn serve_fails(data_dir: &Path, env: &[(&str, &str)], dir: &Path) -> String {
    let data = data_dir.to_str().unwrap();
    let mut all = vec![("CARTOUCHE_DATA_DIR", data), ("CARTOUCHE_NO_BUNDLED_PLUGINS", "true")];
    all.extend_from_slice(env);
    let (code, _, stderr) = cli(&["serve", "--listen", "127.0.0.1:0"], &all, dir);
    assert_ne!(code, 0, "the server started: {stderr}");
    stderr
}

#[test]
fn keys_are_sealed_at_rest_and_a_store_without_its_kek_signs_nothing() {
    let mut server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    let data_dir = server.data_dir();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data_dir.join("kek.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the KEK file is private");
    }
    let (status, keys) = server.call("GET", "/api/v1/keys", Some(&server.admin), None);
    assert_eq!(status, 200, "{keys}");
    let kek = kek_of(&data_dir);
    let items = keys["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "the six demo countries");
    for key in items {
        assert_eq!(key["custody"], json!({ "kind": "sealed", "kek": kek.id() }), "{key}");
        assert_eq!(key["status"], "current");
        assert_eq!(key["signs_here"], true);
        assert!(key.get("secret").is_none(), "{key}");
    }
    let issuer = server.token("issuer", Some("FR"));
    let (status, body) = server.call("GET", "/api/v1/keys", Some(&issuer), None);
    assert_error(status, &body, 403, "forbidden");
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let qr = record["qr_text"].as_str().unwrap().to_owned();
    server.kill9();

    // The KEK opens every key; no secret is anywhere in the data directory's store in
    // any spelling, and none is in the server's log.
    let store_dir = data_dir.join("store");
    let secrets = opened_secrets(&store_dir, &kek);
    assert_eq!(secrets.len(), 9, "six seal keys, the log's, the witness's and the federation's: {secrets:?}");
    let files = files_under(&store_dir);
    for (name, secret) in &secrets {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let spellings = [
            secret.clone(),
            STANDARD.encode(secret).into_bytes(),
            URL_SAFE_NO_PAD.encode(secret).into_bytes(),
            hex.into_bytes(),
        ];
        for (path, bytes) in &files {
            for spelling in &spellings {
                assert!(
                    !bytes.windows(spelling.len()).any(|window| window == spelling.as_slice()),
                    "the secret of {name} is in clear in {}",
                    path.display()
                );
            }
        }
        assert!(!server.log_text().contains(&STANDARD.encode(secret)));
    }

    // Without the KEK the store is refused, saying what to do; with another KEK too.
    std::fs::rename(data_dir.join("kek.key"), server.dir.path().join("kek.backup")).unwrap();
    let stderr = serve_fails(&data_dir, &[], server.dir.path());
    assert!(stderr.contains("sealed under the key-encryption key") && stderr.contains("restore"), "{stderr}");
    assert!(!data_dir.join("kek.key").exists(), "no new KEK is made for a sealed store");
    let other = cartouche_seal::Kek::generate().unwrap().encode();
    let stderr = serve_fails(&data_dir, &[("CARTOUCHE_KEK", &other)], server.dir.path());
    assert!(stderr.contains(&format!("sealed under the key-encryption key {}", kek.id())), "{stderr}");
    // A KEK file others may read is refused.
    std::fs::copy(server.dir.path().join("kek.backup"), data_dir.join("kek.key")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data_dir.join("kek.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let stderr = serve_fails(&data_dir, &[], server.dir.path());
        assert!(stderr.contains("chmod 600"), "{stderr}");
    }
    std::fs::remove_file(data_dir.join("kek.key")).unwrap();

    // The KEK from the environment (kept apart from the data): everything works.
    let text = std::fs::read_to_string(server.dir.path().join("kek.backup")).unwrap();
    server.restart_with(Start {
        no_bundled_plugins: true,
        env: vec![("CARTOUCHE_KEK".into(), text.trim().into())],
        ..Start::default()
    });
    assert_eq!(server.verify(&qr)["verdict"], "VALID");
    server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert!(!data_dir.join("kek.key").exists(), "a KEK given in the environment is never written");
}

#[test]
fn a_store_that_kept_keys_in_clear_is_sealed_at_start_and_keeps_working() {
    let mut server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    let data_dir = server.data_dir();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let qr = record["qr_text"].as_str().unwrap().to_owned();
    server.kill9();

    // Rewrite the store as an older build kept it: no custody, secrets in clear.
    let kek = kek_of(&data_dir);
    let store_dir = data_dir.join("store");
    let secrets = opened_secrets(&store_dir, &kek);
    {
        let db = sled::open(&store_dir).unwrap();
        for tree in ["keys", "service_keys"] {
            let tree = db.open_tree(tree).unwrap();
            for item in tree.iter() {
                let (key, bytes) = item.unwrap();
                let mut record = unframe(&bytes);
                let name = record.get("kid").or(record.get("purpose")).unwrap().as_str().unwrap().to_owned();
                let secret = &secrets.iter().find(|(n, _)| *n == name).unwrap().1;
                record.as_object_mut().unwrap().remove("custody");
                record["secret"] = json!(STANDARD.encode(secret));
                tree.insert(key, frame(&serde_json::to_vec(&record).unwrap())).unwrap();
            }
        }
        db.flush().unwrap();
    }
    server.restart_with(Start { no_bundled_plugins: true, ..Start::default() });
    assert!(
        server.log_text().contains("Migration: 9 key(s) this store kept in clear are now sealed"),
        "{}",
        server.log_text()
    );
    let (_, keys) = server.call("GET", "/api/v1/keys", Some(&server.admin), None);
    for key in keys["items"].as_array().unwrap() {
        assert_eq!(key["custody"]["kind"], "sealed", "{key}");
    }
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=50", Some(&server.admin), None);
    assert!(audit["items"].as_array().unwrap().iter().any(|entry| entry["action"] == "key.seal"), "{audit}");
    assert_eq!(server.verify(&qr)["verdict"], "VALID", "what was signed before still verifies");
    let second = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(server.verify(second["qr_text"].as_str().unwrap())["verdict"], "VALID");
    assert_eq!(second["kid"], record["kid"], "the same key signs, now sealed");
    server.kill9();
    assert_eq!(opened_secrets(&store_dir, &kek).len(), 9, "every secret sealed, and the same secrets");
}

#[test]
fn a_key_stops_signing_when_retired_and_stops_verifying_when_told() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let qr = record["qr_text"].as_str().unwrap();
    let kid = record["kid"].as_str().unwrap();
    let admin = Some(server.admin.as_str());

    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/keys/{kid}/retire"),
        admin,
        Some(&json!({ "verify_until": "2099-01-01T00:00:00Z" })),
    );
    assert_error(status, &body, 400, "invalid_retirement");
    let (status, body) = server.call("POST", "/api/v1/keys/AAAAAAAAAAA/retire", admin, None);
    assert_error(status, &body, 404, "not_found");
    let (status, body) = server.call("POST", &format!("/api/v1/keys/{kid}/retire"), Some(&issuer), None);
    assert_error(status, &body, 403, "forbidden");

    let (status, key) = server.call("POST", &format!("/api/v1/keys/{kid}/retire"), admin, None);
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["status"], "retired");
    assert_eq!(key["signs_here"], false);
    let (status, body) =
        server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&example("fr-painting-to-us.json")));
    assert_error(status, &body, 409, "no_signing_key");
    assert_eq!(server.verify(qr)["verdict"], "VALID", "a retired key verifies what it signed");

    // A compromised key: what it signed stops verifying now.
    let (status, key) = server.call(
        "POST",
        &format!("/api/v1/keys/{kid}/retire"),
        admin,
        Some(&json!({ "verify_until": key["sign_until"] })),
    );
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["status"], "expired");
    let verdict = server.verify(qr);
    assert_eq!(verdict["verdict"], "INVALID", "{verdict:#}");
    assert_eq!(check(&verdict, "key_validity").0, "fail", "{verdict:#}");
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=20", admin, None);
    assert_eq!(audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "key.retire").count(), 2);

    // A new key, and FR issues again.
    let (status, rotated) = server.call("POST", "/api/v1/countries/FR/keys", admin, None);
    assert_eq!(status, 201, "{rotated}");
    let again = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(server.verify(again["qr_text"].as_str().unwrap())["verdict"], "VALID");
}

// ---- SoftHSM2 -----------------------------------------------------------------------

const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A throw-away SoftHSM2 token in `dir`: its configuration file, and the token
/// initialised with user PIN 1234.
struct Token {
    conf: PathBuf,
    tokens: PathBuf,
    pin_file: PathBuf,
}

impl Token {
    fn new(dir: &Path, label: &str) -> Self {
        assert!(
            Path::new(SOFTHSM_MODULE).exists(),
            "SoftHSM2 is missing: install Debian's softhsm2 (scripts/test installs it)"
        );
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!("directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n", tokens.display()),
        )
        .unwrap();
        let output = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label, "--pin", "1234", "--so-pin", "5678"])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util (Debian's softhsm2; scripts/test installs it)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let pin_file = dir.join("hsm.pin");
        std::fs::write(&pin_file, "1234\n").unwrap();
        Self { conf, tokens, pin_file }
    }

    fn uri(&self, label: &str) -> String {
        format!("pkcs11:token={label}?module-path={SOFTHSM_MODULE}&pin-source=file:{}", self.pin_file.display())
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("SOFTHSM2_CONF".into(), self.conf.display().to_string())]
    }
}

#[test]
fn keys_in_an_hsm_sign_rotate_and_come_from_a_key_ceremony() {
    let dir = tempfile::tempdir().unwrap();
    let token = Token::new(dir.path(), "ministry");
    let uri = token.uri("ministry");
    // The real clock: the ceremony's file is dated by it, and must not be in the server's future.
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let start = Start {
        no_bundled_plugins: true,
        fake_clock: Some(now),
        args: vec!["--keys".into(), uri.clone(), "--countries".into(), "FR,IT".into()],
        env: token.env(),
        ..Start::default()
    };
    let mut server = Server::start_with(start.clone());
    let admin = Some(server.admin.as_str());
    let (_, keys) = server.call("GET", "/api/v1/keys", admin, None);
    let items = keys["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{keys}");
    for key in items {
        assert_eq!(key["custody"]["kind"], "hsm", "{key}");
        assert_eq!(key["custody"]["token"], "ministry", "{key}");
        assert_eq!(key["signs_here"], true, "{key}");
    }
    let issuer = server.token("issuer", Some("FR"));
    let first = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(server.verify(first["qr_text"].as_str().unwrap())["verdict"], "VALID");

    // Rotation makes the new key in the HSM, ES256 too (low S, as verifiers require).
    let (status, rotated) = server.call("POST", "/api/v1/countries/FR/keys", admin, Some(&json!({ "alg": "ES256" })));
    assert_eq!(status, 201, "{rotated}");
    for _ in 0..3 {
        let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
        assert_eq!(record["kid"], rotated["kid"]);
        assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    }
    let (_, keys) = server.call("GET", "/api/v1/keys", admin, None);
    let current = keys["items"].as_array().unwrap().iter().find(|k| k["kid"] == rotated["kid"]).unwrap().clone();
    assert_eq!((current["alg"].as_str(), current["custody"]["kind"].as_str()), (Some("ES256"), Some("hsm")));

    // The key ceremony: made in the HSM offline, only the public half and the proof leave.
    let key_file = dir.path().join("fr-key.json");
    let mut env: Vec<(&str, &str)> = vec![("SOFTHSM2_CONF", token.conf.to_str().unwrap())];
    let (code, _, stderr) = cli(
        &["keys", "generate", "--keys", &uri, "--country", "FR", "--out", key_file.to_str().unwrap()],
        &env,
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("keys import"), "{stderr}");
    let ceremony: Value = serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(ceremony["format"], "cartouche-key-v1");
    assert!(ceremony.get("secret").is_none());
    let (code, _, stderr) = cli(
        &["keys", "generate", "--keys", &uri, "--country", "FR", "--out", key_file.to_str().unwrap()],
        &env,
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("never overwrites"), "{stderr}");

    // A changed file is refused (its proof no longer verifies), and nothing changes.
    let mut forged = ceremony.clone();
    forged["country"] = json!("IT");
    let (status, body) = server.call("POST", "/api/v1/keys", admin, Some(&forged));
    assert_error(status, &body, 422, "invalid_key_ceremony");
    let mut forged = ceremony.clone();
    forged["hsm"]["id"] = json!("00ff");
    let (status, body) = server.call("POST", "/api/v1/keys", admin, Some(&forged));
    assert_error(status, &body, 422, "invalid_key_ceremony");

    let token_file = server.data_dir().join("admin.token");
    env.push(("CARTOUCHE_SERVER", &server.base));
    let (code, stdout, stderr) = cli(
        &["keys", "import", "--token-file", token_file.to_str().unwrap(), key_file.to_str().unwrap()],
        &env,
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let imported: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(imported["kid"], ceremony["kid"]);
    assert_eq!(imported["retired"], json!([rotated["kid"]]));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(record["kid"], ceremony["kid"]);
    assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    let (status, body) = server.call("POST", "/api/v1/keys", admin, Some(&ceremony));
    assert_error(status, &body, 409, "key_exists");
    // The log's checkpoint, the witness's and the federation's keys were made in the HSM
    // too, and sign.
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=100", admin, None);
    for purpose in ["log", "witness", "federation"] {
        let created =
            audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "key.create" && e["target"] == purpose);
        assert!(created.is_some_and(|e| e["detail"].as_str().unwrap().ends_with("(hsm)")), "{purpose}: {audit}");
    }
    let (status, checkpoint) = server.raw("GET", "/log/checkpoint", None, None, &[]);
    assert_eq!(status, 200);
    assert!(checkpoint.contains("\n\n\u{2014} "), "{checkpoint}");
    let (status, bundle) = server.raw("GET", "/api/v1/bundle", None, None, &[]);
    assert_eq!(status, 200, "the bundle is signed in the HSM: {bundle}");
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=50", admin, None);
    let import = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "key.import").unwrap().clone();
    assert!(import["detail"].as_str().unwrap().contains("(hsm)"), "{import}");

    // The token goes away: issuance is a clear 503 and nothing is issued; verification goes on.
    let moved = dir.path().join("tokens-away");
    std::fs::rename(&token.tokens, &moved).unwrap();
    let (status, body) =
        server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&example("fr-painting-to-us.json")));
    assert_error(status, &body, 503, "hsm_unavailable");
    assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    // Back: SoftHSM2 reads its tokens when the module starts, so the service is restarted.
    std::fs::rename(&moved, &token.tokens).unwrap();
    server.restart_with(start.clone());
    let next = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let number = |r: &Value| r["certificate"]["number"].as_str().unwrap().to_owned();
    assert_eq!(number(&next)[number(&next).len() - 6..], format!("{:06}", 6), "no number was used by the refusal");

    // A wrong PIN refuses to start, saying so.
    server.kill9();
    let wrong = dir.path().join("wrong.pin");
    std::fs::write(&wrong, "9999").unwrap();
    let data_dir = server.data_dir();
    let wrong_uri = format!("pkcs11:token=ministry?module-path={SOFTHSM_MODULE}&pin-source=file:{}", wrong.display());
    let (code, _, stderr) = cli(
        &["serve", "--listen", "127.0.0.1:0", "--keys", &wrong_uri],
        &[("CARTOUCHE_DATA_DIR", data_dir.to_str().unwrap()), ("SOFTHSM2_CONF", token.conf.to_str().unwrap())],
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.to_lowercase().contains("pin"), "{stderr}");

    // The log's checkpoint key is in the HSM too: without it the registry does not start.
    let (code, _, stderr) = cli(
        &["serve", "--listen", "127.0.0.1:0", "--countries", "FR,IT"],
        &[("CARTOUCHE_DATA_DIR", data_dir.to_str().unwrap()), ("CARTOUCHE_NO_BUNDLED_PLUGINS", "true")],
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("the log key is in the HSM token"), "{stderr}");
}

#[test]
fn a_registry_moves_its_keys_into_an_hsm_by_rotating_them() {
    let dir = tempfile::tempdir().unwrap();
    let token = Token::new(dir.path(), "move");
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let sealed = Start {
        no_bundled_plugins: true,
        fake_clock: Some(now),
        args: vec!["--countries".into(), "FR,IT".into()],
        env: token.env(),
        ..Start::default()
    };
    let mut server = Server::start_with(sealed.clone());
    let fr = server.token("issuer", Some("FR"));
    let it = server.token("issuer", Some("IT"));
    let before = server.issue(&fr, &example("fr-painting-to-us.json"));

    let mut with_hsm = sealed.clone();
    with_hsm.args.extend(["--keys".into(), token.uri("move")]);
    server.restart_with(with_hsm);
    let (status, rotated) = server.call("POST", "/api/v1/countries/FR/keys", Some(&server.admin), None);
    assert_eq!(status, 201, "{rotated}");
    let (_, keys) = server.call("GET", "/api/v1/keys", Some(&server.admin), None);
    let custody = |kid: &Value| {
        keys["items"].as_array().unwrap().iter().find(|k| k["kid"] == *kid).unwrap()["custody"]["kind"].clone()
    };
    assert_eq!(custody(&rotated["kid"]), "hsm");
    assert_eq!(custody(&before["kid"]), "sealed", "the old key stays sealed, retired, verifying");
    let after = server.issue(&fr, &example("fr-painting-to-us.json"));
    assert_eq!(after["kid"], rotated["kid"]);
    for record in [&before, &after] {
        assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    }

    // Without the HSM: everything verifies, IT (sealed) issues, FR (in the HSM) is a 503
    // that says why.
    server.restart_with(sealed);
    assert_eq!(server.verify(after["qr_text"].as_str().unwrap())["verdict"], "VALID");
    server.issue(&it, &example("it-archaeology-temporary-ch.json"));
    let (status, body) =
        server.call("POST", "/api/v1/certificates", Some(&fr), Some(&example("fr-painting-to-us.json")));
    assert_error(status, &body, 503, "signing_key_unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("HSM"), "{body}");
}
