//! The registry's issuance log: an append-only Merkle tree (RFC 6962) of every event that
//! changes what a verifier should conclude, served as C2SP tlog-tiles with signed
//! checkpoints (C2SP tlog-checkpoint over signed-note), witness cosignatures
//! (tlog-cosignature, tlog-witness) and offline proofs (tlog-proof).
//!
//! - [`entry`]: the versioned, canonical entry format (`schemas/log-entry.schema.json`);
//! - [`tree`]: hashing, stored hashes, inclusion and consistency proofs (from the
//!   `tlog_tiles` crate, wrapped so that hostile input cannot panic);
//! - [`note`]: the log's signing key, verifier keys (`vkey`), checkpoints and Ed25519
//!   cosignatures (notes parsed by the `signed_note` crate);
//! - [`tiles`]: tile paths and entry bundles;
//! - [`proof`]: the `c2sp.org/tlog-proof@v1` text;
//! - [`witness`]: the `add-checkpoint` request and the witness's decision.
//!
//! No IO and no clock: callers pass time and storage in.

pub mod entry;
pub mod note;
pub mod proof;
pub mod tiles;
pub mod tree;
pub mod witness;

pub use entry::LogEntry;
pub use note::{Checkpoint, CosignatureVerifier, Cosigner, LogSigner, LogVerifier, OpenedCheckpoint};
pub use tree::Hash;

/// What can go wrong with log data from anywhere: the store, a peer, a witness, a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// Bytes that are not what the format says.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read (checkpoint, proof, vkey, tile path, entry).
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A signature did not verify, or the expected signer did not sign.
    #[error("{0}")]
    Signature(String),
    /// A proof does not prove what it claims.
    #[error("{0}")]
    Proof(String),
    /// Stored data cannot be read.
    #[error("{0}")]
    Storage(String),
}

impl LogError {
    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        LogError::Malformed { what, reason: reason.into() }
    }
}

/// A decimal number as the C2SP formats write it: ASCII digits without a leading zero
/// (except `0` itself), within u64.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    let canonical =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// `head` (its lines, each ending with a newline), the hashes in base64 one per line, a
/// blank line, then the signed checkpoint: the shape of a tlog-proof and of an
/// add-checkpoint request.
pub(crate) fn join_head(head: &str, hashes: &[tree::Hash], checkpoint: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut out = head.to_owned();
    for hash in hashes {
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(hash.0));
        out.push('\n');
    }
    out.push('\n');
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(checkpoint);
    bytes
}

/// Splits `<header lines>` + blank line + `<signed checkpoint>` (the shape of a tlog-proof
/// and of an add-checkpoint request): the header as text, the note as bytes.
pub(crate) fn split_head<'a>(bytes: &'a [u8], what: &'static str, max: usize) -> Result<(&'a str, &'a [u8]), LogError> {
    if bytes.len() > max {
        return Err(LogError::malformed(what, format!("longer than {} KiB", max / 1024)));
    }
    let split = bytes
        .windows(2)
        .position(|pair| pair == b"\n\n")
        .ok_or_else(|| LogError::malformed(what, "no blank line before the checkpoint"))?;
    let head = std::str::from_utf8(&bytes[..split]).map_err(|_| LogError::malformed(what, "not UTF-8"))?;
    Ok((head, &bytes[split + 2..]))
}

/// Base64 hash lines, at most `max` of them.
pub(crate) fn parse_hash_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
    what: &'static str,
    max: usize,
) -> Result<Vec<tree::Hash>, LogError> {
    use base64::Engine;
    let mut hashes = Vec::new();
    for line in lines {
        if hashes.len() == max {
            return Err(LogError::malformed(what, format!("more than {max} proof hashes")));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(line)
            .map_err(|_| LogError::malformed(what, "a proof line is not base64"))?;
        let hash = <[u8; 32]>::try_from(decoded.as_slice())
            .map_err(|_| LogError::malformed(what, "a proof line is not a 32-byte hash"))?;
        hashes.push(tree::Hash(hash));
    }
    Ok(hashes)
}
