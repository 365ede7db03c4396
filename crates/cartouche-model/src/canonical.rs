//! Canonical JSON: the exact bytes that are hashed into a seal.
//!
//! Object keys are sorted (by UTF-16 code units, as in RFC 8785 JCS; the same as byte
//! order for the ASCII keys the schemas use), no insignificant whitespace, strings
//! escaped by serde_json (which matches JCS), integers as integers. Floats only appear in
//! measurements and are written in serde_json's shortest round-trip form. The writer does
//! not depend on serde_json's map ordering, so a `preserve_order` feature turned on by
//! another crate cannot change the hash.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serializes `value` to canonical JSON bytes.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(1024);
    write_value(&value, &mut out)?;
    Ok(out)
}

/// The SHA-256 of the canonical JSON of `value`, as lower-case hex.
pub fn canonical_sha256_hex<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    Ok(hex(&Sha256::digest(to_canonical_json(value)?)))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            // serde_json's map iterates in byte order of the keys (this workspace does not
            // enable `preserve_order`; `a_map_in_byte_order_is_written_in_utf16_order`
            // fails if it does). Byte order is UTF-16 order unless a key holds a character
            // from U+E000 up (UTF-8 lead byte 0xEE or more): only then are they sorted.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if map.keys().any(|key| key.bytes().any(|byte| byte >= 0xEE)) {
                entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            }
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_value(item, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_removed() {
        let value = json!({"b": [1, {"z": true, "a": null}], "a": "x\n\u{1}", "é": 1, "Z": 2});
        let bytes = to_canonical_json(&value).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"Z":2,"a":"x\n\u0001","b":[1,{"a":null,"z":true}],"é":1}"#);
    }

    #[test]
    fn a_map_in_byte_order_is_written_in_utf16_order() {
        // Keys in ASCII and the BMP below U+E000 need no sort; a supplementary character
        // (U+1F600, UTF-16 D83D DE00) sorts before U+E000-U+FFFF (here U+FF01).
        let value = json!({"b": 1, "a": 2, "é": 3, "\u{FF01}": 4, "\u{1F600}": 5, "Z": 6});
        let bytes = to_canonical_json(&value).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"Z\":6,\"a\":2,\"b\":1,\"é\":3,\"\u{1F600}\":5,\"\u{FF01}\":4}"
        );
        let ascii = json!({"z": 1, "a": {"y": 2, "b": 3}});
        assert_eq!(String::from_utf8(to_canonical_json(&ascii).unwrap()).unwrap(), r#"{"a":{"b":3,"y":2},"z":1}"#);
        // The byte order this relies on (no `preserve_order` in the workspace):
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert!(keys.windows(2).all(|pair| pair[0].as_bytes() < pair[1].as_bytes()), "{keys:?}");
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Canonical JSON parses back to the same value, and re-canonicalising it gives the
        /// same bytes: the hash of a certificate survives a store round trip.
        #[test]
        fn canonical_json_round_trips(value in arbitrary_json()) {
            let bytes = to_canonical_json(&value).unwrap();
            let parsed: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(&parsed, &value);
            prop_assert_eq!(to_canonical_json(&parsed).unwrap(), bytes);
        }
    }
}
