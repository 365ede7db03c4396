//! Offline verification of a seal against a key ring: everything that can be checked
//! without the registry. The server adds the registry status and the rules on top.
//!
//! The order follows DESIGN.md: size and shape, header (algorithm allow-list, no key
//! material or URLs in the header, no unknown critical extension, kid known, algorithm
//! equal to the key's), signature, the key's country equal to the certificate's issuing
//! country, the key's validity, then `nbf`/`exp` with [`LEEWAY_SECONDS`]. Claims are shown
//! only once the signature has verified.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::{Algorithm, Check, CheckName, CheckOutcome, KeyInfo};
use jsonwebtoken::DecodingKey;
use serde_json::Value;
use sha2::Digest;
use time::OffsetDateTime;

use crate::claims::SealClaims;
use crate::keys::{KeyError, TrustList, TrustedKey};
use crate::{printable, quoted};

/// Longest token accepted, in bytes. A one-object seal is about 600; QR version 40 holds
/// at most 2953 bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// Clock skew tolerated on `nbf` and `exp`, in seconds (remote border posts drift).
pub const LEEWAY_SECONDS: i64 = 300;

/// The only header parameters accepted. Everything else is refused: `jku`, `x5u`, `jwk`
/// and `x5c` (keys come only from the trust list, never from the token), `crit` (none of
/// our extensions is critical, and an unknown critical one must be refused), `b64`, `zip`.
const ALLOWED_HEADER_PARAMETERS: [&str; 4] = ["alg", "kid", "typ", "zip"];

/// Largest claim set a compressed payload may inflate to: a 100-object certificate's
/// claims are about 30 KiB; anything past this is a decompression bomb.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024;

struct RingKey {
    entry: TrustedKey,
    decoding: DecodingKey,
}

/// How many verified signatures a key ring remembers.
pub const REMEMBERED_SIGNATURES: usize = 4096;

/// Validated, ready-to-use public keys, indexed by kid, and the seals whose signature
/// they have verified: the SHA-256 of the exact token, with its claims. A token seen
/// again skips the signature check and the payload's decoding, never the header, key
/// and time checks. A new ring (every key rotation builds one) starts empty.
pub struct KeyRing {
    keys: HashMap<String, RingKey>,
    generated_at: OffsetDateTime,
    authoritative: bool,
    verified: Mutex<lru::LruCache<[u8; 32], Arc<SealClaims>>>,
}

impl KeyRing {
    /// Builds a key ring from a trust list, validating every key. `authoritative` is true
    /// for the registry's own list: an unknown kid is then a forgery (INVALID); in an
    /// offline verifier's copy it may just be newer than the copy (INDETERMINATE).
    pub fn new(trust_list: &TrustList, authoritative: bool) -> Result<Self, KeyError> {
        let mut keys = HashMap::with_capacity(trust_list.keys.len());
        for entry in &trust_list.keys {
            let decoding = entry.decoding_key()?;
            keys.insert(entry.kid.clone(), RingKey { entry: entry.clone(), decoding });
        }
        let capacity = NonZeroUsize::new(REMEMBERED_SIGNATURES).unwrap_or(NonZeroUsize::MIN);
        Ok(Self {
            keys,
            generated_at: trust_list.generated_at,
            authoritative,
            verified: Mutex::new(lru::LruCache::new(capacity)),
        })
    }

    fn remembered(&self, token_sha256: &[u8; 32]) -> Option<Arc<SealClaims>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).get(token_sha256).cloned()
    }

    fn remember(&self, token_sha256: [u8; 32], claims: &SealClaims) {
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).put(token_sha256, Arc::new(claims.clone()));
    }

    /// How many verified signatures the ring remembers now.
    pub fn remembered_signatures(&self) -> usize {
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The entry for `kid`.
    pub fn get(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.get(kid).map(|key| &key.entry)
    }
}

/// What offline verification established.
#[derive(Debug, Clone)]
pub struct SealReport {
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// The claims, only when the signature verified.
    pub claims: Option<SealClaims>,
    /// The key that signed, when it was found.
    pub key: Option<KeyInfo>,
}

impl SealReport {
    /// Whether every check so far passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|check| check.outcome == CheckOutcome::Pass)
    }
}

/// Takes the token out of QR text: `{public-url}/v/{digits}` (the form Cartouche prints),
/// `{public-url}/v/{token}`, the digits alone, the bare token, or the printed link as a
/// desk scanner typed it through a foreign keyboard layout (its trailing digits).
pub fn token_from_qr_text(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.trim();
    let token = match text.rfind("/v/") {
        Some(index) if text.starts_with("http://") || text.starts_with("https://") => {
            let token = &text[index + 3..];
            token.split(['?', '#']).next().unwrap_or(token)
        }
        _ => text,
    };
    match crate::qr::digits_to_token(token).or_else(|| crate::recognise::token_from_mangled_link(token)) {
        Some(decoded) => std::borrow::Cow::Owned(decoded),
        None => std::borrow::Cow::Borrowed(token),
    }
}

fn rfc3339(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}

/// Verifies a seal (QR text or bare token) against `ring` at `now`.
pub fn verify_seal(qr_text: &str, ring: &KeyRing, now: OffsetDateTime) -> SealReport {
    let mut report = SealReport { checks: Vec::with_capacity(8), claims: None, key: None };
    let token = token_from_qr_text(qr_text);
    let token = token.as_ref();

    // 1. Size and shape, before any decoding.
    if token.len() > MAX_TOKEN_BYTES {
        report.checks.push(Check::fail(
            CheckName::Format,
            format!("the seal is {} bytes, more than the {MAX_TOKEN_BYTES} allowed", token.len()),
        ));
        return report;
    }
    let shape_ok = token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && token.bytes().filter(|&b| b == b'.').count() == 2;
    let mut parts = token.split('.');
    let (header_b64, payload_b64, signature_b64) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !shape_ok || header_b64.is_empty() || payload_b64.is_empty() || signature_b64.is_empty() {
        report.checks.push(Check::fail(
            CheckName::Format,
            "not a Cartouche seal: expected a compact JWS (three base64url parts)",
        ));
        return report;
    }
    report.checks.push(Check::pass(CheckName::Format, "compact JWS"));

    // 2. Header.
    let header =
        B64.decode(header_b64).ok().and_then(|bytes| serde_json::from_slice::<StrictObject>(&bytes).ok()).map(|o| o.0);
    let Some(header) = header else {
        report.checks.push(Check::fail(
            CheckName::Header,
            "the header is not a base64url JSON object without duplicate members",
        ));
        return report;
    };
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("EdDSA") => Algorithm::EdDSA,
        Some("ES256") => Algorithm::ES256,
        Some(other) => {
            let shown: String = other.chars().take(16).collect();
            report.checks.push(Check::fail(
                CheckName::Header,
                format!("algorithm {} is not allowed (allowed: EdDSA, ES256)", quoted(&shown)),
            ));
            return report;
        }
        None => {
            report.checks.push(Check::fail(CheckName::Header, "the header names no algorithm"));
            return report;
        }
    };
    if let Some(name) = header.keys().find(|name| !ALLOWED_HEADER_PARAMETERS.contains(&name.as_str())) {
        let shown = quoted(&name.chars().take(16).collect::<String>());
        let detail = match name.as_str() {
            "crit" => "the header declares critical extensions this verifier does not understand".to_owned(),
            "jku" | "x5u" | "jwk" | "x5c" => {
                format!("header parameter {shown} is not allowed: keys come only from the trust list")
            }
            _ => format!("header parameter {shown} is not allowed (allowed: alg, kid, typ, zip)"),
        };
        report.checks.push(Check::fail(CheckName::Header, detail));
        return report;
    }
    let compressed = match header.get("zip") {
        None => false,
        Some(zip) if zip == "DEF" => true,
        Some(_) => {
            report.checks.push(Check::fail(
                CheckName::Header,
                "the only payload compression allowed is zip \"DEF\" (raw DEFLATE)",
            ));
            return report;
        }
    };
    if header.get("typ").is_some_and(|typ| typ != "JWT") {
        report.checks.push(Check::fail(CheckName::Header, "the header's typ must be \"JWT\" when present"));
        return report;
    }
    let Some(kid) = header.get("kid").and_then(Value::as_str).filter(|kid| !kid.is_empty() && kid.len() <= 64) else {
        report.checks.push(Check::fail(CheckName::Header, "the header has no usable key id (kid)"));
        return report;
    };
    // The kid is unverified input until it is found in the ring: quoted and escaped in
    // every detail, which terminals and pages show.
    report.checks.push(Check::pass(CheckName::Header, format!("alg {}, kid {}", alg.as_str(), quoted(kid))));

    // 3. The key.
    let Some(ring_key) = ring.keys.get(kid) else {
        let kid = quoted(kid);
        let age = ring.generated_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        if ring.authoritative {
            report.checks.push(Check::fail(
                CheckName::Key,
                format!("key {kid} is not in the trust list: no issuing authority holds it"),
            ));
        } else {
            report.checks.push(Check::not_checked(
                CheckName::Key,
                format!(
                    "key {kid} is not in this trust list (generated {age}); refresh the trust list and verify again"
                ),
            ));
        }
        return report;
    };
    let entry = &ring_key.entry;
    let kid_text = printable(kid);
    let kid = kid_text.as_ref();
    if entry.alg != alg {
        report.checks.push(Check::fail(
            CheckName::Key,
            format!("key {kid} is a {} key but the seal claims {}", entry.alg.as_str(), alg.as_str()),
        ));
        return report;
    }
    report.key = Some(KeyInfo { kid: entry.kid.clone(), country: entry.country.clone(), alg });
    report.checks.push(Check::pass(CheckName::Key, format!("key {kid} of {}", entry.country)));

    // 4. Signature, over the exact bytes received; only then are the claims parsed.
    // (Times are checked below against our own clock, not the system's.) The same bytes
    // verified before by this ring are not verified again.
    let token_sha256: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
    let claims = match ring.remembered(&token_sha256) {
        Some(claims) => claims.as_ref().clone(),
        None => match verify_signature(token, header_b64, payload_b64, signature_b64, alg, compressed, ring_key) {
            Ok(claims) => {
                ring.remember(token_sha256, &claims);
                claims
            }
            Err(check) => {
                report.checks.push(check);
                return report;
            }
        },
    };
    report.checks.push(Check::pass(CheckName::Signature, format!("{} signature by key {kid}", alg.as_str())));

    // 5. The key may only sign its own country's certificates.
    if claims.c != entry.country {
        report.checks.push(Check::fail(
            CheckName::IssuingCountry,
            format!(
                "the certificate claims issuing country {} but key {kid} belongs to {}",
                quoted(&claims.c),
                entry.country
            ),
        ));
        return report;
    }
    if !claims.n.starts_with(&format!("{}-", claims.c)) {
        report.checks.push(Check::fail(
            CheckName::IssuingCountry,
            format!("certificate number {} does not belong to {}", quoted(&claims.n), claims.c),
        ));
        return report;
    }
    report.checks.push(Check::pass(CheckName::IssuingCountry, format!("issued by {}", claims.c)));

    // 6. The key's own validity.
    let iat = claims.iat;
    let now_ts = now.unix_timestamp();
    // As a JWT's `exp`: on or after it, nothing the key signed is accepted.
    if now_ts >= entry.expires_at.unix_timestamp() {
        report.checks.push(Check::fail(
            CheckName::KeyValidity,
            format!("key {kid} expired on {}", rfc3339(entry.expires_at.unix_timestamp())),
        ));
    } else if iat < entry.created_at.unix_timestamp() - LEEWAY_SECONDS {
        report
            .checks
            .push(Check::fail(CheckName::KeyValidity, format!("signed at {} before key {kid} existed", rfc3339(iat))));
    } else if let Some(retired) = entry.retired_at.filter(|retired| iat > retired.unix_timestamp() + LEEWAY_SECONDS) {
        report.checks.push(Check::fail(
            CheckName::KeyValidity,
            format!("signed at {} after key {kid} was retired on {}", rfc3339(iat), rfc3339(retired.unix_timestamp())),
        ));
    } else {
        report.checks.push(Check::pass(
            CheckName::KeyValidity,
            format!("key {kid} valid until {}", rfc3339(entry.expires_at.unix_timestamp())),
        ));
    }

    // 7. Validity period.
    if now_ts + LEEWAY_SECONDS < claims.nbf {
        report.checks.push(Check::fail(CheckName::ValidityPeriod, format!("not valid before {}", rfc3339(claims.nbf))));
    } else if now_ts - LEEWAY_SECONDS >= claims.exp {
        report.checks.push(Check::fail(CheckName::ValidityPeriod, format!("expired at {}", rfc3339(claims.exp))));
    } else {
        report.checks.push(Check::pass(
            CheckName::ValidityPeriod,
            format!("valid from {} until {} (leeway {LEEWAY_SECONDS} s)", rfc3339(claims.nbf), rfc3339(claims.exp)),
        ));
    }
    report.claims = Some(claims);
    report
}

/// Signs `claims` with `signer` into a compact JWS whose payload is raw-DEFLATE
/// compressed (`"zip": "DEF"` in the header, as SMART Health Cards do), to keep the QR
/// code small. The signature covers the compressed bytes.
pub fn sign(claims: &SealClaims, signer: &crate::keys::Signer) -> Result<String, SignError> {
    let header = serde_json::json!({ "alg": signer.alg.as_str(), "kid": signer.kid, "zip": "DEF" });
    let header_b64 = B64.encode(serde_json::to_vec(&header).map_err(|e| SignError::failed(e.to_string()))?);
    let json = serde_json::to_vec(claims).map_err(|e| SignError::failed(e.to_string()))?;
    let payload_b64 = B64.encode(miniz_oxide::deflate::compress_to_vec(&json, 9));
    let signing_input = format!("{header_b64}.{payload_b64}");
    let mut bytes = match &signer.backend {
        crate::keys::Backend::Local(key) => {
            let alg = match signer.alg {
                Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
                Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            };
            let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), key, alg)
                .map_err(|e| SignError::failed(e.to_string()))?;
            B64.decode(&signature).map_err(|e| SignError::failed(e.to_string()))?
        }
        crate::keys::Backend::External(external) => external
            .sign(signing_input.as_bytes())
            .map_err(|e| SignError { message: e.message, unavailable: e.unavailable })?,
    };
    if bytes.len() != 64 {
        return Err(SignError::failed(format!(
            "a {}-byte signature; {} signatures are 64 bytes",
            bytes.len(),
            signer.alg.as_str()
        )));
    }
    if signer.alg == Algorithm::ES256 && is_high_s(&bytes) {
        // p256 and HSMs do not normalise S; verifiers refuse a high S, so emit the low-S twin.
        let high: [u8; 32] =
            bytes[32..].try_into().map_err(|_| SignError::failed("bad ES256 signature length".into()))?;
        bytes[32..].copy_from_slice(&negate_mod_order(&high));
    }
    let signature = B64.encode(&bytes);
    Ok(format!("{signing_input}.{signature}"))
}

/// The order n of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, //
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// floor(n / 2): the largest S of a normalised (low-S) P-256 signature.
const P256_HALF_ORDER: [u8; 32] = [
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, //
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
];

/// Whether a raw ES256 signature (r || s, 64 bytes) has S above n / 2. ECDSA signatures
/// are malleable: if (r, s) verifies, so does (r, n - s). Cartouche signs with low S and
/// refuses high S, so that a seal has exactly one valid signature.
fn is_high_s(signature: &[u8]) -> bool {
    signature.len() == 64 && signature[32..] > P256_HALF_ORDER[..]
}

/// `n - s` for a big-endian scalar `0 < s < n`.
fn negate_mod_order(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0u16;
    for i in (0..32).rev() {
        let subtrahend = u16::from(s[i]) + borrow;
        let minuend = u16::from(P256_ORDER[i]);
        if minuend >= subtrahend {
            out[i] = (minuend - subtrahend) as u8;
            borrow = 0;
        } else {
            out[i] = (minuend + 256 - subtrahend) as u8;
            borrow = 1;
        }
    }
    out
}

/// The signature check of a seal and the decoding of its payload: the claims, or the
/// failed `signature` check.
fn verify_signature(
    token: &str,
    header_b64: &str,
    payload_b64: &str,
    signature_b64: &str,
    alg: Algorithm,
    compressed: bool,
    ring_key: &RingKey,
) -> Result<SealClaims, Check> {
    let jose_alg = match alg {
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
    };
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    if alg == Algorithm::ES256 && B64.decode(signature_b64).is_ok_and(|signature| is_high_s(&signature)) {
        return Err(Check::fail(
            CheckName::Signature,
            "the ES256 signature is not normalised (S above half the group order): a malleated copy of a seal, refused",
        ));
    }
    if !matches!(
        jsonwebtoken::crypto::verify(signature_b64, signing_input.as_bytes(), &ring_key.decoding, jose_alg),
        Ok(true)
    ) {
        return Err(Check::fail(
            CheckName::Signature,
            "the signature does not verify: the seal was altered or not signed by this key",
        ));
    }
    let payload = B64.decode(payload_b64).ok().and_then(|bytes| {
        if compressed {
            miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_INFLATED_BYTES).ok()
        } else {
            Some(bytes)
        }
    });
    payload.and_then(|bytes| serde_json::from_slice::<SealClaims>(&bytes).ok()).ok_or_else(|| {
        Check::fail(
            CheckName::Signature,
            format!(
                "the signature verifies but the payload is not a Cartouche claim set (or inflates past {MAX_INFLATED_BYTES} bytes)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn the_ed25519_check_of_seals_agrees_with_every_wycheproof_vector() {
        // C2SP Wycheproof, testvectors_v1 (tests/vectors/wycheproof/SOURCE.md).
        let file: Value = serde_json::from_str(include_str!("../tests/vectors/wycheproof/ed25519_test.json")).unwrap();
        let mut checked = 0;
        for group in file["testGroups"].as_array().unwrap() {
            // The same key type and call as verify_seal's signature check.
            let key = DecodingKey::from_ed_der(&unhex(group["publicKey"]["pk"].as_str().unwrap()));
            for test in group["tests"].as_array().unwrap() {
                let message = unhex(test["msg"].as_str().unwrap());
                let signature = B64.encode(unhex(test["sig"].as_str().unwrap()));
                let expected = test["result"] == "valid";
                let verifies = jsonwebtoken::crypto::verify(&signature, &message, &key, jsonwebtoken::Algorithm::EdDSA);
                assert_eq!(
                    matches!(verifies, Ok(true)),
                    expected,
                    "Wycheproof tcId {} ({}): expected {}",
                    test["tcId"],
                    test["comment"],
                    test["result"]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 151);
    }

    #[test]
    fn the_es256_check_of_seals_agrees_with_every_wycheproof_vector() {
        // C2SP Wycheproof, testvectors_v1 (tests/vectors/wycheproof/SOURCE.md): ECDSA P-256
        // with SHA-256, signatures in P1363 encoding (r || s), as in JWS.
        let file: Value =
            serde_json::from_str(include_str!("../tests/vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"))
                .unwrap();
        let (mut checked, mut high_s_refused) = (0, 0);
        for group in file["testGroups"].as_array().unwrap() {
            // The same key type and calls as verify_seal's signature check: the uncompressed
            // point, the high-S refusal, then jsonwebtoken's ES256 verification.
            let key = DecodingKey::from_ec_der(&unhex(group["publicKey"]["uncompressed"].as_str().unwrap()));
            for test in group["tests"].as_array().unwrap() {
                let message = unhex(test["msg"].as_str().unwrap());
                let raw = unhex(test["sig"].as_str().unwrap());
                let signature = B64.encode(&raw);
                let verifies = !is_high_s(&raw)
                    && matches!(
                        jsonwebtoken::crypto::verify(&signature, &message, &key, jsonwebtoken::Algorithm::ES256),
                        Ok(true)
                    );
                let expected = match test["result"].as_str().unwrap() {
                    "valid" if is_high_s(&raw) => {
                        // Valid ECDSA, refused by policy: a seal has one encoding (low S).
                        high_s_refused += 1;
                        false
                    }
                    "valid" => true,
                    "invalid" => false,
                    other => panic!("tcId {}: a result {other:?} to decide", test["tcId"]),
                };
                assert_eq!(
                    verifies, expected,
                    "Wycheproof tcId {} ({}): expected {}",
                    test["tcId"], test["comment"], test["result"]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 262);
        assert!(high_s_refused > 0, "the vectors include valid high-S signatures");
        println!("{checked} vectors; {high_s_refused} valid ones with a high S refused by policy");
    }

    /// Whether `verify_seal` accepted the JWS's signature: the signature check passed, or
    /// failed only because the verified payload is not a Cartouche claim set (the
    /// vectors sign "foo", not certificates).
    fn signature_accepted(report: &SealReport) -> bool {
        report.checks.iter().any(|check| {
            check.name == CheckName::Signature
                && (check.outcome == CheckOutcome::Pass
                    || check.detail.contains("payload is not a Cartouche claim set"))
        })
    }

    #[test]
    fn seals_agree_with_every_wycheproof_jws_vector() {
        // C2SP Wycheproof, testvectors_v1 (tests/vectors/wycheproof/SOURCE.md): whole JWS,
        // run through verify_seal with the vector's key in the ring under the vector's kid.
        let file: Value =
            serde_json::from_str(include_str!("../tests/vectors/wycheproof/json_web_signature_test.json")).unwrap();
        let now = OffsetDateTime::now_utc();
        let mut refused_by_policy = std::collections::BTreeMap::<&str, usize>::new();
        let (mut checked, mut accepted_valid) = (0, 0);
        for group in file["testGroups"].as_array().unwrap() {
            // A trust list holds Ed25519 and P-256 keys as bare JWKs (kty, crv, x, y): a key
            // marked for another use (`use` other than "sig", `key_ops` without "verify")
            // or of another type can never be in one.
            let mut public = group["public"].clone();
            let mut key_in_trust_list = None;
            if let Some(members) = public.as_object_mut() {
                let kid = members.remove("kid").and_then(|k| k.as_str().map(str::to_owned));
                members.remove("alg");
                if members.get("use").is_some_and(|u| u == "sig") {
                    members.remove("use");
                }
                if members
                    .get("key_ops")
                    .is_some_and(|ops| ops.as_array().is_some_and(|ops| ops.iter().any(|op| op == "verify")))
                {
                    members.remove("key_ops");
                }
                if let (Some(kid), Ok(jwk)) = (kid, serde_json::from_value::<crate::keys::PublicJwk>(public.clone())) {
                    let alg = if jwk.crv == "P-256" { Algorithm::ES256 } else { Algorithm::EdDSA };
                    let entry = TrustedKey {
                        kid,
                        country: "FR".into(),
                        alg,
                        public_key_jwk: jwk,
                        created_at: now - time::Duration::days(1),
                        retired_at: None,
                        expires_at: now + time::Duration::days(1),
                    };
                    if entry.public_bytes().is_ok() {
                        key_in_trust_list = Some(entry);
                    }
                }
            }
            let list = TrustList { generated_at: now, keys: key_in_trust_list.iter().cloned().collect(), log: None };
            let ring = KeyRing::new(&list, true).unwrap();
            for test in group["tests"].as_array().unwrap() {
                checked += 1;
                let Some(jws) = test["jws"].as_str() else {
                    // The JSON serializations: a seal is a compact JWS, nothing else.
                    assert_eq!(test["result"], "invalid", "tcId {}", test["tcId"]);
                    continue;
                };
                let accepted = signature_accepted(&verify_seal(jws, &ring, now));
                let header: Value = jws
                    .split('.')
                    .next()
                    .and_then(|h| B64.decode(h).ok())
                    .and_then(|h| serde_json::from_slice(&h).ok())
                    .unwrap_or(Value::Null);
                let alg = header["alg"].as_str().unwrap_or("");
                match test["result"].as_str().unwrap() {
                    "invalid" => assert!(!accepted, "Wycheproof tcId {} ({}) accepted", test["tcId"], test["comment"]),
                    "valid" => {
                        let policy = if !["EdDSA", "ES256"].contains(&alg) {
                            Some("an algorithm other than EdDSA and ES256")
                        } else if key_in_trust_list.is_none() {
                            Some("a key that cannot be in a trust list")
                        } else if alg == "ES256"
                            && jws.rsplit('.').next().and_then(|s| B64.decode(s).ok()).is_some_and(|s| is_high_s(&s))
                        {
                            Some("an ES256 signature with a high S (one encoding per seal)")
                        } else {
                            None
                        };
                        match policy {
                            Some(reason) => {
                                assert!(!accepted, "tcId {} accepted despite {reason}", test["tcId"]);
                                *refused_by_policy.entry(reason).or_default() += 1;
                            }
                            None => {
                                assert!(
                                    accepted,
                                    "Wycheproof tcId {} ({}) refused: {:?}",
                                    test["tcId"],
                                    test["comment"],
                                    verify_seal(jws, &ring, now).checks
                                );
                                accepted_valid += 1;
                            }
                        }
                    }
                    other => panic!("tcId {}: a result {other:?} to decide", test["tcId"]),
                }
            }
        }
        assert_eq!(checked, 401);
        assert!(refused_by_policy.values().sum::<usize>() > 0);
        println!("{checked} vectors; {accepted_valid} valid accepted; valid refused by policy: {refused_by_policy:?}");
    }

    #[test]
    fn half_order_is_half_the_order() {
        // 2 * (n / 2) + 1 = n, n being odd.
        let mut doubled = [0u8; 32];
        let mut carry = 1u16;
        for i in (0..32).rev() {
            let digit = u16::from(P256_HALF_ORDER[i]) * 2 + carry;
            doubled[i] = digit as u8;
            carry = digit >> 8;
        }
        assert_eq!(carry, 0);
        assert_eq!(doubled, P256_ORDER);
        // n - n/2 = n/2 + 1: the smallest high S.
        let mut smallest_high = P256_HALF_ORDER;
        smallest_high[31] += 1;
        assert_eq!(negate_mod_order(&P256_HALF_ORDER), smallest_high);
        assert!(!is_high_s(&[[0u8; 32], P256_HALF_ORDER].concat()));
        assert!(is_high_s(&[[0u8; 32], smallest_high].concat()));
        assert_eq!(negate_mod_order(&negate_mod_order(&smallest_high)), smallest_high);
    }
}

/// Signing failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the seal: {message}")]
pub struct SignError {
    /// What happened.
    pub message: String,
    /// Whether the signer (an HSM) is unavailable for now: a retry may succeed.
    pub unavailable: bool,
}

impl SignError {
    fn failed(message: String) -> Self {
        Self { message, unavailable: false }
    }
}

/// A JSON object that refuses duplicate members: two parsers that keep different
/// duplicates would read different algorithms or keys from the same header.
struct StrictObject(serde_json::Map<String, Value>);

impl<'de> serde::Deserialize<'de> for StrictObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object without duplicate members")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = serde_json::Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate member {key:?}")));
                    }
                    map.insert(key, value);
                }
                Ok(StrictObject(map))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}
