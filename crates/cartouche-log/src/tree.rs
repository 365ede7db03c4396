//! The RFC 6962 tree: leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left ||
//! right), stored as in Go's `sumdb/tlog` (each append stores the leaf hash and the
//! hashes of the subtrees it completes, at [`stored_hash_index`]). The algorithms are the
//! `tlog_tiles` crate's (a port of the Go code behind sum.golang.org); the checks of
//! proofs that come from outside run under `catch_unwind`, because that crate panics on
//! "internal math errors" and a proof from a peer must never stop a registry.

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use tlog_tiles::{EMPTY_HASH, Error as TreeError, Hash, HashReader, split_stored_hash_index, stored_hash_index};

use crate::LogError;

/// The leaf hash of an entry: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    tlog_tiles::record_hash(entry)
}

/// The hashes to store when appending the leaf `leaf` at index `n`, starting at
/// `stored_hash_index(0, n)`; reads earlier stored hashes through `reader`.
pub fn stored_hashes<R: HashReader>(n: u64, leaf: Hash, reader: &R) -> Result<Vec<Hash>, LogError> {
    guarded(|| tlog_tiles::stored_hashes_for_record_hash(n, leaf, reader))
}

/// The root of the first `size` leaves.
pub fn root<R: HashReader>(size: u64, reader: &R) -> Result<Hash, LogError> {
    guarded(|| tlog_tiles::tree_hash(size, reader))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<R: HashReader>(size: u64, index: u64, reader: &R) -> Result<Vec<Hash>, LogError> {
    guarded(|| tlog_tiles::prove_record(size, index, reader))
}

/// The consistency proof from the tree of `old_size` leaves to the tree of `size`.
pub fn consistency_proof<R: HashReader>(size: u64, old_size: u64, reader: &R) -> Result<Vec<Hash>, LogError> {
    if old_size == 0 || old_size == size {
        return Ok(Vec::new());
    }
    guarded(|| tlog_tiles::prove_tree(size, old_size, reader))
}

/// Checks that `proof` proves leaf `leaf` at `index` in the tree of `size` leaves with
/// root `root`.
pub fn check_inclusion(proof: &[Hash], size: u64, root: Hash, index: u64, leaf: Hash) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::Proof(format!("leaf {index} is not in a tree of {size} leaves")));
    }
    if proof.len() > 64 {
        return Err(LogError::Proof("an inclusion proof has at most 64 hashes".into()));
    }
    guarded(|| tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf))
        .map_err(|_| LogError::Proof(format!("the inclusion proof of leaf {index} does not lead to the root")))
}

/// Checks that `proof` proves the tree (`old_size`, `old_root`) is a prefix of the tree
/// (`size`, `root`). Equal sizes need equal roots and an empty proof; an old size of zero
/// is refused, as by the reference implementation (callers that treat the empty tree as
/// a prefix of everything, like a witness, decide that themselves).
pub fn check_consistency(proof: &[Hash], size: u64, root: Hash, old_size: u64, old_root: Hash) -> Result<(), LogError> {
    if old_size > size {
        return Err(LogError::Proof(format!("the tree shrank from {old_size} to {size} leaves")));
    }
    if old_size == 0 {
        // As the reference implementation: a proof from the empty tree is meaningless.
        // The witness protocol's "old 0" is handled by the witness, not here.
        return Err(LogError::Proof("no consistency proof starts from the empty tree".into()));
    }
    if old_size == size {
        return if proof.is_empty() && old_root == root {
            Ok(())
        } else {
            Err(LogError::Proof(format!("two different roots for the same size {size}")))
        };
    }
    if proof.len() > 64 {
        return Err(LogError::Proof("a consistency proof has at most 64 hashes".into()));
    }
    guarded(|| tlog_tiles::check_tree(&proof.to_vec(), size, root, old_size, old_root)).map_err(|_| {
        LogError::Proof(format!("the tree of {size} leaves is not an extension of the tree of {old_size}"))
    })
}

fn guarded<T>(run: impl FnOnce() -> Result<T, tlog_tiles::Error>) -> Result<T, LogError> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(LogError::Proof(error.to_string())),
        Err(_) => Err(LogError::Proof("the proof arithmetic refused its input".into())),
    }
}

/// A whole tree in memory: the stored hashes of every leaf. Used to recompute a stored
/// log at start, by the monitor, and in benchmarks.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf by its hash; its index.
    pub fn push_leaf(&mut self, leaf: Hash) -> Result<u64, LogError> {
        let index = self.size;
        let new = stored_hashes(index, leaf, self)?;
        debug_assert_eq!(self.hashes.len() as u64, stored_hash_index(0, index));
        self.hashes.extend(new);
        self.size += 1;
        Ok(index)
    }

    /// Appends an entry; its index.
    pub fn push(&mut self, entry: &[u8]) -> Result<u64, LogError> {
        self.push_leaf(leaf_hash(entry))
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        if size > self.size {
            return Err(LogError::Proof(format!("the tree has {} leaves, not {size}", self.size)));
        }
        root(size, self)
    }

    /// The stored hash at `index`.
    pub fn stored(&self, index: u64) -> Option<Hash> {
        self.hashes.get(usize::try_from(index).ok()?).copied()
    }
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|&index| self.stored(index).ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962 by recursion, independent of the stored-hash layout.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_HASH,
            1 => leaves[0],
            n => {
                let k = n.next_power_of_two() / 2;
                tlog_tiles::node_hash(reference_root(&leaves[..k]), reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn memory_tree_roots_and_proofs_agree_with_the_definition() {
        let mut tree = MemoryTree::new();
        let mut leaves = Vec::new();
        for i in 0..70u32 {
            let entry = format!("entry {i}");
            leaves.push(leaf_hash(entry.as_bytes()));
            tree.push(entry.as_bytes()).unwrap();
        }
        for size in 0..=70u64 {
            let root_at = tree.root_at(size).unwrap();
            assert_eq!(root_at, reference_root(&leaves[..size as usize]), "size {size}");
            for index in (0..size).step_by(7) {
                let proof = inclusion_proof(size, index, &tree).unwrap();
                check_inclusion(&proof, size, root_at, index, leaves[index as usize]).unwrap();
                assert!(check_inclusion(&proof, size, root_at, index, leaves[0]).is_err() || index == 0);
            }
            for old in (1..size).step_by(5) {
                let proof = consistency_proof(size, old, &tree).unwrap();
                check_consistency(&proof, size, root_at, old, tree.root_at(old).unwrap()).unwrap();
                assert!(check_consistency(&proof, size, root_at, old, leaves[0]).is_err() || old == 1);
            }
        }
        assert!(check_consistency(&[], 5, tree.root_at(5).unwrap(), 6, EMPTY_HASH).is_err());
        assert!(check_consistency(&[], 5, tree.root_at(5).unwrap(), 5, tree.root_at(4).unwrap()).is_err());
    }
}
