//! The issuance log's use-cases: signing checkpoints (never two inconsistent ones),
//! serving tiles and the checkpoint, proofs of a certificate's issuance, the verdict's
//! `log` check, witnessing other registries' logs, collecting cosignatures from this
//! registry's witnesses, and the check of the whole log at start.
//!
//! The store appends the entries (in the same transaction as each event); this module
//! never writes one.

use std::sync::{Arc, Mutex};

use cartouche_log::note::{CosignatureVerifier, Cosigner, LogSigner, LogVerifier, OpenedCheckpoint, open_checkpoint};
use cartouche_log::proof::TlogProof;
use cartouche_log::tiles::{TileKind, TilePath};
use cartouche_log::tree::{self, MemoryTree, leaf_hash, stored_hash_index};
use cartouche_log::witness::{AddCheckpoint, Refusal};
use cartouche_log::{LogEntry, entry::Event};
use cartouche_model::{Check, CheckName};
use cartouche_store::{CertificateRecord, Store, StoreError, StoreHashes};
use time::OffsetDateTime;

use crate::audit::{AuditAction, Outcome};

pub use cartouche_log::witness::Refusal as WitnessRefusal;

/// The largest `add-checkpoint` body a witness reads.
pub const MAX_WITNESS_REQUEST_BYTES: usize = cartouche_log::witness::MAX_REQUEST_BYTES;
use crate::{Core, CoreError, ErrorKind};

/// A witness this registry asks for cosignatures.
#[derive(Clone)]
pub struct WitnessPeer {
    /// Its submission prefix (`https://other.example/witness`); `/add-checkpoint` is
    /// appended.
    pub url: String,
    /// Its cosignature key.
    pub verifier: CosignatureVerifier,
}

/// Log settings.
#[derive(Clone, Default)]
pub struct LogSettings {
    /// The witnesses to ask for cosignatures.
    pub witnesses: Vec<WitnessPeer>,
    /// How many of them must have cosigned the checkpoint that covers an issuance for
    /// the `log` check to pass (0: the log's own signature is enough).
    pub quorum: usize,
    /// The logs this registry witnesses (their verifier keys).
    pub witnessed: Vec<LogVerifier>,
}

impl LogSettings {
    /// Parses `URL=VKEY` witness arguments, `VKEY` witnessed logs and the quorum.
    pub fn parse(witnesses: &[String], quorum: usize, witnessed: &[String]) -> Result<Self, CoreError> {
        let invalid = |message: String| CoreError::invalid("invalid_log_setting", message);
        let mut peers = Vec::new();
        for argument in witnesses {
            let (url, vkey) =
                argument.split_once('=').ok_or_else(|| invalid(format!("a witness is URL=VKEY, not {argument:?}")))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(format!("the witness URL {url:?} is not http(s)")));
            }
            let verifier = CosignatureVerifier::from_vkey(vkey)
                .map_err(|error| invalid(format!("the witness key {vkey:?}: {error}")))?;
            peers.push(WitnessPeer { url: url.trim_end_matches('/').to_owned(), verifier });
        }
        if quorum > peers.len() {
            return Err(invalid(format!(
                "a quorum of {quorum} needs at least {quorum} witnesses, {} given",
                peers.len()
            )));
        }
        let witnessed = witnessed
            .iter()
            .map(|vkey| LogVerifier::from_vkey(vkey).map_err(|error| invalid(format!("the log key {vkey:?}: {error}"))))
            .collect::<Result<_, _>>()?;
        Ok(Self { witnesses: peers, quorum, witnessed })
    }
}

/// The log's keys and settings, held by the core.
pub(crate) struct LogState {
    signer: LogSigner,
    cosigner: Cosigner,
    settings: LogSettings,
    /// Serialises checkpoint signing and cosignature collection; holds the size each
    /// witness last acknowledged (`None`: not known yet).
    checkpointing: Mutex<Vec<Option<u64>>>,
    /// The last checkpoint note opened, to verify its signatures once, not at every
    /// verification.
    opened: Mutex<Option<(Vec<u8>, Arc<OpenedCheckpoint>)>>,
    /// Full tiles, which never change, by path (at most [`TILE_CACHE`] of them).
    full_tiles: Mutex<std::collections::HashMap<String, Arc<Vec<u8>>>>,
    /// Stored hashes read for inclusion proofs, by storage index: a hash never changes
    /// once stored (the log is append-only), so what was read once is not read again.
    /// At most [`HASH_CACHE`], least recently used first out.
    hashes: Mutex<lru::LruCache<u64, tree::Hash>>,
}

/// How many stored hashes are kept (about 60 bytes each with the cache's own: 3.8 MiB).
/// A proof in a log of n entries reads about log2(n) of them, and those near the root are
/// shared by every proof.
const HASH_CACHE: usize = 65_536;

/// Reads stored hashes through [`LogState::hashes`].
struct KeptHashes<'a> {
    store: &'a dyn Store,
    kept: &'a Mutex<lru::LruCache<u64, tree::Hash>>,
}

impl tree::HashReader for KeptHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tree::Hash>, tree::TreeError> {
        let mut found: Vec<Option<tree::Hash>> = {
            let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            indexes.iter().map(|index| kept.get(index).copied()).collect()
        };
        let missing: Vec<u64> =
            indexes.iter().zip(&found).filter(|(_, hash)| hash.is_none()).map(|(index, _)| *index).collect();
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let read = StoreHashes(self.store).read_hashes(&missing)?;
        if read.len() != missing.len() {
            return Err(tree::TreeError::InvalidInput(format!(
                "asked the store for {} hashes, got {}",
                missing.len(),
                read.len()
            )));
        }
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut read = read.into_iter();
        for (index, slot) in indexes.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                let hash = read.next().expect("as many hashes as missing indexes");
                kept.put(*index, hash);
                *slot = Some(hash);
            }
        }
        Ok(found.into_iter().flatten().collect())
    }
}

/// How many full tiles are kept in memory (an entry bundle is at most 256 entries of a
/// few hundred bytes, a hash tile 8 KiB: a few MiB in all).
const TILE_CACHE: usize = 64;

/// The key name a public URL gives: `https://cartouche.example.org/` → `cartouche.example.org`.
fn host_name(public_url: &str) -> String {
    let rest = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    rest.trim_end_matches('/').replace(|c: char| c.is_whitespace() || c == '+', "-")
}

pub(crate) fn service_key(
    store: &dyn Store,
    vault: &crate::vault::KeyVault,
    purpose: &str,
    name: String,
    now: OffsetDateTime,
) -> Result<(String, crate::vault::ServiceKeyHandle), CoreError> {
    let key = match store.service_key(purpose)? {
        Some(key) => key,
        None => {
            let key = vault.new_service_key(purpose, name, now)?;
            let detail = format!("{purpose} key {} ({})", key.name, key.custody.kind());
            let actor = crate::bootstrap::system_actor("bootstrap");
            let entry = crate::audit::entry(now, Some(&actor), AuditAction::KeyCreate, purpose, Outcome::Ok, &detail);
            store.create_service_key(key, entry)?
        }
    };
    let handle = vault.open_service_key(&key)?;
    Ok((key.name, handle))
}

impl LogState {
    /// Loads the log and witness keys, creating them on first start.
    pub(crate) fn open(
        store: &dyn Store,
        public_url: &str,
        settings: LogSettings,
        vault: &crate::vault::KeyVault,
        now: OffsetDateTime,
    ) -> Result<Self, CoreError> {
        let host = host_name(public_url);
        let (log_name, log_secret) = service_key(store, vault, "log", format!("{host}/log"), now)?;
        let (witness_name, witness_secret) = service_key(store, vault, "witness", format!("{host}/witness"), now)?;
        use crate::vault::ServiceKeyHandle;
        let internal = |error: cartouche_log::LogError| CoreError::internal(error.to_string());
        let signer = match log_secret {
            ServiceKeyHandle::Local(secret) => LogSigner::new(&log_name, &secret),
            ServiceKeyHandle::External(public, signer) => LogSigner::external(&log_name, &public, signer),
        }
        .map_err(internal)?;
        let cosigner = match witness_secret {
            ServiceKeyHandle::Local(secret) => Cosigner::new(&witness_name, &secret),
            ServiceKeyHandle::External(public, signer) => Cosigner::external(&witness_name, &public, signer),
        }
        .map_err(internal)?;
        let checkpointing = Mutex::new(vec![None; settings.witnesses.len()]);
        Ok(Self {
            signer,
            cosigner,
            settings,
            checkpointing,
            opened: Mutex::new(None),
            full_tiles: Mutex::new(std::collections::HashMap::new()),
            hashes: Mutex::new(lru::LruCache::new(std::num::NonZeroUsize::new(HASH_CACHE).expect("not zero"))),
        })
    }
}

/// A tile's bytes and whether it may be cached for ever.
pub struct Tile {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// A full tile never changes.
    pub immutable: bool,
}

/// What the start-up check found.
#[derive(Debug)]
pub struct LogHealth {
    /// Entries in the log.
    pub size: u64,
    /// Size of the last signed checkpoint (0 if none).
    pub checkpoint_size: u64,
}

/// What collecting cosignatures did for one witness.
#[derive(Debug)]
pub struct WitnessOutcome {
    /// The witness's name.
    pub witness: String,
    /// Cosigned, or why not.
    pub result: Result<u64, String>,
}

/// The log failed an integrity check: the cause is logged (and printed by `serve` when it
/// refuses to start), never shown to a client.
fn damaged(cause: String) -> CoreError {
    CoreError::new(
        ErrorKind::Internal,
        "log_damaged",
        "the registry's log failed its integrity check; the operator has been alerted in the log",
    )
    .with_internal(cause)
}

impl Core {
    fn log(&self) -> &LogState {
        &self.log
    }

    /// The log's origin (its key name).
    pub fn log_origin(&self) -> &str {
        self.log().signer.name()
    }

    /// The log's verifier key, `<origin>+<id>+<base64>`.
    pub fn log_vkey(&self) -> String {
        self.log().signer.vkey().to_string()
    }

    /// This registry's witness key (type 0x04).
    pub fn witness_vkey(&self) -> String {
        self.log().cosigner.vkey().to_string()
    }

    /// The latest signed checkpoint, opened with the configured witnesses (its
    /// signatures are verified once per note).
    fn latest_checkpoint(&self) -> Result<Option<Arc<OpenedCheckpoint>>, CoreError> {
        let Some(note) = self.store.log_checkpoint()? else {
            return Ok(None);
        };
        let mut cached = self.log().opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((bytes, opened)) = cached.as_ref() {
            if *bytes == note {
                return Ok(Some(Arc::clone(opened)));
            }
        }
        let witnesses: Vec<_> = self.log().settings.witnesses.iter().map(|w| w.verifier.clone()).collect();
        let opened = open_checkpoint(&note, &self.log().signer.verifier(), &witnesses)
            .map(Arc::new)
            .map_err(|error| damaged(format!("the stored checkpoint does not verify with the log key: {error}")))?;
        *cached = Some((note, Arc::clone(&opened)));
        Ok(Some(opened))
    }

    /// Signs a checkpoint of the log as it is now, if it grew since the last one (or
    /// there is none). Refuses to sign one that is not an extension of the last: a log
    /// never signs two inconsistent checkpoints. Returns the new size, if any.
    pub fn sign_checkpoint(&self) -> Result<Option<u64>, CoreError> {
        let _guard = self.log().checkpointing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.sign_checkpoint_locked()
    }

    fn sign_checkpoint_locked(&self) -> Result<Option<u64>, CoreError> {
        let size = self.store.log_size()?;
        let previous = self.latest_checkpoint()?;
        let reader = StoreHashes(&*self.store);
        if let Some(previous) = &previous {
            let previous_size = previous.checkpoint.size();
            if previous_size == size {
                return Ok(None);
            }
            if previous_size > size {
                return Err(damaged(format!(
                    "the log has {size} entries but its last signed checkpoint has {previous_size}: entries were lost; refusing to sign"
                )));
            }
        }
        let root =
            tree::root(size, &reader).map_err(|error| damaged(format!("cannot compute the log's root: {error}")))?;
        if let Some(previous) = &previous {
            let old = previous.checkpoint.size();
            if old > 0 {
                let proof = tree::consistency_proof(size, old, &reader)
                    .map_err(|error| damaged(format!("cannot prove the log's consistency: {error}")))?;
                tree::check_consistency(&proof, size, root, old, *previous.checkpoint.hash()).map_err(|error| {
                    damaged(format!("refusing to sign a checkpoint inconsistent with the last one: {error}"))
                })?;
            }
        }
        let note = self.log().signer.sign(size, root).map_err(|error| CoreError::internal(error.to_string()))?;
        self.store.put_log_checkpoint(&note)?;
        metrics::gauge!("cartouche_log_checkpoint_size").set(size as f64);
        tracing::debug!(size, "log checkpoint signed");
        Ok(Some(size))
    }

    /// The latest checkpoint note with its cosignatures (signed now if there is none).
    pub fn log_checkpoint(&self) -> Result<Vec<u8>, CoreError> {
        if let Some(note) = self.store.log_checkpoint()? {
            return Ok(note);
        }
        self.sign_checkpoint()?;
        self.store.log_checkpoint()?.ok_or_else(|| CoreError::internal("no checkpoint after signing one"))
    }

    fn checkpoint_size(&self) -> Result<u64, CoreError> {
        Ok(self.latest_checkpoint()?.map_or(0, |opened| opened.checkpoint.size()))
    }

    /// A tile (`0/x001/234`, `entries/005.p/17`) of the tree the latest checkpoint
    /// signs; a tile past it is not found.
    pub fn log_tile(&self, path: &str) -> Result<Tile, CoreError> {
        let tile = TilePath::parse(path).map_err(|error| CoreError::invalid("invalid_tile_path", error.to_string()))?;
        let size = self.checkpoint_size()?;
        if !tile.within(size) {
            return Err(CoreError::new(
                ErrorKind::NotFound,
                "tile_not_found",
                format!("{} is not in the log's latest checkpoint ({size} entries)", tile.to_path()),
            ));
        }
        let path = tile.to_path();
        if tile.is_full() {
            let cache = self.log().full_tiles.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(bytes) = cache.get(&path) {
                return Ok(Tile { bytes: bytes.to_vec(), immutable: true });
            }
        }
        let bytes = match tile.kind {
            TileKind::Entries => {
                let range = tile.entry_range();
                let entries = self.store.log_entries(range.start, range.end)?;
                cartouche_log::tiles::bundle(&entries).map_err(|error| CoreError::internal(error.to_string()))?
            }
            TileKind::Hashes { .. } => self.store.log_hashes(&tile.hash_indexes())?.concat(),
        };
        if tile.is_full() {
            let mut cache = self.log().full_tiles.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.len() >= TILE_CACHE {
                if let Some(evicted) = cache.keys().next().cloned() {
                    cache.remove(&evicted);
                }
            }
            cache.insert(path, Arc::new(bytes.clone()));
        }
        Ok(Tile { bytes, immutable: tile.is_full() })
    }

    /// A `c2sp.org/tlog-proof@v1` proof of a certificate's issuance entry against the
    /// latest checkpoint (signed first if it does not cover the entry yet), with the
    /// checkpoint's cosignatures. The `extra` line carries the certificate number.
    pub fn certificate_proof(&self, number: &str) -> Result<Vec<u8>, CoreError> {
        crate::certificate_number(number)?;
        let record = self
            .store
            .certificate(number)?
            .ok_or_else(|| CoreError::not_found(format!("certificate {number} does not exist")))?;
        let index = record
            .log_index
            .ok_or_else(|| CoreError::conflict("not_logged", format!("{number} has no entry in the registry's log")))?;
        if self.checkpoint_size()? <= index {
            self.sign_checkpoint()?;
        }
        // One checkpoint for both the hashes and the note (another may be signed meanwhile).
        let opened = self.latest_checkpoint()?.ok_or_else(|| CoreError::internal("no checkpoint"))?;
        let size = opened.checkpoint.size();
        let hashes = tree::inclusion_proof(size, index, &self.kept_hashes())
            .map_err(|error| damaged(format!("cannot prove entry {index}: {error}")))?;
        let proof =
            TlogProof { extra: Some(number.as_bytes().to_vec()), index, hashes, checkpoint: opened.note.clone() };
        Ok(proof.to_text())
    }

    /// The stored hashes, through the ones already read.
    fn kept_hashes(&self) -> KeptHashes<'_> {
        KeptHashes { store: &*self.store, kept: &self.log().hashes }
    }

    /// The verdict's `log` check for a certificate the registry holds.
    pub(crate) fn log_check(&self, record: &CertificateRecord) -> Check {
        let number = &record.certificate.number;
        let never = || {
            Check::fail(
                CheckName::Log,
                format!("the registry holds {number} but never recorded its issuance in its public log: report it"),
            )
        };
        let Some(index) = record.log_index else { return never() };
        let unreadable = |error: &dyn std::fmt::Display| {
            tracing::error!(error = %error, number = %number, "the log could not be read during verification");
            Check::not_checked(CheckName::Log, "the registry's log could not be read")
        };
        let expected = match cartouche_store::log::issued_entry(record) {
            Ok(entry) => entry,
            Err(error) => return unreadable(&error),
        };
        match self.store.log_entries(index, index + 1) {
            Ok(entries) if entries.first() == Some(&expected) => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => return never(),
            Err(error) => return unreadable(&error),
        }
        let quorum = self.log().settings.quorum;
        let opened = match self.latest_checkpoint() {
            Ok(opened) => opened,
            Err(error) => return unreadable(&error),
        };
        let Some(opened) = opened.filter(|opened| opened.checkpoint.size() > index) else {
            return if quorum > 0 {
                Check::not_checked(
                    CheckName::Log,
                    format!(
                        "issuance entry {index} is in the log but not yet in a checkpoint cosigned by the {quorum} witnesses required"
                    ),
                )
            } else {
                Check::pass(
                    CheckName::Log,
                    format!("issuance entry {index} is in the log; the next checkpoint includes it"),
                )
            };
        };
        let size = opened.checkpoint.size();
        let proved = tree::inclusion_proof(size, index, &self.kept_hashes()).and_then(|proof| {
            tree::check_inclusion(&proof, size, *opened.checkpoint.hash(), index, leaf_hash(&expected))
        });
        if let Err(error) = proved {
            tracing::error!(error = %error, number = %number, "an issuance entry does not prove against the signed checkpoint");
            return never();
        }
        let names: Vec<&str> = opened.cosigned_by.iter().map(|(name, _)| name.as_str()).collect();
        if names.len() < quorum {
            return Check::not_checked(
                CheckName::Log,
                format!(
                    "issuance entry {index} is in the log, but its checkpoint has {} of the {quorum} witness cosignatures required{}",
                    names.len(),
                    if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) }
                ),
            );
        }
        let witnesses = if names.is_empty() { String::new() } else { format!(", cosigned by {}", names.join(", ")) };
        Check::pass(
            CheckName::Log,
            format!("issuance entry {index} is in the log's signed checkpoint of {size} entries{witnesses}"),
        )
    }

    /// The witness's `add-checkpoint`: checks the checkpoint against the log's key and
    /// the consistency proof against the last checkpoint cosigned for that log, records
    /// the new one and answers the cosignature line.
    pub fn witness_add_checkpoint(&self, body: &[u8]) -> Result<Vec<u8>, Refusal> {
        let request = AddCheckpoint::parse(body).map_err(|error| Refusal::BadRequest(error.to_string()))?;
        let origin = request.origin().map_err(|error| Refusal::BadRequest(error.to_string()))?;
        let log = self
            .log()
            .settings
            .witnessed
            .iter()
            .find(|log| log.vkey().name == origin)
            .ok_or_else(|| Refusal::UnknownLog(origin.clone()))?;
        let unavailable = |error: StoreError| {
            tracing::error!(error = %error, "witness state unavailable");
            Refusal::BadRequest("the witness's storage is unavailable; retry later".into())
        };
        let latest = self.store.witness_state(&origin).map_err(unavailable)?;
        let accepted = match cartouche_log::witness::decide(&request, log, latest) {
            Ok(accepted) => accepted,
            Err(refusal) => {
                if matches!(refusal, Refusal::Unprocessable(_)) {
                    tracing::warn!(origin = %origin, reason = %refusal, "refused to cosign a checkpoint: possible log misbehaviour");
                }
                return Err(refusal);
            }
        };
        match self.store.advance_witness_state(&origin, request.old_size, accepted.state).map_err(unavailable)? {
            Ok(()) => {}
            Err(latest) => return Err(Refusal::Conflict(latest)),
        }
        let now = u64::try_from(self.now().unix_timestamp()).unwrap_or(1);
        self.log()
            .cosigner
            .cosign(&accepted.text, now)
            .map_err(|error| Refusal::BadRequest(format!("cannot cosign: {error}")))
    }

    /// Asks each configured witness to cosign the latest checkpoint (with a consistency
    /// proof from the size it last acknowledged) and keeps the cosignatures. `post` sends
    /// a body to a URL and answers (status, body); it is the face's HTTP client.
    pub fn collect_cosignatures(
        &self,
        post: &dyn Fn(&str, Vec<u8>) -> Result<(u16, Vec<u8>), String>,
    ) -> Result<Vec<WitnessOutcome>, CoreError> {
        // The witnesses are asked without holding the lock (one may take its full
        // timeout); the answers are kept under it, and only for the checkpoint asked about.
        let mut known = self.log().checkpointing.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let Some(opened) = self.latest_checkpoint()? else {
            return Ok(Vec::new());
        };
        let size = opened.checkpoint.size();
        let log_verifier = self.log().signer.verifier();
        let mut outcomes = Vec::new();
        for (position, witness) in self.log().settings.witnesses.iter().enumerate() {
            let name = witness.verifier.vkey().name.clone();
            if opened.cosigned_by.iter().any(|(cosigner, _)| *cosigner == name) {
                continue;
            }
            let mut result = Err("no answer".to_owned());
            // At most two rounds: the second after a 409 told us the witness's size.
            for _ in 0..2 {
                let old = known[position].unwrap_or(0).min(size);
                let proof = if old == 0 {
                    Vec::new()
                } else {
                    match tree::consistency_proof(size, old, &StoreHashes(&*self.store)) {
                        Ok(proof) => proof,
                        Err(error) => {
                            result = Err(format!("cannot prove consistency from {old}: {error}"));
                            break;
                        }
                    }
                };
                let body = AddCheckpoint { old_size: old, proof, checkpoint: opened.note.clone() }.to_bytes();
                match post(&format!("{}/add-checkpoint", witness.url), body) {
                    Ok((200, lines)) => {
                        let mut shared =
                            self.log().checkpointing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        let current = self.latest_checkpoint()?;
                        if current.as_ref().map(|current| &current.text) != Some(&opened.text) {
                            result = Err("a newer checkpoint was signed meanwhile; it is sent next".into());
                            break;
                        }
                        let note = self.store.log_checkpoint()?.unwrap_or_default();
                        match cartouche_log::note::add_cosignature(&note, &log_verifier, &witness.verifier, &lines) {
                            Ok((cosigned, _)) => {
                                self.store.put_log_checkpoint(&cosigned)?;
                                known[position] = Some(size);
                                shared[position] = Some(size);
                                result = Ok(size);
                            }
                            Err(error) => result = Err(format!("a bad cosignature: {error}")),
                        }
                        break;
                    }
                    Ok((409, body)) => {
                        let theirs = std::str::from_utf8(&body).ok().and_then(|text| text.trim().parse::<u64>().ok());
                        match theirs {
                            Some(theirs) if theirs <= size && known[position] != Some(theirs) => {
                                known[position] = Some(theirs);
                                self.log().checkpointing.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
                                    [position] = Some(theirs);
                                result = Err(format!("the witness is at size {theirs}"));
                            }
                            Some(theirs) if theirs > size => {
                                result = Err(format!(
                                    "the witness has cosigned {theirs} entries of this log, more than its {size}: the log may have been rolled back or forked"
                                ));
                                break;
                            }
                            _ => {
                                result = Err("the witness answered 409 without a usable size".into());
                                break;
                            }
                        }
                    }
                    Ok((status, body)) => {
                        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
                        result = Err(format!("the witness refused with {status}: {text}"));
                        break;
                    }
                    Err(error) => {
                        result = Err(format!("the witness is unreachable: {error}"));
                        break;
                    }
                }
            }
            match &result {
                Ok(size) => tracing::info!(witness = %name, size, "checkpoint cosigned"),
                Err(reason) => tracing::warn!(witness = %name, reason = %reason, "no cosignature"),
            }
            metrics::counter!("cartouche_log_cosignatures_total", "outcome" => if result.is_ok() { "ok" } else { "failed" })
                .increment(1);
            outcomes.push(WitnessOutcome { witness: name, result });
        }
        Ok(outcomes)
    }

    /// Checks the whole log before serving: every entry canonical and framed, the stored
    /// tree hashes equal to a tree recomputed from the entries, the last checkpoint
    /// signed by the log key, not larger than the log and with the recomputed root, and
    /// each issuance entry's certificate present and pointing back at it.
    pub fn check_log(&self) -> Result<LogHealth, CoreError> {
        let store = &*self.store;
        let size = store.log_size()?;
        let mut tree = MemoryTree::new();
        let mut start = 0;
        while start < size {
            let end = (start + 1024).min(size);
            let entries =
                store.log_entries(start, end).map_err(|error| damaged(format!("the log cannot be read: {error}")))?;
            for (offset, bytes) in entries.iter().enumerate() {
                let index = start + offset as u64;
                let entry = LogEntry::from_bytes(bytes)
                    .map_err(|error| damaged(format!("log entry {index} is not a valid entry: {error}")))?;
                let stored = store
                    .log_hashes(&[stored_hash_index(0, index)])
                    .map_err(|error| damaged(format!("log entry {index} has no stored hash: {error}")))?;
                if stored[0] != leaf_hash(bytes).0 {
                    return Err(damaged(format!(
                        "log entry {index} was altered: it no longer matches its recorded hash"
                    )));
                }
                if let Event::Issued { number, .. } = &entry.event {
                    let record = store.certificate(number)?;
                    if record.as_ref().and_then(|record| record.log_index) != Some(index) {
                        return Err(damaged(format!(
                            "log entry {index} records the issuance of {number}, which the registry does not hold at that entry"
                        )));
                    }
                }
                tree.push(bytes).map_err(|error| damaged(error.to_string()))?;
            }
            start = end;
        }
        let reader = StoreHashes(store);
        if size > 0 {
            let stored = tree::root(size, &reader)
                .map_err(|error| damaged(format!("the stored tree is incomplete: {error}")))?;
            if stored != tree.root_at(size).map_err(|error| damaged(error.to_string()))? {
                return Err(damaged("the stored tree hashes do not match the log's entries".into()));
            }
        }
        let checkpoint_size = match self.latest_checkpoint()? {
            None => 0,
            Some(opened) => {
                let signed = opened.checkpoint.size();
                if signed > size {
                    return Err(damaged(format!(
                        "the log is truncated: its last signed checkpoint has {signed} entries, the store {size}"
                    )));
                }
                if tree.root_at(signed).map_err(|error| damaged(error.to_string()))? != *opened.checkpoint.hash() {
                    return Err(damaged(format!(
                        "the first {signed} log entries do not match the last signed checkpoint: the log was altered"
                    )));
                }
                signed
            }
        };
        Ok(LogHealth { size, checkpoint_size })
    }
}
