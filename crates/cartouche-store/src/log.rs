//! What the store appends to the issuance log, built from the records it writes, so that
//! every implementation logs the same entries for the same writes (the conformance suite
//! checks it): issuance, each later status event, each seal key, each plugin version.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cartouche_log::entry::{Event, LogEntry};
use cartouche_model::StatusEvent;
use cartouche_model::canonical::{canonical_sha256_hex, hex};
use sha2::{Digest, Sha256};

use crate::{CertificateRecord, KeyRecord, PluginRecord, StoreError};

fn bytes(entry: LogEntry) -> Result<Vec<u8>, StoreError> {
    entry.to_bytes().map_err(|error| StoreError::Build(format!("cannot build the log entry: {error}")))
}

/// The issuance entry of a certificate record.
pub fn issued_entry(record: &CertificateRecord) -> Result<Vec<u8>, StoreError> {
    let certificate_sha256 = match &record.certificate_sha256 {
        Some(hash) => hash.clone(),
        None => canonical_sha256_hex(&record.certificate)
            .map_err(|error| StoreError::Build(format!("cannot hash the certificate: {error}")))?,
    };
    bytes(LogEntry::new(
        record.certificate.issued_at,
        Event::Issued {
            number: record.certificate.number.clone(),
            certificate_sha256,
            kid: record.kid.clone(),
            token_sha256: hex(&Sha256::digest(record.token.as_bytes())),
        },
    ))
}

/// The entry of a status event after issuance.
pub fn status_entry(number: &str, event: &StatusEvent) -> Result<Vec<u8>, StoreError> {
    bytes(LogEntry::new(event.at, Event::Status { number: number.to_owned(), kind: event.kind }))
}

/// The entry of a seal key.
pub fn key_entry(key: &KeyRecord) -> Result<Vec<u8>, StoreError> {
    bytes(LogEntry::new(
        key.created_at,
        Event::Key {
            country: key.country.clone(),
            kid: key.kid.clone(),
            alg: key.alg.as_str().to_owned(),
            public_key: URL_SAFE_NO_PAD.encode(&key.public),
            not_after: key.expires_at,
        },
    ))
}

/// The entry of a plugin version.
pub fn plugin_entry(plugin: &PluginRecord) -> Result<Vec<u8>, StoreError> {
    bytes(LogEntry::new(
        plugin.published_at,
        Event::Plugin {
            id: plugin.manifest.id.clone(),
            version: plugin.manifest.version.clone(),
            component_sha256: plugin.sha256.clone(),
        },
    ))
}
