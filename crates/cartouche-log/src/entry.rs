//! Log entries: version 1, canonical JSON (sorted keys, no whitespace, as the seal's
//! canonical form), at most 65,535 bytes (the entry bundles' length prefix). The shape is
//! `schemas/log-entry.schema.json`; `LogEntry::from_bytes` refuses any byte string that is
//! not exactly the canonical form of a valid entry, so one event has one leaf hash.

use cartouche_model::EventKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::LogError;

/// The entry format this build writes and reads.
pub const ENTRY_VERSION: u32 = 1;

/// The largest entry: an entry bundle prefixes each entry with a big-endian `u16` length.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// Format version, [`ENTRY_VERSION`].
    pub v: u32,
    /// When the registry recorded the event (the registry's claim; witnesses' cosignature
    /// times bound when it was really logged).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened.
    pub event: Event,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// A certificate was issued.
    Issued {
        /// Its number.
        number: String,
        /// Lower-case hex SHA-256 of the canonical certificate JSON (the seal's `h`).
        certificate_sha256: String,
        /// The seal key's id.
        kid: String,
        /// Lower-case hex SHA-256 of the seal (the compact JWS, ASCII).
        token_sha256: String,
    },
    /// A status event after issuance: revoked, suspended, reinstated, exited, returned.
    Status {
        /// The certificate.
        number: String,
        /// The event.
        kind: EventKind,
    },
    /// A seal key was created, or replaced its country's current key.
    Key {
        /// The country it signs for.
        country: String,
        /// Its id.
        kid: String,
        /// `EdDSA` or `ES256`.
        alg: String,
        /// The public key, base64url without padding (raw Ed25519, or SEC1 P-256).
        public_key: String,
        /// Nothing it signed verifies after this.
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
    },
    /// A rule plugin version was published.
    Plugin {
        /// Plugin id.
        id: String,
        /// Version.
        version: String,
        /// Lower-case hex SHA-256 of the component.
        component_sha256: String,
    },
}

impl LogEntry {
    /// A version-1 entry.
    pub fn new(at: OffsetDateTime, event: Event) -> Self {
        Self { v: ENTRY_VERSION, at: at.replace_nanosecond(0).unwrap_or(at), event }
    }

    /// The canonical bytes, which are logged and hashed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LogError> {
        let bytes = cartouche_model::canonical::to_canonical_json(self)
            .map_err(|error| LogError::malformed("log entry", error.to_string()))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(LogError::malformed("log entry", format!("{} bytes, over {MAX_ENTRY_BYTES}", bytes.len())));
        }
        Ok(bytes)
    }

    /// Parses logged bytes: a known version, and exactly the canonical form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LogError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(LogError::malformed("log entry", "longer than 65,535 bytes"));
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|error| LogError::malformed("log entry", error.to_string()))?;
        if value.get("v").and_then(serde_json::Value::as_u64) != Some(u64::from(ENTRY_VERSION)) {
            return Err(LogError::malformed("log entry", format!("not a version {ENTRY_VERSION} entry")));
        }
        let entry: LogEntry =
            serde_json::from_value(value).map_err(|error| LogError::malformed("log entry", error.to_string()))?;
        if entry.to_bytes()? != bytes {
            return Err(LogError::malformed("log entry", "not in canonical form"));
        }
        Ok(entry)
    }

    /// The certificate the entry is about, if any.
    pub fn number(&self) -> Option<&str> {
        match &self.event {
            Event::Issued { number, .. } | Event::Status { number, .. } => Some(number),
            Event::Key { .. } | Event::Plugin { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued() -> LogEntry {
        LogEntry::new(
            time::macros::datetime!(2026-12-01 10:00:00.5 UTC),
            Event::Issued {
                number: "FR-2026-000001".into(),
                certificate_sha256: "ab".repeat(32),
                kid: "fr-1".into(),
                token_sha256: "cd".repeat(32),
            },
        )
    }

    #[test]
    fn entries_round_trip_in_canonical_form_only() {
        let bytes = issued().to_bytes().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            format!(
                r#"{{"at":"2026-12-01T10:00:00Z","event":{{"certificate_sha256":"{}","kid":"fr-1","number":"FR-2026-000001","token_sha256":"{}","type":"issued"}},"v":1}}"#,
                "ab".repeat(32),
                "cd".repeat(32)
            )
        );
        assert_eq!(LogEntry::from_bytes(&bytes).unwrap(), issued());
        let spaced = String::from_utf8(bytes.clone()).unwrap().replace(",\"v\"", ", \"v\"");
        assert!(LogEntry::from_bytes(spaced.as_bytes()).is_err(), "whitespace is not canonical");
        let v2 = String::from_utf8(bytes).unwrap().replace("\"v\":1", "\"v\":2");
        assert!(matches!(LogEntry::from_bytes(v2.as_bytes()), Err(LogError::Malformed { .. })));
        assert!(LogEntry::from_bytes(br#"{"v":1,"at":"2026-12-01T10:00:00Z","event":{"type":"issued"}}"#).is_err());
        assert!(LogEntry::from_bytes(b"\xff").is_err());
    }

    #[test]
    fn status_entries_name_the_event() {
        let entry = LogEntry::new(
            time::macros::datetime!(2026-12-01 10:00 UTC),
            Event::Status { number: "IT-2026-000002".into(), kind: EventKind::Revoked },
        );
        let bytes = entry.to_bytes().unwrap();
        assert!(std::str::from_utf8(&bytes).unwrap().contains(r#""kind":"revoked""#));
        assert_eq!(LogEntry::from_bytes(&bytes).unwrap().number(), Some("IT-2026-000002"));
    }
}
