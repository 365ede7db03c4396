//! The registry: certificates with their status events, signing keys, API tokens,
//! idempotency keys and the audit log, behind the [`Store`] trait, with an embedded sled
//! implementation ([`SledStore`]).
//!
//! Invariants every implementation keeps (and [`conformance`] tests):
//! - a write returns only after it is durable (sled: `flush()`), so an acknowledged
//!   certificate survives a crash;
//! - every record carries a SHA-256 of its bytes, checked on every read: a damaged record
//!   is an error, never served;
//! - certificate numbers run `CC-YYYY-000001` upward per country and year without gaps or
//!   duplicates, even under concurrent issuance, because the counter and the certificate
//!   are written in one transaction;
//! - status events go through [`cartouche_model::lifecycle::check_transition`], under the
//!   same lock as the write, so two officers cannot both record the first exit;
//! - every write that changes what a verifier concludes (issuance, a status event, a
//!   seal key, a plugin version) appends its entry to the issuance log in the same
//!   transaction ([`log`] builds the entries; `cartouche-log` defines them), with the
//!   log's stored tree hashes, so no acknowledged event is missing from the log and no
//!   entry exists without its event;
//! - a store written by another format version is refused at open (format 1, from before
//!   the log, is migrated: its history is appended to a new log, once).
//!
//! The trait is synchronous: callers on an async runtime run it on a blocking thread.
//! This crate knows nothing of HTTP.

pub mod conformance;
mod envelope;
pub mod log;
pub mod migrate;
mod pg_store;
mod records;
mod reopen;
mod sled_store;
pub mod testing;

use cartouche_model::{Actor, Algorithm, Certificate, LifecycleError, Role, StatusEvent};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

pub use pg_store::{PgOptions, PgStore, SCHEMA_VERSION};
pub use reopen::{RESUME_FREE_BYTES, ReopeningStore};
pub use sled_store::SledStore;

/// The on-disk format this build reads and writes: 3 since records may be stored
/// compressed (format 2 is marked 3 at open, its records stay as they are; format 1,
/// without the issuance log, is migrated). An older build refuses a format-3 directory
/// with a clear message instead of misreading compressed records.
pub const FORMAT_VERSION: u32 = 3;

pub use cartouche_log::witness::WitnessState;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory was written by another format version.
    #[error(
        "the data directory uses store format {found}, but this build of Cartouche reads format {expected}; use a matching release or migrate the data"
    )]
    IncompatibleFormat {
        /// Found on disk.
        found: String,
        /// Supported.
        expected: u32,
    },
    /// Another process holds the data directory.
    #[error("the data directory is in use by another Cartouche process (or cannot be locked): {0}")]
    Locked(String),
    /// A record failed its checksum or could not be decoded.
    #[error("stored record {tree}/{key} is corrupt ({reason}); it is not served")]
    Corrupt {
        /// Tree.
        tree: &'static str,
        /// Key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The underlying database failed.
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database cannot be reached, or answers read-only (a standby, a failover under
    /// way), or a statement ran past its timeout. Nothing was acknowledged; a retry may
    /// succeed (with the same idempotency key, it cannot issue twice).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database's schema is newer than this build knows.
    #[error(
        "the database's schema is version {found}, newer than this build of Cartouche knows ({supported}): a newer release migrated it; run that release (nothing was changed)"
    )]
    IncompatibleSchema {
        /// Found in the database.
        found: i64,
        /// The newest this build applies.
        supported: i64,
    },
    /// The filesystem of the store is full: nothing was written.
    #[error("the store's disk is full: {0}")]
    Full(String),
    /// No such record.
    #[error("{what} {key} not found")]
    NotFound {
        /// Kind of record.
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// The event cannot follow the certificate's history.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// The idempotency key was used before with a different request.
    #[error("idempotency key already used for a different request (certificate {number})")]
    IdempotencyMismatch {
        /// The certificate the key produced.
        number: String,
    },
    /// A country's sequence for the year is exhausted.
    #[error("no certificate numbers left for {country} in {year}")]
    SequenceExhausted {
        /// Country.
        country: String,
        /// Year.
        year: i32,
    },
    /// The caller's certificate builder failed; nothing was written.
    #[error("{0}")]
    Build(String),
    /// A plugin version is published already (published versions are immutable).
    #[error(
        "plugin {id} version {version} is already published; published versions are immutable, publish a new version"
    )]
    PluginVersionExists {
        /// Plugin id.
        id: String,
        /// Version.
        version: String,
    },
}

/// A certificate with its seal and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// The certificate as issued.
    pub certificate: Certificate,
    /// The seal (compact JWS).
    pub token: String,
    /// The signing key's id.
    pub kid: String,
    /// Status events, oldest first; the first is `issued`.
    pub events: Vec<StatusEvent>,
    /// Index of its issuance entry in the issuance log (set by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// Lower-case hex SHA-256 of the canonical certificate, as sealed (the seal's `h`),
    /// given by whoever built the record so that the log entry does not hash it again;
    /// computed when absent (records from before the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_sha256: Option<String>,
}

/// Where a key's secret half lives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Custody {
    /// The secret is in the record, in clear: stores written before keys were sealed.
    /// Such records are sealed at the next start.
    #[default]
    Store,
    /// The secret in the record is sealed under the key-encryption key `kek` (its id).
    Sealed {
        /// The KEK's id.
        kek: String,
    },
    /// The secret never left a hardware security module; the record holds none.
    Hsm {
        /// The token's label.
        token: String,
        /// The key's CKA_ID, lower-case hex.
        id: String,
        /// The key's CKA_LABEL.
        label: String,
    },
}

impl Custody {
    /// `store`, `sealed` or `hsm`.
    pub fn kind(&self) -> &'static str {
        match self {
            Custody::Store => "store",
            Custody::Sealed { .. } => "sealed",
            Custody::Hsm { .. } => "hsm",
        }
    }
}

/// A signing key with its secret. Never serialized outside the store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key id.
    pub kid: String,
    /// Country it signs for.
    pub country: String,
    /// Algorithm.
    pub alg: Algorithm,
    /// Where the secret lives; says how to read `secret`.
    #[serde(default)]
    pub custody: Custody,
    /// The secret scalar: in clear (custody `store`), sealed (`sealed`) or empty (`hsm`).
    #[serde(with = "b64")]
    pub secret: Vec<u8>,
    /// Public key bytes.
    #[serde(with = "b64")]
    pub public: Vec<u8>,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Replaced by a newer key.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
    /// Nothing it signed verifies after this.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("kid", &self.kid)
            .field("country", &self.country)
            .field("alg", &self.alg)
            .field("custody", &self.custody)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

pub(crate) mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// A key of the registry itself (not a seal key): the log's checkpoint key, the
/// witness's cosigning key. Never serialized outside the store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceKey {
    /// What it is for: `log` or `witness`.
    pub purpose: String,
    /// Its key name (the log's origin, the witness's name).
    pub name: String,
    /// Where the secret lives (`store` or `sealed`).
    #[serde(default)]
    pub custody: Custody,
    /// Ed25519 secret: in clear (custody `store`) or sealed.
    #[serde(with = "b64")]
    pub secret: Vec<u8>,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceKey").field("purpose", &self.purpose).field("name", &self.name).finish_non_exhaustive()
    }
}

/// An API token. Only the SHA-256 of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Public id (shown in logs and audit).
    pub id: String,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// Role.
    pub role: Role,
    /// Country (absent for admin).
    pub country: Option<String>,
    /// Free label ("Ministère de la Culture, bureau des exportations").
    pub label: String,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A cleaned object photo, stored under the SHA-256 of its JPEG bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRecord {
    /// Lower-case hex SHA-256 of `jpeg`.
    pub sha256: String,
    /// The clean JPEG (no metadata).
    #[serde(with = "b64")]
    pub jpeg: Vec<u8>,
    /// A small JPEG of it.
    #[serde(with = "b64")]
    pub thumbnail: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Who uploaded it first.
    pub uploaded_by: Actor,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
}

/// A published rule plugin: its manifest, its component, the cases it passed, and who
/// published it. Immutable once stored. The type lives in the model; the name stays for
/// the store's callers.
pub use cartouche_model::plugin::PublishedPlugin as PluginRecord;

/// One audit entry: who did what, when, with what result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who (absent for anonymous requests).
    pub actor: Option<Actor>,
    /// What (`certificate.issue`, `certificate.revoke`, `key.rotate`, ...).
    pub action: String,
    /// On what (a certificate number, a country, a token id).
    pub target: String,
    /// `ok` or `denied`.
    pub outcome: String,
    /// Detail for a person (never a secret).
    pub detail: String,
}

/// An idempotency key with what it produced.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key, already scoped to the caller (e.g. token id + header value).
    pub scoped_key: String,
    /// SHA-256 of the request body, to refuse a reuse with another request.
    pub request_sha256: String,
}

/// What issuance did.
#[derive(Debug, Clone)]
pub enum IssueOutcome {
    /// A new certificate was written.
    Created(Box<CertificateRecord>),
    /// The idempotency key was seen with the same request: the original certificate.
    Replayed(Box<CertificateRecord>),
}

/// A page of certificates.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records.
    pub records: Vec<CertificateRecord>,
    /// Pass as `after` to get the next page; `None` at the end.
    pub next_after: Option<String>,
}

/// What to list.
pub struct ListQuery<'a> {
    /// Only this country's certificates.
    pub country: Option<&'a str>,
    /// Start after this number (exclusive).
    pub after: Option<&'a str>,
    /// At most this many (1..=500).
    pub limit: usize,
    /// Keep only records this accepts.
    pub filter: &'a dyn Fn(&CertificateRecord) -> bool,
}

/// Builds the certificate record once its number is known, with the index its issuance
/// entry will have in the issuance log (the seal's status-list entry). Runs under the
/// issuance lock.
pub type BuildRecord<'a> = dyn FnMut(&str, u64) -> Result<CertificateRecord, String> + 'a;

/// The registry.
pub trait Store: Send + Sync + 'static {
    /// Assigns the next number of `country` in `year`, builds the record with it and
    /// writes both, with an audit entry, atomically and durably. With an idempotency key
    /// that was used before for the same request, returns the original certificate.
    fn issue(
        &self,
        country: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        audit: AuditEvent,
        build: &mut BuildRecord<'_>,
    ) -> Result<IssueOutcome, StoreError>;

    /// A certificate.
    fn certificate(&self, number: &str) -> Result<Option<CertificateRecord>, StoreError>;

    /// Certificates in number order.
    fn list_certificates(&self, query: &ListQuery<'_>) -> Result<Page, StoreError>;

    /// Appends a status event after checking it may follow the history at `today`;
    /// writes it with an audit entry, durably. Returns the updated record.
    fn record_event(
        &self,
        number: &str,
        event: StatusEvent,
        today: Date,
        audit: AuditEvent,
    ) -> Result<CertificateRecord, StoreError>;

    /// Every signing key, current, retired and expired.
    fn keys(&self) -> Result<Vec<KeyRecord>, StoreError>;

    /// Makes `key` its country's current key: every key of the country that still signs
    /// at its creation is retired then (it keeps verifying until its expiry). Durable, audited.
    fn rotate_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError>;

    /// Replaces the record of an existing key (the same kid, country, algorithm and public
    /// key: its custody, secret or validity change). Durable, audited. `NotFound` if the
    /// kid is unknown.
    fn update_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError>;

    /// Stores a new API token. Durable, audited.
    fn insert_token(&self, token: TokenRecord, audit: AuditEvent) -> Result<(), StoreError>;

    /// The token whose secret hashes to `secret_sha256`.
    fn token_by_hash(&self, secret_sha256: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Whether any token exists (first start creates the admin token when none does).
    fn has_tokens(&self) -> Result<bool, StoreError>;

    /// Appends an audit entry (denied requests, for instance). Durable.
    fn append_audit(&self, audit: AuditEvent) -> Result<(), StoreError>;

    /// The most recent audit entries, newest first.
    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;

    /// Stores a photo unless one with the same hash exists; `true` when it was new.
    /// Durable, audited when new.
    fn put_photo(&self, photo: PhotoRecord, audit: AuditEvent) -> Result<bool, StoreError>;

    /// A photo by the hex SHA-256 of its bytes; the hash is checked against the bytes.
    fn photo(&self, sha256: &str) -> Result<Option<PhotoRecord>, StoreError>;

    /// Whether a photo is stored under `sha256`: a key lookup that reads no photo.
    fn has_photo(&self, sha256: &str) -> Result<bool, StoreError>;

    /// Stores a new plugin version. [`StoreError::PluginVersionExists`] if that id and
    /// version exist (whatever the bytes). Durable, audited.
    fn publish_plugin(&self, plugin: PluginRecord, audit: AuditEvent) -> Result<(), StoreError>;

    /// Every published plugin version, ordered by id then publication.
    fn plugins(&self) -> Result<Vec<PluginRecord>, StoreError>;

    /// How many plugin versions are published (a node on a shared database polls it to
    /// see another node's publications).
    fn plugin_count(&self) -> Result<usize, StoreError> {
        self.plugins().map(|plugins| plugins.len())
    }

    /// Stores derived bytes under `key` (the host's compiled plugins, keyed by component
    /// hash and engine). Overwrites; durable.
    fn put_artifact(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;

    /// Stores `bytes` under `key` only if what is stored there is still `expected` (`None`:
    /// nothing); whether it did. Atomic across every handle on the store (two server
    /// processes on one database), durable: a counter kept this way never gives one value
    /// twice.
    fn swap_artifact(&self, key: &str, expected: Option<&[u8]>, bytes: &[u8]) -> Result<bool, StoreError>;

    /// Derived bytes stored under `key`, checksum verified.
    fn artifact(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Reads every record and checks its checksum; the number of records checked.
    fn verify_integrity(&self) -> Result<usize, StoreError>;

    /// Entries in the issuance log.
    fn log_size(&self) -> Result<u64, StoreError>;

    /// Entries `start..end` of the log (`end` at most the size), checksums verified.
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Stored tree hashes, by stored-hash index (`cartouche_log::tree::stored_hash_index`).
    fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError>;

    /// The latest signed checkpoint note, with its cosignatures.
    fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// Replaces the latest signed checkpoint; the caller has checked that it is
    /// consistent with the one before. Durable.
    fn put_log_checkpoint(&self, note: &[u8]) -> Result<(), StoreError>;

    /// A service key by purpose.
    fn service_key(&self, purpose: &str) -> Result<Option<ServiceKey>, StoreError>;

    /// Stores a service key unless its purpose has one; returns the one kept. Durable,
    /// audited when new.
    fn create_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<ServiceKey, StoreError>;

    /// Replaces the stored service key of the same purpose and name (its custody and
    /// secret change, its key does not). Durable, audited. `NotFound` if there is none.
    fn replace_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<(), StoreError>;

    /// The latest checkpoint this registry cosigned, as a witness, for a log.
    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError>;

    /// Records `new` as the latest cosigned checkpoint of `origin` if the latest is still
    /// of `expected_size` (0 for none); otherwise `Ok(Err(latest size))`. Atomic, durable.
    fn advance_witness_state(
        &self,
        origin: &str,
        expected_size: u64,
        new: WitnessState,
    ) -> Result<Result<(), u64>, StoreError>;

    /// Holds off every other process's first-start set-up until the guard is dropped: the
    /// nodes of a shared store started at once bootstrap it one after the other (the
    /// first creates the keys and the admin token, the others find them). `None` for an
    /// embedded store, which one process holds anyway.
    fn set_up_guard(&self) -> Result<Option<Box<dyn std::any::Any + Send>>, StoreError> {
        Ok(None)
    }

    /// The database behind a shared store, for health checks (`None` for an embedded one).
    fn database(&self) -> Option<DatabaseHealth> {
        None
    }

    /// Whether writes are refused for now (a full disk), while reads go on.
    fn writes_refused(&self) -> bool {
        false
    }
}

/// The database a shared store uses, as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseHealth {
    /// `postgres`.
    pub kind: &'static str,
    /// User, hosts and database (never a password).
    pub target: String,
    /// Schema version this build applies.
    pub schema_version: i64,
    /// Connections this node holds open.
    pub connections: u32,
    /// Of which idle.
    pub idle_connections: u32,
}

/// Reads a store's log hashes for the tree algorithms of `cartouche-log`.
pub struct StoreHashes<'a>(pub &'a dyn Store);

impl cartouche_log::tree::HashReader for StoreHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<cartouche_log::Hash>, cartouche_log::tree::TreeError> {
        self.0
            .log_hashes(indexes)
            .map(|hashes| hashes.into_iter().map(cartouche_log::Hash).collect())
            .map_err(|error| cartouche_log::tree::TreeError::InvalidInput(error.to_string()))
    }
}
