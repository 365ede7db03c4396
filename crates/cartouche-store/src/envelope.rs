//! Record framing on disk: `[version: u8][sha256(body): 32 bytes][body]`, where the body
//! is JSON (version 1) or raw DEFLATE of the JSON (version 2, written since store format 3
//! for records of [`COMPRESS_FROM`] bytes or more when it is smaller: a certificate record
//! shrinks to less than half). Any DEFLATE encoder writes version 2: miniz_oxide did,
//! zlib-rs does now, and both read each other's.
//!
//! The checksum covers the stored body and is verified on every read, before anything is
//! inflated or parsed, so a record damaged on disk (or by a bug) is reported as corrupt
//! instead of being served. Version-1 records written by earlier builds stay readable.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::StoreError;

const ENVELOPE_VERSION: u8 = 1;
const ENVELOPE_DEFLATE: u8 = 2;
const HEADER_LEN: usize = 1 + 32;

/// Records at least this long (as JSON) are stored compressed.
pub(crate) const COMPRESS_FROM: usize = 512;

/// DEFLATE level of zlib-rs: 2, its fastest full search (level 1 is zlib-ng's "quick"
/// strategy, 31% larger on a certificate record; levels above 2 gain about 1% for 6-50%
/// more time). On the FR example's record, against miniz_oxide at level 1 before it:
/// 2,652 bytes instead of 2,833, compressed in 42 us instead of 59 us, inflated in
/// 15 us instead of 17 us (BENCHMARKS.md, issue 14).
const DEFLATE_LEVEL: u32 = 2;

/// Largest record a compressed body may inflate to: far above any record (a plugin
/// publication with its 1 MiB component is the largest), far below harm.
const MAX_INFLATED_BYTES: usize = 64 << 20;

fn frame(version: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(version);
    out.extend_from_slice(&Sha256::digest(body));
    out.extend_from_slice(body);
    out
}

/// Frames `value` for storage.
pub(crate) fn seal<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let body =
        serde_json::to_vec(value).map_err(|error| StoreError::Backend(format!("cannot encode record: {error}")))?;
    if body.len() >= COMPRESS_FROM {
        let packed = deflate(&body)?;
        if packed.len() < body.len() {
            return Ok(frame(ENVELOPE_DEFLATE, &packed));
        }
    }
    Ok(frame(ENVELOPE_VERSION, &body))
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
    if bytes[0] != ENVELOPE_VERSION && bytes[0] != ENVELOPE_DEFLATE {
        return Err(corrupt("unknown record version"));
    }
    let (checksum, body) = (&bytes[1..HEADER_LEN], &bytes[HEADER_LEN..]);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(corrupt("checksum mismatch"));
    }
    let decode =
        |json: &[u8]| serde_json::from_slice(json).map_err(|error| corrupt(&format!("cannot decode: {error}")));
    if bytes[0] == ENVELOPE_DEFLATE {
        let json = inflate(body, MAX_INFLATED_BYTES).map_err(|error| corrupt(&format!("cannot inflate: {error}")))?;
        return decode(&json);
    }
    decode(body)
}

thread_local! {
    /// A compressor per thread, reset for each record: its state (window and hash
    /// tables, about 300 KiB) is allocated once, not once per issuance.
    static COMPRESSOR: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::new(DEFLATE_LEVEL), false));
}

/// Raw DEFLATE of `body`.
fn deflate(body: &[u8]) -> Result<Vec<u8>, StoreError> {
    COMPRESSOR.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        compressor.reset();
        // Raw DEFLATE never grows stored data by more than 5 bytes per 16 KiB block.
        let mut out = Vec::with_capacity(body.len() + body.len() / 1000 + 64);
        let status = compressor
            .compress_vec(body, &mut out, flate2::FlushCompress::Finish)
            .map_err(|error| StoreError::Backend(format!("cannot compress a record: {error}")))?;
        if status != flate2::Status::StreamEnd {
            return Err(StoreError::Backend(format!("cannot compress a record: the stream did not end ({status:?})")));
        }
        Ok(out)
    })
}

/// Inflates raw DEFLATE `body` (from miniz_oxide, which wrote store format 3 before,
/// or zlib-rs), refusing to grow past `limit` bytes and a stream that does not end.
fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut inflater = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(body.len().saturating_mul(3).max(4096).min(limit));
    loop {
        let consumed = usize::try_from(inflater.total_in()).map_err(|_| "offset overflow".to_owned())?;
        let written = out.len();
        let status = inflater
            .decompress_vec(&body[consumed.min(body.len())..], &mut out, flate2::FlushDecompress::Finish)
            .map_err(|error| error.to_string())?;
        if status == flate2::Status::StreamEnd {
            return Ok(out);
        }
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err(format!("it inflates past {limit} bytes"));
            }
            out.reserve_exact(out.len().min(limit - out.len()));
        } else if out.len() == written && inflater.total_in() as usize == consumed {
            return Err("the stream is truncated".to_owned());
        }
    }
}

/// The checksum a framed record declares (not verified: a caller that already opened a
/// record with this checksum knows its content).
pub(crate) fn declared_checksum(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.get(1..HEADER_LEN).and_then(|checksum| checksum.try_into().ok())
}

/// Frames raw bytes (log entries, which are served byte for byte): the same header, the
/// bytes as they are.
pub(crate) fn seal_raw(bytes: &[u8]) -> Vec<u8> {
    frame(ENVELOPE_VERSION, bytes)
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
            prop_assert!(flipped_is_corrupt(&framed, flip, bit));
        }

        #[test]
        fn long_records_are_compressed_and_round_trip_and_any_flipped_byte_is_caught(
            words in prop::collection::vec("[a-z]{1,12}", 100..400),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let text = words.join(" ");
            let framed = seal(&text).unwrap();
            prop_assert_eq!(framed[0], ENVELOPE_DEFLATE);
            prop_assert!(framed.len() < text.len());
            prop_assert_eq!(open::<String>("t", b"k", &framed).unwrap(), text);
            prop_assert!(flipped_is_corrupt(&framed, flip, bit));
        }
    }

    /// Whether `framed` with one bit flipped is refused as corrupt.
    fn flipped_is_corrupt(framed: &[u8], flip: prop::sample::Index, bit: u8) -> bool {
        let mut damaged = framed.to_vec();
        let index = flip.index(damaged.len());
        damaged[index] ^= 1 << bit;
        matches!(open::<String>("t", b"k", &damaged), Err(StoreError::Corrupt { .. }))
    }

    #[test]
    fn records_of_earlier_builds_stay_readable() {
        // Version 1: the JSON as it is, as every build before store format 3 wrote it.
        let text = "a record written before compression ".repeat(40);
        let old = frame(ENVELOPE_VERSION, &serde_json::to_vec(&text).unwrap());
        assert_eq!(open::<String>("t", b"k", &old).unwrap(), text);
        assert_eq!(seal(&text).unwrap()[0], ENVELOPE_DEFLATE, "rewritten compressed");
        assert_eq!(seal(&"short").unwrap()[0], ENVELOPE_VERSION, "short records are not worth it");
    }

    #[test]
    fn records_compressed_by_earlier_builds_inflate_and_a_truncated_stream_is_corrupt() {
        // Store format 3 was written by miniz_oxide at level 1.
        let text = "a record compressed by miniz_oxide, every word of it ".repeat(60);
        let json = serde_json::to_vec(&text).unwrap();
        let old = frame(ENVELOPE_DEFLATE, &miniz_oxide::deflate::compress_to_vec(&json, 1));
        assert_eq!(open::<String>("t", b"k", &old).unwrap(), text);
        let ours = deflate(&json).unwrap();
        assert_eq!(miniz_oxide::inflate::decompress_to_vec(&ours).unwrap(), json, "readable by any inflater");
        let truncated = frame(ENVELOPE_DEFLATE, &ours[..ours.len() / 2]);
        let error = open::<String>("t", b"k", &truncated).unwrap_err();
        assert!(error.to_string().contains("cannot inflate"), "{error}");
        // Exactly at the limit is fine, one byte more is not.
        assert_eq!(inflate(&ours, json.len()).unwrap(), json);
        assert!(inflate(&ours, json.len() - 1).unwrap_err().contains("past"));
    }

    #[test]
    fn a_compressed_body_that_inflates_past_the_limit_is_corrupt_not_an_allocation() {
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; MAX_INFLATED_BYTES + 1], 1);
        let framed = frame(ENVELOPE_DEFLATE, &bomb);
        let error = open::<String>("t", b"k", &framed).unwrap_err();
        assert!(error.to_string().contains("cannot inflate"), "{error}");
    }
}
