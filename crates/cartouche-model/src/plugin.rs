//! What rule plugins are published with and evaluated on: the manifest, the input they see
//! ([`RuleSubject`]), and the case files (`cases.json`) that must pass before a plugin is
//! activated. Shapes: `schemas/plugin-manifest.schema.json`, `schemas/plugin-cases.schema.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::reference::ReferenceData;
use crate::types::{Application, RuleEvaluation, RulePhase, Severity, iso_date, iso_date_option};

/// Jurisdiction of a plugin that applies in every EU member state.
pub const EU: &str = "EU";
/// Jurisdiction of a plugin that applies everywhere (CITES, watch lists).
pub const INTERNATIONAL: &str = "INT";

/// The 27 EU member states (ISO 3166-1 alpha-2).
pub const EU_MEMBERS: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Whether `country` is an EU member state.
pub fn is_eu_member(country: &str) -> bool {
    EU_MEMBERS.contains(&country)
}

/// Whether a plugin of `jurisdiction` applies to `country`: its own country, the EU for a
/// member state, and international plugins everywhere.
pub fn jurisdiction_covers(jurisdiction: &str, country: &str) -> bool {
    jurisdiction == country || jurisdiction == INTERNATIONAL || (jurisdiction == EU && is_eu_member(country))
}

/// Whether `text` is a valid plugin id: 3 to 64 of `a-z 0-9 -`, starting with a letter.
pub fn is_plugin_id(text: &str) -> bool {
    (3..=64).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `text` is a jurisdiction: a country code, `EU` or `INT`.
pub fn is_jurisdiction(text: &str) -> bool {
    crate::is_country_code(text) || text == INTERNATIONAL
}

/// What a publisher declares about a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginManifest {
    /// Stable id (`it-export`).
    pub id: String,
    /// Country code, `EU` or `INT`.
    pub jurisdiction: String,
    /// Semantic version; published versions are immutable.
    pub version: String,
    /// Phases the plugin has rules for.
    pub phases: Vec<RulePhase>,
    /// First day the plugin is used (it is active from then until a later version's).
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// What it checks, by language tag; `en` is required.
    pub descriptions: BTreeMap<String, String>,
    /// Where the rules come from (the legal source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// SHA-256 of the component, if the publisher pins it (checked at publish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What the plugin asks of the host instead of the defaults, within the operator's
    /// ceilings (an interpreter needs more memory, fuel and time than compiled Rust).
    #[serde(default, skip_serializing_if = "RequestedLimits::is_empty")]
    pub limits: RequestedLimits,
}

/// The limits a plugin asks for; each absent one is the host's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestedLimits {
    /// Linear memory per call, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u32>,
    /// Instructions (wasmtime fuel) per call, before the allowance per byte of input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// More instructions per byte of certificate JSON (an interpreter parses JSON at a few
    /// hundred instructions a byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_per_input_byte: Option<u64>,
    /// Wall-clock deadline per call, in milliseconds (a backstop: fuel decides first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
}

impl RequestedLimits {
    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A published plugin version as the registry keeps it: the manifest, the component, the
/// cases it passed, and who published it. Immutable once stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPlugin {
    /// The manifest as published.
    pub manifest: PluginManifest,
    /// Lower-case hex SHA-256 of `component`.
    pub sha256: String,
    /// The WebAssembly component.
    #[serde(with = "base64_bytes")]
    pub component: Vec<u8>,
    /// The case file it passed (JSON).
    pub cases: String,
    /// Who published it.
    pub published_by: crate::Actor,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: time::OffsetDateTime,
}

/// Bytes as standard base64 with padding (how the registry has always stored components).
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// What a plugin evaluates: the certificate, or at issuance the application with the
/// issue date and no number yet. Field pointers are the same in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "crate::types::FlatWire")]
pub struct RuleSubject {
    /// The certificate number (absent at issuance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The date of issue (at issuance, the evaluation date).
    #[serde(with = "iso_date")]
    pub issue_date: Date,
    /// When it was issued (absent at issuance).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<time::OffsetDateTime>,
    /// The application as submitted or certified.
    #[serde(flatten)]
    pub application: Application,
    /// Rules that ran at issuance (absent at issuance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_evaluations: Vec<RuleEvaluation>,
}

/// Read without `flatten`'s intermediate tree (see [`crate::types::FlatWire`]).
impl From<crate::types::FlatWire> for RuleSubject {
    fn from(wire: crate::types::FlatWire) -> Self {
        let (number, issue_date, issued_at, rule_evaluations, application) = wire.split();
        RuleSubject {
            number,
            issue_date,
            issued_at,
            application,
            rule_evaluations: rule_evaluations.unwrap_or_default(),
        }
    }
}

/// A file of cases a plugin must pass: shared reference data, named base applications,
/// and cases that patch a base and expect findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The plugin id these cases are for.
    pub plugin: String,
    /// Reference data the cases run with (rates, watch lists), instead of the operator's.
    #[serde(default)]
    pub reference: ReferenceData,
    /// Named applications the cases start from.
    pub bases: BTreeMap<String, serde_json::Value>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What it shows, e.g. "painting worth exactly EUR 13,500: no ALC".
    pub name: String,
    /// The base application.
    pub base: String,
    /// An RFC 6902 JSON Patch applied to the base.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<serde_json::Value>,
    /// The phase.
    pub phase: RulePhase,
    /// The evaluation date.
    #[serde(with = "iso_date")]
    pub date: Date,
    /// The checkpoint country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_country: Option<String>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// The issue date of the certificate, if not the evaluation date.
    #[serde(default, with = "iso_date_option", skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
    /// The findings expected, in any order (messages are not compared).
    pub expect: Vec<ExpectedFinding>,
}

/// A finding a case expects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    /// Its code.
    pub code: String,
    /// Its severity.
    pub severity: Severity,
    /// Its field pointer, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Why a case could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The base is not in the file.
    #[error("case {case:?}: there is no base named {base:?}")]
    UnknownBase {
        /// The case.
        case: String,
        /// The base named.
        base: String,
    },
    /// The patch does not apply.
    #[error("case {case:?}: the patch does not apply: {message}")]
    Patch {
        /// The case.
        case: String,
        /// What went wrong.
        message: String,
    },
    /// The patched document is not an application.
    #[error("case {case:?}: the patched base is not a valid application: {message}")]
    NotAnApplication {
        /// The case.
        case: String,
        /// What went wrong.
        message: String,
    },
}

impl Case {
    /// The subject this case evaluates: its base, patched, as a [`RuleSubject`].
    pub fn subject(&self, file: &CaseFile) -> Result<RuleSubject, CaseError> {
        let mut document = file
            .bases
            .get(&self.base)
            .cloned()
            .ok_or_else(|| CaseError::UnknownBase { case: self.name.clone(), base: self.base.clone() })?;
        let patch: json_patch::Patch = serde_json::from_value(serde_json::Value::Array(self.patch.clone()))
            .map_err(|error| CaseError::Patch { case: self.name.clone(), message: error.to_string() })?;
        json_patch::patch(&mut document, &patch)
            .map_err(|error| CaseError::Patch { case: self.name.clone(), message: error.to_string() })?;
        let application: Application = serde_json::from_value(document)
            .map_err(|error| CaseError::NotAnApplication { case: self.name.clone(), message: error.to_string() })?;
        Ok(RuleSubject {
            number: None,
            issue_date: self.issue_date.unwrap_or(self.date),
            issued_at: None,
            application,
            rule_evaluations: Vec::new(),
        })
    }
}

/// The findings a run produced, reduced to what cases compare, sorted.
pub fn comparable(findings: impl IntoIterator<Item = ExpectedFinding>) -> Vec<ExpectedFinding> {
    let mut list: Vec<ExpectedFinding> = findings.into_iter().collect();
    list.sort();
    list
}
