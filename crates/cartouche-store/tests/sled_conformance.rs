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

#[test]
fn reads_follow_writes() {
    let (_dir, store) = fresh();
    conformance::reads_follow_writes(&store);
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
    plugins,
    log_follows_every_write,
    builder_is_told_its_log_index,
    log_checkpoint_keys_and_witness_state
);

#[test]
fn concurrent_issuance_is_gapless() {
    let (_dir, store) = fresh();
    conformance::concurrent_issuance_is_gapless(Arc::new(store));
}

#[test]
fn issuance_from_two_handles_is_gapless() {
    let (_dir, store) = fresh();
    let store: Arc<dyn Store> = Arc::new(store);
    conformance::issuance_from_two_handles_is_gapless(Arc::clone(&store), store);
}

#[test]
fn artifact_swaps_are_atomic() {
    let (_dir, store) = fresh();
    let store: Arc<dyn Store> = Arc::new(store);
    conformance::artifact_swaps_are_atomic(Arc::clone(&store), store);
}

#[test]
fn concurrent_first_exits_one_wins() {
    let (_dir, store) = fresh();
    let store: Arc<dyn Store> = Arc::new(store);
    conformance::concurrent_first_exits_one_wins(Arc::clone(&store), store);
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
    assert_eq!(
        store.verify_integrity().unwrap(),
        3 + 2 + 3 + 3,
        "3 certificates, 2 counters, 3 audit entries, 3 log leaves"
    );
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

/// A store of format 2 (uncompressed records) opens as it is and is marked format 3: its
/// records stay readable, new ones are written compressed.
#[test]
fn a_format_2_store_opens_and_is_marked_3() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        conformance::lifecycle_events(&store);
    }
    let before;
    {
        // Mark it format 2 and write its certificate back uncompressed (version-1 frame),
        // as a build of format 2 did.
        let db = reopen(|| sled::open(dir.path())).unwrap();
        let frame = |body: &[u8]| {
            let mut framed = vec![1u8];
            framed.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(body));
            framed.extend_from_slice(body);
            framed
        };
        db.open_tree("meta").unwrap().insert("format_version", frame(b"2")).unwrap();
        let store_tree = db.open_tree("certificates").unwrap();
        let stored = store_tree.get("FR-2026-000001").unwrap().unwrap();
        assert_eq!(stored[0], 2, "written compressed by this build");
        let json = miniz_oxide::inflate::decompress_to_vec(&stored[33..]).unwrap();
        store_tree.insert("FR-2026-000001", frame(&json)).unwrap();
        before = json;
        db.flush().unwrap();
    }
    let store = reopen(|| SledStore::open(dir.path())).unwrap();
    let record = store.certificate("FR-2026-000001").unwrap().unwrap();
    assert_eq!(serde_json::to_vec(&record).unwrap(), before, "the uncompressed record reads as it was");
    store.verify_integrity().unwrap();
    drop(store);
    let db = reopen(|| sled::open(dir.path())).unwrap();
    let marker = db.open_tree("meta").unwrap().get("format_version").unwrap().unwrap();
    assert_eq!(&marker[33..], b"3");
}

/// A store of format 1 (before the issuance log) is migrated at open: its history is
/// appended to a new log, each certificate points at its issuance entry, and the store is
/// format 2 from then on (an interrupted migration starts again from an empty log).
#[test]
fn a_format_1_store_is_migrated_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let number;
    {
        let store = SledStore::open(dir.path()).unwrap();
        conformance::lifecycle_events(&store);
        number = "FR-2026-000001".to_owned();
        assert!(store.log_size().unwrap() > 0);
    }
    {
        // Make it look like a release-1 store: format 1, no log, no log index.
        let db = reopen(|| sled::open(dir.path())).unwrap();
        let meta = db.open_tree("meta").unwrap();
        let body = b"1";
        let mut framed = vec![1u8];
        framed.extend_from_slice(&<sha2::Sha256 as sha2::Digest>::digest(body));
        framed.extend_from_slice(body);
        meta.insert("format_version", framed).unwrap();
        // Half a migration: one stray entry that must not survive.
        let entries = db.open_tree("log").unwrap();
        let first = entries.get(0u64.to_be_bytes()).unwrap().unwrap();
        entries.clear().unwrap();
        entries.insert(0u64.to_be_bytes(), first).unwrap();
        db.flush().unwrap();
    }
    let store = reopen(|| SledStore::open(dir.path())).unwrap();
    let record = store.certificate(&number).unwrap().unwrap();
    // Issuance, then the suspension, reinstatement and exit of lifecycle_events.
    assert_eq!(store.log_size().unwrap(), 4);
    let index = record.log_index.unwrap();
    assert_eq!(store.log_entries(index, index + 1).unwrap()[0], cartouche_store::log::issued_entry(&record).unwrap());
    drop(store);
    let again = reopen(|| SledStore::open(dir.path())).unwrap();
    assert_eq!(again.log_size().unwrap(), 4, "migrated once");
}

/// A 200 means "on disk": a replayed idempotent issuance and a photo that was already
/// stored are acknowledged only after a flush, like the writes they answer for (the
/// original request releases the writer lock before its own flush, so without one a
/// replay could be answered before the record it shows is durable).
#[test]
fn replays_and_already_stored_photos_wait_for_a_flush() {
    use cartouche_model::{Actor, Role};
    use cartouche_store::{AuditEvent, Idempotency, IssueOutcome, PhotoRecord};
    let (_dir, store) = fresh();
    let actor = Actor { role: Role::Issuer, country: Some("FR".into()), token_id: "tok".into() };
    let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    let audit = || AuditEvent {
        at,
        actor: Some(actor.clone()),
        action: "certificate.issue".into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: String::new(),
    };
    let key = Idempotency { scoped_key: "tok:k1".into(), request_sha256: "aa".into() };
    let example: cartouche_model::Application =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    let mut build = |number: &str, _index: u64| {
        Ok(cartouche_store::CertificateRecord {
            certificate: cartouche_model::Certificate {
                number: number.into(),
                issue_date: at.date(),
                issued_at: at,
                application: example.clone(),
                rule_evaluations: vec![],
            },
            token: "t".into(),
            kid: "k".into(),
            events: vec![],
            log_index: None,
            certificate_sha256: None,
        })
    };
    store.issue("FR", 2024, Some(&key), audit(), &mut build).unwrap();
    let before = store.flush_count();
    let outcome = store.issue("FR", 2024, Some(&key), audit(), &mut build).unwrap();
    assert!(matches!(outcome, IssueOutcome::Replayed(_)));
    assert!(store.flush_count() > before, "a replay was acknowledged without a flush");

    let jpeg = b"\xff\xd8 photo \xff\xd9".to_vec();
    let sha256 = cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(&jpeg));
    let photo = PhotoRecord {
        sha256,
        jpeg,
        thumbnail: b"t".to_vec(),
        width: 1,
        height: 1,
        uploaded_by: actor.clone(),
        uploaded_at: at,
    };
    assert!(store.put_photo(photo.clone(), audit()).unwrap());
    let before = store.flush_count();
    assert!(!store.put_photo(photo, audit()).unwrap());
    assert!(store.flush_count() > before, "\"already stored\" was acknowledged without a flush");
}
