//! Integration tests of `cartouche-seal`: signing a certificate's claim set into a compact
//! JWS and verifying it offline, on the happy path and against hostile tokens.
//!
//! Every hostile case asserts the *name* of the check that refused it (the first non-pass
//! check, all earlier ones having passed) and that no claims leak out of a token refused at
//! or before the signature check.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::canonical::canonical_sha256_hex;
use cartouche_model::{Algorithm, Application, Certificate, CheckOutcome, VerdictKind, verdict_of};
use cartouche_seal::{
    KeyPair, KeyRing, LEEWAY_SECONDS, MAX_TOKEN_BYTES, SealClaims, SealReport, TrustList, TrustedKey,
    install_crypto_provider, qr_text, sign, token_from_qr_text, verify_seal,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const FR_PAINTING: &str = include_str!("../../../schemas/examples/fr-painting-to-us.json");
const ISSUED_AT: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);
const ALGS: [Algorithm; 2] = [Algorithm::EdDSA, Algorithm::ES256];

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

fn application() -> Application {
    serde_json::from_str::<Application>(FR_PAINTING).expect("the example application parses")
}

fn certificate() -> Certificate {
    Certificate {
        number: "FR-2026-000001".to_owned(),
        issue_date: date!(2026 - 11 - 25),
        issued_at: ISSUED_AT,
        application: application(),
        rule_evaluations: vec![],
    }
}

fn claims() -> SealClaims {
    SealClaims::for_certificate(&certificate()).expect("claims")
}

/// A verification instant inside the certificate's validity.
fn now() -> OffsetDateTime {
    ISSUED_AT + Duration::days(1)
}

/// A key pair with its trust-list entry.
struct Issuer {
    pair: KeyPair,
    entry: TrustedKey,
}

impl Issuer {
    fn new(country: &str, alg: Algorithm) -> Self {
        Self::with_validity(country, alg, ISSUED_AT - Duration::days(30), None, ISSUED_AT + Duration::days(3650))
    }

    fn with_validity(
        country: &str,
        alg: Algorithm,
        created_at: OffsetDateTime,
        retired_at: Option<OffsetDateTime>,
        expires_at: OffsetDateTime,
    ) -> Self {
        let pair = KeyPair::generate(alg).expect("key generation");
        let entry =
            TrustedKey::new(country, alg, &pair.public, created_at, retired_at, expires_at).expect("trusted key");
        Self { pair, entry }
    }

    fn kid(&self) -> String {
        self.pair.kid()
    }

    fn seal(&self, claims: &SealClaims) -> String {
        sign(claims, &self.pair.signer().expect("signer")).expect("signing")
    }
}

fn ring(keys: &[&TrustedKey], authoritative: bool) -> KeyRing {
    let list = TrustList { generated_at: ISSUED_AT, keys: keys.iter().map(|key| (*key).clone()).collect(), log: None };
    KeyRing::new(&list, authoritative).expect("key ring")
}

fn outcome(report: &SealReport, name: &str) -> Option<CheckOutcome> {
    report.checks.iter().find(|check| check.name == name).map(|check| check.outcome)
}

/// Every check passed, in the documented order, and the claims are the ones signed.
fn assert_all_pass(report: &SealReport, expected: &SealClaims) {
    let names: Vec<&str> = report.checks.iter().map(|check| check.name.as_str()).collect();
    assert_eq!(
        names,
        ["format", "header", "key", "signature", "issuing_country", "key_validity", "validity_period"],
        "{report:#?}"
    );
    assert!(report.all_passed(), "{report:#?}");
    assert_eq!(verdict_of(&report.checks), VerdictKind::Valid);
    assert_eq!(report.claims.as_ref(), Some(expected), "{report:#?}");
}

/// The first check that did not pass is `name` with `outcome`, every check before it passed.
fn assert_first_non_pass(report: &SealReport, name: &str, expected: CheckOutcome) {
    let Some(index) = report.checks.iter().position(|check| check.outcome != CheckOutcome::Pass) else {
        panic!("expected {name} to be {expected:?}, but every check passed: {report:#?}");
    };
    let check = &report.checks[index];
    assert_eq!((check.name.as_str(), check.outcome), (name, expected), "{report:#?}");
}

/// Refused by `name` (a failure).
fn assert_fails(report: &SealReport, name: &str) {
    assert_first_non_pass(report, name, CheckOutcome::Fail);
    assert_eq!(verdict_of(&report.checks), VerdictKind::Invalid, "{report:#?}");
}

/// Refused by `name`, which comes at or before the signature: nothing of the token may be shown.
fn assert_refused_unread(report: &SealReport, name: &str) {
    assert!(["format", "header", "key", "signature"].contains(&name));
    assert_fails(report, name);
    assert!(report.claims.is_none(), "claims leaked from a token refused by {name}: {report:#?}");
    assert_eq!(
        report.checks.last().map(|check| check.name.as_str()),
        Some(name),
        "checks went on after {name}: {report:#?}"
    );
}

fn split(token: &str) -> (&str, &str, &str) {
    let mut parts = token.split('.');
    (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
}

fn b64_json(value: &Value) -> String {
    B64.encode(serde_json::to_vec(value).unwrap())
}

/// Signs `header_b64.payload_b64` with the pair's secret by hand (not through jsonwebtoken),
/// so headers jsonwebtoken would never produce can be signed correctly.
fn sign_raw_b64(pair: &KeyPair, header_b64: &str, payload_b64: &str) -> String {
    let message = format!("{header_b64}.{payload_b64}");
    let signature: Vec<u8> = match pair.alg {
        Algorithm::EdDSA => {
            use ed25519_dalek::Signer as _;
            let secret: [u8; 32] = pair.secret.as_slice().try_into().unwrap();
            ed25519_dalek::SigningKey::from_bytes(&secret).sign(message.as_bytes()).to_bytes().to_vec()
        }
        Algorithm::ES256 => {
            use p256::ecdsa::signature::Signer as _;
            let key = p256::ecdsa::SigningKey::from_slice(&pair.secret).unwrap();
            let signature: p256::ecdsa::Signature = key.sign(message.as_bytes());
            let mut bytes = signature.to_bytes().to_vec();
            // Low S, as Cartouche's signer emits and its verifier requires.
            let low = negate_mod_order(&bytes[32..]);
            if bytes[32..] > low[..] {
                bytes[32..].copy_from_slice(&low);
            }
            bytes
        }
    };
    format!("{message}.{}", B64.encode(signature))
}

fn sign_raw(pair: &KeyPair, header: &Value, claims: &SealClaims) -> String {
    sign_raw_b64(pair, &b64_json(header), &b64_json(&serde_json::to_value(claims).unwrap()))
}

// ---------------------------------------------------------------------------------------
// Happy path
// ---------------------------------------------------------------------------------------

#[test]
fn a_seal_verifies_for_both_algorithms_bare_and_as_a_qr_url() {
    install_crypto_provider();
    let certificate = certificate();
    let claims = SealClaims::for_certificate(&certificate).unwrap();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let other = Issuer::new("IT", Algorithm::EdDSA);
        let ring = ring(&[&other.entry, &fr.entry], true);
        let token = fr.seal(&claims);

        // The QR form (digits), the plain-token URL, and the bare token all verify.
        let url = format!("https://verify.example/v/{token}");
        let numeric = qr_text("https://verify.example/", &token);
        assert_eq!(numeric, format!("https://verify.example/v/{}", cartouche_seal::qr::token_to_digits(&token)));
        assert_eq!(token_from_qr_text(&url), token);
        assert_eq!(token_from_qr_text(&numeric), token);
        for text in [token.clone(), url.clone(), numeric.clone(), format!("  {url}\n"), format!("{url}?lang=fr#top")] {
            let report = verify_seal(&text, &ring, now());
            assert_all_pass(&report, &claims);
            let key = report.key.as_ref().expect("key info");
            assert_eq!((key.kid.as_str(), key.country.as_str(), key.alg), (fr.kid().as_str(), "FR", alg));

            let summary = report.claims.as_ref().unwrap().summary().expect("summary");
            assert_eq!(summary.number, certificate.number);
            assert_eq!(summary.issuing_country, "FR");
            assert_eq!(summary.issued_at, certificate.issued_at);
            assert_eq!(summary.valid_until, certificate.application.valid_until);
            assert_eq!(summary.destination_country, "US");
            assert_eq!(summary.export_type, certificate.application.export_type);
            assert_eq!(summary.reimport_due_date, None);
            assert_eq!(summary.certificate_sha256, canonical_sha256_hex(&certificate).unwrap());
            let titles: Vec<Option<String>> = summary.objects.iter().map(|object| object.title.clone()).collect();
            let expected: Vec<Option<String>> =
                certificate.application.objects.iter().map(|object| object.title.clone()).collect();
            assert_eq!(titles, expected);
            assert_eq!(titles, [Some("Ruines d'un temple au bord d'un fleuve".to_owned())]);
            // The first photos, the principal views: all of them are bound through `h`.
            let photos: Vec<String> = certificate.application.objects[0]
                .photos
                .iter()
                .take(cartouche_seal::claims::MAX_SEALED_PHOTOS_PER_OBJECT)
                .map(|photo| photo.sha256.clone())
                .collect();
            assert_eq!(summary.objects[0].photos, photos);
            assert_eq!(photos.len(), 2);
            assert_eq!(summary.objects[0].maker.as_deref(), Some("Hubert Robert"));
            assert_eq!(summary.objects[0].quantity, 1);
        }

        // The header carries exactly alg, kid and the compression: no typ, no key material.
        let header: Value = serde_json::from_slice(&B64.decode(split(&token).0).unwrap()).unwrap();
        assert_eq!(header, json!({ "alg": alg.as_str(), "kid": fr.kid(), "zip": "DEF" }));
        assert!(token.len() <= MAX_TOKEN_BYTES);
    }
}

#[test]
fn a_hand_signed_token_with_a_plain_header_verifies() {
    // Control for the hand-signed hostile headers below: the hand signer itself is right.
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let token = sign_raw(&fr.pair, &json!({ "alg": alg.as_str(), "kid": fr.kid() }), &claims());
        assert_all_pass(&verify_seal(&token, &ring, now()), &claims());
    }
}

// ---------------------------------------------------------------------------------------
// Tampering
// ---------------------------------------------------------------------------------------

#[test]
fn a_tampered_payload_is_refused_by_the_signature() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let token = fr.seal(&claims());
        let (header, payload, signature) = split(&token);
        let inflated = miniz_oxide::inflate::decompress_to_vec(&B64.decode(payload).unwrap()).unwrap();
        let original: Value = serde_json::from_slice(&inflated).unwrap();

        let edits: [(&str, fn(&mut Value)); 5] = [
            ("number", |claims| claims["n"] = json!("FR-2026-999999")),
            ("title", |claims| claims["o"][0]["ti"] = json!("Une autre toile")),
            ("quantity", |claims| claims["o"][0]["q"] = json!(2)),
            ("validity", |claims| claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400 * 365 * 10)),
            ("destination", |claims| claims["dst"] = json!("CN")),
        ];
        for (what, edit) in edits {
            let mut changed = original.clone();
            edit(&mut changed);
            assert_ne!(changed, original);
            let recompressed = miniz_oxide::deflate::compress_to_vec(&serde_json::to_vec(&changed).unwrap(), 9);
            let forged = format!("{header}.{}.{signature}", B64.encode(recompressed));
            let report = verify_seal(&forged, &ring, now());
            assert_refused_unread(&report, "signature");
            assert!(report.checks.last().unwrap().detail.contains("does not verify"), "{what}: {report:#?}");
        }
    }
}

#[test]
fn a_tampered_signature_is_refused() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let token = fr.seal(&claims());
        let (header, payload, signature) = split(&token);
        let signature = B64.decode(signature).unwrap();
        for index in [0, signature.len() / 2, signature.len() - 1] {
            let mut bad = signature.clone();
            bad[index] ^= 0x01;
            let report = verify_seal(&format!("{header}.{payload}.{}", B64.encode(&bad)), &ring, now());
            assert_refused_unread(&report, "signature");
        }
        // Truncated, doubled, all zeros: wrong length or wrong value, never a pass.
        for bad in [
            signature[..signature.len() - 1].to_vec(),
            [signature.clone(), signature.clone()].concat(),
            vec![0; signature.len()],
        ] {
            let report = verify_seal(&format!("{header}.{payload}.{}", B64.encode(&bad)), &ring, now());
            assert_refused_unread(&report, "signature");
        }
    }
}

#[test]
fn a_signature_from_another_payload_is_refused() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let genuine = fr.seal(&claims());
    let mut other_claims = claims();
    other_claims.n = "FR-2026-000002".into();
    let other = fr.seal(&other_claims);
    let (header, payload, _) = split(&genuine);
    let (_, _, other_signature) = split(&other);
    assert_refused_unread(&verify_seal(&format!("{header}.{payload}.{other_signature}"), &ring, now()), "signature");
}

// ---------------------------------------------------------------------------------------
// Algorithm confusion and hostile headers
// ---------------------------------------------------------------------------------------

#[test]
fn alg_none_is_refused() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let payload = b64_json(&serde_json::to_value(claims()).unwrap());
    let genuine = fr.seal(&claims());
    let (_, _, genuine_signature) = split(&genuine);
    for alg in ["none", "None", "nOnE", "NONE"] {
        let header = b64_json(&json!({ "alg": alg, "kid": fr.kid() }));
        // With the empty signature of an unsecured JWS, the shape check already refuses it.
        let report = verify_seal(&format!("{header}.{payload}."), &ring, now());
        assert_refused_unread(&report, "format");
        // With any signature at all, the algorithm allow-list refuses it.
        for signature in [genuine_signature, "AA"] {
            let report = verify_seal(&format!("{header}.{payload}.{signature}"), &ring, now());
            assert_refused_unread(&report, "header");
            assert!(report.checks.last().unwrap().detail.contains("not allowed"), "{report:#?}");
        }
    }
}

#[test]
fn an_hs256_token_keyed_with_the_issuers_public_key_is_refused() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = None;
        header.kid = Some(fr.kid());
        // The classic confusion attack: MAC with the public key a verifier might feed to HMAC.
        // Both the raw public key and its JWK x coordinate are tried.
        for secret in [fr.pair.public.clone(), fr.entry.public_key_jwk.x.clone().into_bytes()] {
            let token = jsonwebtoken::encode(
                &header,
                &claims(),
                &jsonwebtoken::EncodingKey::from_secret(&secret).expect("HMAC key"),
            )
            .expect("HS256");
            let report = verify_seal(&token, &ring, now());
            assert_refused_unread(&report, "header");
            assert!(report.checks.last().unwrap().detail.contains("\"HS256\" is not allowed"), "{report:#?}");
        }
        // Other non-allow-listed algorithms named in an otherwise valid-looking header.
        let genuine = fr.seal(&claims());
        let (_, payload, signature) = split(&genuine);
        for other in ["HS256", "RS256", "PS256", "ES384", "ES256K", "Ed25519", "eddsa", "es256", ""] {
            let header = b64_json(&json!({ "alg": other, "kid": fr.kid() }));
            assert_refused_unread(&verify_seal(&format!("{header}.{payload}.{signature}"), &ring, now()), "header");
        }
        for other in [json!(null), json!(1), json!(["EdDSA"]), json!({ "alg": "EdDSA" })] {
            let header = b64_json(&json!({ "alg": other, "kid": fr.kid() }));
            assert_refused_unread(&verify_seal(&format!("{header}.{payload}.{signature}"), &ring, now()), "header");
        }
        let header = b64_json(&json!({ "kid": fr.kid() }));
        assert_refused_unread(&verify_seal(&format!("{header}.{payload}.{signature}"), &ring, now()), "header");
    }
}

#[test]
fn key_material_or_urls_in_the_header_are_refused_even_when_correctly_signed() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let jwk = serde_json::to_value(&fr.entry.public_key_jwk).unwrap();
        let extras = [
            ("jku", json!("https://attacker.example/jwks.json")),
            ("x5u", json!("https://attacker.example/cert.pem")),
            ("jwk", jwk),
            ("x5c", json!(["MIIBszCCAVmgAwIBAgIUb3BlbnNzbA=="])),
            ("zip", json!("GZIP")),
        ];
        for (name, value) in extras {
            let mut header = json!({ "alg": alg.as_str(), "kid": fr.kid() });
            header[name] = value;
            let report = verify_seal(&sign_raw(&fr.pair, &header, &claims()), &ring, now());
            assert_refused_unread(&report, "header");
            assert!(report.checks.last().unwrap().detail.contains(name), "{name}: {report:#?}");
        }
    }
}

#[test]
fn critical_extensions_are_refused_even_when_correctly_signed() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let kid = fr.kid();

        let unknown = json!({ "alg": alg.as_str(), "kid": kid, "crit": ["x-unknown"], "x-unknown": true });
        assert_refused_unread(&verify_seal(&sign_raw(&fr.pair, &unknown, &claims()), &ring, now()), "header");

        // RFC 7797 unencoded payload: the signing input is `header.` followed by the raw JSON
        // payload, while the token carries the base64url payload (the attached form of a b64
        // payload with only URL-safe characters is impossible for JSON, so the signature is
        // made over the encoded payload, as a confused verifier might accept).
        let b64_false = json!({ "alg": alg.as_str(), "kid": kid, "crit": ["b64"], "b64": false });
        assert_refused_unread(&verify_seal(&sign_raw(&fr.pair, &b64_false, &claims()), &ring, now()), "header");

        // Also with the signature made over the raw (unencoded) payload, as RFC 7797 would.
        let header_b64 = b64_json(&b64_false);
        let payload_json = serde_json::to_string(&claims()).unwrap();
        let raw_signed = sign_raw_b64(&fr.pair, &header_b64, &payload_json);
        let raw_signature = raw_signed.rsplit('.').next().unwrap();
        let token = format!("{header_b64}.{}.{raw_signature}", b64_json(&serde_json::to_value(claims()).unwrap()));
        assert_refused_unread(&verify_seal(&token, &ring, now()), "header");

        for crit in [json!([]), json!(["b64"]), json!("b64"), json!(null)] {
            let header = json!({ "alg": alg.as_str(), "kid": kid, "crit": crit, "b64": true });
            assert_refused_unread(&verify_seal(&sign_raw(&fr.pair, &header, &claims()), &ring, now()), "header");
        }
    }
}

#[test]
fn a_header_that_is_not_base64url_json_is_refused() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let genuine = fr.seal(&claims());
    let (_, payload, signature) = split(&genuine);
    let bad_headers = [
        B64.encode("not json"),
        B64.encode("[\"EdDSA\"]"),
        B64.encode("\"EdDSA\""),
        B64.encode(format!("{{\"alg\":\"EdDSA\",\"kid\":\"{}\"", fr.kid())), // truncated JSON
        B64.encode([0xff, 0xfe, 0x00]),
        "A".to_owned(), // not a valid base64 length
        "AB".to_owned(),
    ];
    for header in bad_headers {
        let report = verify_seal(&format!("{header}.{payload}.{signature}"), &ring, now());
        assert_refused_unread(&report, "header");
    }
    // Padded base64 ('=') is outside the compact alphabet.
    let padded = base64::engine::general_purpose::URL_SAFE.encode(b"{\"alg\":\"EdDSA\" }");
    assert!(padded.ends_with('='));
    assert_refused_unread(&verify_seal(&format!("{padded}.{payload}.{signature}"), &ring, now()), "format");
}

#[test]
fn duplicate_header_members_never_pass() {
    // serde_json keeps the last duplicate in a map while jsonwebtoken's typed header refuses
    // duplicates: a header where the two parsers could disagree must not verify.
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let payload = b64_json(&serde_json::to_value(claims()).unwrap());
    let kid = fr.kid();
    for header in [
        format!(r#"{{"alg":"HS256","alg":"EdDSA","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"unknown","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","kid":"{kid}"}}"#),
    ] {
        let token = sign_raw_b64(&fr.pair, &B64.encode(&header), &payload);
        let report = verify_seal(&token, &ring, now());
        assert!(!report.all_passed(), "{header}: {report:#?}");
        assert!(report.claims.is_none(), "{header}: {report:#?}");
    }
}

/// Headers that pass verify.rs's own header checks but that jsonwebtoken's typed `Header`
/// refuses to parse: duplicate members, a known member of the wrong type, `b64: false`
/// without `crit`.
fn headers_jsonwebtoken_refuses(kid: &str) -> Vec<String> {
    vec![
        format!(r#"{{"alg":"EdDSA","alg":"EdDSA","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","typ":1}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","cty":[]}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","b64":false}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","b64":"yes"}}"#),
    ]
}

#[test]
fn headers_only_jsonwebtoken_refuses_are_still_refused_without_claims() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let payload = b64_json(&serde_json::to_value(claims()).unwrap());
    for header in headers_jsonwebtoken_refuses(&fr.kid()) {
        let header_b64 = B64.encode(&header);
        // Correctly signed by hand, and with a bogus signature: both refused at "header"
        // (duplicate members, a non-"JWT" typ, parameters outside alg/kid/typ).
        for token in [sign_raw_b64(&fr.pair, &header_b64, &payload), format!("{header_b64}.{payload}.AAAA")] {
            let report = verify_seal(&token, &ring, now());
            assert_refused_unread(&report, "header");
        }
    }
}

/// Regression (was a bug (verify.rs, the `ErrorKind::Json(_)` arm of the signature check): jsonwebtoken's
/// `decode` parses the header *before* checking the signature, and a header it cannot parse
/// yields `ErrorKind::Json`, which verify.rs reports as "the signature verifies but the
/// claims are not a Cartouche claim set". With a bogus signature (`AAAA`) that tells the
/// officer a forged token carries a genuine signature. The signature is now checked over the
/// raw bytes before anything else is parsed, and such headers are refused at "header".
#[test]
fn a_header_jsonwebtoken_cannot_parse_is_not_reported_as_a_verified_signature() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let payload = b64_json(&serde_json::to_value(claims()).unwrap());
    for header in headers_jsonwebtoken_refuses(&fr.kid()) {
        let report = verify_seal(&format!("{}.{payload}.AAAA", B64.encode(&header)), &ring, now());
        let detail = &report.checks.last().unwrap().detail;
        assert!(!detail.contains("signature verifies"), "{header}: {report:#?}");
    }
}

// ---------------------------------------------------------------------------------------
// Keys: unknown, foreign, mismatched, retired, expired, malformed
// ---------------------------------------------------------------------------------------

#[test]
fn an_unknown_kid_is_invalid_for_the_registry_and_indeterminate_offline() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let stranger = Issuer::new("FR", alg);
        let token = stranger.seal(&claims());

        let authoritative = verify_seal(&token, &ring(&[&fr.entry], true), now());
        assert_refused_unread(&authoritative, "key");
        assert_eq!(verdict_of(&authoritative.checks), VerdictKind::Invalid);
        assert!(authoritative.key.is_none());

        let offline = verify_seal(&token, &ring(&[&fr.entry], false), now());
        assert_first_non_pass(&offline, "key", CheckOutcome::NotChecked);
        assert_eq!(offline.checks.last().unwrap().name, "key");
        assert_eq!(verdict_of(&offline.checks), VerdictKind::Indeterminate);
        assert!(offline.claims.is_none(), "{offline:#?}");
        assert!(offline.key.is_none());

        // An empty trust list behaves the same.
        assert_refused_unread(&verify_seal(&token, &ring(&[], true), now()), "key");
        assert_eq!(outcome(&verify_seal(&token, &ring(&[], false), now()), "key"), Some(CheckOutcome::NotChecked));
    }
}

#[test]
fn a_key_may_not_sign_another_countrys_certificate() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let it = Issuer::new("IT", alg);
        let ring = ring(&[&fr.entry, &it.entry], true);

        // The Italian key signs a certificate issued by France.
        let report = verify_seal(&it.seal(&claims()), &ring, now());
        assert_fails(&report, "issuing_country");
        assert_eq!(report.key.as_ref().map(|key| key.country.as_str()), Some("IT"));

        // The Italian key signs claims that say IT but carry a French certificate number.
        let mut italianised = claims();
        italianised.c = "IT".into();
        assert_fails(&verify_seal(&it.seal(&italianised), &ring, now()), "issuing_country");

        // A number that merely starts with the country letters is not enough.
        let mut sloppy = claims();
        sloppy.n = "FRX-2026-000001".into();
        assert_fails(&verify_seal(&fr.seal(&sloppy), &ring, now()), "issuing_country");
    }
}

#[test]
fn a_header_alg_that_differs_from_the_keys_is_refused() {
    install_crypto_provider();
    let ed = Issuer::new("FR", Algorithm::EdDSA);
    let ec = Issuer::new("FR", Algorithm::ES256);
    let ring = ring(&[&ed.entry, &ec.entry], true);
    // Header says ES256, kid is the EdDSA key; signed by the ES256 key.
    let token = sign_raw(&ec.pair, &json!({ "alg": "ES256", "kid": ed.kid() }), &claims());
    let report = verify_seal(&token, &ring, now());
    assert_refused_unread(&report, "key");
    assert!(report.checks.last().unwrap().detail.contains("is a EdDSA key"), "{report:#?}");
    // And the other way round.
    let token = sign_raw(&ed.pair, &json!({ "alg": "EdDSA", "kid": ec.kid() }), &claims());
    assert_refused_unread(&verify_seal(&token, &ring, now()), "key");
}

#[test]
fn the_validity_period_is_enforced_with_leeway() {
    install_crypto_provider();
    let claims = claims();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        let ring = ring(&[&fr.entry], true);
        let token = fr.seal(&claims);
        let at = |ts: i64| OffsetDateTime::from_unix_timestamp(ts).unwrap();

        // Expired: exp is exclusive, so exp + LEEWAY is already too late.
        for late in [claims.exp + LEEWAY_SECONDS, claims.exp + LEEWAY_SECONDS + 1, claims.exp + 86_400 * 365] {
            let report = verify_seal(&token, &ring, at(late));
            assert_fails(&report, "validity_period");
            assert!(report.checks.last().unwrap().detail.starts_with("expired"), "{report:#?}");
        }
        // Not yet valid.
        for early in [claims.nbf - LEEWAY_SECONDS - 1, claims.nbf - 86_400] {
            let report = verify_seal(&token, &ring, at(early));
            assert_fails(&report, "validity_period");
            assert!(report.checks.last().unwrap().detail.starts_with("not valid before"), "{report:#?}");
        }
        // Within the leeway on either side, and the exact edges.
        for fine in [
            claims.nbf - LEEWAY_SECONDS,
            claims.nbf - 1,
            claims.nbf,
            claims.exp - 1,
            claims.exp,
            claims.exp + LEEWAY_SECONDS - 1,
        ] {
            assert_all_pass(&verify_seal(&token, &ring, at(fine)), &claims);
        }
    }
}

#[test]
fn the_keys_own_validity_is_enforced() {
    install_crypto_provider();
    let claims = claims();
    let iat = ISSUED_AT;
    let long = iat + Duration::days(3650);
    for alg in ALGS {
        let leeway = Duration::seconds(LEEWAY_SECONDS);

        // Retired a day before the certificate was signed.
        let retired = Issuer::with_validity("FR", alg, iat - Duration::days(60), Some(iat - Duration::days(1)), long);
        let report = verify_seal(&retired.seal(&claims), &ring(&[&retired.entry], true), now());
        assert_fails(&report, "key_validity");
        assert!(
            report.checks.iter().find(|c| c.name == "key_validity").unwrap().detail.contains("retired"),
            "{report:#?}"
        );

        // Retired just before iat, within the leeway: still fine; and retired after iat.
        for retired_at in [iat - leeway, iat, iat + Duration::days(1)] {
            let key = Issuer::with_validity("FR", alg, iat - Duration::days(60), Some(retired_at), long);
            assert_all_pass(&verify_seal(&key.seal(&claims), &ring(&[&key.entry], true), now()), &claims);
        }
        let key =
            Issuer::with_validity("FR", alg, iat - Duration::days(60), Some(iat - leeway - Duration::seconds(1)), long);
        assert_fails(&verify_seal(&key.seal(&claims), &ring(&[&key.entry], true), now()), "key_validity");

        // Expired before the verification instant (the certificate itself is still valid).
        let expired = Issuer::with_validity("FR", alg, iat - Duration::days(60), None, now() - Duration::hours(1));
        let report = verify_seal(&expired.seal(&claims), &ring(&[&expired.entry], true), now());
        assert_fails(&report, "key_validity");
        assert!(
            report.checks.iter().find(|c| c.name == "key_validity").unwrap().detail.contains("expired"),
            "{report:#?}"
        );

        // Created after the certificate was signed (a back-dated seal).
        let newer = Issuer::with_validity("FR", alg, iat + Duration::days(1), None, long);
        assert_fails(&verify_seal(&newer.seal(&claims), &ring(&[&newer.entry], true), now()), "key_validity");
    }
}

#[test]
fn a_malformed_key_in_the_trust_list_is_an_error_not_a_panic() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ec = Issuer::new("FR", Algorithm::ES256);
    let list_with =
        |entry: TrustedKey| TrustList { generated_at: ISSUED_AT, keys: vec![fr.entry.clone(), entry], log: None };

    let mut short = fr.entry.clone();
    short.public_key_jwk.x = B64.encode([7u8; 8]);
    short.kid = "short".into();
    for authoritative in [true, false] {
        assert!(KeyRing::new(&list_with(short.clone()), authoritative).is_err());
    }

    // A weak (small-order) Ed25519 key: the identity point.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut weak = fr.entry.clone();
    weak.public_key_jwk.x = B64.encode(identity);
    assert!(KeyRing::new(&list_with(weak), true).is_err());

    // Not base64url, a 33-byte key, a y coordinate on an OKP key, an EC key labelled EdDSA.
    let mut not_b64 = fr.entry.clone();
    not_b64.public_key_jwk.x = "!!!!".into();
    assert!(KeyRing::new(&list_with(not_b64), true).is_err());
    let mut long = fr.entry.clone();
    long.public_key_jwk.x = B64.encode([9u8; 33]);
    assert!(KeyRing::new(&list_with(long), true).is_err());
    let mut with_y = fr.entry.clone();
    with_y.public_key_jwk.y = Some(fr.entry.public_key_jwk.x.clone());
    assert!(KeyRing::new(&list_with(with_y), true).is_err());
    let mut mislabelled = ec.entry.clone();
    mislabelled.alg = Algorithm::EdDSA;
    assert!(KeyRing::new(&list_with(mislabelled), true).is_err());

    // A P-256 point off the curve, and a missing y.
    let mut off_curve = ec.entry.clone();
    off_curve.public_key_jwk.y = Some(B64.encode([1u8; 32]));
    assert!(KeyRing::new(&list_with(off_curve), true).is_err());
    let mut no_y = ec.entry.clone();
    no_y.public_key_jwk.y = None;
    assert!(KeyRing::new(&list_with(no_y), true).is_err());

    // The same list without the bad key is fine.
    assert!(
        KeyRing::new(
            &TrustList { generated_at: ISSUED_AT, keys: vec![fr.entry.clone(), ec.entry.clone()], log: None },
            true
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------------------------------
// Size, shape and garbage
// ---------------------------------------------------------------------------------------

#[test]
fn oversized_input_is_refused_before_decoding() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    for text in [
        "a".repeat(MAX_TOKEN_BYTES + 1),
        ".".repeat(1 << 20),
        format!("https://verify.example/v/{}", "a".repeat(1 << 20)),
    ] {
        let report = verify_seal(&text, &ring, now());
        assert_refused_unread(&report, "format");
        assert_eq!(report.checks.len(), 1);
    }
    // A token of well-formed shape but over the limit.
    let big = format!("{}.{}.{}", "a".repeat(2000), "b".repeat(2000), "c".repeat(100));
    assert!(big.len() > MAX_TOKEN_BYTES);
    assert_refused_unread(&verify_seal(&big, &ring, now()), "format");
}

#[test]
fn garbage_is_refused_by_format_or_header_and_never_panics() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let garbage = [
        "",
        " ",
        "\n\t",
        "hello",
        "a.b",
        "a.b.c.d",
        "..",
        "a..c",
        ".b.c",
        "a.b.",
        "a!b.c$d.e%f",
        "a+b.c/d.e=f",
        "a b.c d.e f",
        "é.é.é",
        "\u{0}.\u{0}.\u{0}",
        "a.b.c",
        "eyJ.eyJ.AA",
        "https://verify.example/v/",
        "https://verify.example/v/hello",
        "https://verify.example/v/a.b.c?x=1",
        "http://",
        "/v/a.b.c",
        "data:text/plain,a.b.c",
    ];
    for text in garbage {
        let report = verify_seal(text, &ring, now());
        let first = report.checks.iter().find(|check| check.outcome != CheckOutcome::Pass).expect("refused");
        assert!(
            ["format", "header"].contains(&first.name.as_str()) && first.outcome == CheckOutcome::Fail,
            "{text:?}: {report:#?}"
        );
        assert!(report.claims.is_none() && report.key.is_none(), "{text:?}: {report:#?}");
    }
}

#[test]
fn hostile_kids_are_refused() {
    install_crypto_provider();
    for alg in ALGS {
        let fr = Issuer::new("FR", alg);
        for authoritative in [true, false] {
            let ring = ring(&[&fr.entry], authoritative);
            let cases = [
                // 10 KB: the token is over MAX_TOKEN_BYTES, refused before decoding.
                ("x".repeat(10 * 1024), "format"),
                // 2 KB: the token fits, the kid is over the 64-byte limit.
                ("x".repeat(2 * 1024), "header"),
                (String::new(), "header"),
                ("k".repeat(65), "header"),
                ("../../etc/passwd".to_owned(), "key"),
                ("..\\..\\windows\\system32".to_owned(), "key"),
                (format!("{}\u{0}", fr.kid()), "key"),
                (format!(" {}", fr.kid()), "key"),
                (fr.kid().to_lowercase(), "key"),
            ];
            // (A kid with no upper-case letter lower-cases to itself: skip that case.)
            for (kid, refused_by) in cases.into_iter().filter(|(kid, _)| *kid != fr.kid()) {
                let token = sign_raw(&fr.pair, &json!({ "alg": alg.as_str(), "kid": kid }), &claims());
                let report = verify_seal(&token, &ring, now());
                let expected =
                    if refused_by == "key" && !authoritative { CheckOutcome::NotChecked } else { CheckOutcome::Fail };
                assert_first_non_pass(&report, refused_by, expected);
                assert!(report.claims.is_none(), "{report:#?}");
                // The refusal detail never echoes an unbounded kid.
                assert!(report.checks.iter().all(|check| check.detail.len() < 400), "{report:#?}");
            }
            // A kid that is not a string at all.
            for kid in [json!(1), json!(null), json!([fr.kid()]), json!({ "kid": fr.kid() })] {
                let token = sign_raw(&fr.pair, &json!({ "alg": alg.as_str(), "kid": kid }), &claims());
                assert_refused_unread(&verify_seal(&token, &ring, now()), "header");
            }
        }
    }
}

/// n, the order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, //
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `n - s` for a big-endian scalar `0 < s < n`.
fn negate_mod_order(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        out[i] = digit as u8;
    }
    assert_eq!(borrow, 0);
    out
}

#[test]
fn the_high_s_twin_of_an_es256_seal_is_refused() {
    // ECDSA signatures are malleable: if (r, s) verifies, so does (r, n - s), and p256 0.14
    // does not enforce low S for P-256. Cartouche does: the signer emits low S and the
    // verifier refuses high S, so a seal has exactly one valid signature.
    install_crypto_provider();
    let ec = Issuer::new("FR", Algorithm::ES256);
    let ring = ring(&[&ec.entry], true);
    let claims = claims();
    let token = ec.seal(&claims);
    assert_all_pass(&verify_seal(&token, &ring, now()), &claims);
    let (header, payload, signature) = split(&token);
    let signature = B64.decode(signature).unwrap();
    assert_eq!(signature.len(), 64);
    let mut malleated = signature[..32].to_vec();
    malleated.extend_from_slice(&negate_mod_order(&signature[32..]));
    assert_ne!(malleated, signature);
    let variant = format!("{header}.{payload}.{}", B64.encode(&malleated));

    let report = verify_seal(&variant, &ring, now());
    assert_refused_unread(&report, "signature");
    let detail = &report.checks.last().unwrap().detail;
    assert!(detail.contains("not normalised"), "{detail}");
}

#[test]
fn the_es256_signer_always_emits_low_s() {
    // Without normalisation, half of all signatures would have a high S: 32 in a row low
    // happens by chance once in 4 billion runs.
    install_crypto_provider();
    let ec = Issuer::new("FR", Algorithm::ES256);
    let ring = ring(&[&ec.entry], true);
    let mut claims = claims();
    for i in 0..32 {
        claims.iat = ISSUED_AT.unix_timestamp() + i;
        let token = ec.seal(&claims);
        let signature = B64.decode(split(&token).2).unwrap();
        let s = &signature[32..];
        assert!(s <= &negate_mod_order(s)[..], "seal {i} has a high S");
        assert!(verify_seal(&token, &ring, now()).all_passed());
    }
}

#[test]
fn a_hostile_kid_is_quoted_and_escaped_in_every_detail() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    for authoritative in [true, false] {
        let ring = ring(&[&fr.entry], authoritative);
        let kid = "\u{1b}[2J\u{1b}[32mVALID\u{202e}\u{9b}\"\\";
        let header = b64_json(&json!({ "alg": "EdDSA", "kid": kid }));
        let token = format!("{header}.{}.{}", B64.encode(b"{}"), B64.encode([1u8; 64]));
        let report = verify_seal(&token, &ring, now());
        assert_ne!(report.checks.last().unwrap().outcome, CheckOutcome::Pass);
        for check in &report.checks {
            assert!(!check.detail.chars().any(cartouche_seal::is_unsafe_to_print), "{:?}", check.detail);
        }
        let key = &report.checks.iter().find(|c| c.name == "key").unwrap().detail;
        assert!(key.contains("\"\\u{1b}[2J\\u{1b}[32mVALID\\u{202e}\\u{9b}\\\"\\\\\""), "{key}");
    }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

/// One key pair per algorithm for the whole property run (generation is not what is tested).
fn shared_pair(alg: Algorithm) -> &'static KeyPair {
    static ED: OnceLock<KeyPair> = OnceLock::new();
    static EC: OnceLock<KeyPair> = OnceLock::new();
    let cell = match alg {
        Algorithm::EdDSA => &ED,
        Algorithm::ES256 => &EC,
    };
    cell.get_or_init(|| KeyPair::generate(alg).unwrap())
}

fn title_strategy() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::collection::vec(any::<char>(), 0..=80).prop_map(String::from_iter))
}

prop_compose! {
    fn certificate_strategy()(
        country in "[A-Z]{2}",
        year in 2000u32..=2099,
        serial in 0u32..=999_999,
        objects in proptest::collection::vec((title_strategy(), any::<u32>()), 1..=2),
    ) -> Certificate {
        let mut certificate = certificate();
        certificate.number = format!("{country}-{year}-{serial:06}");
        certificate.application.issuing_authority.country = country;
        let template = certificate.application.objects[0].clone();
        certificate.application.objects = objects
            .into_iter()
            .map(|(title, quantity)| {
                let mut object = template.clone();
                object.title = title;
                object.quantity = quantity;
                object
            })
            .collect();
        certificate
    }
}

fn alg_strategy() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::EdDSA), Just(Algorithm::ES256)]
}

/// A single-byte change: either any base64url/separator character (reaching the decoders
/// and the signature check) or an arbitrary byte XOR (mostly refused by the shape check).
#[derive(Debug, Clone)]
enum Flip {
    Alphabet(u8),
    Xor(u8),
}

fn flip_strategy() -> impl Strategy<Value = Flip> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    prop_oneof![
        3 => proptest::sample::select(ALPHABET).prop_map(Flip::Alphabet),
        1 => (1u8..=255).prop_map(Flip::Xor),
    ]
}

fn sealed(certificate: &Certificate, alg: Algorithm) -> (SealClaims, String, KeyRing) {
    let pair = shared_pair(alg);
    let country = &certificate.application.issuing_authority.country;
    let entry = TrustedKey::new(
        country,
        alg,
        &pair.public,
        ISSUED_AT - Duration::days(1),
        None,
        ISSUED_AT + Duration::days(3650),
    )
    .unwrap();
    let ring = ring(&[&entry], true);
    let claims = SealClaims::for_certificate(certificate).unwrap();
    let token = sign(&claims, &pair.signer().unwrap()).unwrap();
    (claims, token, ring)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips(certificate in certificate_strategy(), alg in alg_strategy()) {
        install_crypto_provider();
        let (claims, token, ring) = sealed(&certificate, alg);
        prop_assert!(token.len() <= MAX_TOKEN_BYTES, "token of {} bytes", token.len());
        let report = verify_seal(&token, &ring, now());
        prop_assert!(report.all_passed(), "{:#?}", report);
        prop_assert_eq!(report.claims.as_ref(), Some(&claims));
        let summary = claims.summary().expect("summary");
        prop_assert_eq!(&summary.number, &certificate.number);
        prop_assert_eq!(&summary.issuing_country, &certificate.application.issuing_authority.country);
        let titles: Vec<Option<String>> = summary.objects.iter().map(|object| object.title.clone()).collect();
        let expected: Vec<Option<String>> = certificate.application.objects.iter().map(|object| object.title.clone()).collect();
        prop_assert_eq!(titles, expected);
        let quantities: Vec<u32> = summary.objects.iter().map(|object| object.quantity).collect();
        let expected: Vec<u32> = certificate.application.objects.iter().map(|object| object.quantity).collect();
        prop_assert_eq!(quantities, expected);
    }

    #[test]
    fn a_single_byte_change_never_passes_with_other_claims(
        certificate in certificate_strategy(),
        alg in alg_strategy(),
        position in any::<proptest::sample::Index>(),
        flip in flip_strategy(),
    ) {
        install_crypto_provider();
        let (claims, token, ring) = sealed(&certificate, alg);
        let mut bytes = token.clone().into_bytes();
        let index = position.index(bytes.len());
        bytes[index] = match flip {
            Flip::Alphabet(byte) => byte,
            Flip::Xor(mask) => bytes[index] ^ mask,
        };
        prop_assume!(bytes != token.as_bytes());
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let report = verify_seal(&text, &ring, now());
        if report.all_passed() {
            prop_assert_eq!(report.claims.as_ref(), Some(&claims), "a changed token passed with other claims");
        }
        // Stronger, and expected to hold: base64url decoding is canonical (no trailing-bit
        // slack) and the signature covers header and payload, so no single-byte change passes.
        prop_assert!(!report.all_passed(), "byte {} changed and the seal still passed: {}", index, text);
        if report.checks.iter().take_while(|check| check.outcome == CheckOutcome::Pass).all(|check| check.name != "signature") {
            prop_assert!(report.claims.is_none());
        }
    }
}

#[test]
fn seals_are_compressed_and_a_decompression_bomb_is_refused() {
    install_crypto_provider();
    let fr = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&fr.entry], true);
    let token = cartouche_seal::sign(&claims(), &fr.pair.signer().unwrap()).unwrap();
    let header = decode_part(token.split('.').next().unwrap());
    assert_eq!(header["zip"], "DEF", "{header}");
    let report = verify_seal(&token, &ring, now());
    assert!(report.all_passed(), "{report:#?}");
    // Correctly signed, but the payload inflates to 1 MiB of zeros.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'0'; 1024 * 1024], 9);
    let header_b64 = B64.encode(serde_json::to_vec(&json!({ "alg": "EdDSA", "kid": fr.kid(), "zip": "DEF" })).unwrap());
    let signed = sign_raw_b64(&fr.pair, &header_b64, &B64.encode(bomb));
    let report = verify_seal(&signed, &ring, now());
    assert_refused_unread(&report, "signature");
    assert!(report.checks.last().unwrap().detail.contains("inflates past"), "{report:#?}");
}

fn decode_part(part: &str) -> serde_json::Value {
    serde_json::from_slice(&B64.decode(part).unwrap()).unwrap()
}

#[test]
fn a_seal_verified_again_skips_only_the_signature_and_never_the_other_checks() {
    let issuer = Issuer::new("FR", Algorithm::EdDSA);
    let ring = ring(&[&issuer.entry], true);
    let token = issuer.seal(&claims());
    assert_eq!(ring.remembered_signatures(), 0);
    assert_all_pass(&verify_seal(&token, &ring, now()), &claims());
    assert_eq!(ring.remembered_signatures(), 1);
    // The same bytes again, also as a QR text: the same report.
    assert_all_pass(&verify_seal(&token, &ring, now()), &claims());
    assert_all_pass(&verify_seal(&qr_text("https://cartouche.example", &token), &ring, now()), &claims());
    assert_eq!(ring.remembered_signatures(), 1);

    // The time checks still run against the clock of each verification.
    let later = verify_seal(&token, &ring, now() + Duration::days(4000));
    assert_fails(&later, "key_validity");
    assert_eq!(outcome(&later, "validity_period"), Some(CheckOutcome::Fail));

    // Any other bytes are checked in full: an altered signature is refused, and a refused
    // token is not remembered.
    let (header, payload, signature) = split(&token);
    let mut altered = B64.decode(signature).unwrap();
    altered[0] ^= 1;
    let forged = format!("{header}.{payload}.{}", B64.encode(altered));
    assert_refused_unread(&verify_seal(&forged, &ring, now()), "signature");
    assert_refused_unread(&verify_seal(&forged, &ring, now()), "signature");
    assert_eq!(ring.remembered_signatures(), 1);

    // A ring without the key (another registry's copy, a key removed) still says so.
    let other = Issuer::new("FR", Algorithm::EdDSA);
    let without = self::ring(&[&other.entry], true);
    assert_refused_unread(&verify_seal(&token, &without, now()), "key");
}
