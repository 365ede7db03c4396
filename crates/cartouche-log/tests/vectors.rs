//! The RFC 6962 proof vectors of the reference Go implementation (tests/vectors/, see
//! SOURCE.md): every valid proof verifies and every mutated one is refused.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cartouche_log::tree::{Hash, check_consistency, check_inclusion};
use serde_json::Value;

/// A 32-byte hash, or `None` (which the harness counts as a refusal, as the reference
/// refuses a leaf or root of another length).
fn strict_hash(value: &Value) -> Option<Hash> {
    let bytes = STANDARD.decode(value.as_str()?).ok()?;
    Some(Hash(<[u8; 32]>::try_from(bytes.as_slice()).ok()?))
}

/// A root from the consistency vectors. Some carry roots that are not 32 bytes
/// ("don't care" placeholders compared only with each other); this API's hashes are
/// always 32 bytes, so such a value stands in as a tagged SHA-256 of it, which keeps equal values
/// equal and different values different.
fn hash(value: &Value) -> Option<Hash> {
    let bytes = STANDARD.decode(value.as_str()?).ok()?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(hash) => Some(Hash(hash)),
        Err(_) => {
            let mut tagged = b"not a 32-byte hash:".to_vec();
            tagged.extend_from_slice(&bytes);
            Some(Hash(<sha2::Sha256 as sha2::Digest>::digest(&tagged).into()))
        }
    }
}

fn proof(value: &Value) -> Option<Vec<Hash>> {
    match value {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(strict_hash).collect(),
        _ => None,
    }
}

fn vectors(kind: &str) -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(kind);
    let mut out = Vec::new();
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), serde_json::from_str(&text).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn inclusion_vectors() {
    let (mut valid, mut invalid) = (0, 0);
    for (name, vector) in vectors("inclusion") {
        let want_error = vector["wantErr"].as_bool().unwrap();
        let result = (|| {
            let index = vector["leafIdx"].as_u64()?;
            let size = vector["treeSize"].as_u64()?;
            Some(check_inclusion(
                &proof(&vector["proof"])?,
                size,
                strict_hash(&vector["root"])?,
                index,
                strict_hash(&vector["leafHash"])?,
            ))
        })();
        let accepted = matches!(result, Some(Ok(())));
        assert_eq!(accepted, !want_error, "{name}: {result:?}");
        if want_error { invalid += 1 } else { valid += 1 }
    }
    assert!(valid >= 5 && invalid >= 50, "{valid} valid, {invalid} invalid");
}

#[test]
fn consistency_vectors() {
    let (mut valid, mut invalid) = (0, 0);
    for (name, vector) in vectors("consistency") {
        let want_error = vector["wantErr"].as_bool().unwrap();
        let result = (|| {
            let size1 = vector["size1"].as_u64()?;
            let size2 = vector["size2"].as_u64()?;
            Some(check_consistency(
                &proof(&vector["proof"])?,
                size2,
                hash(&vector["root2"])?,
                size1,
                hash(&vector["root1"])?,
            ))
        })();
        let accepted = matches!(result, Some(Ok(())));
        assert_eq!(accepted, !want_error, "{name}: {result:?}");
        if want_error { invalid += 1 } else { valid += 1 }
    }
    assert!(valid >= 3 && invalid >= 30, "{valid} valid, {invalid} invalid");
}
