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
