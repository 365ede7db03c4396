//! The API's shape and operations: the OpenAPI snapshot, schemas of served documents,
//! health, metrics, and the CLI as a border officer or ministry uses it.

use serde_json::Value;

use crate::support::{Server, cli, example, repo};

fn validate(schema_kind: cartouche_model::validate::SchemaKind, value: &Value) {
    if let Err(error) = cartouche_model::validate::check_schema(schema_kind, value) {
        panic!("{schema_kind:?} does not match its schema: {error:?}\n{value:#}");
    }
}

/// Every API change shows up in review: the served document must equal the committed
/// snapshot. After an intended change, run with `CARTOUCHE_BLESS=1` to rewrite it.
#[test]
fn openapi_document_matches_the_snapshot() {
    let server = Server::start();
    let (status, document) = server.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    let path = repo().join("tests/snapshots/openapi.json");
    let rendered = serde_json::to_string_pretty(&document).unwrap() + "\n";
    if std::env::var_os("CARTOUCHE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        snapshot == rendered,
        "the OpenAPI document changed; review the diff and rerun with CARTOUCHE_BLESS=1\n{}",
        path.display()
    );
    assert_eq!(document["openapi"], "3.1.0");
    for name in ["Application", "Certificate", "Verdict", "TrustList", "Error"] {
        assert!(document["components"]["schemas"][name].is_object(), "{name} missing");
    }
}

#[test]
fn served_documents_match_their_schemas() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("US"));
    let record = server.issue(&issuer, &example("us-photograph-archive.json"));
    validate(cartouche_model::validate::SchemaKind::Certificate, &record["certificate"]);
    validate(cartouche_model::validate::SchemaKind::Verdict, &server.verify(record["qr_text"].as_str().unwrap()));
    validate(cartouche_model::validate::SchemaKind::Verdict, &server.verify("x.y.z"));
    let (_, list) = server.call("GET", "/api/v1/trust-list", None, None);
    validate(cartouche_model::validate::SchemaKind::TrustList, &list);
    let (_, error) = server.call("GET", "/api/v1/certificates/XX", Some(&issuer), None);
    validate(cartouche_model::validate::SchemaKind::Error, &error);
}

#[test]
fn health_and_metrics() {
    let server = Server::start();
    let (status, health) = server.call("GET", "/healthz", None, None);
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["keys"], 6, "demo keys for FR IT DE GB CH US");
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    server.verify(record["qr_text"].as_str().unwrap());
    let (status, text) = server.raw("GET", "/metrics", None, None, &[]);
    assert_eq!(status, 200);
    assert!(text.contains("cartouche_certificates_issued_total{country=\"FR\"} 1"), "{text}");
    assert!(text.contains("cartouche_verifications_total{verdict=\"VALID\"} 1"), "{text}");
    assert!(text.contains("cartouche_http_requests_total"), "{text}");
}

#[test]
fn the_cli_issues_and_verifies_online_and_offline() {
    let server = Server::start();
    let work = tempfile::tempdir().unwrap();
    let admin_file = server.data_dir().join("admin.token");
    let env = [("CARTOUCHE_SERVER", server.base.as_str())];
    let (code, token, stderr) = cli(
        &["token", "create", "--role", "issuer", "--country", "IT", "--token-file", admin_file.to_str().unwrap()],
        &env,
        work.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let token = token.trim().to_owned();
    let application = repo().join("schemas/examples/it-archaeology-temporary-ch.json");
    let (code, issued, stderr) = cli(
        &["issue", application.to_str().unwrap(), "--token", &token, "--idempotency-key", "cli-1"],
        &env,
        work.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let issued: Value = serde_json::from_str(&issued).unwrap();
    let qr = issued["qr_text"].as_str().unwrap();

    let (code, out, stderr) = cli(&["verify", qr], &env, work.path());
    assert_eq!(code, 0, "VALID exits 0: {out}{stderr}");
    assert!(out.starts_with("VALID") && out.contains("IT-"), "{out}");

    // Offline, with a downloaded trust list: the seal checks pass, the status cannot be
    // known, so the verdict is INDETERMINATE (exit 3).
    let (code, list, stderr) = cli(&["trust-list"], &env, work.path());
    assert_eq!(code, 0, "{stderr}");
    let list_path = work.path().join("trust.json");
    std::fs::write(&list_path, list).unwrap();
    let (code, out, _) = cli(&["verify", qr, "--trust-list", list_path.to_str().unwrap(), "--json"], &[], work.path());
    assert_eq!(code, 3, "{out}");
    let verdict: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict["verdict"], "INDETERMINATE");
    assert!(verdict["checks"].as_array().unwrap().iter().any(|c| c["name"] == "signature" && c["outcome"] == "pass"));
    assert!(
        verdict["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "registry_status" && c["outcome"] == "not_checked")
    );

    // A tampered seal offline is INVALID (exit 2), and an unknown kid offline is
    // INDETERMINATE: the list may be older than the key.
    let tampered = format!("{}x", qr);
    let (code, _, _) = cli(&["verify", &tampered, "--trust-list", list_path.to_str().unwrap()], &[], work.path());
    assert_eq!(code, 2);
    let (code, rotated, stderr) =
        cli(&["keys", "rotate", "--country", "IT", "--token-file", admin_file.to_str().unwrap()], &env, work.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(rotated.contains("\"country\": \"IT\""));
    let (code, fresh, _) = cli(&["issue", application.to_str().unwrap(), "--token", &token], &env, work.path());
    assert_eq!(code, 0);
    let fresh: Value = serde_json::from_str(&fresh).unwrap();
    let (code, out, _) = cli(
        &["verify", fresh["qr_text"].as_str().unwrap(), "--trust-list", list_path.to_str().unwrap()],
        &[],
        work.path(),
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("refresh the trust list"), "{out}");

    // The QR code as a file, and a photo of it verified from the command line.
    let number = issued["certificate"]["number"].as_str().unwrap();
    let png = work.path().join("seal.png");
    let (code, _, stderr) = cli(&["qr", number, "--out", png.to_str().unwrap(), "--token", &token], &env, work.path());
    assert_eq!(code, 0, "{stderr}");
    let (code, out, stderr) = cli(&["verify", "--image", png.to_str().unwrap()], &env, work.path());
    assert_eq!(code, 0, "{out}{stderr}");
    assert!(out.starts_with("VALID"), "{out}");
    let (code, out, _) = cli(
        &["verify", "--image", png.to_str().unwrap(), "--trust-list", list_path.to_str().unwrap()],
        &[],
        work.path(),
    );
    assert_eq!(code, 3, "offline, from a photo: {out}");
    let (code, _, stderr) = cli(&["verify", "--image", list_path.to_str().unwrap()], &env, work.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("not a PNG or JPEG"), "{stderr}");

    // Errors from the server reach the user with their code.
    let (code, _, stderr) = cli(&["issue", application.to_str().unwrap(), "--token", "ct_wrong"], &env, work.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("401 invalid_token"), "{stderr}");
}
