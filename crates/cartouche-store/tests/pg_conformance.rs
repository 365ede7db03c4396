//! The conformance suite on [`PgStore`], against a throw-away PostgreSQL cluster (Debian's
//! server binaries; `scripts/test` installs them), plus what only a shared database can
//! show: two handles (two server processes) on one database, migrations, a newer schema
//! refused, a damaged row detected, a checkpoint that never moves back, and an unreachable
//! database reported as unavailable within the connect timeout.
//!
//! One cluster serves every check, each on a fresh database, in one test, so that the
//! cluster is stopped when it ends (pass or fail).

use std::sync::Arc;
use std::time::{Duration, Instant};

use cartouche_store::testing::PgCluster;
use cartouche_store::{PgOptions, PgStore, SCHEMA_VERSION, Store, StoreError, conformance};

fn options() -> PgOptions {
    PgOptions { pool_size: 8, connect_timeout: Duration::from_secs(3), statement_timeout: Duration::from_secs(10) }
}

#[test]
fn the_postgres_store_keeps_every_promise_of_the_store() {
    let mut cluster = PgCluster::start();
    let mut databases = 0;
    let mut fresh = |cluster: &PgCluster| {
        databases += 1;
        let url = cluster.create_database(&format!("conformance_{databases}"));
        (url.clone(), PgStore::open(&url, &options()).unwrap_or_else(|error| panic!("open {url}: {error}")))
    };

    macro_rules! each {
        ($($name:ident),*) => {$({
            let (_, store) = fresh(&cluster);
            conformance::$name(&store);
        })*};
    }
    each!(
        numbers_start_at_one_per_country,
        failed_build_leaves_no_gap,
        idempotency,
        lifecycle_events,
        listing,
        key_rotation,
        tokens,
        photos,
        plugins,
        log_follows_every_write,
        builder_is_told_its_log_index,
        log_checkpoint_keys_and_witness_state,
        reads_follow_writes
    );
    let (_, store) = fresh(&cluster);
    conformance::concurrent_issuance_is_gapless(Arc::new(store));

    // Two handles, each with its own pool: two server processes on one database.
    let (url, first) = fresh(&cluster);
    let second = PgStore::open(&url, &options()).unwrap();
    let (first, second): (Arc<dyn Store>, Arc<dyn Store>) = (Arc::new(first), Arc::new(second));
    conformance::issuance_from_two_handles_is_gapless(Arc::clone(&first), Arc::clone(&second));
    conformance::concurrent_first_exits_one_wins(Arc::clone(&first), Arc::clone(&second));
    conformance::artifact_swaps_are_atomic(Arc::clone(&first), Arc::clone(&second));
    // Every record written through both handles passes its checksum.
    assert!(first.verify_integrity().unwrap() > 120);

    // Opening again applies nothing and keeps everything.
    let again = PgStore::open(&url, &options()).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(again.certificate("IT-2026-000120").unwrap().is_some());

    // A damaged row is reported, not served; other rows stay readable.
    cluster.execute(
        &url.rsplit('/').next().unwrap().to_owned(),
        "UPDATE certificates SET body = overlay(body placing '\\x00'::bytea from length(body) - 1 for 1)
         WHERE number = 'IT-2026-000001'",
    );
    assert!(matches!(again.certificate("IT-2026-000001"), Err(StoreError::Corrupt { .. })));
    assert!(matches!(again.verify_integrity(), Err(StoreError::Corrupt { .. })));
    assert!(again.certificate("IT-2026-000002").unwrap().is_some());

    // Two nodes sign checkpoints: a smaller one stored after a larger one is not kept.
    let (_, store) = fresh(&cluster);
    store.put_log_checkpoint(b"origin\n12\nroot\n\nsig\n").unwrap();
    store.put_log_checkpoint(b"origin\n10\nroot\n\nsig\n").unwrap();
    assert_eq!(store.log_checkpoint().unwrap().unwrap(), b"origin\n12\nroot\n\nsig\n");
    store.put_log_checkpoint(b"origin\n12\nroot\n\nsig and cosig\n").unwrap();
    assert_eq!(store.log_checkpoint().unwrap().unwrap(), b"origin\n12\nroot\n\nsig and cosig\n");

    // A database migrated by a newer release is refused with the versions, untouched.
    let (url, store) = fresh(&cluster);
    drop(store);
    let name = url.rsplit('/').next().unwrap().to_owned();
    cluster.execute(
        &name,
        &format!(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES ({}, 'future', 'now', '0')",
            SCHEMA_VERSION + 1
        ),
    );
    match PgStore::open(&url, &options()) {
        Err(error @ StoreError::IncompatibleSchema { .. }) => {
            let message = error.to_string();
            assert!(message.contains(&format!("version {}", SCHEMA_VERSION + 1)), "{message}");
        }
        Err(other) => panic!("expected IncompatibleSchema, got {other}"),
        Ok(_) => panic!("a database of a newer schema was opened"),
    }

    // The database goes away: calls fail as Unavailable within the timeouts, then work
    // again once it is back.
    let (_, store) = fresh(&cluster);
    conformance::numbers_start_at_one_per_country(&store);
    cluster.stop();
    let started = Instant::now();
    match store.certificate("FR-2026-000001") {
        Err(StoreError::Unavailable(message)) => assert!(!message.contains("password"), "{message}"),
        other => panic!("expected Unavailable with the database stopped, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(30), "bounded by the connect timeout, not a hang");
    cluster.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.certificate("FR-2026-000001") {
            Ok(Some(_)) => break,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            other => panic!("the store did not recover after the database came back: {other:?}"),
        }
    }
}

#[test]
fn a_bad_url_is_refused_with_a_message_that_keeps_the_password() {
    let error = PgStore::open("postgres://user:s3cret@127.0.0.1:1/db?connect_timeout=1", &options()).err().unwrap();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Unavailable(_)), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "names where it tried: {message}");
    let error = PgStore::open("postgres://127.0.0.1:5432/db?sslmode=sometimes", &options()).err().unwrap();
    assert!(error.to_string().contains("not a PostgreSQL connection string"), "{error}");
}
