//! The witness side of C2SP tlog-witness: the `add-checkpoint` request and the decision,
//! as a pure function of the request, the log's key and the witness's last cosigned
//! checkpoint for that origin. The caller keeps that state and must compare-and-set it
//! atomically (the spec's race between two requests).

use crate::LogError;
use crate::note::{Checkpoint, LogVerifier, open_checkpoint};
use crate::tree::{EMPTY_HASH, Hash, check_consistency};

/// The largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    /// The size the client believes the witness last cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
}

impl AddCheckpoint {
    /// The request body.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::join_head(&format!("old {}\n", self.old_size), &self.proof, &self.checkpoint)
    }

    /// Parses a request body (a malformed one is a 400).
    pub fn parse(bytes: &[u8]) -> Result<Self, LogError> {
        let bad = |reason: &str| LogError::malformed("add-checkpoint request", reason.to_owned());
        let (head, checkpoint) = crate::split_head(bytes, "add-checkpoint request", MAX_REQUEST_BYTES)?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .ok_or_else(|| bad("the first line is not `old <size>`"))?;
        let old_size = crate::parse_decimal(old)
            .ok_or_else(|| bad("the old size is not a decimal number without leading zeros"))?;
        let proof = crate::parse_hash_lines(lines, "add-checkpoint request", 63)?;
        Ok(Self { old_size, proof, checkpoint: checkpoint.to_vec() })
    }

    /// The checkpoint's origin line, read before any signature is checked (to find the
    /// log's key).
    pub fn origin(&self) -> Result<String, LogError> {
        let note = signed_note::Note::from_bytes(&self.checkpoint)
            .map_err(|error| LogError::malformed("checkpoint note", error.to_string()))?;
        let checkpoint = Checkpoint::from_bytes(note.text())
            .map_err(|_| LogError::malformed("checkpoint", "not origin, size and root hash lines"))?;
        Ok(checkpoint.origin().to_owned())
    }
}

/// The latest checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WitnessState {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: [u8; 32],
}

/// Why a witness refuses, with the status the spec gives each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: malformed, or an old size above the checkpoint's.
    #[error("{0}")]
    BadRequest(String),
    /// 403: no valid signature from the log's key.
    #[error("{0}")]
    Forbidden(String),
    /// 404: a log this witness does not witness.
    #[error("this witness does not witness the log {0:?}")]
    UnknownLog(String),
    /// 409: the old size is not the witness's latest; carries that size.
    #[error("the witness's latest cosigned size for this log is {0}")]
    Conflict(u64),
    /// 422: the proof does not verify, or the root of a size already seen differs.
    #[error("{0}")]
    Unprocessable(String),
}

/// What to cosign: the checkpoint text, and the state to record (atomically with the
/// check that the state is still `latest`).
#[derive(Debug)]
pub struct Accepted {
    /// The checkpoint's signed text.
    pub text: Vec<u8>,
    /// The new state.
    pub state: WitnessState,
}

/// Decides an `add-checkpoint` request for a known log.
pub fn decide(request: &AddCheckpoint, log: &LogVerifier, latest: Option<WitnessState>) -> Result<Accepted, Refusal> {
    let opened = open_checkpoint(&request.checkpoint, log, &[]).map_err(|error| match error {
        LogError::Malformed { .. } => Refusal::BadRequest(error.to_string()),
        other => Refusal::Forbidden(other.to_string()),
    })?;
    let size = opened.checkpoint.size();
    let root = *opened.checkpoint.hash();
    if request.old_size > size {
        return Err(Refusal::BadRequest(format!(
            "the old size {} is above the checkpoint's size {size}",
            request.old_size
        )));
    }
    let latest_size = latest.map_or(0, |state| state.size);
    if request.old_size != latest_size {
        return Err(Refusal::Conflict(latest_size));
    }
    if size == 0 && root != EMPTY_HASH {
        return Err(Refusal::Unprocessable("a checkpoint of size 0 must have the empty tree's root".into()));
    }
    let old_root = latest.map_or(EMPTY_HASH, |state| Hash(state.root));
    if request.old_size == 0 {
        if !request.proof.is_empty() {
            return Err(Refusal::Unprocessable("a proof from the old size 0 must be empty".into()));
        }
    } else {
        check_consistency(&request.proof, size, root, request.old_size, old_root)
            .map_err(|error| Refusal::Unprocessable(error.to_string()))?;
    }
    Ok(Accepted { text: opened.text, state: WitnessState { size, root: root.0 } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::LogSigner;
    use crate::tree::{MemoryTree, consistency_proof};

    #[test]
    fn the_witness_follows_the_spec() {
        let log = LogSigner::new("r.example/log", &[5u8; 32]).unwrap();
        let verifier = log.verifier();
        let mut tree = MemoryTree::new();
        for i in 0..9u8 {
            tree.push(&[i]).unwrap();
        }
        let note4 = log.sign(4, tree.root_at(4).unwrap()).unwrap();
        let first = AddCheckpoint { old_size: 0, proof: vec![], checkpoint: note4.clone() };
        assert_eq!(AddCheckpoint::parse(&first.to_bytes()).unwrap(), first);
        assert_eq!(first.origin().unwrap(), "r.example/log");
        let state = decide(&first, &verifier, None).unwrap().state;
        assert_eq!(state.size, 4);

        let note9 = log.sign(9, tree.root_at(9).unwrap()).unwrap();
        let good =
            AddCheckpoint { old_size: 4, proof: consistency_proof(9, 4, &tree).unwrap(), checkpoint: note9.clone() };
        assert_eq!(decide(&good, &verifier, Some(state)).unwrap().state.size, 9);
        // A stale old size: 409 with the witness's size.
        let stale = AddCheckpoint { old_size: 0, proof: vec![], checkpoint: note9.clone() };
        assert_eq!(decide(&stale, &verifier, Some(state)).unwrap_err(), Refusal::Conflict(4));
        // A bad proof: 422.
        let forged = AddCheckpoint { old_size: 4, proof: consistency_proof(9, 3, &tree).unwrap(), checkpoint: note9 };
        assert!(matches!(decide(&forged, &verifier, Some(state)), Err(Refusal::Unprocessable(_))));
        // The same size with another root: 422 (a fork).
        let fork = log.sign(4, tree.root_at(5).unwrap()).unwrap();
        let fork = AddCheckpoint { old_size: 4, proof: vec![], checkpoint: fork };
        assert!(matches!(decide(&fork, &verifier, Some(state)), Err(Refusal::Unprocessable(_))));
        // Another key: 403. Old size above the size: 400.
        let impostor = LogSigner::new("r.example/log", &[6u8; 32]).unwrap();
        let signed_by_other = AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: impostor.sign(4, tree.root_at(4).unwrap()).unwrap(),
        };
        assert!(matches!(decide(&signed_by_other, &verifier, None), Err(Refusal::Forbidden(_))));
        let above = AddCheckpoint { old_size: 5, proof: vec![], checkpoint: note4 };
        assert!(matches!(decide(&above, &verifier, Some(state)), Err(Refusal::BadRequest(_))));
        assert!(AddCheckpoint::parse(b"old 01\n\nx").is_err());
        assert!(AddCheckpoint::parse(b"new 1\n\nx").is_err());
    }
}
