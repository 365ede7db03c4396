//! Records both stores keep the same way, and the checks both make on what they read.

use serde::{Deserialize, Serialize};

use cartouche_model::CertificateNumber;
use time::OffsetDateTime;

use crate::{KeyRecord, PhotoRecord, PluginRecord, StoreError, WitnessState};

/// The next number of `country` in `year` after `current`, the last one issued:
/// `(its sequence, its text)`, or `SequenceExhausted`.
pub(crate) fn next_number(country: &str, year: i32, current: u32) -> Result<(u32, String), StoreError> {
    let sequence = current + 1;
    u16::try_from(year)
        .ok()
        .and_then(|year| CertificateNumber::new(country, year, sequence))
        .map(|number| (sequence, number.to_string()))
        .ok_or_else(|| StoreError::SequenceExhausted { country: country.to_owned(), year })
}

/// Whether `new` retires `existing` when it becomes its country's current key: a key of
/// the same country that still signs at the new key's creation.
pub(crate) fn retired_by(existing: &KeyRecord, new: &KeyRecord) -> Option<OffsetDateTime> {
    (existing.country == new.country && existing.retired_at.is_none_or(|until| until > new.created_at))
        .then_some(new.created_at)
}

/// What an idempotency key produced.
#[derive(Serialize, Deserialize)]
pub(crate) struct IdempotencyRecord {
    pub(crate) request_sha256: String,
    pub(crate) number: String,
}

/// Derived bytes (a compiled plugin, federation state), framed like every record.
#[derive(Serialize, Deserialize)]
pub(crate) struct Artifact(#[serde(with = "crate::b64")] pub(crate) Vec<u8>);

/// The latest checkpoint a witness cosigned for one log.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredWitnessState {
    pub(crate) size: u64,
    #[serde(with = "crate::b64")]
    pub(crate) root: Vec<u8>,
}

impl StoredWitnessState {
    pub(crate) fn state(self, origin: &str) -> Result<WitnessState, StoreError> {
        let root = <[u8; 32]>::try_from(self.root.as_slice()).map_err(|_| StoreError::Corrupt {
            tree: "witness",
            key: origin.to_owned(),
            reason: "the root is not 32 bytes".into(),
        })?;
        Ok(WitnessState { size: self.size, root })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// A photo read back: its bytes must have its name's hash.
pub(crate) fn checked_photo(sha256: &str, photo: PhotoRecord) -> Result<PhotoRecord, StoreError> {
    if sha256_hex(&photo.jpeg) != sha256 {
        return Err(StoreError::Corrupt {
            tree: "photos",
            key: sha256.to_owned(),
            reason: "the bytes do not match their hash".into(),
        });
    }
    Ok(photo)
}

/// A plugin read back: its component must have its recorded hash.
pub(crate) fn checked_plugin(key: String, plugin: PluginRecord) -> Result<PluginRecord, StoreError> {
    if sha256_hex(&plugin.component) != plugin.sha256 {
        return Err(StoreError::Corrupt {
            tree: "plugins",
            key,
            reason: "the component does not match its hash".into(),
        });
    }
    Ok(plugin)
}
