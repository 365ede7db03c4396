//! What registries publish for one another and for offline verifiers, and how a reader
//! checks it: the IETF Token Status List (draft-ietf-oauth-status-list), the signed
//! registry bundle, and the registry's description. No IO and no clock: times are
//! arguments, keys are bytes.
//!
//! Both signed documents are compact JWS signed with the registry's federation key
//! (Ed25519, distinct from the seal keys): header `{"alg":"EdDSA","kid":..,"typ":..}`,
//! nothing else accepted in it, and the signature checked with `verify_strict` before a
//! byte of the payload is parsed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::CountryCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::{TrustList, kid_for};

/// Bits per certificate in the status list (IETF values 0-2, plus the application-specific
/// 0x03 and 0x0C-0x0F Cartouche uses for exits).
pub const STATUS_BITS: u8 = 4;

/// `typ` of the status list token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";

/// `typ` of the registry bundle.
pub const BUNDLE_TYP: &str = "cartouche-bundle+jwt";

/// `typ` of an officer's event forwarded by a verifier node to the issuing registry.
pub const EVENT_TYP: &str = "cartouche-event+jwt";

/// `typ` of a pinned node's request for a certificate's full text.
pub const REQUEST_TYP: &str = "cartouche-request+jwt";

/// A pinned node's request for a certificate's full text (to run the exit-check rules on
/// it), signed with the node's federation key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    /// The certificate number.
    pub number: String,
    /// When it was asked (Unix seconds): an old request is not answered.
    pub iat: i64,
    /// The node's public URL.
    pub origin: String,
}

/// Version of the bundle format.
pub const BUNDLE_VERSION: u8 = 1;

/// Largest status list a reader inflates: 32 Mi certificates at 4 bits.
pub const MAX_STATUS_LIST_BYTES: usize = 16 << 20;

/// Largest signed document a reader accepts (a bundle with a status list of a million
/// certificates and a few hundred keys and plugins is well under 1 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 8 << 20;

/// Clock skew tolerated on a document's `iat` (a peer's clock slightly ahead).
pub const IAT_LEEWAY_SECONDS: i64 = 300;

/// A certificate's status in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusValue {
    /// 0x00: valid (active, not used).
    Valid,
    /// 0x01: revoked (IETF "INVALID").
    Revoked,
    /// 0x02: suspended.
    Suspended,
    /// 0x03: used: the definitive export exited, or the temporary export came back.
    Used,
    /// 0x0C: out on temporary export, not yet due back.
    OutOnTemporaryExport,
    /// 0x0D: out on temporary export and overdue.
    Overdue,
    /// Any other value (reserved): a reader cannot interpret it.
    Unknown(u8),
}

impl StatusValue {
    /// Its value in the list.
    pub fn code(self) -> u8 {
        match self {
            Self::Valid => 0x00,
            Self::Revoked => 0x01,
            Self::Suspended => 0x02,
            Self::Used => 0x03,
            Self::OutOnTemporaryExport => 0x0C,
            Self::Overdue => 0x0D,
            Self::Unknown(code) => code,
        }
    }

    /// The value of `code`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0x00 => Self::Valid,
            0x01 => Self::Revoked,
            0x02 => Self::Suspended,
            0x03 => Self::Used,
            0x0C => Self::OutOnTemporaryExport,
            0x0D => Self::Overdue,
            other => Self::Unknown(other),
        }
    }
}

/// Why a federation document was refused, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a compact JWS of the expected type, or a payload that is not the format.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The signature does not verify under the pinned key.
    #[error("the signature does not verify under the pinned federation key")]
    BadSignature,
    /// Past its `exp`.
    #[error("expired at {exp} (now {now})")]
    Expired {
        /// Its `exp`.
        exp: i64,
        /// The reader's now.
        now: i64,
    },
    /// Issued in the future: the reader's clock (or the peer's) is wrong.
    #[error("issued at {iat}, after now ({now}): check the clocks")]
    NotYetValid {
        /// Its `iat`.
        iat: i64,
        /// The reader's now.
        now: i64,
    },
    /// A key, or the status list, for a country the bundle does not speak for.
    #[error("it speaks for {country}, which it does not serve (it serves {serves})")]
    ForeignCountry {
        /// The country spoken for.
        country: String,
        /// What it serves.
        serves: String,
    },
    /// Its sequence is lower than one seen before.
    #[error("sequence {got} is older than {seen}, seen before: a replayed bundle")]
    Rollback {
        /// This bundle's sequence.
        got: u64,
        /// The highest seen.
        seen: u64,
    },
    /// The same sequence with other contents.
    #[error("sequence {0} was seen before with other contents")]
    SequenceReused(u64),
    /// Its log checkpoint contradicts one seen before.
    #[error("its log checkpoint is inconsistent with one seen before: {0}")]
    CheckpointInconsistent(String),
    /// Its log's entries could not be read to check its checkpoint.
    #[error("its log could not be read to check its checkpoint: {0}")]
    LogUnreadable(String),
}

impl Refusal {
    /// A stable code (logs, metrics, /healthz).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::BadSignature => "bad_signature",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::ForeignCountry { .. } => "foreign_country",
            Self::Rollback { .. } => "rollback",
            Self::SequenceReused(_) => "sequence_reused",
            Self::CheckpointInconsistent(_) => "checkpoint_inconsistent",
            Self::LogUnreadable(_) => "log_unreadable",
        }
    }
}

/// The statuses of a registry's certificates, `STATUS_BITS` each, in the IETF layout
/// (entry `i` in byte `i * bits / 8`, least significant bits first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of `len` valid entries.
    pub fn new(len: u64) -> Self {
        let len = usize::try_from(len).unwrap_or(usize::MAX / 2);
        Self { bytes: vec![0; len.div_ceil(2)] }
    }

    /// How many entries it holds.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 2
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Sets entry `idx`, growing the list if needed.
    pub fn set(&mut self, idx: u64, value: StatusValue) {
        let Ok(index) = usize::try_from(idx / 2) else { return };
        if index >= self.bytes.len() {
            self.bytes.resize(index + 1, 0);
        }
        let shift = (idx % 2) * 4;
        let byte = &mut self.bytes[index];
        *byte = (*byte & !(0x0F << shift)) | ((value.code() & 0x0F) << shift);
    }

    /// Entry `idx`, `None` past the end.
    pub fn get(&self, idx: u64) -> Option<StatusValue> {
        let byte = *self.bytes.get(usize::try_from(idx / 2).ok()?)?;
        Some(StatusValue::from_code((byte >> ((idx % 2) * 4)) & 0x0F))
    }

    /// The `status_list` member: ZLIB (RFC 1950), base64url.
    pub fn encode(&self) -> EncodedStatusList {
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, 9);
        EncodedStatusList { bits: STATUS_BITS, lst: B64.encode(compressed) }
    }

    /// Reads a `status_list` member, inflating at most [`MAX_STATUS_LIST_BYTES`].
    pub fn decode(encoded: &EncodedStatusList) -> Result<Self, Refusal> {
        if encoded.bits != STATUS_BITS {
            return Err(Refusal::Malformed(format!(
                "the status list has {} bits per entry; this reader knows {STATUS_BITS}",
                encoded.bits
            )));
        }
        let compressed = B64
            .decode(&encoded.lst)
            .map_err(|_| Refusal::Malformed("the status list's lst is not base64url".into()))?;
        let bytes = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_STATUS_LIST_BYTES)
            .map_err(|_| {
                Refusal::Malformed(format!(
                    "the status list's lst is not ZLIB data of at most {MAX_STATUS_LIST_BYTES} bytes"
                ))
            })?;
        Ok(Self { bytes })
    }
}

/// The `status_list` member of a status list token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodedStatusList {
    /// Bits per entry.
    pub bits: u8,
    /// base64url(ZLIB(bytes)).
    pub lst: String,
}

/// The claims of a status list token (`typ: statuslist+jwt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusListClaims {
    /// Its own URI (what seals name in `status.status_list.uri`).
    pub sub: String,
    /// Issued at (Unix seconds): the instant the statuses are "as of".
    pub iat: i64,
    /// After this, nobody should rely on it.
    pub exp: i64,
    /// Seconds a reader may cache it before fetching it again.
    pub ttl: u64,
    /// The list.
    pub status_list: EncodedStatusList,
}

/// A seal's pointer into its registry's status list (`status` claim, claim set 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusClaim {
    /// The reference.
    pub status_list: StatusReference,
}

/// Where a certificate's status is: the list's URI and the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReference {
    /// The entry: the index of the certificate's issuance entry in its registry's log.
    pub idx: u64,
    /// The list's URI.
    pub uri: String,
}

/// One published rule plugin, as a bundle lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePlugin {
    /// Plugin id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Phases it runs at (`issuance`, `exit_check`, `import_check`).
    pub phases: Vec<String>,
    /// SHA-256 of the component, lower-case hex.
    pub sha256: String,
    /// Where the component is downloaded.
    pub url: String,
}

/// What a registry signs for its peers and for offline verifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Format version.
    pub v: u8,
    /// The registry's public URL.
    pub registry: String,
    /// The countries it issues for (and only these).
    pub countries: Vec<CountryCode>,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires (Unix seconds).
    pub exp: i64,
    /// Grows with every bundle the registry signs: an older one replayed is refused.
    pub sequence: u64,
    /// The seal keys of its countries (the JWKS with validity), and its log.
    pub trust_list: TrustList,
    /// Its status list token, signed by the same federation key.
    pub status_list: String,
    /// Its latest signed log checkpoint (C2SP signed note), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// Its published rule plugins.
    pub plugins: Vec<BundlePlugin>,
    /// Version of the reference data its plugins run with (rates date and lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_data: Option<String>,
}

/// A bundle whose signature, dates, countries and status list were checked.
#[derive(Debug, Clone)]
pub struct OpenedBundle {
    /// The bundle.
    pub bundle: Bundle,
    /// Its status list's claims.
    pub status: StatusListClaims,
    /// Its status list, decoded.
    pub list: StatusList,
    /// The SHA-256 of the signed token (to tell a replay of the same bundle).
    pub token_sha256: [u8; 32],
}

/// An exit or a return recorded at another node, forwarded to the registry that issued
/// the certificate, signed with that node's federation key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardedEvent {
    /// Unique per event (hex): a second delivery of the same event changes nothing.
    pub id: String,
    /// The certificate number.
    pub number: String,
    /// `exited` or `returned`.
    pub kind: cartouche_model::EventKind,
    /// The customs office.
    pub office: String,
    /// The officer's country.
    pub country: CountryCode,
    /// The customs declaration, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration_ref: Option<String>,
    /// When it was recorded at the node (Unix seconds).
    pub at: i64,
    /// The officer's token id at the node.
    pub officer: String,
    /// The node's public URL.
    pub origin: String,
}

/// The `kid` a signed document's header names (to find the pinned key it claims), or
/// `None` for a token that is not a JWS with a kid. Nothing is trusted until the
/// signature verifies under that key.
pub fn document_kid(token: &str) -> Option<String> {
    let header = B64.decode(token.trim().split('.').next()?).ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().filter(|kid| kid.len() <= 64).map(str::to_owned)
}

/// The registry's description, at `/.well-known/cartouche-registry.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDescription {
    /// Its public URL.
    pub registry: String,
    /// The countries it issues for (empty for a verifier node).
    pub countries: Vec<CountryCode>,
    /// Whether it is a verifier node (holds no signing key, issues nothing).
    pub verifier: bool,
    /// Its federation public key: Ed25519, base64url (what `--peer URL=KEY` pins).
    pub federation_key: String,
    /// The federation key's id.
    pub federation_kid: String,
    /// Where its documents are.
    pub urls: RegistryUrls,
}

/// The URLs of a registry's public documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryUrls {
    /// The signed bundle.
    pub bundle: String,
    /// The status list token.
    pub status_list: String,
    /// The trust list (JSON).
    pub trust_list: String,
    /// The verification API.
    pub verify: String,
    /// The issuance log's prefix (checkpoint, tiles).
    pub log: String,
}

/// Signs `payload` into a compact JWS of type `typ` with an Ed25519 key (`sign` returns
/// the signature of the signing input).
pub fn sign_document(
    typ: &str,
    public: &[u8; 32],
    payload: &[u8],
    sign: &dyn Fn(&[u8]) -> Result<[u8; 64], String>,
) -> Result<String, String> {
    let header = serde_json::json!({ "alg": "EdDSA", "kid": kid_for(public), "typ": typ });
    let mut token = B64.encode(header.to_string());
    token.push('.');
    token.push_str(&B64.encode(payload));
    let signature = sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&B64.encode(signature));
    Ok(token)
}

/// Checks a compact JWS of type `typ` signed by `public` and returns its payload bytes.
pub fn verify_document(token: &str, typ: &str, public: &[u8; 32]) -> Result<Vec<u8>, Refusal> {
    let token = token.trim();
    if token.len() > MAX_DOCUMENT_BYTES {
        return Err(Refusal::Malformed(format!("{} bytes, more than the {MAX_DOCUMENT_BYTES} allowed", token.len())));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed("not a compact JWS (three base64url parts)".into()));
    };
    let header: serde_json::Map<String, Value> = B64
        .decode(header_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Refusal::Malformed("the header is not a base64url JSON object".into()))?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(Refusal::Malformed("the header's alg must be EdDSA".into()));
    }
    if header.get("typ").and_then(Value::as_str) != Some(typ) {
        return Err(Refusal::Malformed(format!("the header's typ must be {typ:?}")));
    }
    if let Some(name) = header.keys().find(|name| !["alg", "kid", "typ"].contains(&name.as_str())) {
        return Err(Refusal::Malformed(format!(
            "header parameter {:?} is not allowed",
            name.chars().take(16).collect::<String>()
        )));
    }
    let signature = B64
        .decode(signature_b64)
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
        .ok_or(Refusal::BadSignature)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(public).map_err(|_| Refusal::BadSignature)?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    key.verify_strict(signing_input.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature))
        .map_err(|_| Refusal::BadSignature)?;
    B64.decode(payload_b64).map_err(|_| Refusal::Malformed("the payload is not base64url".into()))
}

/// A federation key as `--peer URL=KEY` and the description give it: 32 bytes, base64url.
pub fn parse_federation_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = B64.decode(text.trim()).map_err(|_| "the federation key is not base64url".to_owned())?;
    let key = <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("the federation key is {} bytes; an Ed25519 key is 32", bytes.len()))?;
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key)
        .map_err(|_| "the federation key is not an Ed25519 point".to_owned())?;
    if verifying.is_weak() {
        return Err("the federation key is a weak (small-order) Ed25519 key".into());
    }
    Ok(key)
}

/// The text form of a federation key.
pub fn federation_key_text(public: &[u8; 32]) -> String {
    B64.encode(public)
}

/// Checks a status list token signed by `public` (its dates are the caller's to judge).
pub fn open_status_list(token: &str, public: &[u8; 32]) -> Result<(StatusListClaims, StatusList), Refusal> {
    let payload = verify_document(token, STATUS_LIST_TYP, public)?;
    let claims: StatusListClaims = serde_json::from_slice(&payload)
        .map_err(|error| Refusal::Malformed(format!("not a status list token: {error}")))?;
    let list = StatusList::decode(&claims.status_list)?;
    Ok((claims, list))
}

/// Opens a bundle signed by `public`: signature, format, dates at `now` (Unix seconds),
/// that every key is of a country it serves, and its status list (signed by the same key).
/// An expired bundle is refused: the caller keeps its last good one.
pub fn open_bundle(token: &str, public: &[u8; 32], now: i64) -> Result<OpenedBundle, Refusal> {
    let opened = read_bundle(token, public)?;
    let bundle = &opened.bundle;
    if now + IAT_LEEWAY_SECONDS < bundle.iat.max(opened.status.iat) {
        return Err(Refusal::NotYetValid { iat: bundle.iat.max(opened.status.iat), now });
    }
    if now >= bundle.exp {
        return Err(Refusal::Expired { exp: bundle.exp, now });
    }
    Ok(opened)
}

/// As [`open_bundle`], without the dates: an offline verifier judges an old bundle's
/// age itself (the status is then "not checked"), and a clock set back (before `iat`).
pub fn read_bundle(token: &str, public: &[u8; 32]) -> Result<OpenedBundle, Refusal> {
    use sha2::Digest;
    let payload = verify_document(token, BUNDLE_TYP, public)?;
    let bundle: Bundle =
        serde_json::from_slice(&payload).map_err(|error| Refusal::Malformed(format!("not a bundle: {error}")))?;
    if bundle.v != BUNDLE_VERSION {
        return Err(Refusal::Malformed(format!("bundle version {}; this reader knows {BUNDLE_VERSION}", bundle.v)));
    }
    let serves = bundle.countries.join(",");
    if let Some(key) = bundle.trust_list.keys.iter().find(|key| !bundle.countries.contains(&key.country)) {
        return Err(Refusal::ForeignCountry { country: key.country.clone(), serves });
    }
    if let Some(country) = bundle.countries.iter().find(|c| !cartouche_model::is_country_code(c)) {
        return Err(Refusal::Malformed(format!("{country:?} is not a country code")));
    }
    let (status, list) = open_status_list(&bundle.status_list, public)?;
    Ok(OpenedBundle { bundle, status, list, token_sha256: sha2::Sha256::digest(token.trim().as_bytes()).into() })
}

/// Whether `next` may replace `previous`: its sequence must not go back, and the same
/// sequence must be the same bundle.
pub fn check_successor(previous: &OpenedBundle, next: &OpenedBundle) -> Result<(), Refusal> {
    let (seen, got) = (previous.bundle.sequence, next.bundle.sequence);
    if got < seen {
        return Err(Refusal::Rollback { got, seen });
    }
    if got == seen && previous.token_sha256 != next.token_sha256 {
        return Err(Refusal::SequenceReused(got));
    }
    Ok(())
}

/// Reads the claim set's payload without verifying anything, for routing only: which
/// country a seal claims, so that the verifier picks the registry that speaks for it.
/// The claims are trusted only after the chosen ring verified the signature.
pub fn claimed_country(token: &str) -> Option<String> {
    let payload_b64 = token.split('.').nth(1)?;
    let bytes = B64.decode(payload_b64).ok()?;
    let inflated =
        miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, crate::MAX_INFLATED_BYTES).ok().unwrap_or(bytes);
    let value: Value = serde_json::from_slice(&inflated).ok()?;
    value.get("c")?.as_str().filter(|c| cartouche_model::is_country_code(c)).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    fn signer(key: &ed25519_dalek::SigningKey) -> impl Fn(&[u8]) -> Result<[u8; 64], String> + '_ {
        move |message| Ok(key.sign(message).to_bytes())
    }

    #[test]
    fn a_status_list_round_trips_every_value_at_four_bits() {
        let mut list = StatusList::new(10);
        let values = [
            StatusValue::Valid,
            StatusValue::Revoked,
            StatusValue::Suspended,
            StatusValue::Used,
            StatusValue::OutOnTemporaryExport,
            StatusValue::Overdue,
        ];
        for (idx, value) in values.iter().enumerate() {
            list.set(idx as u64 * 3, *value);
        }
        list.set(101, StatusValue::Revoked);
        let decoded = StatusList::decode(&list.encode()).unwrap();
        for (idx, value) in values.iter().enumerate() {
            assert_eq!(decoded.get(idx as u64 * 3), Some(*value));
        }
        assert_eq!(decoded.get(1), Some(StatusValue::Valid));
        assert_eq!(decoded.get(101), Some(StatusValue::Revoked));
        assert_eq!(decoded.get(100), Some(StatusValue::Valid));
        assert_eq!(decoded.get(102), None);
        // The IETF layout: entry 1 is the high nibble of byte 0.
        let mut two = StatusList::new(2);
        two.set(1, StatusValue::Suspended);
        assert_eq!(two.bytes, vec![0x20]);
    }

    #[test]
    fn a_status_list_that_inflates_past_the_limit_is_refused() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; MAX_STATUS_LIST_BYTES + 1], 9);
        let encoded = EncodedStatusList { bits: 4, lst: B64.encode(bomb) };
        assert!(matches!(StatusList::decode(&encoded), Err(Refusal::Malformed(_))));
        let encoded = EncodedStatusList { bits: 1, lst: String::new() };
        assert!(matches!(StatusList::decode(&encoded), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn status_lists_stay_small() {
        // 1,000,000 certificates, 1% revoked, 0.2% suspended, 30% used: sizes in BENCHMARKS.md.
        let mut list = StatusList::new(1_000_000);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for idx in 0..1_000_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let roll = state % 1000;
            let value = match roll {
                0..10 => StatusValue::Revoked,
                10..12 => StatusValue::Suspended,
                12..312 => StatusValue::Used,
                _ => continue,
            };
            list.set(idx, value);
        }
        let encoded = list.encode();
        assert!(encoded.lst.len() < 400_000, "{} bytes", encoded.lst.len());
    }

    #[test]
    fn documents_verify_only_under_their_key_and_type() {
        let signing = key(7);
        let public = signing.verifying_key().to_bytes();
        let token = sign_document(STATUS_LIST_TYP, &public, b"{}", &signer(&signing)).unwrap();
        assert_eq!(verify_document(&token, STATUS_LIST_TYP, &public).unwrap(), b"{}");
        let other = key(8).verifying_key().to_bytes();
        assert_eq!(verify_document(&token, STATUS_LIST_TYP, &other), Err(Refusal::BadSignature));
        assert!(matches!(verify_document(&token, BUNDLE_TYP, &public), Err(Refusal::Malformed(_))));
        let mut altered = token.clone();
        altered.insert(token.find('.').unwrap() + 2, 'A');
        assert!(verify_document(&altered, STATUS_LIST_TYP, &public).is_err());
        assert!(matches!(verify_document("a.b", STATUS_LIST_TYP, &public), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn federation_keys_are_parsed_strictly() {
        let public = key(3).verifying_key().to_bytes();
        assert_eq!(parse_federation_key(&federation_key_text(&public)).unwrap(), public);
        assert!(parse_federation_key("AAAA").is_err());
        assert!(parse_federation_key(&B64.encode([0u8; 32])).is_err(), "a small-order point is refused");
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(parse_federation_key(&B64.encode(identity)).is_err());
    }

    #[test]
    fn the_claimed_country_is_read_for_routing_only() {
        let payload = B64.encode(br#"{"c":"IT","n":"IT-2026-000001"}"#);
        assert_eq!(claimed_country(&format!("e30.{payload}.sig")).as_deref(), Some("IT"));
        let compressed = B64.encode(miniz_oxide::deflate::compress_to_vec(br#"{"c":"FR"}"#, 6));
        assert_eq!(claimed_country(&format!("e30.{compressed}.sig")).as_deref(), Some("FR"));
        assert_eq!(claimed_country("garbage"), None);
        assert_eq!(claimed_country(&format!("e30.{}.x", B64.encode(br#"{"c":"france"}"#))), None);
    }
}
