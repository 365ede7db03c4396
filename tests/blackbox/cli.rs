//! The CLI as an officer's terminal sees it: a forged seal cannot inject control
//! sequences (clear the screen, print a green VALID, reorder text) through its kid or its
//! titles, and the verdict line stays the true one. And ES256 seals have one valid
//! signature: the high-S twin of a genuine seal is INVALID offline and online. A code
//! that is not a certificate at all is said to be so (exit status 4), never a verdict.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::{Algorithm, Certificate};
use cartouche_seal::{KeyPair, SealClaims, TrustList, TrustedKey, is_unsafe_to_print, sign};
use serde_json::{Value, json};

use crate::support::{Server, check, cli, example};

/// Clears the screen, homes the cursor and prints a green VALID, then a right-to-left
/// override and a C1 CSI.
const HOSTILE: &str = "\u{1b}[2J\u{1b}[H\u{1b}[32mVALID\u{1b}[0m\u{202e}\u{9b}31m\u{7f}\r\nVALID";

fn assert_safe(what: &str, text: &str) {
    let unsafe_chars: Vec<char> = text.chars().filter(|&c| is_unsafe_to_print(c) && c != '\n').collect();
    assert!(unsafe_chars.is_empty(), "{what} printed raw control characters {unsafe_chars:?}:\n{text:?}");
    for line in text.lines().skip(1) {
        assert!(!line.trim_start().starts_with("VALID"), "{what} printed a fake verdict line: {text:?}");
    }
}

fn forged_seal_with_hostile_kid() -> String {
    let header = B64.encode(serde_json::to_vec(&json!({ "alg": "EdDSA", "kid": HOSTILE })).unwrap());
    let payload = B64.encode(b"{}");
    format!("{header}.{payload}.{}", B64.encode([7u8; 64]))
}

#[test]
fn a_hostile_kid_reaches_neither_the_terminal_nor_the_json_api_raw() {
    let server = Server::start();
    let work = tempfile::tempdir().unwrap();
    let env = [("CARTOUCHE_SERVER", server.base.as_str())];
    let seal = forged_seal_with_hostile_kid();

    // The JSON API: no check detail carries a raw control character.
    let verdict = server.verify(&seal);
    assert_eq!(verdict["verdict"], "INVALID", "{verdict:#}");
    for check in verdict["checks"].as_array().unwrap() {
        assert_safe("the API's check detail", check["detail"].as_str().unwrap());
    }
    assert!(check(&verdict, "key").1.contains("\\u{1b}[2J"), "the kid is shown escaped: {verdict:#}");

    // Online, as text and as JSON.
    let (code, out, stderr) = cli(&["verify", &seal], &env, work.path());
    assert_eq!(code, 2, "{out}{stderr}");
    assert_eq!(out.lines().next(), Some("INVALID"), "{out:?}");
    assert_safe("verify", &out);
    assert_safe("verify (stderr)", &stderr);
    let (code, out, _) = cli(&["verify", &seal, "--json"], &env, work.path());
    assert_eq!(code, 2);
    assert_safe("verify --json", &out);
    let parsed: Value = serde_json::from_str(&out).expect("still JSON");
    assert_eq!(parsed["verdict"], "INVALID");

    // Offline, with a downloaded trust list: the unknown kid is INDETERMINATE.
    let (_, list, _) = cli(&["trust-list"], &env, work.path());
    let list_path = work.path().join("trust.json");
    std::fs::write(&list_path, list).unwrap();
    let (code, out, _) = cli(&["verify", &seal, "--trust-list", list_path.to_str().unwrap()], &[], work.path());
    assert_eq!(code, 3, "{out}");
    assert_eq!(out.lines().next(), Some("INDETERMINATE"), "{out:?}");
    assert_safe("verify offline", &out);

    // A code that is not a certificate at all: said so, exit status 4, online and offline.
    for extra in [&[][..], &["--trust-list", list_path.to_str().unwrap()][..]] {
        let args = [&["verify", "https://shop.example/p/42"][..], extra].concat();
        let (code, out, stderr) = cli(&args, &env, work.path());
        assert_eq!(code, 4, "{out}{stderr}");
        assert_eq!(out.lines().next(), Some("NOT A CERTIFICATE"), "{out:?}");
        assert!(out.contains("this is not an export certificate: the code is a web address"), "{out}");
    }
}

#[test]
fn hostile_titles_in_a_signed_seal_are_escaped_and_the_verdict_line_is_true() {
    // A seal signed by a key of the verifier's (offline) trust list, but expired: its
    // claims are shown, with a title and maker made to rewrite the terminal.
    cartouche_seal::install_crypto_provider();
    let work = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let pair = KeyPair::generate(Algorithm::EdDSA).unwrap();
    let entry = TrustedKey::new(
        "FR",
        Algorithm::EdDSA,
        &pair.public,
        now - time::Duration::days(400),
        None,
        now + time::Duration::days(400),
    )
    .unwrap();
    let list = TrustList { generated_at: now, keys: vec![entry], log: None };
    let list_path = work.path().join("trust.json");
    std::fs::write(&list_path, serde_json::to_vec(&list).unwrap()).unwrap();

    let mut application = example("fr-painting-to-us.json");
    application["objects"][0]["title"] = json!(HOSTILE);
    application["objects"][0]["maker"]["name"] = json!(format!("maker{HOSTILE}"));
    let certificate = Certificate {
        number: "FR-2026-000001".into(),
        issue_date: (now - time::Duration::days(300)).date(),
        issued_at: now - time::Duration::days(300),
        application: serde_json::from_value(application).unwrap(),
        rule_evaluations: vec![],
    };
    let mut claims = SealClaims::for_certificate(&certificate).unwrap();
    claims.iat = (now - time::Duration::days(300)).unix_timestamp();
    claims.nbf = claims.iat;
    claims.exp = (now - time::Duration::days(10)).unix_timestamp();
    let seal = sign(&claims, &pair.signer().unwrap()).unwrap();

    let (code, out, stderr) = cli(&["verify", &seal, "--trust-list", list_path.to_str().unwrap()], &[], work.path());
    assert_eq!(code, 2, "expired: INVALID\n{out}{stderr}");
    assert_eq!(out.lines().next(), Some("INVALID"), "{out:?}");
    assert!(out.contains("\\u{1b}[2J"), "the title is shown, escaped: {out:?}");
    assert_safe("verify offline", &out);
    let (_, out, _) = cli(&["verify", &seal, "--trust-list", list_path.to_str().unwrap(), "--json"], &[], work.path());
    assert_safe("verify offline --json", &out);
    let parsed: Value = serde_json::from_str(&out).expect("still JSON");
    assert_eq!(parsed["certificate"]["objects"][0]["title"], HOSTILE, "the JSON keeps the exact text, escaped");
}

/// The order n of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, //
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `n - s`.
fn negate(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        out[i] = digit as u8;
    }
    out
}

#[test]
fn the_high_s_twin_of_an_es256_seal_is_invalid_offline_and_online() {
    let server = Server::start();
    let work = tempfile::tempdir().unwrap();
    let env = [("CARTOUCHE_SERVER", server.base.as_str())];
    let (status, body) =
        server.call("POST", "/api/v1/countries/FR/keys", Some(&server.admin), Some(&json!({ "alg": "ES256" })));
    assert_eq!(status, 201, "{body}");
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let token = record["token"].as_str().unwrap();
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let signature = B64.decode(signature).unwrap();
    assert_eq!(signature.len(), 64, "an ES256 seal");
    let s = &signature[32..];
    let twin_s = negate(s);
    assert!(s < &twin_s[..], "the signer emits low S");
    let twin = format!("{header}.{payload}.{}", B64.encode([&signature[..32], &twin_s[..]].concat()));

    let genuine = server.verify(token);
    assert_eq!(genuine["verdict"], "VALID", "{genuine:#}");
    let verdict = server.verify(&twin);
    assert_eq!(verdict["verdict"], "INVALID", "{verdict:#}");
    let (outcome, detail) = check(&verdict, "signature");
    assert_eq!(outcome, "fail");
    assert!(detail.contains("not normalised"), "{detail}");
    assert!(verdict["certificate"].is_null(), "no claims from a refused signature: {verdict:#}");

    let (_, list, _) = cli(&["trust-list"], &env, work.path());
    let list_path = work.path().join("trust.json");
    std::fs::write(&list_path, list).unwrap();
    let offline = |seal: &str| cli(&["verify", seal, "--trust-list", list_path.to_str().unwrap()], &[], work.path());
    let (code, out, _) = offline(token);
    assert_eq!(code, 3, "genuine, offline: INDETERMINATE (status unknown)\n{out}");
    let (code, out, _) = offline(&twin);
    assert_eq!(code, 2, "twin, offline: INVALID\n{out}");
    assert!(out.contains("[FAIL] signature"), "{out}");
}
