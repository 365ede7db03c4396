//! Record framing on disk: `[version: u8][sha256(body): 32 bytes][body: JSON]`.
//!
//! The checksum is verified on every read, so a record damaged on disk (or by a bug) is
//! reported as corrupt instead of being served.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::StoreError;

const ENVELOPE_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 32;

/// Frames `value` for storage.
pub(crate) fn seal<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let body =
        serde_json::to_vec(value).map_err(|error| StoreError::Backend(format!("cannot encode record: {error}")))?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks and decodes a stored record.
pub(crate) fn open<T: DeserializeOwned>(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |reason: &str| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.to_owned(),
    };
    if bytes.len() < HEADER_LEN {
        return Err(corrupt("record shorter than its header"));
    }
    if bytes[0] != ENVELOPE_VERSION {
        return Err(corrupt("unknown record version"));
    }
    let (checksum, body) = (&bytes[1..HEADER_LEN], &bytes[HEADER_LEN..]);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(corrupt("checksum mismatch"));
    }
    serde_json::from_slice(body).map_err(|error| corrupt(&format!("cannot decode: {error}")))
}

/// Frames raw bytes (log entries, which are served byte for byte): the same header, the
/// bytes as they are.
pub(crate) fn seal_raw(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + bytes.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&Sha256::digest(bytes));
    out.extend_from_slice(bytes);
    out
}

/// The bytes framed by [`seal_raw`], checksum verified.
pub(crate) fn open_raw(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    let corrupt = |reason: &str| StoreError::Corrupt { tree, key: display_key(key), reason: reason.to_owned() };
    if bytes.len() < HEADER_LEN || bytes[0] != ENVELOPE_VERSION {
        return Err(corrupt("not a framed record"));
    }
    let (checksum, body) = (&bytes[1..HEADER_LEN], &bytes[HEADER_LEN..]);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(body.to_vec())
}

/// A binary key for messages: a big-endian index as its number, anything else as text.
pub(crate) fn display_key(key: &[u8]) -> String {
    match <[u8; 8]>::try_from(key) {
        Ok(index) => u64::from_be_bytes(index).to_string(),
        Err(_) => String::from_utf8_lossy(key).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips_and_detects_any_flipped_byte(text in ".{0,64}", flip in any::<prop::sample::Index>(), bit in 0u8..8) {
            let framed = seal(&text).unwrap();
            prop_assert_eq!(open::<String>("t", b"k", &framed).unwrap(), text);
            let mut damaged = framed.clone();
            let index = flip.index(damaged.len());
            damaged[index] ^= 1 << bit;
            let is_corrupt = matches!(open::<String>("t", b"k", &damaged), Err(StoreError::Corrupt { .. }));
            prop_assert!(is_corrupt);
        }
    }
}
