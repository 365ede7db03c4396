//! What an attacker tried against the first release, each a regression test: invented
//! methods that grew the metrics, a huge path parameter that was audited and logged in
//! full, token guessing that left no audit trail, and a checkpoint country that the page
//! and the API read differently.

use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, check, example};

fn raw_status(server: &Server, head: &str) -> u16 {
    server.raw_head(head).0
}

#[test]
fn invented_methods_do_not_grow_the_metrics() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    for index in 0..25 {
        let head = format!("XMETHOD{index} /api/v1/verify HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert!(raw_status(&server, &head) >= 400, "an invented method is refused");
    }
    let (status, metrics) = server.raw("GET", "/metrics", None, None, &[]);
    assert_eq!(status, 200);
    assert!(!metrics.contains("XMETHOD"), "a method label is taken verbatim: {metrics}");
    assert!(metrics.contains("method=\"other\""), "invented methods are counted under \"other\": {metrics}");
}

#[test]
fn path_parameters_are_checked_before_authorizing_and_auditing() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    let officer = server.token("officer", Some("FR"));
    let huge = "A".repeat(60_000);
    let head = format!(
        "POST /api/v1/countries/{huge}/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {officer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (status, body) = server.raw_head(&head);
    assert_error(status, &body, 400, "invalid_country");
    assert!(body.to_string().len() < 1_000, "the error does not echo the parameter: {} bytes", body.to_string().len());
    // A refusal with a valid parameter is still audited, with bounded fields.
    let (status, body) = server.call("POST", "/api/v1/countries/FR/keys", Some(&officer), None);
    assert_error(status, &body, 403, "forbidden");
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=1000", Some(&server.admin), None);
    let entries = audit["items"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["outcome"] == "denied" && e["target"] == "key of FR"), "{audit:#}");
    for entry in entries {
        let target = entry["target"].as_str().unwrap();
        let detail = entry["detail"].as_str().unwrap();
        assert!(target.chars().count() <= 121 && detail.chars().count() <= 1201, "unbounded audit entry: {entry}");
        assert!(!target.contains("AAAAAAAAAA"), "the huge parameter reached the audit trail");
    }
    assert!(!server.log_text().contains(&"A".repeat(1_000)), "the huge parameter reached the log");
}

#[test]
fn unknown_and_malformed_tokens_are_audited_without_flooding() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    for index in 0..40 {
        let guess = format!("ct_{index:043}");
        let (status, body) = server.call("GET", "/api/v1/certificates", Some(&guess), None);
        assert_error(status, &body, 401, "invalid_token");
    }
    for _ in 0..10 {
        let (status, _) = server.raw("GET", "/api/v1/audit", None, None, &[("Authorization", "Basic Zm9vOmJhcg==")]);
        assert_eq!(status, 401);
    }
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=1000", Some(&server.admin), None);
    let refused: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "token.invalid").collect();
    assert!(!refused.is_empty(), "requests with unknown tokens leave no audit entry");
    assert!(refused.len() <= 2, "50 guesses in a minute are aggregated, not written one by one: {refused:#?}");
    let first = refused.last().unwrap();
    assert_eq!(first["outcome"], "denied");
    assert_eq!(first["target"], "/api/v1/certificates", "{first}");
    assert!(first["detail"].as_str().unwrap().contains("127.0.0.1"), "{first}");
    assert!(!first.to_string().contains("ct_0000"), "a guessed token is never written: {first}");
}

#[test]
fn the_checkpoint_country_is_read_the_same_by_the_api_and_the_page() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let issued = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let qr = issued["qr_text"].as_str().unwrap();
    let (status, lower) =
        server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": qr, "checkpoint_country": "fr" })));
    assert_eq!(status, 200, "a lower-case checkpoint country is accepted: {lower}");
    let (status, upper) =
        server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": qr, "checkpoint_country": "FR" })));
    assert_eq!(status, 200);
    assert_eq!(lower["verdict"], upper["verdict"]);
    assert_eq!(check(&lower, "rules"), check(&upper, "rules"));
    let (status, body) =
        server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": qr, "checkpoint_country": "France" })));
    assert_error(status, &body, 400, "invalid_country");
}
