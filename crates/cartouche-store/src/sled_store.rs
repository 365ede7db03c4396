//! The embedded default store on sled 0.34.
//!
//! One writer lock serialises every mutation (issuance is a few hundred per day per
//! country, far below what one lock sustains), each mutation is a sled transaction over
//! the trees it touches, and `flush()` runs before the call returns. Reads take no lock.

use std::path::Path;
use std::sync::{Arc, Mutex};

use cartouche_model::lifecycle::{check_exit_date, check_transition};
use cartouche_model::{EventKind, StatusEvent};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use time::Date;

use crate::envelope::{open, open_raw, seal, seal_raw};
use crate::log::LogLeaf;
use crate::records::{
    Artifact, IdempotencyRecord, StoredWitnessState, checked_photo, checked_plugin, next_number, retired_by,
};
use crate::{
    AuditEvent, BuildRecord, CertificateRecord, FORMAT_VERSION, Idempotency, IssueOutcome, KeyRecord, ListQuery, Page,
    Store, StoreError, TokenRecord,
};
use crate::{PhotoRecord, PluginRecord, ServiceKey, WitnessState};
use cartouche_log::tree::{HashReader, TreeError, leaf_hash};

const META: &str = "meta";
const CERTIFICATES: &str = "certificates";
const COUNTERS: &str = "counters";
const IDEMPOTENCY: &str = "idempotency";
const KEYS: &str = "keys";
const TOKENS: &str = "tokens";
const AUDIT: &str = "audit";
const PHOTOS: &str = "photos";
const PLUGINS: &str = "plugins";
const ARTIFACTS: &str = "artifacts";
const LOG: &str = "log";
const LOG_META: &str = "log_meta";
const SERVICE_KEYS: &str = "service_keys";
const WITNESS: &str = "witness";
const FORMAT_KEY: &[u8] = b"format_version";
const CHECKPOINT_KEY: &[u8] = b"checkpoint";

/// The format before the issuance log, migrated at open.
const FORMAT_WITHOUT_LOG: u32 = 1;

/// The format before compressed records: readable as it is, marked 3 at open.
const FORMAT_UNCOMPRESSED: u32 = 2;

/// One log append, prepared under the writer lock and written in the event's transaction.
struct LogWrite {
    index: u64,
    framed: Vec<u8>,
}

impl LogWrite {
    fn apply(
        &self,
        log: &sled::transaction::TransactionalTree,
    ) -> Result<(), sled::transaction::UnabortableTransactionError> {
        log.insert(&self.index.to_be_bytes(), self.framed.as_slice())?;
        Ok(())
    }
}

/// The stored hashes, read for the tree algorithms: the hash at (level, n) was stored with
/// leaf ((n + 1) << level) - 1, at position `level`.
struct SledHashes<'a>(&'a sled::Tree);

impl SledHashes<'_> {
    fn read(&self, index: u64) -> Result<[u8; 32], StoreError> {
        let missing = || StoreError::NotFound { what: "log hash", key: index.to_string() };
        let (leaf, level) = crate::log::leaf_of_stored_hash(index).ok_or_else(missing)?;
        let key = leaf.to_be_bytes();
        let bytes = self.0.get(key).map_err(backend)?.ok_or_else(missing)?;
        LogLeaf::decode(&key, &bytes)?.hashes.get(usize::from(level)).copied().ok_or_else(|| StoreError::Corrupt {
            tree: LOG,
            key: leaf.to_string(),
            reason: format!("no stored hash at level {level}"),
        })
    }
}

impl HashReader for SledHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<cartouche_log::Hash>, TreeError> {
        indexes
            .iter()
            .map(|&index| {
                self.read(index).map(cartouche_log::Hash).map_err(|error| TreeError::InvalidInput(error.to_string()))
            })
            .collect()
    }
}

/// The sled-backed [`Store`].
pub struct SledStore {
    db: sled::Db,
    certificates: sled::Tree,
    counters: sled::Tree,
    idempotency: sled::Tree,
    keys: sled::Tree,
    tokens: sled::Tree,
    audit: sled::Tree,
    photos: sled::Tree,
    plugins: sled::Tree,
    artifacts: sled::Tree,
    log: sled::Tree,
    log_meta: sled::Tree,
    service_keys: sled::Tree,
    witness: sled::Tree,
    write_lock: Mutex<()>,
    flushes: std::sync::atomic::AtomicU64,
    /// Certificate records recently read, by number, with the checksum of the stored
    /// bytes they were decoded from: a read whose stored bytes declare the same checksum
    /// (the same content) skips the checksum, inflating and decoding. Any write changes
    /// the bytes, hence the checksum. A record is kept decoded from its second read on
    /// (the first only notes its checksum), so that certificates read once, as in a stream
    /// of first verifications, cost no copy.
    decoded: Mutex<lru::LruCache<String, ([u8; 32], Option<Arc<CertificateRecord>>)>>,
}

/// How many decoded certificate records a store keeps (each a few KB).
const DECODED_CERTIFICATES: usize = 1024;

/// sled's page cache: a bound on the store's memory (sled's default is 1 GiB, which a
/// long-running registry reaches as its store grows). Reads beyond it go to the OS's file
/// cache; the decoded-record cache in front of sled keeps the hot certificates.
const PAGE_CACHE_BYTES: u64 = 256 << 20;

fn backend(error: sled::Error) -> StoreError {
    match error {
        // ENOSPC and EDQUOT: a full disk, or the user's quota on it.
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::StorageFull || matches!(io.raw_os_error(), Some(28 | 122)) =>
        {
            StoreError::Full(io.to_string())
        }
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") => {
            StoreError::Locked(io.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn transaction_error(error: TransactionError<StoreError>) -> StoreError {
    match error {
        TransactionError::Abort(error) => error,
        TransactionError::Storage(error) => backend(error),
    }
}

fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

impl SledStore {
    /// Opens (or creates) the store in `path`. Refuses a directory written by another
    /// format version, or held by another process.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new().path(path).cache_capacity(PAGE_CACHE_BYTES).open().map_err(backend)?;
        let meta = db.open_tree(META).map_err(backend)?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let store = Self {
            certificates: tree(CERTIFICATES)?,
            counters: tree(COUNTERS)?,
            idempotency: tree(IDEMPOTENCY)?,
            keys: tree(KEYS)?,
            tokens: tree(TOKENS)?,
            audit: tree(AUDIT)?,
            photos: tree(PHOTOS)?,
            plugins: tree(PLUGINS)?,
            artifacts: tree(ARTIFACTS)?,
            log: tree(LOG)?,
            log_meta: tree(LOG_META)?,
            service_keys: tree(SERVICE_KEYS)?,
            witness: tree(WITNESS)?,
            db,
            write_lock: Mutex::new(()),
            flushes: std::sync::atomic::AtomicU64::new(0),
            decoded: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(DECODED_CERTIFICATES).unwrap_or(std::num::NonZeroUsize::MIN),
            )),
        };
        match meta.get(FORMAT_KEY).map_err(backend)? {
            Some(bytes) => {
                let found: u32 = open(META, FORMAT_KEY, &bytes)?;
                if found == FORMAT_WITHOUT_LOG {
                    store.migrate_to_log(&meta)?;
                } else if found == FORMAT_UNCOMPRESSED {
                    meta.insert(FORMAT_KEY, seal(&FORMAT_VERSION)?).map_err(backend)?;
                    store.flush()?;
                    tracing::info!(
                        "store format 2 marked 3: new records are stored compressed, the others stay readable"
                    );
                } else if found != FORMAT_VERSION {
                    return Err(StoreError::IncompatibleFormat { found: found.to_string(), expected: FORMAT_VERSION });
                }
            }
            None => {
                let has_data = [&store.certificates, &store.keys, &store.tokens].iter().any(|tree| !tree.is_empty());
                if has_data {
                    return Err(StoreError::IncompatibleFormat {
                        found: "none (no format marker)".into(),
                        expected: FORMAT_VERSION,
                    });
                }
                meta.insert(FORMAT_KEY, seal(&FORMAT_VERSION)?).map_err(backend)?;
                store.flush()?;
            }
        }
        Ok(store)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(backend)?;
        self.flushes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// How many flushes this handle has completed: a diagnostic, with which tests check
    /// that every acknowledged answer, replays included, waited for one.
    pub fn flush_count(&self) -> u64 {
        self.flushes.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock cannot leave a half-written record (every write
        // is one transaction), so a poisoned lock is safe to take over.
        self.write_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn audit_key(&self) -> Result<[u8; 8], StoreError> {
        Ok(self.db.generate_id().map_err(backend)?.to_be_bytes())
    }

    fn next_log_index(&self) -> Result<u64, StoreError> {
        match self.log.last().map_err(backend)? {
            Some((key, _)) => {
                let index = <[u8; 8]>::try_from(key.as_ref()).map_err(|_| StoreError::Corrupt {
                    tree: LOG,
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason: "a key that is not an index".into(),
                })?;
                Ok(u64::from_be_bytes(index) + 1)
            }
            None => Ok(0),
        }
    }

    /// Prepares the append of `entry` (under the writer lock): its index and the tree
    /// hashes it completes.
    fn prepare_log(&self, entry: &[u8]) -> Result<LogWrite, StoreError> {
        let index = self.next_log_index()?;
        let hashes = cartouche_log::tree::stored_hashes(index, leaf_hash(entry), &SledHashes(&self.log))
            .map_err(|error| StoreError::Corrupt { tree: LOG, key: index.to_string(), reason: error.to_string() })?;
        let leaf = LogLeaf { hashes: hashes.iter().map(|hash| hash.0).collect(), entry: entry.to_vec() };
        Ok(LogWrite { index, framed: leaf.encode() })
    }

    /// Appends one entry on its own (the migration), optionally with the certificate
    /// record that points at it.
    fn append_alone(&self, entry: &[u8], certificate: Option<&mut CertificateRecord>) -> Result<(), StoreError> {
        let write = self.prepare_log(entry)?;
        let certificate_bytes = match certificate {
            Some(record) => {
                record.log_index = Some(write.index);
                Some((record.certificate.number.clone(), seal(&*record)?))
            }
            None => None,
        };
        (&self.log, &self.certificates)
            .transaction(|(log, certificates)| {
                write.apply(log)?;
                if let Some((number, bytes)) = &certificate_bytes {
                    certificates.insert(number.as_bytes(), bytes.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)
    }

    /// Format 1 had no log: append the existing history to a new one (keys, plugins,
    /// then each certificate's issuance and later events, in number order), then mark
    /// the store format 2. A migration cut short is started again from an empty log.
    fn migrate_to_log(&self, meta: &sled::Tree) -> Result<(), StoreError> {
        let _guard = self.lock();
        self.log.clear().map_err(backend)?;
        let mut keys = self.keys()?;
        keys.sort_by_key(|key| (key.created_at, key.kid.clone()));
        for key in &keys {
            self.append_alone(&crate::log::key_entry(key)?, None)?;
        }
        for plugin in self.plugins()? {
            self.append_alone(&crate::log::plugin_entry(&plugin)?, None)?;
        }
        let mut migrated = 0u64;
        let numbers: Vec<sled::IVec> = self.certificates.iter().keys().collect::<Result<_, _>>().map_err(backend)?;
        for number in numbers {
            let number = String::from_utf8_lossy(&number).into_owned();
            let Some(mut record) = self.certificate(&number)? else { continue };
            let entry = crate::log::issued_entry(&record)?;
            let events: Vec<_> = record.events.iter().skip(1).cloned().collect();
            self.append_alone(&entry, Some(&mut record))?;
            for event in &events {
                self.append_alone(&crate::log::status_entry(&number, event)?, None)?;
            }
            migrated += 1;
        }
        meta.insert(FORMAT_KEY, seal(&FORMAT_VERSION)?).map_err(backend)?;
        self.flush()?;
        tracing::warn!(
            certificates = migrated,
            entries = self.next_log_index()?,
            "store migrated from format 1 to 2: the existing history was appended to the new issuance log"
        );
        Ok(())
    }
}

impl Store for SledStore {
    fn issue(
        &self,
        country: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        mut audit: AuditEvent,
        build: &mut BuildRecord<'_>,
    ) -> Result<IssueOutcome, StoreError> {
        let guard = self.lock();
        if let Some(idempotency) = idempotency {
            if let Some(bytes) = self.idempotency.get(&idempotency.scoped_key).map_err(backend)? {
                let stored: IdempotencyRecord = open(IDEMPOTENCY, idempotency.scoped_key.as_bytes(), &bytes)?;
                if stored.request_sha256 != idempotency.request_sha256 {
                    return Err(StoreError::IdempotencyMismatch { number: stored.number });
                }
                let record = self.certificate(&stored.number)?.ok_or_else(|| StoreError::Corrupt {
                    tree: IDEMPOTENCY,
                    key: idempotency.scoped_key.clone(),
                    reason: format!("points at missing certificate {}", stored.number),
                })?;
                // The original request may have committed but not yet flushed (the lock
                // is released before the flush): a replay is acknowledged only once the
                // record it answers with is on disk.
                drop(guard);
                self.flush()?;
                return Ok(IssueOutcome::Replayed(Box::new(record)));
            }
        }
        let counter_key = format!("{country}-{year:04}");
        let current: u32 = match self.counters.get(&counter_key).map_err(backend)? {
            Some(bytes) => open(COUNTERS, counter_key.as_bytes(), &bytes)?,
            None => 0,
        };
        let (sequence, number) = next_number(country, year, current)?;
        let index = self.next_log_index()?;
        let mut record = build(&number, index).map_err(StoreError::Build)?;
        let log = self.prepare_log(&crate::log::issued_entry(&record)?)?;
        if log.index != index {
            return Err(StoreError::Corrupt {
                tree: LOG,
                key: log.index.to_string(),
                reason: format!("the log moved from {index} under the issuance lock"),
            });
        }
        record.log_index = Some(log.index);
        audit.target = number.clone();
        let certificate_bytes = seal(&record)?;
        let counter_bytes = seal(&sequence)?;
        let idempotency_bytes = match idempotency {
            Some(idempotency) => Some(seal(&IdempotencyRecord {
                request_sha256: idempotency.request_sha256.clone(),
                number: number.clone(),
            })?),
            None => None,
        };
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.certificates, &self.counters, &self.idempotency, &self.audit, &self.log)
            .transaction(|(certificates, counters, idempotency_tree, audit_tree, log_tree)| {
                if certificates.get(number.as_bytes())?.is_some() {
                    return Err(abort(StoreError::Corrupt {
                        tree: CERTIFICATES,
                        key: number.clone(),
                        reason: "a certificate already has the next number: the counter is behind".into(),
                    }));
                }
                certificates.insert(number.as_bytes(), certificate_bytes.as_slice())?;
                counters.insert(counter_key.as_bytes(), counter_bytes.as_slice())?;
                if let (Some(idempotency), Some(bytes)) = (idempotency, &idempotency_bytes) {
                    idempotency_tree.insert(idempotency.scoped_key.as_bytes(), bytes.as_slice())?;
                }
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                log.apply(log_tree)?;
                Ok(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()?;
        Ok(IssueOutcome::Created(Box::new(record)))
    }

    fn certificate(&self, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        let Some(bytes) = self.certificates.get(number).map_err(backend)? else { return Ok(None) };
        let declared = crate::envelope::declared_checksum(&bytes);
        let mut decoded = self.decoded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (seen, kept) = match (declared, decoded.get(number)) {
            (Some(declared), Some((checksum, kept))) if *checksum == declared => (true, kept.clone()),
            _ => (false, None),
        };
        drop(decoded);
        // Copied out of the cache after its lock is released.
        if let Some(record) = kept {
            return Ok(Some(record.as_ref().clone()));
        }
        let record: CertificateRecord = open(CERTIFICATES, number.as_bytes(), &bytes)?;
        if let Some(declared) = declared {
            let kept = seen.then(|| Arc::new(record.clone()));
            self.decoded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .put(number.to_owned(), (declared, kept));
        }
        Ok(Some(record))
    }

    fn list_certificates(&self, query: &ListQuery<'_>) -> Result<Page, StoreError> {
        let prefix = query.country.map(|country| format!("{country}-")).unwrap_or_default();
        let limit = query.limit.clamp(1, 500);
        let start = match query.after {
            Some(after) if after.as_bytes() >= prefix.as_bytes() => {
                std::ops::Bound::Excluded(after.as_bytes().to_vec())
            }
            _ => std::ops::Bound::Included(prefix.as_bytes().to_vec()),
        };
        let mut records = Vec::with_capacity(limit);
        let mut next_after = None;
        for item in self.certificates.range((start, std::ops::Bound::Unbounded)) {
            let (key, bytes) = item.map_err(backend)?;
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            let record: CertificateRecord = open(CERTIFICATES, &key, &bytes)?;
            if !(query.filter)(&record) {
                continue;
            }
            if records.len() == limit {
                next_after = records.last().map(|last: &CertificateRecord| last.certificate.number.clone());
                break;
            }
            records.push(record);
        }
        Ok(Page { records, next_after })
    }

    fn record_event(
        &self,
        number: &str,
        event: StatusEvent,
        today: Date,
        mut audit: AuditEvent,
    ) -> Result<CertificateRecord, StoreError> {
        let guard = self.lock();
        let mut record = self
            .certificate(number)?
            .ok_or_else(|| StoreError::NotFound { what: "certificate", key: number.to_owned() })?;
        check_transition(&record.certificate, &record.events, event.kind)?;
        if event.kind == EventKind::Exited {
            check_exit_date(&record.certificate, today)?;
        }
        let log = self.prepare_log(&crate::log::status_entry(number, &event)?)?;
        record.events.push(event);
        audit.target = number.to_owned();
        let certificate_bytes = seal(&record)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.certificates, &self.audit, &self.log)
            .transaction(|(certificates, audit_tree, log_tree)| {
                certificates.insert(number.as_bytes(), certificate_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                log.apply(log_tree)?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()?;
        Ok(record)
    }

    fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.keys
            .iter()
            .map(|item| {
                let (key, bytes) = item.map_err(backend)?;
                open(KEYS, &key, &bytes)
            })
            .collect()
    }

    fn rotate_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        let guard = self.lock();
        let mut retired = Vec::new();
        for mut existing in self.keys()? {
            if let Some(at) = retired_by(&existing, &key) {
                existing.retired_at = Some(at);
                retired.push((existing.kid.clone(), seal(&existing)?));
            }
        }
        let new_bytes = seal(&key)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        let log = self.prepare_log(&crate::log::key_entry(&key)?)?;
        (&self.keys, &self.audit, &self.log)
            .transaction(|(keys, audit_tree, log_tree)| {
                for (kid, bytes) in &retired {
                    keys.insert(kid.as_bytes(), bytes.as_slice())?;
                }
                keys.insert(key.kid.as_bytes(), new_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                log.apply(log_tree)?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()
    }

    fn update_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        let guard = self.lock();
        let existing: KeyRecord = match self.keys.get(key.kid.as_bytes()).map_err(backend)? {
            Some(bytes) => open(KEYS, key.kid.as_bytes(), &bytes)?,
            None => return Err(StoreError::NotFound { what: "key", key: key.kid.clone() }),
        };
        if (&existing.country, existing.alg, &existing.public) != (&key.country, key.alg, &key.public) {
            return Err(StoreError::Backend(format!(
                "update_key may change a key's custody, secret and validity, not its country, algorithm or public key ({})",
                key.kid
            )));
        }
        let key_bytes = seal(&key)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.keys, &self.audit)
            .transaction(|(keys, audit_tree)| {
                keys.insert(key.kid.as_bytes(), key_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()
    }

    fn insert_token(&self, token: TokenRecord, audit: AuditEvent) -> Result<(), StoreError> {
        let guard = self.lock();
        let token_bytes = seal(&token)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.tokens, &self.audit)
            .transaction(|(tokens, audit_tree)| {
                tokens.insert(token.secret_sha256.as_bytes(), token_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()
    }

    fn token_by_hash(&self, secret_sha256: &str) -> Result<Option<TokenRecord>, StoreError> {
        match self.tokens.get(secret_sha256).map_err(backend)? {
            Some(bytes) => Ok(Some(open(TOKENS, secret_sha256.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    fn has_tokens(&self) -> Result<bool, StoreError> {
        Ok(!self.tokens.is_empty())
    }

    fn append_audit(&self, audit: AuditEvent) -> Result<(), StoreError> {
        let audit_key = self.audit_key()?;
        self.audit.insert(audit_key, seal(&audit)?).map_err(backend)?;
        self.flush()
    }

    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.audit
            .iter()
            .rev()
            .take(limit)
            .map(|item| {
                let (key, bytes) = item.map_err(backend)?;
                open(AUDIT, &key, &bytes)
            })
            .collect()
    }

    fn put_photo(&self, photo: PhotoRecord, audit: AuditEvent) -> Result<bool, StoreError> {
        let guard = self.lock();
        if self.photos.contains_key(photo.sha256.as_bytes()).map_err(backend)? {
            // Stored by an earlier request that may not have flushed yet: "already
            // stored" is acknowledged only once it is on disk.
            drop(guard);
            self.flush()?;
            return Ok(false);
        }
        let photo_bytes = seal(&photo)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.photos, &self.audit)
            .transaction(|(photos, audit_tree)| {
                photos.insert(photo.sha256.as_bytes(), photo_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()?;
        Ok(true)
    }

    fn has_photo(&self, sha256: &str) -> Result<bool, StoreError> {
        self.photos.contains_key(sha256).map_err(backend)
    }

    fn photo(&self, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
        let Some(bytes) = self.photos.get(sha256).map_err(backend)? else {
            return Ok(None);
        };
        let photo: PhotoRecord = open(PHOTOS, sha256.as_bytes(), &bytes)?;
        checked_photo(sha256, photo).map(Some)
    }

    fn publish_plugin(&self, plugin: PluginRecord, audit: AuditEvent) -> Result<(), StoreError> {
        let guard = self.lock();
        // Keys sort by id, then by publication order within an id.
        let prefix = format!("{}\u{0}", plugin.manifest.id);
        let mut sequence = 0u64;
        for item in self.plugins.scan_prefix(prefix.as_bytes()) {
            let (key, bytes) = item.map_err(backend)?;
            let existing: PluginRecord = open(PLUGINS, &key, &bytes)?;
            if existing.manifest.version == plugin.manifest.version {
                return Err(StoreError::PluginVersionExists {
                    id: plugin.manifest.id.clone(),
                    version: plugin.manifest.version.clone(),
                });
            }
            sequence += 1;
        }
        let key = format!("{prefix}{sequence:020}");
        let plugin_bytes = seal(&plugin)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        let log = self.prepare_log(&crate::log::plugin_entry(&plugin)?)?;
        (&self.plugins, &self.audit, &self.log)
            .transaction(|(plugins, audit_tree, log_tree)| {
                plugins.insert(key.as_bytes(), plugin_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                log.apply(log_tree)?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()
    }

    fn plugins(&self) -> Result<Vec<PluginRecord>, StoreError> {
        self.plugins
            .iter()
            .map(|item| {
                let (key, bytes) = item.map_err(backend)?;
                let plugin: PluginRecord = open(PLUGINS, &key, &bytes)?;
                checked_plugin(String::from_utf8_lossy(&key).into_owned(), plugin)
            })
            .collect()
    }

    fn put_artifact(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let framed = seal(&Artifact(bytes.to_vec()))?;
        self.artifacts.insert(key.as_bytes(), framed).map_err(backend)?;
        self.flush()
    }

    fn swap_artifact(&self, key: &str, expected: Option<&[u8]>, bytes: &[u8]) -> Result<bool, StoreError> {
        let guard = self.lock();
        if self.artifact(key)?.as_deref() != expected {
            return Ok(false);
        }
        self.artifacts.insert(key.as_bytes(), seal(&Artifact(bytes.to_vec()))?).map_err(backend)?;
        drop(guard);
        self.flush()?;
        Ok(true)
    }

    fn artifact(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(bytes) = self.artifacts.get(key.as_bytes()).map_err(backend)? else {
            return Ok(None);
        };
        let artifact: Artifact = open(ARTIFACTS, key.as_bytes(), &bytes)?;
        Ok(Some(artifact.0))
    }

    fn verify_integrity(&self) -> Result<usize, StoreError> {
        let mut checked = 0;
        let trees: [(&'static str, &sled::Tree, fn(&'static str, &[u8], &[u8]) -> Result<(), StoreError>); 9] = [
            (PLUGINS, &self.plugins, |t, k, b| open::<PluginRecord>(t, k, b).map(drop)),
            (ARTIFACTS, &self.artifacts, |t, k, b| open::<Artifact>(t, k, b).map(drop)),
            (PHOTOS, &self.photos, |t, k, b| open::<PhotoRecord>(t, k, b).map(drop)),
            (CERTIFICATES, &self.certificates, |t, k, b| open::<CertificateRecord>(t, k, b).map(drop)),
            (COUNTERS, &self.counters, |t, k, b| open::<u32>(t, k, b).map(drop)),
            (IDEMPOTENCY, &self.idempotency, |t, k, b| open::<IdempotencyRecord>(t, k, b).map(drop)),
            (KEYS, &self.keys, |t, k, b| open::<KeyRecord>(t, k, b).map(drop)),
            (TOKENS, &self.tokens, |t, k, b| open::<TokenRecord>(t, k, b).map(drop)),
            (AUDIT, &self.audit, |t, k, b| open::<AuditEvent>(t, k, b).map(drop)),
        ];
        for (name, tree, check) in trees {
            for item in tree.iter() {
                let (key, bytes) = item.map_err(backend)?;
                check(name, &key, &bytes)?;
                checked += 1;
            }
        }
        let more: [(&'static str, &sled::Tree, fn(&'static str, &[u8], &[u8]) -> Result<(), StoreError>); 4] = [
            (LOG, &self.log, |_, k, b| LogLeaf::decode(k, b).map(drop)),
            (LOG_META, &self.log_meta, |t, k, b| open_raw(t, k, b).map(drop)),
            (SERVICE_KEYS, &self.service_keys, |t, k, b| open::<ServiceKey>(t, k, b).map(drop)),
            (WITNESS, &self.witness, |t, k, b| open::<StoredWitnessState>(t, k, b).map(drop)),
        ];
        for (name, tree, check) in more {
            for item in tree.iter() {
                let (key, bytes) = item.map_err(backend)?;
                check(name, &key, &bytes)?;
                checked += 1;
            }
        }
        Ok(checked)
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        self.next_log_index()
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut entries = Vec::with_capacity(usize::try_from(end.saturating_sub(start)).unwrap_or(0).min(4096));
        for item in self.log.range(start.to_be_bytes()..end.to_be_bytes()) {
            let (key, bytes) = item.map_err(backend)?;
            let expected = start + entries.len() as u64;
            if key.as_ref() != expected.to_be_bytes() {
                return Err(StoreError::Corrupt {
                    tree: LOG,
                    key: expected.to_string(),
                    reason: "the entry is missing: the log has a gap".into(),
                });
            }
            entries.push(LogLeaf::decode(&key, &bytes)?.entry);
        }
        if (entries.len() as u64) < end.saturating_sub(start) {
            return Err(StoreError::NotFound { what: "log entry", key: (start + entries.len() as u64).to_string() });
        }
        Ok(entries)
    }

    fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        let reader = SledHashes(&self.log);
        indexes.iter().map(|&index| reader.read(index)).collect()
    }

    fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match self.log_meta.get(CHECKPOINT_KEY).map_err(backend)? {
            Some(bytes) => Ok(Some(open_raw(LOG_META, CHECKPOINT_KEY, &bytes)?)),
            None => Ok(None),
        }
    }

    fn put_log_checkpoint(&self, note: &[u8]) -> Result<(), StoreError> {
        let guard = self.lock();
        self.log_meta.insert(CHECKPOINT_KEY, seal_raw(note)).map_err(backend)?;
        drop(guard);
        self.flush()
    }

    fn service_key(&self, purpose: &str) -> Result<Option<ServiceKey>, StoreError> {
        match self.service_keys.get(purpose).map_err(backend)? {
            Some(bytes) => Ok(Some(open(SERVICE_KEYS, purpose.as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    fn create_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<ServiceKey, StoreError> {
        let guard = self.lock();
        if let Some(existing) = self.service_key(&key.purpose)? {
            drop(guard);
            self.flush()?;
            return Ok(existing);
        }
        let key_bytes = seal(&key)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.service_keys, &self.audit)
            .transaction(|(service_keys, audit_tree)| {
                service_keys.insert(key.purpose.as_bytes(), key_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()?;
        Ok(key)
    }

    fn replace_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<(), StoreError> {
        let guard = self.lock();
        match self.service_key(&key.purpose)? {
            Some(existing) if existing.name == key.name => {}
            _ => {
                return Err(StoreError::NotFound { what: "service key", key: format!("{} {}", key.purpose, key.name) });
            }
        }
        let key_bytes = seal(&key)?;
        let audit_key = self.audit_key()?;
        let audit_bytes = seal(&audit)?;
        (&self.service_keys, &self.audit)
            .transaction(|(service_keys, audit_tree)| {
                service_keys.insert(key.purpose.as_bytes(), key_bytes.as_slice())?;
                audit_tree.insert(&audit_key, audit_bytes.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flush()
    }

    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        let Some(bytes) = self.witness.get(origin).map_err(backend)? else {
            return Ok(None);
        };
        let stored: StoredWitnessState = open(WITNESS, origin.as_bytes(), &bytes)?;
        stored.state(origin).map(Some)
    }

    fn advance_witness_state(
        &self,
        origin: &str,
        expected_size: u64,
        new: WitnessState,
    ) -> Result<Result<(), u64>, StoreError> {
        let guard = self.lock();
        let latest = self.witness_state(origin)?.map_or(0, |state| state.size);
        if latest != expected_size {
            return Ok(Err(latest));
        }
        let bytes = seal(&StoredWitnessState { size: new.size, root: new.root.to_vec() })?;
        self.witness.insert(origin.as_bytes(), bytes).map_err(backend)?;
        drop(guard);
        self.flush()?;
        Ok(Ok(()))
    }
}

impl SledStore {
    /// Every record of one tree as stored (framed), in key order: for copying a registry
    /// to another store.
    pub fn raw_tree(
        &self,
        name: &str,
    ) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + use<>, StoreError> {
        let tree = self.db.open_tree(name).map_err(backend)?;
        Ok(tree.iter().map(|item| item.map(|(key, value)| (key.to_vec(), value.to_vec())).map_err(backend)))
    }

    /// Replaces a log entry with other bytes, correctly framed (so that only the log's
    /// own checks can notice): for tests of tampering; not part of the [`Store`] trait.
    #[doc(hidden)]
    pub fn rewrite_log_entry_for_tests(&self, index: u64, entry: &[u8]) -> Result<(), StoreError> {
        let key = index.to_be_bytes();
        let bytes = self
            .log
            .get(key)
            .map_err(backend)?
            .ok_or(StoreError::NotFound { what: "log entry", key: index.to_string() })?;
        let leaf = LogLeaf { entry: entry.to_vec(), ..LogLeaf::decode(&key, &bytes)? };
        self.log.insert(key, leaf.encode()).map_err(backend)?;
        self.flush()
    }

    /// Overwrites a stored certificate's bytes without framing. For tests of the checksum
    /// (a damaged record must be detected); not part of the [`Store`] trait.
    #[doc(hidden)]
    pub fn damage_certificate_for_tests(&self, number: &str) -> Result<(), StoreError> {
        let bytes = self
            .certificates
            .get(number)
            .map_err(backend)?
            .ok_or(StoreError::NotFound { what: "certificate", key: number.to_owned() })?;
        let mut damaged = bytes.to_vec();
        let last = damaged.len() - 2;
        damaged[last] ^= 0x01;
        self.certificates.insert(number, damaged).map_err(backend)?;
        self.flush()
    }
}
