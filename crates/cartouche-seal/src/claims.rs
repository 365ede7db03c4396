//! The seal's claim set: what an officer needs offline, kept short to fit a QR code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::canonical::{canonical_sha256_hex, hex};
use cartouche_model::{Certificate, CertificateSummary, ExportType, ObjectSummary};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Time};

/// Version of the claim set: 2 when the seal points at its registry's status list
/// (`status`), 1 before (such seals keep verifying; their status is known online only).
pub const CLAIMS_VERSION: u8 = 2;

/// Photo hashes sealed per object: the first ones, the principal views an officer compares.
/// Every photo's hash is in the certificate, which the seal's `h` covers, so the others are
/// still bound to the seal; this cap keeps a one-object seal within QR version 20 at M
/// with the status claim of claim set 2 (three hashes and the status need version 21).
pub const MAX_SEALED_PHOTOS_PER_OBJECT: usize = 2;

/// One object as sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealObject {
    /// Type, broad to narrow, joined with " / ".
    pub t: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ti: Option<String>,
    /// Maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<String>,
    /// Dating as written.
    pub d: String,
    /// Dimensions as printed.
    pub dim: String,
    /// Quantity.
    pub q: u32,
    /// Photo SHA-256s, base64url (43 characters each rather than 64 in hex).
    pub p: Vec<String>,
}

/// The compact claim set signed into the seal (DESIGN.md "The seal").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealClaims {
    /// Claim-set version.
    pub v: u8,
    /// Certificate number.
    pub n: String,
    /// Issuing country.
    pub c: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires (Unix seconds): the end of the last day the certificate is usable.
    pub exp: i64,
    /// SHA-256 of the canonical certificate, base64url.
    pub h: String,
    /// Export type.
    pub x: ExportType,
    /// Last day of validity (the licence's "valid until").
    pub vu: String,
    /// Re-import date of a temporary export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<String>,
    /// Destination country.
    pub dst: String,
    /// The objects.
    pub o: Vec<SealObject>,
    /// Where the certificate's status is published (IETF Token Status List), from claim
    /// set 2 on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::federation::StatusClaim>,
}

/// The instant after the last day of `date` (UTC).
fn end_of_day(date: Date) -> OffsetDateTime {
    date.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1)
}

fn hex_to_b64(hex_text: &str) -> String {
    let bytes: Vec<u8> =
        (0..hex_text.len() / 2).filter_map(|i| u8::from_str_radix(hex_text.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    B64.encode(bytes)
}

impl SealClaims {
    /// The claims for `certificate`. The seal stays verifiable until the end of the later
    /// of its validity and its re-import date, so the return of a temporary export can be
    /// checked too.
    pub fn for_certificate(certificate: &Certificate) -> Result<Self, serde_json::Error> {
        let application = &certificate.application;
        let certificate_hash = canonical_sha256_hex(certificate)?;
        let last_day =
            application.reimport_due_date.map_or(application.valid_until, |due| due.max(application.valid_until));
        let objects = application
            .objects
            .iter()
            .map(|object| SealObject {
                t: object.object_type.join(" / "),
                ti: object.title.clone(),
                m: object.maker.as_ref().map(|maker| maker.name.clone()),
                d: object.dating.text.clone(),
                dim: object.dimensions_text(),
                q: object.quantity,
                p: object
                    .photos
                    .iter()
                    .take(MAX_SEALED_PHOTOS_PER_OBJECT)
                    .map(|photo| hex_to_b64(&photo.sha256))
                    .collect(),
            })
            .collect();
        Ok(Self {
            v: 1,
            n: certificate.number.clone(),
            c: application.issuing_authority.country.clone(),
            iat: certificate.issued_at.unix_timestamp(),
            nbf: certificate.issued_at.unix_timestamp(),
            exp: end_of_day(last_day).unix_timestamp(),
            h: hex_to_b64(&certificate_hash),
            x: application.export_type,
            vu: application.valid_until.to_string(),
            r: application.reimport_due_date.map(|date| date.to_string()),
            dst: application.destination_country.clone(),
            o: objects,
            status: None,
        })
    }

    /// The claims for `certificate`, pointing at entry `idx` of the status list at `uri`
    /// (claim set 2).
    pub fn with_status(certificate: &Certificate, idx: u64, uri: &str) -> Result<Self, serde_json::Error> {
        let mut claims = Self::for_certificate(certificate)?;
        claims.v = CLAIMS_VERSION;
        claims.status = Some(crate::federation::StatusClaim {
            status_list: crate::federation::StatusReference { idx, uri: uri.to_owned() },
        });
        Ok(claims)
    }

    /// The SHA-256 of the canonical certificate, lower-case hex (as the registry computes it).
    pub fn certificate_sha256_hex(&self) -> String {
        B64.decode(&self.h).map(|bytes| hex(&bytes)).unwrap_or_default()
    }

    /// The summary shown in a verdict. `None` when a date in the claims is malformed.
    pub fn summary(&self) -> Option<CertificateSummary> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let parse_date = |text: &str| Date::parse(text, &format).ok();
        Some(CertificateSummary {
            number: self.n.clone(),
            issuing_country: self.c.clone(),
            issued_at: OffsetDateTime::from_unix_timestamp(self.iat).ok()?,
            valid_until: parse_date(&self.vu)?,
            export_type: self.x,
            reimport_due_date: match &self.r {
                Some(text) => Some(parse_date(text)?),
                None => None,
            },
            destination_country: self.dst.clone(),
            certificate_sha256: self.certificate_sha256_hex(),
            objects: self
                .o
                .iter()
                .map(|object| ObjectSummary {
                    object_type: object.t.clone(),
                    title: object.ti.clone(),
                    maker: object.m.clone(),
                    dating: object.d.clone(),
                    dimensions: object.dim.clone(),
                    quantity: object.q,
                    photos: object.p.iter().map(|p| B64.decode(p).map(|b| hex(&b)).unwrap_or_default()).collect(),
                })
                .collect(),
        })
    }
}
