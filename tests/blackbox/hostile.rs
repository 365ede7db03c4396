//! Hostile input over HTTP: forged, altered, expired and malformed seals, oversized and
//! malformed bodies. Each is refused with the right reason and the server stays healthy.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, check, example};

fn parts(token: &str) -> (String, String, String) {
    let mut split = token.split('.');
    (split.next().unwrap().into(), split.next().unwrap().into(), split.next().unwrap().into())
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&B64.decode(part).unwrap()).unwrap()
}

/// Seal payloads are raw-DEFLATE compressed (`"zip": "DEF"`).
fn decode_payload(part: &str) -> Value {
    serde_json::from_slice(&miniz_oxide::inflate::decompress_to_vec(&B64.decode(part).unwrap()).unwrap()).unwrap()
}

fn encode_payload(value: &Value) -> String {
    B64.encode(miniz_oxide::deflate::compress_to_vec(&serde_json::to_vec(value).unwrap(), 9))
}

fn encode(value: &Value) -> String {
    B64.encode(serde_json::to_vec(value).unwrap())
}

/// Asserts INVALID with the named check failed and no certificate summary echoed.
fn refused(server: &Server, qr: &str, failing: &str) -> Value {
    let verdict = server.verify(qr);
    assert_eq!(verdict["verdict"], "INVALID", "{verdict:#}");
    assert_eq!(check(&verdict, failing).0, "fail", "{failing}: {verdict:#}");
    verdict
}

#[test]
fn forged_and_altered_seals_are_refused_with_the_reason() {
    let server = Server::start();
    let fr = server.token("issuer", Some("FR"));
    let it = server.token("issuer", Some("IT"));
    let record = server.issue(&fr, &example("fr-painting-to-us.json"));
    let token = record["token"].as_str().unwrap();
    let (header, payload, signature) = parts(token);
    let kid = decode(&header)["kid"].as_str().unwrap().to_owned();

    // Tampered payload: a different title, same signature.
    let mut claims = decode_payload(&payload);
    claims["o"][0]["ti"] = "Une copie sans valeur".into();
    let verdict = refused(&server, &format!("{header}.{}.{signature}", encode_payload(&claims)), "signature");
    assert!(verdict.get("certificate").is_none(), "unverified claims must not be echoed: {verdict:#}");

    // Tampered signature.
    let mut bad = B64.decode(&signature).unwrap();
    bad[0] ^= 1;
    refused(&server, &format!("{header}.{payload}.{}", B64.encode(bad)), "signature");

    // alg=none, with an empty and a non-empty signature.
    for alg in ["none", "None", "NONE"] {
        let none = encode(&json!({ "alg": alg, "kid": kid }));
        refused(&server, &format!("{none}.{payload}."), "format");
        refused(&server, &format!("{none}.{payload}.AAAA"), "header");
    }

    // HS256 MACed with the issuer's public key (the classic key-confusion attack).
    let (_, list) = server.call("GET", "/api/v1/trust-list", None, None);
    let fr_key = list["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    let public = B64.decode(fr_key["public_key_jwk"]["x"].as_str().unwrap()).unwrap();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = Some(kid.clone());
    cartouche_seal::install_crypto_provider();
    let hs_key = jsonwebtoken::EncodingKey::from_secret(&public).unwrap();
    let forged = jsonwebtoken::encode(&hs_header, &claims, &hs_key).unwrap();
    let verdict = refused(&server, &forged, "header");
    assert!(check(&verdict, "header").1.contains("HS256"));

    // Unknown kid.
    let unknown = encode(&json!({ "alg": "EdDSA", "kid": "AAAAAAAAAAA" }));
    refused(&server, &format!("{unknown}.{payload}.{signature}"), "key");

    // Another country's kid on this country's seal.
    let it_record = server.issue(&it, &example("it-archaeology-temporary-ch.json"));
    let it_kid = decode(&parts(it_record["token"].as_str().unwrap()).0)["kid"].as_str().unwrap().to_owned();
    let swapped = encode(&json!({ "alg": "EdDSA", "kid": it_kid }));
    refused(&server, &format!("{swapped}.{payload}.{signature}"), "signature");

    // Key material or URLs in the header, unknown critical extensions.
    for extra in [
        json!({ "jku": "http://127.0.0.1:9/jwks" }),
        json!({ "x5u": "http://127.0.0.1:9/x" }),
        json!({ "jwk": { "kty": "OKP" } }),
        json!({ "x5c": ["MII"] }),
        json!({ "crit": ["x-unknown"], "x-unknown": 1 }),
    ] {
        let mut hostile = json!({ "alg": "EdDSA", "kid": kid });
        for (name, value) in extra.as_object().unwrap() {
            hostile[name] = value.clone();
        }
        refused(&server, &format!("{}.{payload}.{signature}", encode(&hostile)), "header");
    }

    // Damaged seals and oversized input: INVALID, with the check that failed.
    for garbage in [
        "a.b.c",
        "eyJhbGciOi",
        "",
        "https://cartouche.test/v/",
        "https://evil.example/v/x.y.z",
        "12345678901234567890123456789012345678901234567890123456789012345",
    ] {
        let verdict = server.verify(garbage);
        assert_eq!(verdict["verdict"], "INVALID", "{garbage:?}: {verdict:#}");
    }
    refused(&server, &format!("eyJ{}", "a".repeat(5000)), "format");
    // Codes that are not seals at all: not_a_certificate, never a verdict.
    for (text, kind) in [
        ("hello", "text"),
        ("a.b.c.d", "text"),
        ("!!!.???.###", "text"),
        (&"a".repeat(5000), "text"),
        ("https://shop.example/p/42", "web_address"),
        ("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH", "health_certificate"),
        ("4006381333931", "product_code"),
    ] {
        let (status, body) = server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": text })));
        assert_error(status, &body, 422, "not_a_certificate");
        assert_eq!(body["error"]["details"]["kind"], kind, "{text:?}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("this is not an export certificate"));
    }

    // The genuine seal is still fine, and the server is healthy.
    assert_eq!(server.verify(token)["verdict"], "VALID");
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
}

#[test]
fn expired_and_not_yet_valid_seals_are_refused() {
    let mut server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let token = record["token"].as_str().unwrap().to_owned();
    // The application is valid until 2027-11-27: a day later the seal has expired.
    server.restart_with(Start { fake_clock: Some("2027-11-29T08:00:00Z".into()), ..Start::default() });
    let verdict = refused(&server, &token, "validity_period");
    assert!(check(&verdict, "validity_period").1.contains("expired"));
    // A day before it was issued, it is not yet valid.
    let yesterday = crate::support::test_start() - time::Duration::days(1);
    server.restart_with(Start {
        fake_clock: Some(yesterday.format(&time::format_description::well_known::Rfc3339).unwrap()),
        ..Start::default()
    });
    let verdict = refused(&server, &token, "validity_period");
    assert!(check(&verdict, "validity_period").1.contains("not valid before"));
    server.restart();
    assert_eq!(server.verify(&token)["verdict"], "VALID");
}

#[test]
fn oversized_and_malformed_bodies_get_clear_errors() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    // Verify accepts at most 16 KiB.
    let big = json!({ "qr": "a".repeat(20_000) });
    let (status, body) = server.call("POST", "/api/v1/verify", None, Some(&big));
    assert_error(status, &body, 413, "payload_too_large");
    // Issue accepts at most 1 MiB, and refuses a larger declared length before reading
    // any of the body (a client streaming 2 MiB would otherwise race the answer).
    let head = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {issuer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    let (status, body) = server.raw_head(&head);
    assert_error(status, &body, 413, "payload_too_large");
    // A body that grows past the limit without announcing its length (chunked) is cut off
    // as it is read.
    let head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{{\"qr\": \"{}\"}}\r\n0\r\n\r\n",
        20_000 + 10,
        "a".repeat(20_000)
    );
    let (status, body) = server.raw_head(&head);
    assert_error(status, &body, 413, "payload_too_large");
    // Deeply nested JSON.
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, body) = server.raw("POST", "/api/v1/certificates", Some(&issuer), Some(nested.as_bytes()), &[]);
    assert_error(status, &serde_json::from_str(&body).unwrap(), 400, "invalid_json");
    let (status, body) = server.raw("POST", "/api/v1/verify", None, Some(b"{\"qr\": 12}"), &[]);
    assert_error(status, &serde_json::from_str(&body).unwrap(), 400, "invalid_request");
    let (status, body) = server.raw("POST", "/api/v1/verify", None, Some(b""), &[]);
    assert_error(status, &serde_json::from_str(&body).unwrap(), 400, "invalid_json");
    // Unknown routes and methods answer in the same shape.
    let (status, body) = server.call("GET", "/api/v1/nothing-here", None, None);
    assert_error(status, &body, 404, "not_found");
    let (status, body) = server.call("PUT", "/api/v1/verify", None, Some(&json!({})));
    assert_error(status, &body, 405, "method_not_allowed");
    // Fields a client may not set are refused, not silently accepted.
    let mut sneaky = example("fr-painting-to-us.json");
    sneaky["number"] = "FR-2026-999999".into();
    sneaky["status"] = "revoked".into();
    let (status, body) = server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&sneaky));
    assert_error(status, &body, 400, "validation_failed");
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
}

#[test]
fn a_verification_flood_from_one_address_is_rate_limited() {
    // 60 per minute: a burst of 6, then one every second.
    let server = Server::start_with(Start { verify_rate_limit: Some(60), ..Start::default() });
    let body = json!({ "qr": "x.y.z" });
    let statuses: Vec<u16> = (0..20).map(|_| server.call("POST", "/api/v1/verify", None, Some(&body)).0).collect();
    assert!(statuses[..6].iter().all(|&s| s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let (status, text) = server.raw("GET", "/v/x.y.z", None, None, &[]);
    assert_eq!(status, 429, "the QR link shares the limit: {text}");
    // A browser gets the refusal as a page, in its language.
    let (status, page) =
        server.raw("GET", "/v/x.y.z?lang=fr", None, None, &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")]);
    assert_eq!(status, 429);
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Trop de vérifications"), "{page}");
    let (status, _) = server.raw("GET", "/verify", None, None, &[("Accept", "text/html")]);
    assert_eq!(status, 429, "the officer page shares the limit");
    let (status, error) = server.call("POST", "/api/v1/verify", None, Some(&body));
    assert_error(status, &error, 429, "rate_limited");
    assert!(error["error"]["message"].as_str().unwrap().contains("retry in"));
    // Other routes are not limited.
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
    assert_eq!(server.call("GET", "/api/v1/trust-list", None, None).0, 200);
}
