//! The answers of the use-cases: typed views that serialize to the shapes of `schemas/`
//! and of the API document (optional members omitted, never null, unless the document
//! says otherwise). Faces serialize them as they are.

use cartouche_model::{Certificate, CertificateState, ExportType, Role, StatusView};
use cartouche_seal::TrustList;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

/// RFC 3339 text of an instant.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A list of items.
#[derive(Debug, Clone, Serialize)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

/// Links of a certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateLinks {
    /// The record in the API.
    #[serde(rename = "self")]
    pub self_: String,
    /// The QR link (verification).
    pub verify: String,
}

/// A certificate's full record, for those allowed to read it.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    /// The certificate as issued.
    pub certificate: Certificate,
    /// The seal.
    pub token: String,
    /// The signing key's id.
    pub kid: String,
    /// The text of the QR code.
    pub qr_text: String,
    /// State and history.
    pub status: StatusView,
    /// Links.
    pub links: CertificateLinks,
    /// Possible matches of its photos with watch-list photos (issuance and the
    /// certificate's page): for the issuer to compare; never a refusal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub referrals: Vec<cartouche_model::verdict::Referral>,
}

/// What issuance answered.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The record.
    pub view: CertificateView,
    /// The idempotency key had been seen: this is the original certificate.
    pub replayed: bool,
}

/// A certificate's state, as anyone may see it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicState {
    /// State.
    pub state: CertificateState,
    /// Since when (absent for active or expired).
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub since: Option<OffsetDateTime>,
}

/// The status of a certificate without a token: number, issuing country and state,
/// nothing about the object or the parties.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStatus {
    /// Number.
    pub number: String,
    /// Issuing country.
    pub issuing_country: String,
    /// State.
    pub status: PublicState,
}

/// What reading a certificate answers: the full record, or the public status.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CertificateRead {
    /// For a caller allowed to read it.
    Full(Box<CertificateView>),
    /// For anyone else.
    Public(PublicStatus),
}

/// One line of a list of certificates.
#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    /// Number.
    pub number: String,
    /// Issuing country.
    pub issuing_country: String,
    /// Issued at (RFC 3339).
    pub issued_at: String,
    /// State today.
    pub state: CertificateState,
    /// Definitive or temporary.
    pub export_type: ExportType,
    /// Due back (temporary exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reimport_due_date: Option<String>,
    /// Destination.
    pub destination_country: String,
    /// Applicant's name.
    pub applicant: String,
    /// Each object's title (or its type).
    pub titles: Vec<String>,
}

/// A page of certificates.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    /// The certificates.
    pub items: Vec<ListItem>,
    /// Pass as `after` for the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// A rotated key.
#[derive(Debug, Clone, Serialize)]
pub struct RotatedKey {
    /// The new key's id.
    pub kid: String,
    /// Its country.
    pub country: String,
    /// Its algorithm.
    pub alg: &'static str,
    /// Created at (RFC 3339).
    pub created_at: String,
    /// The keys it retired.
    pub retired: Vec<String>,
}

/// A signing key as `GET /api/v1/keys` shows it: its public half, its validity, and
/// where its secret half lives (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    /// Key id.
    pub kid: String,
    /// Its country.
    pub country: String,
    /// Its algorithm.
    pub alg: &'static str,
    /// `current` (the country's signer), `retiring` (signs until `sign_until`), `retired`
    /// (verifies only) or `expired` (nothing it signed verifies).
    pub status: &'static str,
    /// Created (RFC 3339).
    pub created_at: String,
    /// When it stops (or stopped) signing, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_until: Option<String>,
    /// Until when what it signed verifies.
    pub verify_until: String,
    /// Where its secret half lives: `{kind: store}` (in clear, before sealing),
    /// `{kind: sealed, kek}` or `{kind: hsm, token, id, label}`.
    pub custody: cartouche_store::Custody,
    /// Whether this server can sign with it now.
    pub signs_here: bool,
    /// The public key.
    pub public_key_jwk: cartouche_seal::PublicJwk,
}

/// A new API token, with its secret (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    /// Public id.
    pub id: String,
    /// The secret.
    pub token: String,
    /// Role.
    pub role: Role,
    /// Country (null for admin).
    pub country: Option<String>,
    /// Label.
    pub label: String,
}

/// A stored photo.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoView {
    /// Lower-case hex SHA-256 of the clean JPEG: the photo's name.
    pub sha256: String,
    /// Always `image/jpeg`.
    pub media_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Where to get it.
    pub url: String,
    /// Where to get its thumbnail.
    pub thumbnail_url: String,
}

/// What uploading a photo answered.
#[derive(Debug, Clone)]
pub struct PhotoUploaded {
    /// The photo.
    pub view: PhotoView,
    /// New (otherwise the same photo was stored before).
    pub created: bool,
}

/// The public keys as a JSON Web Key Set.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    /// The keys, each with `kid`, `alg` and `use`.
    pub keys: Vec<Value>,
}

impl Jwks {
    /// The JWKS of a trust list.
    pub fn of(list: &TrustList) -> Self {
        let keys = list
            .keys
            .iter()
            .map(|key| {
                let mut jwk = serde_json::to_value(&key.public_key_jwk).unwrap_or_default();
                jwk["kid"] = json!(key.kid);
                jwk["alg"] = json!(key.alg.as_str());
                jwk["use"] = json!("sig");
                jwk
            })
            .collect();
        Jwks { keys }
    }
}
