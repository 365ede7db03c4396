//! The verification verdict: `schemas/verdict.schema.json`.
//!
//! A verdict lists every check with its outcome. The rule that turns checks into a
//! verdict lives here, in one place: any failed check makes it INVALID; otherwise any
//! check that could not be made makes it INDETERMINATE; only a full set of passes is VALID.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::lifecycle::CertificateState;
use crate::types::{CountryCode, ExportType, RuleEvaluation, StatusEvent, iso_date, iso_date_option};

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerdictKind {
    /// Every check passed.
    Valid,
    /// At least one check failed.
    Invalid,
    /// Nothing failed, but something could not be checked.
    Indeterminate,
}

impl VerdictKind {
    /// "VALID", "INVALID" or "INDETERMINATE".
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Valid => "VALID",
            VerdictKind::Invalid => "INVALID",
            VerdictKind::Indeterminate => "INDETERMINATE",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Checked and fine.
    Pass,
    /// Checked and wrong.
    Fail,
    /// Could not be checked.
    NotChecked,
}

/// The name of a check: the vocabulary the seal, the core, the pages and the CLI share
/// (each has a title and plain words in the pages' translation table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// `format`.
    Format,
    /// `header`.
    Header,
    /// `key`.
    Key,
    /// `signature`.
    Signature,
    /// `issuing_country`.
    IssuingCountry,
    /// `key_validity`.
    KeyValidity,
    /// `validity_period`.
    ValidityPeriod,
    /// `certificate_hash`.
    CertificateHash,
    /// `registry_status`.
    RegistryStatus,
    /// `log`: the issuance is in the registry's transparency log.
    Log,
    /// `rules`.
    Rules,
    /// `import_rules`.
    ImportRules,
    /// `photo_watch`: the certificate's photos compared with the watch lists' photos.
    PhotoWatch,
}

impl CheckName {
    /// Every check, in the order a verification makes them.
    pub const ALL: [CheckName; 13] = [
        CheckName::Format,
        CheckName::Header,
        CheckName::Key,
        CheckName::Signature,
        CheckName::IssuingCountry,
        CheckName::KeyValidity,
        CheckName::ValidityPeriod,
        CheckName::CertificateHash,
        CheckName::RegistryStatus,
        CheckName::Log,
        CheckName::Rules,
        CheckName::ImportRules,
        CheckName::PhotoWatch,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Format => "format",
            CheckName::Header => "header",
            CheckName::Key => "key",
            CheckName::Signature => "signature",
            CheckName::IssuingCountry => "issuing_country",
            CheckName::KeyValidity => "key_validity",
            CheckName::ValidityPeriod => "validity_period",
            CheckName::CertificateHash => "certificate_hash",
            CheckName::RegistryStatus => "registry_status",
            CheckName::Rules => "rules",
            CheckName::ImportRules => "import_rules",
            CheckName::PhotoWatch => "photo_watch",
            CheckName::Log => "log",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for CheckName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One check of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Its outcome.
    pub outcome: CheckOutcome,
    /// What was found, for a person.
    pub detail: String,
}

impl Check {
    /// A passed check.
    pub fn pass(name: CheckName, detail: impl Into<String>) -> Self {
        Self { name, outcome: CheckOutcome::Pass, detail: detail.into() }
    }
    /// A failed check.
    pub fn fail(name: CheckName, detail: impl Into<String>) -> Self {
        Self { name, outcome: CheckOutcome::Fail, detail: detail.into() }
    }
    /// A check that could not be made.
    pub fn not_checked(name: CheckName, detail: impl Into<String>) -> Self {
        Self { name, outcome: CheckOutcome::NotChecked, detail: detail.into() }
    }
}

/// Folds checks into the overall verdict. No checks at all is INDETERMINATE.
pub fn verdict_of(checks: &[Check]) -> VerdictKind {
    if checks.iter().any(|check| check.outcome == CheckOutcome::Fail) {
        VerdictKind::Invalid
    } else if checks.is_empty() || checks.iter().any(|check| check.outcome == CheckOutcome::NotChecked) {
        VerdictKind::Indeterminate
    } else {
        VerdictKind::Valid
    }
}

/// What an officer needs to see of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSummary {
    /// Type, broad to narrow, joined with " / ".
    pub object_type: String,
    /// Title or subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<String>,
    /// Dating as written.
    pub dating: String,
    /// Dimensions as printed.
    pub dimensions: String,
    /// Quantity.
    pub quantity: u32,
    /// SHA-256 of each photo.
    pub photos: Vec<String>,
}

/// The certificate as the seal states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSummary {
    /// Number.
    pub number: String,
    /// Issuing country.
    pub issuing_country: CountryCode,
    /// Instant of issue.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Last day of validity.
    #[serde(with = "iso_date")]
    pub valid_until: Date,
    /// Definitive or temporary.
    pub export_type: ExportType,
    /// Re-import date of a temporary export.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub reimport_due_date: Option<Date>,
    /// Destination.
    pub destination_country: CountryCode,
    /// SHA-256 of the canonical certificate.
    pub certificate_sha256: String,
    /// The objects.
    pub objects: Vec<ObjectSummary>,
}

/// The registry's view of the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusView {
    /// Current state.
    pub state: CertificateState,
    /// When the event that caused the state was recorded.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub since: Option<OffsetDateTime>,
    /// The reason given with that event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The whole history, oldest first.
    pub events: Vec<StatusEvent>,
}

/// Signature algorithms on the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// Ed25519 (the default).
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
}

impl Algorithm {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
        }
    }
}

/// The key that signed the seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// The key's country.
    pub country: CountryCode,
    /// Algorithm.
    pub alg: Algorithm,
}

/// The answer to "is this certificate genuine and usable?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// VALID, INVALID or INDETERMINATE.
    pub verdict: VerdictKind,
    /// When the checks were made.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// Every check, in the order made.
    pub checks: Vec<Check>,
    /// The certificate as sealed, when the token could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateSummary>,
    /// The registry status, when it was looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusView>,
    /// The signing key, when it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo>,
    /// Rule plugins that ran for this verification.
    pub rules: Vec<RuleEvaluation>,
    /// Possible matches of the certificate's photos with watch-list photos, nearest
    /// first: for a person to compare, side by side.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referrals: Vec<Referral>,
}

/// A certificate photo that looks like a watch-list photo: a referral for a person, never
/// a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// The list's name.
    pub list: String,
    /// The list's version in force.
    pub version: u64,
    /// The date the list is as of.
    #[serde(with = "crate::types::iso_date")]
    pub as_of: time::Date,
    /// Who publishes the list.
    pub source: String,
    /// The entry's reference in the list.
    pub reference: String,
    /// The entry's description.
    pub description: String,
    /// Which object of the certificate (from 0).
    pub object: usize,
    /// The certificate's photo (SHA-256).
    pub photo: String,
    /// The list's photo (SHA-256).
    pub listed_photo: String,
    /// Differing bits of the two photos' perceptual hashes.
    pub distance: u32,
    /// Bits in a hash.
    pub bits: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_serialize_as_their_stable_names() {
        for name in CheckName::ALL {
            assert_eq!(serde_json::to_value(name).unwrap(), serde_json::json!(name.as_str()));
            assert_eq!(name, name.as_str());
        }
    }

    #[test]
    fn verdict_folding() {
        assert_eq!(verdict_of(&[]), VerdictKind::Indeterminate);
        assert_eq!(verdict_of(&[Check::pass(CheckName::Format, "")]), VerdictKind::Valid);
        assert_eq!(
            verdict_of(&[Check::pass(CheckName::Format, ""), Check::not_checked(CheckName::Header, "")]),
            VerdictKind::Indeterminate
        );
        assert_eq!(
            verdict_of(&[
                Check::not_checked(CheckName::Header, ""),
                Check::fail(CheckName::Key, ""),
                Check::pass(CheckName::Format, "")
            ]),
            VerdictKind::Invalid
        );
    }
}
