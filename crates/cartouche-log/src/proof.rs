//! `c2sp.org/tlog-proof@v1`: an offline proof that an entry is in the log, with the
//! checkpoint (and its cosignatures) it is proved against.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::LogError;
use crate::note::{CosignatureVerifier, LogVerifier, OpenedCheckpoint, open_checkpoint};
use crate::tree::{Hash, check_inclusion, leaf_hash};

/// The first line.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The largest proof accepted (a proof with 64 hashes and 100 cosignatures is far less).
pub const MAX_PROOF_BYTES: usize = 64 * 1024;

/// A tlog proof.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    /// Opaque extra data (not authenticated).
    pub extra: Option<Vec<u8>>,
    /// The entry's index.
    pub index: u64,
    /// The inclusion proof, from the leaf's sibling up.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// The text form.
    pub fn to_text(&self) -> Vec<u8> {
        let mut head = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            head.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        head.push_str(&format!("index {}\n", self.index));
        crate::join_head(&head, &self.hashes, &self.checkpoint)
    }

    /// Parses the text form.
    pub fn parse(bytes: &[u8]) -> Result<Self, LogError> {
        let bad = |reason: &str| LogError::malformed("tlog proof", reason.to_owned());
        let (head, checkpoint) = crate::split_head(bytes, "tlog proof", MAX_PROOF_BYTES)?;
        let checkpoint = checkpoint.to_vec();
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("the first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix("extra ") {
            extra = Some(STANDARD.decode(encoded).map_err(|_| bad("the extra data is not base64"))?);
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line.strip_prefix("index ").ok_or_else(|| bad("no index line"))?;
        let index = crate::parse_decimal(index)
            .ok_or_else(|| bad("the index is not a decimal number without leading zeros"))?;
        let hashes = crate::parse_hash_lines(lines, "tlog proof", 64)?;
        Ok(Self { extra, index, hashes, checkpoint })
    }

    /// Verifies that `entry` is at `index` in the checkpoint, that the log signed the
    /// checkpoint, and which of `witnesses` cosigned it.
    pub fn verify(
        &self,
        entry: &[u8],
        log: &LogVerifier,
        witnesses: &[CosignatureVerifier],
    ) -> Result<OpenedCheckpoint, LogError> {
        let opened = open_checkpoint(&self.checkpoint, log, witnesses)?;
        check_inclusion(
            &self.hashes,
            opened.checkpoint.size(),
            *opened.checkpoint.hash(),
            self.index,
            leaf_hash(entry),
        )?;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::LogSigner;
    use crate::tree::{MemoryTree, inclusion_proof};

    #[test]
    fn proofs_round_trip_and_verify() {
        let log = LogSigner::new("r.example/log", &[3u8; 32]).unwrap();
        let mut tree = MemoryTree::new();
        for i in 0..10u8 {
            tree.push(&[i]).unwrap();
        }
        let note = log.sign(10, tree.root_at(10).unwrap()).unwrap();
        let proof =
            TlogProof { extra: None, index: 4, hashes: inclusion_proof(10, 4, &tree).unwrap(), checkpoint: note };
        let text = proof.to_text();
        assert!(text.starts_with(b"c2sp.org/tlog-proof@v1\nindex 4\n"));
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed, proof);
        parsed.verify(&[4], &log.verifier(), &[]).unwrap();
        assert!(parsed.verify(&[5], &log.verifier(), &[]).is_err());
        let with_extra = TlogProof { extra: Some(b"FR-2026-000001".to_vec()), ..proof };
        assert_eq!(TlogProof::parse(&with_extra.to_text()).unwrap(), with_extra);
        for bad in [
            &b"c2sp.org/tlog-proof@v2\nindex 1\n\nx"[..],
            b"c2sp.org/tlog-proof@v1\nindex 01\n\nx",
            b"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx",
            b"c2sp.org/tlog-proof@v1\nindex 1",
        ] {
            assert!(TlogProof::parse(bad).is_err());
        }
    }
}
