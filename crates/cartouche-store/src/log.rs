//! What the store appends to the issuance log, built from the records it writes, so that
//! every implementation logs the same entries for the same writes (the conformance suite
//! checks it): issuance, each later status event, each seal key, each plugin version.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cartouche_log::entry::{Event, LogEntry};
use cartouche_model::StatusEvent;
use cartouche_model::canonical::{canonical_sha256_hex, hex};
use sha2::{Digest, Sha256};

use crate::envelope::{display_key, open_raw, seal_raw};
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

/// One leaf of the log as stored: the entry with the tree hashes its append completed
/// (its leaf hash first, then one per level; see `cartouche_log::tree::stored_hashes`),
/// in one checksummed record, so that an append is one insert.
pub(crate) struct LogLeaf {
    pub(crate) hashes: Vec<[u8; 32]>,
    pub(crate) entry: Vec<u8>,
}

impl LogLeaf {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(1 + 32 * self.hashes.len() + self.entry.len());
        body.push(self.hashes.len() as u8);
        for hash in &self.hashes {
            body.extend_from_slice(hash);
        }
        body.extend_from_slice(&self.entry);
        seal_raw(&body)
    }

    pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<Self, StoreError> {
        let body = open_raw("log", key, bytes)?;
        let count = usize::from(*body.first().unwrap_or(&0));
        if count == 0 || body.len() < 1 + 32 * count {
            return Err(StoreError::Corrupt {
                tree: "log",
                key: display_key(key),
                reason: "a log leaf without its hashes".into(),
            });
        }
        let hashes =
            body[1..1 + 32 * count].chunks_exact(32).map(|chunk| chunk.try_into().expect("32 bytes")).collect();
        Ok(Self { hashes, entry: body[1 + 32 * count..].to_vec() })
    }
}

/// The leaf a stored tree hash was stored with, and its position there: the hash at
/// (level, n) completes leaf ((n + 1) << level) - 1. `None` for an index past any leaf.
pub(crate) fn leaf_of_stored_hash(index: u64) -> Option<(u64, u8)> {
    let (level, n) = cartouche_log::tree::split_stored_hash_index(index);
    n.checked_add(1)
        .and_then(|next| next.checked_shl(u32::from(level)))
        .filter(|end| end.leading_zeros() >= u32::from(level))
        .map(|end| (end - 1, level))
}
