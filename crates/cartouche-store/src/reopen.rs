//! A full disk, survived. sled keeps the first write error it meets and fails every later
//! write with it, also once space is freed, until the database is opened again. So
//! [`ReopeningStore`] wraps [`SledStore`]:
//! - a write that fails with a full disk ([`StoreError::Full`]) marks the store broken;
//!   nothing was acknowledged, and what is stored stays as it was (sled writes whole log
//!   buffers, each flush is the acknowledgement);
//! - reads go on from the open store: verification keeps working;
//! - the next write first checks the free space; while it is short, the write is refused
//!   at once with `Full`. Once there is room, the store is closed and opened again (sled's
//!   recovery, as after a crash), and the write goes ahead.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use time::Date;

use crate::{
    AuditEvent, BuildRecord, CertificateRecord, Idempotency, IssueOutcome, KeyRecord, ListQuery, Page, PhotoRecord,
    PluginRecord, ServiceKey, SledStore, Store, StoreError, TokenRecord, WitnessState,
};

/// Free space the store's filesystem needs before writes resume: a few of sled's log
/// segments, so that the reopened store does not fill the disk again at once.
pub const RESUME_FREE_BYTES: u64 = 8 << 20;

/// [`SledStore`], opened again after a full disk once space is back.
pub struct ReopeningStore {
    path: PathBuf,
    current: RwLock<Option<Arc<SledStore>>>,
    broken: AtomicBool,
}

impl ReopeningStore {
    /// Opens the store in `path` (see [`SledStore::open`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = SledStore::open(path)?;
        Ok(Self { path: path.to_owned(), current: RwLock::new(Some(Arc::new(store))), broken: AtomicBool::new(false) })
    }

    fn store(&self) -> Result<Arc<SledStore>, StoreError> {
        if let Some(store) = self.current.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            return Ok(Arc::clone(store));
        }
        // A reopening failed earlier: try again.
        self.reopen()?;
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(Arc::clone)
            .ok_or_else(|| StoreError::Backend("the store could not be opened again".into()))
    }

    fn read<T>(&self, op: impl FnOnce(&SledStore) -> Result<T, StoreError>) -> Result<T, StoreError> {
        op(&*self.store()?)
    }

    fn write<T>(&self, op: impl FnOnce(&SledStore) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let result = op(&*self.store()?);
        if let Err(StoreError::Full(reason)) = &result
            && !self.broken.swap(true, Ordering::AcqRel)
        {
            tracing::error!(%reason, path = %self.path.display(), "the store's disk is full: writes are refused until space is freed; reads go on");
        }
        result
    }

    fn reopen(&self) -> Result<(), StoreError> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if !self.broken.load(Ordering::Acquire) && current.is_some() {
            return Ok(());
        }
        let free = fs2::available_space(&self.path).unwrap_or(0);
        if free < RESUME_FREE_BYTES {
            return Err(StoreError::Full(format!(
                "{free} bytes free in the store's filesystem; writes resume once {RESUME_FREE_BYTES} are"
            )));
        }
        // Wait for the reads in progress on the old store (no new ones start: this holds
        // the write lock), then close it: sled locks its directory while it is open.
        if let Some(old) = current.as_ref() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Arc::strong_count(old) > 1 {
                if Instant::now() > deadline {
                    return Err(StoreError::Backend("the store is busy; writes resume in a moment".into()));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        drop(current.take());
        let store = SledStore::open(&self.path)?;
        let checked = store.verify_integrity()?;
        *current = Some(Arc::new(store));
        self.broken.store(false, Ordering::Release);
        tracing::warn!(path = %self.path.display(), records = checked, free_bytes = free, "the store was opened again after its disk filled; writes resume");
        Ok(())
    }
}

impl Store for ReopeningStore {
    fn issue(
        &self,
        country: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        audit: AuditEvent,
        build: &mut BuildRecord<'_>,
    ) -> Result<IssueOutcome, StoreError> {
        self.write(|store| store.issue(country, year, idempotency, audit, build))
    }
    fn certificate(&self, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        self.read(|store| store.certificate(number))
    }
    fn list_certificates(&self, query: &ListQuery<'_>) -> Result<Page, StoreError> {
        self.read(|store| store.list_certificates(query))
    }
    fn record_event(
        &self,
        number: &str,
        event: cartouche_model::StatusEvent,
        today: Date,
        audit: AuditEvent,
    ) -> Result<CertificateRecord, StoreError> {
        self.write(|store| store.record_event(number, event, today, audit))
    }
    fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.read(|store| store.keys())
    }
    fn rotate_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.rotate_key(key, audit))
    }
    fn update_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.update_key(key, audit))
    }
    fn insert_token(&self, token: TokenRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.insert_token(token, audit))
    }
    fn token_by_hash(&self, secret_sha256: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read(|store| store.token_by_hash(secret_sha256))
    }
    fn has_tokens(&self) -> Result<bool, StoreError> {
        self.read(|store| store.has_tokens())
    }
    fn append_audit(&self, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.append_audit(audit))
    }
    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.read(|store| store.recent_audit(limit))
    }
    fn put_photo(&self, photo: PhotoRecord, audit: AuditEvent) -> Result<bool, StoreError> {
        self.write(|store| store.put_photo(photo, audit))
    }
    fn photo(&self, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
        self.read(|store| store.photo(sha256))
    }
    fn has_photo(&self, sha256: &str) -> Result<bool, StoreError> {
        self.read(|store| store.has_photo(sha256))
    }
    fn publish_plugin(&self, plugin: PluginRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.publish_plugin(plugin, audit))
    }
    fn plugins(&self) -> Result<Vec<PluginRecord>, StoreError> {
        self.read(|store| store.plugins())
    }
    fn put_artifact(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.write(|store| store.put_artifact(key, bytes))
    }
    fn swap_artifact(&self, key: &str, expected: Option<&[u8]>, bytes: &[u8]) -> Result<bool, StoreError> {
        self.write(|store| store.swap_artifact(key, expected, bytes))
    }
    fn artifact(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|store| store.artifact(key))
    }
    fn verify_integrity(&self) -> Result<usize, StoreError> {
        self.read(|store| store.verify_integrity())
    }
    fn log_size(&self) -> Result<u64, StoreError> {
        self.read(|store| store.log_size())
    }
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        self.read(|store| store.log_entries(start, end))
    }
    fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        self.read(|store| store.log_hashes(indexes))
    }
    fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|store| store.log_checkpoint())
    }
    fn put_log_checkpoint(&self, note: &[u8]) -> Result<(), StoreError> {
        self.write(|store| store.put_log_checkpoint(note))
    }
    fn service_key(&self, purpose: &str) -> Result<Option<ServiceKey>, StoreError> {
        self.read(|store| store.service_key(purpose))
    }
    fn create_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<ServiceKey, StoreError> {
        self.write(|store| store.create_service_key(key, audit))
    }
    fn replace_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<(), StoreError> {
        self.write(|store| store.replace_service_key(key, audit))
    }
    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        self.read(|store| store.witness_state(origin))
    }
    fn advance_witness_state(
        &self,
        origin: &str,
        expected_size: u64,
        new: WitnessState,
    ) -> Result<Result<(), u64>, StoreError> {
        self.write(|store| store.advance_witness_state(origin, expected_size, new))
    }
    fn writes_refused(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }
}
