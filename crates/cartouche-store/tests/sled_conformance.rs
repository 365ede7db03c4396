//! The conformance suite on [`SledStore`], plus what only an on-disk store can show:
//! reopening, the format-version check and detection of a damaged record.

use std::sync::Arc;

use cartouche_store::{SledStore, Store, StoreError, conformance};

/// Opens `path` again right after a store on it was dropped. sled releases its file lock
/// when its background flusher thread lets go of the database, which can be a moment
/// after the drop; a reopening within the same process waits for that (up to 10 s).
fn reopen<T, E: std::fmt::Display>(open: impl Fn() -> Result<T, E>) -> Result<T, E> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open() {
            Err(error) if error.to_string().contains("lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn fresh() -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    (dir, store)
}

macro_rules! conformance_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let (_dir, store) = fresh();
            conformance::$name(&store);
        }
    )*};
}

conformance_tests!(
    numbers_start_at_one_per_country,
    failed_build_leaves_no_gap,
    idempotency,
    lifecycle_events,
    listing,
    key_rotation,
    tokens,
    photos,
    plugins
);

#[test]
fn concurrent_issuance_is_gapless() {
    let (_dir, store) = fresh();
    conformance::concurrent_issuance_is_gapless(Arc::new(store));
}

#[test]
fn records_survive_reopening_and_numbering_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        conformance::numbers_start_at_one_per_country(&store);
    }
    let store = reopen(|| SledStore::open(dir.path())).unwrap();
    assert!(store.certificate("FR-2026-000002").unwrap().is_some());
    assert_eq!(store.verify_integrity().unwrap(), 3 + 2 + 3, "3 certificates, 2 counters, 3 audit entries");
}

#[test]
fn a_damaged_record_is_reported_not_served() {
    let (_dir, store) = fresh();
    conformance::numbers_start_at_one_per_country(&store);
    store.damage_certificate_for_tests("FR-2026-000001").unwrap();
    assert!(matches!(store.certificate("FR-2026-000001"), Err(StoreError::Corrupt { .. })));
    assert!(matches!(store.verify_integrity(), Err(StoreError::Corrupt { .. })));
    assert!(store.certificate("FR-2026-000002").unwrap().is_some(), "other records stay readable");
}

#[test]
fn an_incompatible_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    {
        // Write format 999 the way a future release would.
        let db = reopen(|| sled::open(dir.path())).unwrap();
        let meta = db.open_tree("meta").unwrap();
        let body = b"999";
        let mut framed = vec![1u8];
        framed.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(body));
        framed.extend_from_slice(body);
        meta.insert("format_version", framed).unwrap();
        db.flush().unwrap();
    }
    match reopen(|| SledStore::open(dir.path())) {
        Err(error @ StoreError::IncompatibleFormat { .. }) => {
            assert!(error.to_string().contains("format 999"))
        }
        Err(other) => panic!("expected IncompatibleFormat, got {other}"),
        Ok(_) => panic!("expected IncompatibleFormat, the store opened"),
    }
}
