//! The PostgreSQL store, for registries that outgrow one machine: several server processes
//! on one database, a synchronous standby to fail over to, backups with the operators'
//! own tools.
//!
//! - Records are framed as in the sled store (checksum verified on every read), one row
//!   each, keyed as in sled; the schema is in `migrations/`, applied at open by refinery
//!   under an advisory lock (two nodes starting at once migrate once). A database whose
//!   schema is newer than this build's is refused.
//! - Every write that appends to the issuance log, counts a certificate number, or must
//!   be checked against the state it changes first locks the one `log_head` row
//!   (`SELECT ... FOR UPDATE`): that row is the registry's writer lock across all nodes,
//!   so numbers stay gapless, two first exits at two nodes cannot both pass the lifecycle
//!   check, and an idempotency key issues once. The check and the write are one
//!   transaction; the answer is given after COMMIT, which with a synchronous standby
//!   returns once the standby has the commit too.
//! - Connections come from an r2d2 pool, checked at checkout; connect, statement and TCP
//!   timeouts bound every call, so an unreachable or read-only database (a failover under
//!   way) is [`StoreError::Unavailable`], never a hang.
//!
//! The `postgres` client runs its own small runtime: calls made on an async runtime's
//! worker thread are moved off it with `block_in_place`.

use std::cell::RefCell;
use std::str::FromStr;
use std::time::Duration;

use cartouche_log::tree::{HashReader, TreeError, leaf_hash};
use cartouche_model::lifecycle::{check_exit_date, check_transition};
use cartouche_model::{EventKind, StatusEvent};
use postgres::error::SqlState;
use postgres::{GenericClient, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use time::Date;

use crate::envelope::{open, open_raw, seal, seal_raw};
use crate::log::{LogLeaf, leaf_of_stored_hash};
use crate::records::{
    Artifact, IdempotencyRecord, StoredWitnessState, checked_photo, checked_plugin, next_number, retired_by,
};
use crate::{
    AuditEvent, BuildRecord, CertificateRecord, FORMAT_VERSION, Idempotency, IssueOutcome, KeyRecord, ListQuery, Page,
    PhotoRecord, PluginRecord, ServiceKey, Store, StoreError, TokenRecord, WitnessState,
};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The newest schema version this build applies (the highest `V<n>__*.sql`).
pub const SCHEMA_VERSION: i64 = 1;

/// The advisory lock held while migrating ("cartouche" in ASCII, truncated to 63 bits).
const MIGRATION_LOCK: i64 = 0x6361_7274_6f75_6368;

/// The advisory lock held through a node's first-start set-up (the migration lock + 1).
const SET_UP_LOCK: i64 = MIGRATION_LOCK + 1;

/// The longest a node waits for another's set-up (or migration) before giving up.
const SET_UP_WAIT: Duration = Duration::from_secs(600);

/// Holds the set-up lock on a session of its own: dropping it closes the session, which
/// releases the lock whatever happened meanwhile.
struct SetUpGuard(Option<postgres::Client>);

impl Drop for SetUpGuard {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            blocking(|| drop(client.close()));
        }
    }
}

/// How the store connects.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Most connections this process opens.
    pub pool_size: u32,
    /// Longest wait for a connection (connecting, or from the pool).
    pub connect_timeout: Duration,
    /// Longest a statement may run on the server (PostgreSQL cancels it).
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self { pool_size: 16, connect_timeout: Duration::from_secs(5), statement_timeout: Duration::from_secs(10) }
    }
}

/// The PostgreSQL-backed [`Store`].
pub struct PgStore {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
    /// For sessions of their own (the set-up lock).
    config: postgres::Config,
    target: String,
}

/// A database error as a store error: what a retry may cure (no connection, a read-only
/// standby, a statement timeout, a server shutting down) is `Unavailable`.
fn pg(error: postgres::Error) -> StoreError {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        if *code == SqlState::DISK_FULL {
            return StoreError::Full(db.message().to_owned());
        }
        let class = code.code();
        if class.starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::READ_ONLY_SQL_TRANSACTION,
                SqlState::QUERY_CANCELED,
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code)
        {
            return StoreError::Unavailable(format!("{} ({class})", db.message()));
        }
        return StoreError::Backend(format!("{} ({class})", db.message()));
    }
    if error.is_closed() || std::error::Error::source(&error).is_some_and(|source| source.is::<std::io::Error>()) {
        return StoreError::Unavailable(error.to_string());
    }
    StoreError::Backend(error.to_string())
}

/// Runs `work` where the synchronous client may block: off an async worker thread.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// The user, hosts, ports and database of a connection string, for messages (never its
/// password).
fn describe(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(index, host)| {
            let name = match host {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            let port = config.get_ports().get(index).or(config.get_ports().first()).copied().unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        config.get_dbname().unwrap_or(config.get_user().unwrap_or("?"))
    )
}

/// The size a signed checkpoint note states (its second line).
fn checkpoint_size(note: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(note).ok()?;
    text.lines().nth(1)?.parse::<u64>().ok().and_then(|size| i64::try_from(size).ok())
}

fn index(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("log index {value} is out of range")))
}

/// The stored hashes read inside a transaction, for the tree algorithms.
struct TxHashes<'a, 'b>(RefCell<&'a mut Transaction<'b>>);

fn read_hashes<C: GenericClient>(client: &mut C, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut wanted = Vec::with_capacity(indexes.len());
    for &stored in indexes {
        let (leaf, level) = leaf_of_stored_hash(stored)
            .ok_or_else(|| StoreError::NotFound { what: "log hash", key: stored.to_string() })?;
        wanted.push((stored, leaf, level));
    }
    let leaves: Vec<i64> = wanted.iter().map(|&(_, leaf, _)| index(leaf)).collect::<Result<_, _>>()?;
    let rows = client.query("SELECT idx, body FROM log_leaves WHERE idx = ANY($1)", &[&leaves]).map_err(pg)?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let idx: i64 = row.get(0);
        let body: Vec<u8> = row.get(1);
        found.insert(idx as u64, LogLeaf::decode(&(idx as u64).to_be_bytes(), &body)?);
    }
    wanted
        .into_iter()
        .map(|(stored, leaf, level)| {
            let record =
                found.get(&leaf).ok_or_else(|| StoreError::NotFound { what: "log hash", key: stored.to_string() })?;
            record.hashes.get(usize::from(level)).copied().ok_or_else(|| StoreError::Corrupt {
                tree: "log",
                key: leaf.to_string(),
                reason: format!("no stored hash at level {level}"),
            })
        })
        .collect()
}

impl HashReader for TxHashes<'_, '_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<cartouche_log::Hash>, TreeError> {
        let mut tx = self.0.borrow_mut();
        read_hashes(&mut **tx, indexes)
            .map(|hashes| hashes.into_iter().map(cartouche_log::Hash).collect())
            .map_err(|error| TreeError::InvalidInput(error.to_string()))
    }
}

/// Takes the registry's writer lock for this transaction; the log's size.
fn lock(tx: &mut Transaction<'_>) -> Result<u64, StoreError> {
    let row = tx.query_one("SELECT size FROM log_head WHERE id = 1 FOR UPDATE", &[]).map_err(pg)?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Appends `entry` at `size` (the locked log's size); its index.
fn append_log(tx: &mut Transaction<'_>, size: u64, entry: &[u8]) -> Result<u64, StoreError> {
    let hashes =
        {
            let reader = TxHashes(RefCell::new(&mut *tx));
            cartouche_log::tree::stored_hashes(size, leaf_hash(entry), &reader).map_err(|error| {
                StoreError::Corrupt { tree: "log", key: size.to_string(), reason: error.to_string() }
            })?
        };
    let leaf = LogLeaf { hashes: hashes.iter().map(|hash| hash.0).collect(), entry: entry.to_vec() };
    tx.execute("INSERT INTO log_leaves (idx, body) VALUES ($1, $2)", &[&index(size)?, &leaf.encode()]).map_err(pg)?;
    tx.execute("UPDATE log_head SET size = $1 WHERE id = 1", &[&index(size + 1)?]).map_err(pg)?;
    Ok(size)
}

fn insert_audit(tx: &mut Transaction<'_>, audit: &AuditEvent) -> Result<(), StoreError> {
    tx.execute("INSERT INTO audit (body) VALUES ($1)", &[&seal(audit)?]).map_err(pg)?;
    Ok(())
}

fn read_one<C: GenericClient, T: serde::de::DeserializeOwned>(
    client: &mut C,
    sql: &str,
    tree: &'static str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match client.query_opt(sql, &[&key]).map_err(pg)? {
        Some(row) => Ok(Some(open(tree, key.as_bytes(), row.get::<_, &[u8]>(0))?)),
        None => Ok(None),
    }
}

fn certificate_in<C: GenericClient>(client: &mut C, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
    read_one(client, "SELECT body FROM certificates WHERE number = $1", "certificates", number)
}

fn keys_in<C: GenericClient>(client: &mut C) -> Result<Vec<KeyRecord>, StoreError> {
    client
        .query("SELECT kid, body FROM signing_keys ORDER BY kid", &[])
        .map_err(pg)?
        .iter()
        .map(|row| open("keys", row.get::<_, &str>(0).as_bytes(), row.get::<_, &[u8]>(1)))
        .collect()
}

fn service_key_in<C: GenericClient>(client: &mut C, purpose: &str) -> Result<Option<ServiceKey>, StoreError> {
    read_one(client, "SELECT body FROM service_keys WHERE purpose = $1", "service_keys", purpose)
}

fn witness_in<C: GenericClient>(client: &mut C, origin: &str) -> Result<Option<WitnessState>, StoreError> {
    read_one::<_, StoredWitnessState>(client, "SELECT body FROM witness WHERE origin = $1", "witness", origin)?
        .map(|stored| stored.state(origin))
        .transpose()
}

impl PgStore {
    /// Whether `text` names a PostgreSQL database (a `postgres://` or `postgresql://` URI).
    pub fn is_url(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    /// Connects to the database at `url` (a libpq connection string or URI: several
    /// hosts, `target_session_attrs=read-write`), applies the migrations this build has,
    /// and checks the record format. Refuses a database of a newer schema.
    pub fn open(url: &str, options: &PgOptions) -> Result<Self, StoreError> {
        let mut config = postgres::Config::from_str(url).map_err(|error| {
            StoreError::Backend(format!("the store URL is not a PostgreSQL connection string: {error}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        // A peer that vanishes without closing the connection (a machine lost, a network cut)
        // is noticed by TCP, not after the kernel's default of several minutes.
        config.keepalives(true).keepalives_idle(Duration::from_secs(5));
        config.keepalives_interval(Duration::from_secs(2)).keepalives_retries(3);
        config.tcp_user_timeout(options.connect_timeout + options.statement_timeout);
        if config.get_application_name().is_none() {
            config.application_name("cartouche");
        }
        let mut settings = config.get_options().map(|text| format!("{text} ")).unwrap_or_default();
        settings.push_str(&format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            options.statement_timeout.as_millis(),
            (options.statement_timeout * 6).as_millis()
        ));
        config.options(&settings);
        let target = describe(&config);
        // One connection first, for an error that says what is wrong (refused, unknown
        // database, authentication) rather than the pool's "timed out".
        let first = blocking(|| config.connect(NoTls))
            .map_err(|error| StoreError::Unavailable(format!("cannot connect to {target}: {error}")))?;
        drop(first);
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = blocking(|| {
            r2d2::Pool::builder()
                .max_size(options.pool_size.max(1))
                .min_idle(Some(1))
                .connection_timeout(options.connect_timeout)
                .test_on_check_out(true)
                .error_handler(Box::new(r2d2::NopErrorHandler))
                .build(manager)
        })
        .map_err(|error| StoreError::Unavailable(format!("cannot connect to {target}: {error}")))?;
        let store = Self { pool, config, target };
        store.migrate()?;
        Ok(store)
    }

    /// The user, hosts and database connected to (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Connections open, and idle among them.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&mut r2d2::PooledConnection<PostgresConnectionManager<NoTls>>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        blocking(|| {
            let mut client = self.pool.get().map_err(|error| {
                StoreError::Unavailable(format!("no connection to {} could be had: {error}", self.target))
            })?;
            work(&mut client)
        })
    }

    /// Runs `work` in one read-committed transaction, committed if it returns `Ok`.
    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|client| {
            let mut tx = client.transaction().map_err(pg)?;
            let value = work(&mut tx)?;
            tx.commit().map_err(pg)?;
            Ok(value)
        })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.with(|client| {
            client.batch_execute(&format!("SET statement_timeout = {}", SET_UP_WAIT.as_millis())).map_err(pg)?;
            client.query_one("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
            client.batch_execute("RESET statement_timeout").map_err(pg)?;
            let result = (|| {
                let migrated: bool = client
                    .query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL", &[])
                    .map_err(pg)?
                    .get(0);
                let applied: Option<i64> = if migrated {
                    client
                        .query_one("SELECT max(version)::bigint FROM refinery_schema_history", &[])
                        .map_err(pg)?
                        .get(0)
                } else {
                    None
                };
                if let Some(found) = applied.filter(|&found| found > SCHEMA_VERSION) {
                    return Err(StoreError::IncompatibleSchema { found, supported: SCHEMA_VERSION });
                }
                let report = embedded::migrations::runner()
                    .run(&mut **client)
                    .map_err(|error| StoreError::Backend(format!("the schema migration failed: {error}")))?;
                for migration in report.applied_migrations() {
                    tracing::info!(version = migration.version(), name = %migration.name(), "applied a schema migration");
                }
                let format = seal(&FORMAT_VERSION)?;
                client
                    .execute(
                        "INSERT INTO store_meta (key, body) VALUES ('format_version', $1) ON CONFLICT (key) DO NOTHING",
                        &[&format],
                    )
                    .map_err(pg)?;
                let stored: u32 = read_one(
                    &mut **client,
                    "SELECT body FROM store_meta WHERE key = $1",
                    "store_meta",
                    "format_version",
                )?
                .unwrap_or(FORMAT_VERSION);
                if stored != FORMAT_VERSION {
                    return Err(StoreError::IncompatibleFormat { found: stored.to_string(), expected: FORMAT_VERSION });
                }
                Ok(())
            })();
            client.query_one("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
            result
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|client| {
            Ok(client
                .query_one("SELECT coalesce(max(version), 0)::bigint FROM refinery_schema_history", &[])
                .map_err(pg)?
                .get(0))
        })
    }
}

impl Store for PgStore {
    fn issue(
        &self,
        country: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        mut audit: AuditEvent,
        build: &mut BuildRecord<'_>,
    ) -> Result<IssueOutcome, StoreError> {
        self.transaction(|tx| {
            let size = lock(tx)?;
            if let Some(idempotency) = idempotency {
                let stored: Option<IdempotencyRecord> = read_one(
                    &mut *tx,
                    "SELECT body FROM idempotency WHERE scoped_key = $1",
                    "idempotency",
                    &idempotency.scoped_key,
                )?;
                if let Some(stored) = stored {
                    if stored.request_sha256 != idempotency.request_sha256 {
                        return Err(StoreError::IdempotencyMismatch { number: stored.number });
                    }
                    let record = certificate_in(&mut *tx, &stored.number)?.ok_or_else(|| StoreError::Corrupt {
                        tree: "idempotency",
                        key: idempotency.scoped_key.clone(),
                        reason: format!("points at missing certificate {}", stored.number),
                    })?;
                    return Ok(IssueOutcome::Replayed(Box::new(record)));
                }
            }
            let counter_key = format!("{country}-{year:04}");
            let current: u32 =
                read_one(&mut *tx, "SELECT body FROM counters WHERE country_year = $1", "counters", &counter_key)?
                    .unwrap_or(0);
            let (sequence, number) = next_number(country, year, current)?;
            let mut record = build(&number, size).map_err(StoreError::Build)?;
            let log_index = append_log(tx, size, &crate::log::issued_entry(&record)?)?;
            record.log_index = Some(log_index);
            audit.target = number.clone();
            let inserted = tx
                .execute(
                    "INSERT INTO certificates (number, body) VALUES ($1, $2) ON CONFLICT (number) DO NOTHING",
                    &[&number, &seal(&record)?],
                )
                .map_err(pg)?;
            if inserted != 1 {
                return Err(StoreError::Corrupt {
                    tree: "certificates",
                    key: number,
                    reason: "a certificate already has the next number: the counter is behind".into(),
                });
            }
            tx.execute(
                "INSERT INTO counters (country_year, body) VALUES ($1, $2)
                 ON CONFLICT (country_year) DO UPDATE SET body = excluded.body",
                &[&counter_key, &seal(&sequence)?],
            )
            .map_err(pg)?;
            if let Some(idempotency) = idempotency {
                let stored =
                    IdempotencyRecord { request_sha256: idempotency.request_sha256.clone(), number: number.clone() };
                tx.execute(
                    "INSERT INTO idempotency (scoped_key, body) VALUES ($1, $2)",
                    &[&idempotency.scoped_key, &seal(&stored)?],
                )
                .map_err(pg)?;
            }
            insert_audit(tx, &audit)?;
            Ok(IssueOutcome::Created(Box::new(record)))
        })
    }

    fn certificate(&self, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        self.with(|client| certificate_in(&mut **client, number))
    }

    fn list_certificates(&self, query: &ListQuery<'_>) -> Result<Page, StoreError> {
        const BATCH: i64 = 500;
        let prefix = query.country.map(|country| format!("{country}-")).unwrap_or_default();
        let limit = query.limit.clamp(1, 500);
        self.with(|client| {
            let mut after = query.after.map(str::to_owned).filter(|after| after.as_str() >= prefix.as_str());
            let mut records = Vec::with_capacity(limit);
            loop {
                let rows = client
                    .query(
                        "SELECT number, body FROM certificates
                         WHERE starts_with(number, $1) AND ($2::text IS NULL OR number > $2)
                         ORDER BY number LIMIT $3",
                        &[&prefix, &after, &BATCH],
                    )
                    .map_err(pg)?;
                let exhausted = (rows.len() as i64) < BATCH;
                for row in &rows {
                    let number: &str = row.get(0);
                    after = Some(number.to_owned());
                    let record: CertificateRecord = open("certificates", number.as_bytes(), row.get::<_, &[u8]>(1))?;
                    if !(query.filter)(&record) {
                        continue;
                    }
                    if records.len() == limit {
                        let next_after = records.last().map(|last: &CertificateRecord| last.certificate.number.clone());
                        return Ok(Page { records, next_after });
                    }
                    records.push(record);
                }
                if exhausted {
                    return Ok(Page { records, next_after: None });
                }
            }
        })
    }

    fn record_event(
        &self,
        number: &str,
        event: StatusEvent,
        today: Date,
        mut audit: AuditEvent,
    ) -> Result<CertificateRecord, StoreError> {
        self.transaction(|tx| {
            let size = lock(tx)?;
            let mut record = certificate_in(&mut *tx, number)?
                .ok_or_else(|| StoreError::NotFound { what: "certificate", key: number.to_owned() })?;
            check_transition(&record.certificate, &record.events, event.kind)?;
            if event.kind == EventKind::Exited {
                check_exit_date(&record.certificate, today)?;
            }
            append_log(tx, size, &crate::log::status_entry(number, &event)?)?;
            record.events.push(event);
            audit.target = number.to_owned();
            tx.execute("UPDATE certificates SET body = $2 WHERE number = $1", &[&number, &seal(&record)?])
                .map_err(pg)?;
            insert_audit(tx, &audit)?;
            Ok(record)
        })
    }

    fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.with(|client| keys_in(&mut **client))
    }

    fn rotate_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let size = lock(tx)?;
            for mut existing in keys_in(&mut *tx)? {
                if let Some(at) = retired_by(&existing, &key) {
                    existing.retired_at = Some(at);
                    tx.execute("UPDATE signing_keys SET body = $2 WHERE kid = $1", &[&existing.kid, &seal(&existing)?])
                        .map_err(pg)?;
                }
            }
            tx.execute(
                "INSERT INTO signing_keys (kid, body) VALUES ($1, $2) ON CONFLICT (kid) DO UPDATE SET body = excluded.body",
                &[&key.kid, &seal(&key)?],
            )
            .map_err(pg)?;
            insert_audit(tx, &audit)?;
            append_log(tx, size, &crate::log::key_entry(&key)?)?;
            Ok(())
        })
    }

    fn update_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.transaction(|tx| {
            lock(tx)?;
            let existing: KeyRecord =
                read_one(&mut *tx, "SELECT body FROM signing_keys WHERE kid = $1", "keys", &key.kid)?
                    .ok_or_else(|| StoreError::NotFound { what: "key", key: key.kid.clone() })?;
            if (&existing.country, existing.alg, &existing.public) != (&key.country, key.alg, &key.public) {
                return Err(StoreError::Backend(format!(
                    "update_key may change a key's custody, secret and validity, not its country, algorithm or public key ({})",
                    key.kid
                )));
            }
            tx.execute("UPDATE signing_keys SET body = $2 WHERE kid = $1", &[&key.kid, &seal(&key)?]).map_err(pg)?;
            insert_audit(tx, &audit)
        })
    }

    fn insert_token(&self, token: TokenRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO tokens (secret_sha256, body) VALUES ($1, $2)
                 ON CONFLICT (secret_sha256) DO UPDATE SET body = excluded.body",
                &[&token.secret_sha256, &seal(&token)?],
            )
            .map_err(pg)?;
            insert_audit(tx, &audit)
        })
    }

    fn token_by_hash(&self, secret_sha256: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.with(|client| {
            read_one(&mut **client, "SELECT body FROM tokens WHERE secret_sha256 = $1", "tokens", secret_sha256)
        })
    }

    fn has_tokens(&self) -> Result<bool, StoreError> {
        self.with(|client| Ok(client.query_one("SELECT EXISTS (SELECT 1 FROM tokens)", &[]).map_err(pg)?.get(0)))
    }

    fn append_audit(&self, audit: AuditEvent) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute("INSERT INTO audit (body) VALUES ($1)", &[&seal(&audit)?]).map_err(pg)?;
            Ok(())
        })
    }

    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|client| {
            client
                .query("SELECT id, body FROM audit ORDER BY id DESC LIMIT $1", &[&limit])
                .map_err(pg)?
                .iter()
                .map(|row| open("audit", row.get::<_, i64>(0).to_string().as_bytes(), row.get::<_, &[u8]>(1)))
                .collect()
        })
    }

    fn put_photo(&self, photo: PhotoRecord, audit: AuditEvent) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO photos (sha256, body) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
                    &[&photo.sha256, &seal(&photo)?],
                )
                .map_err(pg)?;
            if inserted == 1 {
                insert_audit(tx, &audit)?;
            }
            Ok(inserted == 1)
        })
    }

    fn photo(&self, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
        self.with(|client| {
            read_one::<_, PhotoRecord>(&mut **client, "SELECT body FROM photos WHERE sha256 = $1", "photos", sha256)
        })?
        .map(|photo| checked_photo(sha256, photo))
        .transpose()
    }

    fn has_photo(&self, sha256: &str) -> Result<bool, StoreError> {
        self.with(|client| {
            Ok(client
                .query_one("SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1)", &[&sha256])
                .map_err(pg)?
                .get(0))
        })
    }

    fn publish_plugin(&self, plugin: PluginRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let size = lock(tx)?;
            let versions = tx.query("SELECT version FROM plugins WHERE id = $1", &[&plugin.manifest.id]).map_err(pg)?;
            if versions.iter().any(|row| row.get::<_, &str>(0) == plugin.manifest.version) {
                return Err(StoreError::PluginVersionExists {
                    id: plugin.manifest.id.clone(),
                    version: plugin.manifest.version.clone(),
                });
            }
            let sequence = i32::try_from(versions.len()).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO plugins (id, seq, version, body) VALUES ($1, $2, $3, $4)",
                &[&plugin.manifest.id, &sequence, &plugin.manifest.version, &seal(&plugin)?],
            )
            .map_err(pg)?;
            insert_audit(tx, &audit)?;
            append_log(tx, size, &crate::log::plugin_entry(&plugin)?)?;
            Ok(())
        })
    }

    fn plugins(&self) -> Result<Vec<PluginRecord>, StoreError> {
        self.with(|client| {
            client
                .query("SELECT id, seq, body FROM plugins ORDER BY id, seq", &[])
                .map_err(pg)?
                .iter()
                .map(|row| {
                    let key = format!("{}\u{0}{:020}", row.get::<_, &str>(0), row.get::<_, i32>(1));
                    let plugin: PluginRecord = open("plugins", key.as_bytes(), row.get::<_, &[u8]>(2))?;
                    checked_plugin(key, plugin)
                })
                .collect()
        })
    }

    fn set_up_guard(&self) -> Result<Option<Box<dyn std::any::Any + Send>>, StoreError> {
        let mut client = blocking(|| self.config.connect(NoTls))
            .map_err(|error| StoreError::Unavailable(format!("cannot connect to {}: {error}", self.target)))?;
        // Another node's set-up (compiling the plugins, on a loaded machine) may take longer
        // than a statement may: this one wait gets minutes.
        blocking(|| {
            client.batch_execute(&format!("SET statement_timeout = {}", SET_UP_WAIT.as_millis()))?;
            client.query_one("SELECT pg_advisory_lock($1)", &[&SET_UP_LOCK])
        })
        .map_err(|error| match pg(error) {
            StoreError::Unavailable(reason) if reason.contains("57014") => StoreError::Unavailable(format!(
                "another node has been setting the registry up for {} s (the set-up lock is held): check that node, then start this one again",
                SET_UP_WAIT.as_secs()
            )),
            other => other,
        })?;
        Ok(Some(Box::new(SetUpGuard(Some(client)))))
    }

    fn database(&self) -> Option<crate::DatabaseHealth> {
        let (connections, idle_connections) = self.pool_state();
        Some(crate::DatabaseHealth {
            kind: "postgres",
            target: self.target.clone(),
            schema_version: SCHEMA_VERSION,
            connections,
            idle_connections,
        })
    }

    fn plugin_count(&self) -> Result<usize, StoreError> {
        self.with(|client| {
            Ok(client.query_one("SELECT count(*) FROM plugins", &[]).map_err(pg)?.get::<_, i64>(0) as usize)
        })
    }

    fn put_artifact(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let framed = seal(&Artifact(bytes.to_vec()))?;
        self.with(|client| {
            client
                .execute(
                    "INSERT INTO artifacts (key, body) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                    &[&key, &framed],
                )
                .map_err(pg)?;
            Ok(())
        })
    }

    fn swap_artifact(&self, key: &str, expected: Option<&[u8]>, bytes: &[u8]) -> Result<bool, StoreError> {
        let framed = seal(&Artifact(bytes.to_vec()))?;
        self.transaction(|tx| {
            let Some(expected) = expected else {
                let inserted = tx
                    .execute(
                        "INSERT INTO artifacts (key, body) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                        &[&key, &framed],
                    )
                    .map_err(pg)?;
                return Ok(inserted == 1);
            };
            let current: Option<Artifact> =
                read_one(&mut *tx, "SELECT body FROM artifacts WHERE key = $1 FOR UPDATE", "artifacts", key)?;
            if current.as_ref().map(|artifact| artifact.0.as_slice()) != Some(expected) {
                return Ok(false);
            }
            tx.execute("UPDATE artifacts SET body = $2 WHERE key = $1", &[&key, &framed]).map_err(pg)?;
            Ok(true)
        })
    }

    fn artifact(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|client| {
            Ok(read_one::<_, Artifact>(&mut **client, "SELECT body FROM artifacts WHERE key = $1", "artifacts", key)?
                .map(|artifact| artifact.0))
        })
    }

    fn verify_integrity(&self) -> Result<usize, StoreError> {
        type Check = fn(&'static str, &[u8], &[u8]) -> Result<(), StoreError>;
        let tables: [(&'static str, &str, Check); 14] = [
            ("store_meta", "SELECT key, body FROM store_meta", |t, k, b| open::<u32>(t, k, b).map(drop)),
            ("plugins", "SELECT id || '@' || version, body FROM plugins", |t, k, b| {
                open::<PluginRecord>(t, k, b).map(drop)
            }),
            ("artifacts", "SELECT key, body FROM artifacts", |t, k, b| open::<Artifact>(t, k, b).map(drop)),
            ("photos", "SELECT sha256, body FROM photos", |t, k, b| open::<PhotoRecord>(t, k, b).map(drop)),
            ("certificates", "SELECT number, body FROM certificates", |t, k, b| {
                open::<CertificateRecord>(t, k, b).map(drop)
            }),
            ("counters", "SELECT country_year, body FROM counters", |t, k, b| open::<u32>(t, k, b).map(drop)),
            ("idempotency", "SELECT scoped_key, body FROM idempotency", |t, k, b| {
                open::<IdempotencyRecord>(t, k, b).map(drop)
            }),
            ("keys", "SELECT kid, body FROM signing_keys", |t, k, b| open::<KeyRecord>(t, k, b).map(drop)),
            ("tokens", "SELECT secret_sha256, body FROM tokens", |t, k, b| open::<TokenRecord>(t, k, b).map(drop)),
            ("audit", "SELECT id::text, body FROM audit", |t, k, b| open::<AuditEvent>(t, k, b).map(drop)),
            ("log", "SELECT idx::text, body FROM log_leaves", |_, k, b| LogLeaf::decode(k, b).map(drop)),
            ("log_meta", "SELECT 'checkpoint', body FROM log_checkpoint", |t, k, b| open_raw(t, k, b).map(drop)),
            ("service_keys", "SELECT purpose, body FROM service_keys", |t, k, b| open::<ServiceKey>(t, k, b).map(drop)),
            ("witness", "SELECT origin, body FROM witness", |t, k, b| open::<StoredWitnessState>(t, k, b).map(drop)),
        ];
        self.with(|client| {
            let mut checked = 0;
            for (name, sql, check) in tables {
                let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
                let mut rows = client.query_raw(sql, params).map_err(pg)?;
                while let Some(row) = postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(pg)? {
                    let key: &str = row.get(0);
                    check(name, key.as_bytes(), row.get::<_, &[u8]>(1))?;
                    checked += 1;
                }
            }
            Ok(checked)
        })
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        self.with(|client| {
            Ok(client.query_one("SELECT size FROM log_head WHERE id = 1", &[]).map_err(pg)?.get::<_, i64>(0) as u64)
        })
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let (first, last) = (index(start)?, index(end)?);
        self.with(|client| {
            let rows = client
                .query("SELECT idx, body FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx", &[&first, &last])
                .map_err(pg)?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in rows {
                let idx = row.get::<_, i64>(0) as u64;
                let expected = start + entries.len() as u64;
                if idx != expected {
                    return Err(StoreError::Corrupt {
                        tree: "log",
                        key: expected.to_string(),
                        reason: "the entry is missing: the log has a gap".into(),
                    });
                }
                entries.push(LogLeaf::decode(&idx.to_be_bytes(), row.get::<_, &[u8]>(1))?.entry);
            }
            if (entries.len() as u64) < end.saturating_sub(start) {
                return Err(StoreError::NotFound {
                    what: "log entry",
                    key: (start + entries.len() as u64).to_string(),
                });
            }
            Ok(entries)
        })
    }

    fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        self.with(|client| read_hashes(&mut **client, indexes))
    }

    fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|client| match client.query_opt("SELECT body FROM log_checkpoint WHERE id = 1", &[]).map_err(pg)? {
            Some(row) => Ok(Some(open_raw("log_meta", b"checkpoint", row.get::<_, &[u8]>(0))?)),
            None => Ok(None),
        })
    }

    fn put_log_checkpoint(&self, note: &[u8]) -> Result<(), StoreError> {
        let size = checkpoint_size(note)
            .ok_or_else(|| StoreError::Backend("a checkpoint note without a size on its second line".into()))?;
        // Another node may have stored a larger checkpoint meanwhile: the log's checkpoint
        // never moves back.
        self.with(|client| {
            client
                .execute(
                    "INSERT INTO log_checkpoint (id, size, body) VALUES (1, $1, $2)
                     ON CONFLICT (id) DO UPDATE SET size = excluded.size, body = excluded.body
                     WHERE log_checkpoint.size <= excluded.size",
                    &[&size, &seal_raw(note)],
                )
                .map_err(pg)?;
            Ok(())
        })
    }

    fn service_key(&self, purpose: &str) -> Result<Option<ServiceKey>, StoreError> {
        self.with(|client| service_key_in(&mut **client, purpose))
    }

    fn create_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<ServiceKey, StoreError> {
        self.transaction(|tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO service_keys (purpose, body) VALUES ($1, $2) ON CONFLICT (purpose) DO NOTHING",
                    &[&key.purpose, &seal(&key)?],
                )
                .map_err(pg)?;
            if inserted == 1 {
                insert_audit(tx, &audit)?;
                return Ok(key);
            }
            service_key_in(&mut *tx, &key.purpose)?
                .ok_or_else(|| StoreError::NotFound { what: "service key", key: key.purpose.clone() })
        })
    }

    fn replace_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<(), StoreError> {
        self.transaction(|tx| {
            lock(tx)?;
            match service_key_in(&mut *tx, &key.purpose)? {
                Some(existing) if existing.name == key.name => {}
                _ => {
                    return Err(StoreError::NotFound {
                        what: "service key",
                        key: format!("{} {}", key.purpose, key.name),
                    });
                }
            }
            tx.execute("UPDATE service_keys SET body = $2 WHERE purpose = $1", &[&key.purpose, &seal(&key)?])
                .map_err(pg)?;
            insert_audit(tx, &audit)
        })
    }

    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        self.with(|client| witness_in(&mut **client, origin))
    }

    fn advance_witness_state(
        &self,
        origin: &str,
        expected_size: u64,
        new: WitnessState,
    ) -> Result<Result<(), u64>, StoreError> {
        self.transaction(|tx| {
            lock(tx)?;
            let latest = witness_in(&mut *tx, origin)?.map_or(0, |state| state.size);
            if latest != expected_size {
                return Ok(Err(latest));
            }
            let bytes = seal(&StoredWitnessState { size: new.size, root: new.root.to_vec() })?;
            tx.execute(
                "INSERT INTO witness (origin, body) VALUES ($1, $2) ON CONFLICT (origin) DO UPDATE SET body = excluded.body",
                &[&origin, &bytes],
            )
            .map_err(pg)?;
            Ok(Ok(()))
        })
    }
}

/// Where [`PgStore::copy_in`] writes the records of one table.
pub(crate) struct CopySink<'a, 'b> {
    tx: &'a mut Transaction<'b>,
}

impl CopySink<'_, '_> {
    /// A record under a text key (the tables whose key column comes first).
    pub(crate) fn keyed(&mut self, table: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        let column = match table {
            "certificates" => "number",
            "counters" => "country_year",
            "idempotency" => "scoped_key",
            "signing_keys" => "kid",
            "tokens" => "secret_sha256",
            "photos" => "sha256",
            "artifacts" => "key",
            "service_keys" => "purpose",
            "witness" => "origin",
            other => return Err(StoreError::Backend(format!("no keyed table {other}"))),
        };
        self.tx
            .execute(&format!("INSERT INTO {table} ({column}, body) VALUES ($1, $2)"), &[&key, &body])
            .map_err(pg)?;
        Ok(())
    }

    pub(crate) fn log_leaf(&mut self, idx: i64, body: &[u8]) -> Result<(), StoreError> {
        self.tx.execute("INSERT INTO log_leaves (idx, body) VALUES ($1, $2)", &[&idx, &body]).map_err(pg)?;
        Ok(())
    }

    pub(crate) fn checkpoint(&mut self, note: &[u8], body: &[u8]) -> Result<(), StoreError> {
        let size = checkpoint_size(note)
            .ok_or_else(|| StoreError::Backend("the stored checkpoint note has no size on its second line".into()))?;
        self.tx
            .execute("INSERT INTO log_checkpoint (id, size, body) VALUES (1, $1, $2)", &[&size, &body])
            .map_err(pg)?;
        Ok(())
    }

    pub(crate) fn audit(&mut self, body: &[u8]) -> Result<(), StoreError> {
        self.tx.execute("INSERT INTO audit (body) VALUES ($1)", &[&body]).map_err(pg)?;
        Ok(())
    }

    pub(crate) fn plugin(&mut self, id: &str, seq: i32, version: &str, body: &[u8]) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO plugins (id, seq, version, body) VALUES ($1, $2, $3, $4)",
                &[&id, &seq, &version, &body],
            )
            .map_err(pg)?;
        Ok(())
    }
}

impl PgStore {
    /// Copies records in, table by table in [`crate::migrate::TREES`] order, in one
    /// transaction under the writer lock, into a database that holds no registry yet; sets
    /// the log's size from the leaves copied. `each` fills one table and returns its count
    /// and digest.
    pub(crate) fn copy_in(
        &self,
        mut each: impl FnMut(&'static str, &mut CopySink<'_, '_>) -> Result<(u64, String), StoreError>,
    ) -> Result<Vec<(&'static str, u64, String)>, StoreError> {
        self.transaction(|tx| {
            let size = lock(tx)?;
            let held: i64 = tx
                .query_one(
                    "SELECT (SELECT count(*) FROM certificates) + (SELECT count(*) FROM signing_keys)
                          + (SELECT count(*) FROM tokens) + (SELECT count(*) FROM service_keys)",
                    &[],
                )
                .map_err(pg)?
                .get(0);
            if held > 0 || size > 0 {
                return Err(StoreError::Backend(format!(
                    "{} already holds a registry ({held} certificates, keys and tokens; {size} log entries): migrate into an empty database",
                    self.target
                )));
            }
            let mut tables = Vec::new();
            for (_, table) in crate::migrate::TREES {
                let (count, digest) = each(table, &mut CopySink { tx: &mut *tx })?;
                if table == "log_leaves" {
                    let last: Option<i64> =
                        tx.query_one("SELECT max(idx) FROM log_leaves", &[]).map_err(pg)?.get(0);
                    if last.map_or(0, |last| last + 1) != count as i64 {
                        return Err(StoreError::Corrupt {
                            tree: "log",
                            key: format!("{last:?}"),
                            reason: format!("{count} entries that do not run from 0 without a gap"),
                        });
                    }
                    tx.execute("UPDATE log_head SET size = $1 WHERE id = 1", &[&(count as i64)]).map_err(pg)?;
                }
                tables.push((table, count, digest));
            }
            Ok(tables)
        })
    }

    /// The number of records of `table` and the SHA-256 over them in key order, keyed as
    /// the embedded store keys them (for checking a migration).
    pub(crate) fn digest_table(&self, table: &str) -> Result<(u64, String), StoreError> {
        use sha2::Digest;
        let sql = match table {
            "certificates" => "SELECT convert_to(number, 'UTF8'), body FROM certificates ORDER BY number",
            "counters" => "SELECT convert_to(country_year, 'UTF8'), body FROM counters ORDER BY country_year",
            "idempotency" => "SELECT convert_to(scoped_key, 'UTF8'), body FROM idempotency ORDER BY scoped_key",
            "signing_keys" => "SELECT convert_to(kid, 'UTF8'), body FROM signing_keys ORDER BY kid",
            "tokens" => "SELECT convert_to(secret_sha256, 'UTF8'), body FROM tokens ORDER BY secret_sha256",
            "audit" => "SELECT ''::bytea, body FROM audit ORDER BY id",
            "photos" => "SELECT convert_to(sha256, 'UTF8'), body FROM photos ORDER BY sha256",
            "plugins" => {
                "SELECT convert_to(id, 'UTF8') || '\\x00'::bytea || convert_to(lpad(seq::text, 20, '0'), 'UTF8'), body
                 FROM plugins ORDER BY id, seq"
            }
            "artifacts" => "SELECT convert_to(key, 'UTF8'), body FROM artifacts ORDER BY key",
            "log_leaves" => "SELECT int8send(idx), body FROM log_leaves ORDER BY idx",
            "log_checkpoint" => "SELECT convert_to('checkpoint', 'UTF8'), body FROM log_checkpoint",
            "service_keys" => "SELECT convert_to(purpose, 'UTF8'), body FROM service_keys ORDER BY purpose",
            "witness" => "SELECT convert_to(origin, 'UTF8'), body FROM witness ORDER BY origin",
            other => return Err(StoreError::Backend(format!("no table {other}"))),
        };
        self.with(|client| {
            let params: [&(dyn postgres::types::ToSql + Sync); 0] = [];
            let mut rows = client.query_raw(sql, params).map_err(pg)?;
            let mut digest = sha2::Sha256::new();
            let mut count = 0;
            while let Some(row) = postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(pg)? {
                crate::migrate::digest_add(&mut digest, row.get::<_, &[u8]>(0), row.get::<_, &[u8]>(1));
                count += 1;
            }
            Ok((count, cartouche_model::canonical::hex(&digest.finalize())))
        })
    }
}
