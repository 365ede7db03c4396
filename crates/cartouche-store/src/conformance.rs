//! The conformance suite every [`Store`] implementation must pass. Each function takes a
//! fresh, empty store and panics with a message on the first broken promise.

use std::sync::Arc;

use cartouche_model::{Actor, Algorithm, Application, Certificate, EventKind, Role, StatusEvent};
use time::{Date, Duration, OffsetDateTime, macros::datetime};

use crate::PhotoRecord;

use crate::{
    AuditEvent, CertificateRecord, Idempotency, IssueOutcome, KeyRecord, ListQuery, Store, StoreError, TokenRecord,
};

/// A realistic application (the bundled French painting example).
pub fn sample_application() -> Application {
    serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).expect("the example parses")
}

fn actor() -> Actor {
    Actor { role: Role::Issuer, country: Some("FR".into()), token_id: "tok_test".into() }
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        at: OffsetDateTime::now_utc(),
        actor: Some(actor()),
        action: action.into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: String::new(),
    }
}

const ISSUED_AT: OffsetDateTime = datetime!(2026-11-28 10:00 UTC);

fn record_for(number: &str, application: &Application) -> CertificateRecord {
    let certificate = Certificate {
        number: number.to_owned(),
        issue_date: ISSUED_AT.date(),
        issued_at: ISSUED_AT,
        application: application.clone(),
        rule_evaluations: Vec::new(),
    };
    CertificateRecord {
        certificate,
        token: format!("token-for-{number}"),
        kid: "kid".into(),
        events: vec![StatusEvent {
            kind: EventKind::Issued,
            at: ISSUED_AT,
            actor: actor(),
            reason: None,
            office: None,
            country: None,
            declaration_ref: None,
        }],
        log_index: None,
        certificate_sha256: None,
    }
}

fn issue(store: &dyn Store, country: &str, idempotency: Option<&Idempotency>) -> Result<IssueOutcome, StoreError> {
    let mut application = sample_application();
    application.issuing_authority.country = country.to_owned();
    store.issue(country, 2026, idempotency, audit("certificate.issue"), &mut |number, _| {
        Ok(record_for(number, &application))
    })
}

fn created(outcome: IssueOutcome) -> CertificateRecord {
    match outcome {
        IssueOutcome::Created(record) => *record,
        IssueOutcome::Replayed(record) => {
            panic!("expected a new certificate, got a replay of {}", record.certificate.number)
        }
    }
}

/// Numbers run from 000001 per country and year, and a record reads back as written.
pub fn numbers_start_at_one_per_country(store: &dyn Store) {
    let first = created(issue(store, "FR", None).unwrap());
    let second = created(issue(store, "FR", None).unwrap());
    let italian = created(issue(store, "IT", None).unwrap());
    assert_eq!(first.certificate.number, "FR-2026-000001");
    assert_eq!(second.certificate.number, "FR-2026-000002");
    assert_eq!(italian.certificate.number, "IT-2026-000001");
    assert_eq!(store.certificate("FR-2026-000002").unwrap().unwrap(), second);
    assert!(store.certificate("FR-2026-000003").unwrap().is_none());
    let trail = store.recent_audit(10).unwrap();
    assert_eq!(trail.len(), 3, "one audit entry per issuance");
    assert_eq!(trail[0].target, "IT-2026-000001");
}

/// A failing builder writes nothing and consumes no number.
pub fn failed_build_leaves_no_gap(store: &dyn Store) {
    let result = store.issue("FR", 2026, None, audit("certificate.issue"), &mut |_, _| Err("signing failed".into()));
    assert!(matches!(result, Err(StoreError::Build(_))));
    assert_eq!(created(issue(store, "FR", None).unwrap()).certificate.number, "FR-2026-000001");
}

/// Concurrent issuance gives unique, gapless numbers.
pub fn concurrent_issuance_is_gapless(store: Arc<dyn Store>) {
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                (0..25).map(|_| created(issue(&*store, "DE", None).unwrap()).certificate.number).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=200).map(|n| format!("DE-2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(store.log_size().unwrap(), 200, "one log entry per certificate");
    let mut indexes: Vec<u64> =
        numbers.iter().map(|number| store.certificate(number).unwrap().unwrap().log_index.unwrap()).collect();
    indexes.sort();
    assert_eq!(indexes, (0..200).collect::<Vec<u64>>(), "each certificate has its own entry");
    check_log_tree(&*store);
}

/// The stored tree hashes agree with a tree recomputed from the stored entries.
fn check_log_tree(store: &dyn Store) {
    let size = store.log_size().unwrap();
    let mut tree = cartouche_log::tree::MemoryTree::new();
    for entry in store.log_entries(0, size).unwrap() {
        cartouche_log::LogEntry::from_bytes(&entry).expect("every entry is canonical");
        tree.push(&entry).unwrap();
    }
    for at in [1, size / 2, size] {
        if at > 0 {
            let stored = cartouche_log::tree::root(at, &crate::StoreHashes(store)).unwrap();
            assert_eq!(stored, tree.root_at(at).unwrap(), "the stored tree at size {at}");
        }
    }
}

/// A read always shows the latest write, also when the store keeps decoded records: the
/// same record read twice is equal, and each event is seen by the next read.
pub fn reads_follow_writes(store: &dyn Store) {
    let record = created(issue(store, "FR", None).unwrap());
    let number = record.certificate.number.as_str();
    let read = || store.certificate(number).unwrap().unwrap();
    assert_eq!(read().events.len(), 1);
    assert_eq!(serde_json::to_vec(&read()).unwrap(), serde_json::to_vec(&read()).unwrap());
    let today: Date = ISSUED_AT.date() + Duration::days(1);
    store.record_event(number, event(EventKind::Suspended), today, audit("certificate.suspend")).unwrap();
    assert_eq!(read().events.last().unwrap().kind, EventKind::Suspended);
    store.record_event(number, event(EventKind::Reinstated), today, audit("certificate.reinstate")).unwrap();
    let after = read();
    assert_eq!(after.events.len(), 3);
    assert_eq!(after.events.last().unwrap().kind, EventKind::Reinstated);
    assert_eq!(after.certificate, record.certificate);
}

/// Every write a verifier depends on appends its entry in the same write, and only then:
/// issuance, each later event, a seal key, a plugin version; a refused event, a failed
/// build, a replay and a repeated plugin version append nothing.
pub fn log_follows_every_write(store: &dyn Store) {
    use crate::log::{issued_entry, key_entry, plugin_entry, status_entry};
    assert_eq!(store.log_size().unwrap(), 0);
    let _ = store.issue("FR", 2026, None, audit("certificate.issue"), &mut |_, _| Err("signing failed".into()));
    assert_eq!(store.log_size().unwrap(), 0, "a failed build logs nothing");
    let key_record = key("fr-1", ISSUED_AT);
    store.rotate_key(key_record.clone(), audit("key.create")).unwrap();
    let idempotency = Idempotency { scoped_key: "tok:log".into(), request_sha256: "aa".into() };
    let record = created(issue(store, "FR", Some(&idempotency)).unwrap());
    assert_eq!(record.log_index, Some(1));
    let _ = issue(store, "FR", Some(&idempotency)).unwrap();
    let number = record.certificate.number.as_str();
    let today: Date = ISSUED_AT.date() + Duration::days(1);
    let suspended = event(EventKind::Suspended);
    store.record_event(number, suspended.clone(), today, audit("certificate.suspend")).unwrap();
    assert!(store.record_event(number, event(EventKind::Exited), today, audit("certificate.exit")).is_err());
    let plugin = plugin_record("fr-log", "1.0.0", b"\0asm component");
    store.publish_plugin(plugin.clone(), audit("plugin.publish")).unwrap();
    assert!(store.publish_plugin(plugin.clone(), audit("plugin.publish")).is_err());
    let expected = vec![
        key_entry(&key_record).unwrap(),
        issued_entry(&store.certificate(number).unwrap().unwrap()).unwrap(),
        status_entry(number, &suspended).unwrap(),
        plugin_entry(&plugin).unwrap(),
    ];
    assert_eq!(store.log_size().unwrap(), 4);
    assert_eq!(store.log_entries(0, 4).unwrap(), expected);
    assert!(store.log_entries(3, 5).is_err(), "no entry past the end");
    check_log_tree(store);
}

/// The builder is told the index its issuance entry gets in the log (the seal's
/// status-list entry), and the record has it.
pub fn builder_is_told_its_log_index(store: &dyn Store) {
    store.rotate_key(key("fr-1", ISSUED_AT), audit("key.create")).unwrap();
    let application = sample_application();
    for expected in [1, 2] {
        let mut told = None;
        let record = store
            .issue("FR", 2026, None, audit("certificate.issue"), &mut |number, index| {
                told = Some(index);
                Ok(record_for(number, &application))
            })
            .map(created)
            .unwrap();
        assert_eq!((told, record.log_index), (Some(expected), Some(expected)));
    }
}

/// The latest checkpoint, service keys (created once) and the witness's state, which
/// only advances from the size it is at.
pub fn log_checkpoint_keys_and_witness_state(store: &dyn Store) {
    assert_eq!(store.log_checkpoint().unwrap(), None);
    store.put_log_checkpoint(b"origin\n0\nroot\n\n- sig\n").unwrap();
    assert_eq!(store.log_checkpoint().unwrap().unwrap(), b"origin\n0\nroot\n\n- sig\n");
    let service = |secret: u8| crate::ServiceKey {
        purpose: "log".into(),
        name: "registry.example/log".into(),
        custody: crate::Custody::Store,
        secret: vec![secret; 32],
        created_at: ISSUED_AT,
    };
    assert_eq!(store.service_key("log").unwrap(), None);
    assert_eq!(store.create_service_key(service(1), audit("log.key")).unwrap().secret, vec![1; 32]);
    assert_eq!(
        store.create_service_key(service(2), audit("log.key")).unwrap().secret,
        vec![1; 32],
        "kept, not replaced"
    );
    assert_eq!(store.service_key("log").unwrap().unwrap().secret, vec![1; 32]);
    let sealed =
        crate::ServiceKey { custody: crate::Custody::Sealed { kek: "kek1".into() }, secret: vec![5; 73], ..service(1) };
    store.replace_service_key(sealed.clone(), audit("log.key")).unwrap();
    assert_eq!(store.service_key("log").unwrap().unwrap(), sealed);
    let other = crate::ServiceKey { purpose: "witness".into(), ..sealed.clone() };
    assert!(store.replace_service_key(other, audit("log.key")).is_err(), "only a key that exists is replaced");
    let state = |size| crate::WitnessState { size, root: [size as u8; 32] };
    assert_eq!(store.witness_state("a.example/log").unwrap(), None);
    assert_eq!(store.advance_witness_state("a.example/log", 0, state(3)).unwrap(), Ok(()));
    assert_eq!(store.advance_witness_state("a.example/log", 0, state(4)).unwrap(), Err(3));
    assert_eq!(store.advance_witness_state("a.example/log", 3, state(5)).unwrap(), Ok(()));
    assert_eq!(store.witness_state("a.example/log").unwrap(), Some(state(5)));
    assert_eq!(store.witness_state("b.example/log").unwrap(), None);
}

/// The same idempotency key and request returns the original; another request is refused.
pub fn idempotency(store: &dyn Store) {
    let key = Idempotency { scoped_key: "tok_test:abc".into(), request_sha256: "aa".into() };
    let first = created(issue(store, "FR", Some(&key)).unwrap());
    match issue(store, "FR", Some(&key)).unwrap() {
        IssueOutcome::Replayed(record) => assert_eq!(*record, first),
        IssueOutcome::Created(record) => panic!("replay created {}", record.certificate.number),
    }
    let other = Idempotency { request_sha256: "bb".into(), ..key };
    assert!(
        matches!(issue(store, "FR", Some(&other)), Err(StoreError::IdempotencyMismatch { number }) if number == first.certificate.number)
    );
    assert_eq!(created(issue(store, "FR", None).unwrap()).certificate.number, "FR-2026-000002");
}

fn event(kind: EventKind) -> StatusEvent {
    StatusEvent {
        kind,
        at: OffsetDateTime::now_utc(),
        actor: Actor { role: Role::Officer, country: Some("FR".into()), token_id: "tok_officer".into() },
        reason: Some("test".into()),
        office: Some("Roissy-Charles-de-Gaulle fret".into()),
        country: Some("FR".into()),
        declaration_ref: Some("26FR000123456789".into()),
    }
}

/// Events are checked against the lifecycle and appended durably.
pub fn lifecycle_events(store: &dyn Store) {
    let record = created(issue(store, "FR", None).unwrap());
    let number = record.certificate.number.as_str();
    let today: Date = ISSUED_AT.date() + Duration::days(1);
    store.record_event(number, event(EventKind::Suspended), today, audit("certificate.suspend")).unwrap();
    assert!(matches!(
        store.record_event(number, event(EventKind::Exited), today, audit("certificate.exit")),
        Err(StoreError::Lifecycle(_))
    ));
    store.record_event(number, event(EventKind::Reinstated), today, audit("certificate.reinstate")).unwrap();
    let updated = store.record_event(number, event(EventKind::Exited), today, audit("certificate.exit")).unwrap();
    assert_eq!(updated.events.len(), 4);
    let second_exit = store.record_event(number, event(EventKind::Exited), today, audit("certificate.exit"));
    assert!(matches!(second_exit, Err(StoreError::Lifecycle(cartouche_model::LifecycleError::AlreadyExited { .. }))));
    assert_eq!(store.certificate(number).unwrap().unwrap().events.len(), 4, "a refused event is not written");
    assert!(matches!(
        store.record_event("FR-2026-999999", event(EventKind::Revoked), today, audit("certificate.revoke")),
        Err(StoreError::NotFound { .. })
    ));
}

/// Listing pages through one country in number order, with a filter.
pub fn listing(store: &dyn Store) {
    for _ in 0..5 {
        issue(store, "FR", None).unwrap();
    }
    issue(store, "GB", None).unwrap();
    let all = |_: &CertificateRecord| true;
    let page =
        store.list_certificates(&ListQuery { country: Some("FR"), after: None, limit: 2, filter: &all }).unwrap();
    let numbers: Vec<_> = page.records.iter().map(|r| r.certificate.number.as_str()).collect();
    assert_eq!(numbers, ["FR-2026-000001", "FR-2026-000002"]);
    let after = page.next_after.expect("more pages");
    let page = store
        .list_certificates(&ListQuery { country: Some("FR"), after: Some(&after), limit: 10, filter: &all })
        .unwrap();
    assert_eq!(page.records.len(), 3);
    assert!(page.next_after.is_none());
    let odd = |r: &CertificateRecord| r.certificate.number.ends_with(['1', '3', '5']);
    let page = store.list_certificates(&ListQuery { country: None, after: None, limit: 10, filter: &odd }).unwrap();
    let numbers: Vec<_> = page.records.iter().map(|r| r.certificate.number.as_str()).collect();
    assert_eq!(numbers, ["FR-2026-000001", "FR-2026-000003", "FR-2026-000005", "GB-2026-000001"]);
}

fn key(kid: &str, created_at: OffsetDateTime) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        country: "FR".into(),
        alg: Algorithm::EdDSA,
        custody: crate::Custody::Store,
        secret: vec![1; 32],
        public: vec![2; 32],
        created_at,
        retired_at: None,
        expires_at: created_at + Duration::days(3650),
    }
}

/// Rotation retires the previous key and keeps it.
pub fn key_rotation(store: &dyn Store) {
    let first = key("k1", ISSUED_AT);
    store.rotate_key(first.clone(), audit("key.rotate")).unwrap();
    let later = ISSUED_AT + Duration::days(30);
    store.rotate_key(key("k2", later), audit("key.rotate")).unwrap();
    let keys = store.keys().unwrap();
    assert_eq!(keys.len(), 2);
    let old = keys.iter().find(|k| k.kid == "k1").unwrap();
    assert_eq!(old.retired_at, Some(later));
    assert_eq!(old.secret, first.secret);
    assert!(keys.iter().find(|k| k.kid == "k2").unwrap().retired_at.is_none());

    // A key's custody, secret and validity change in place; its identity does not.
    let mut sealed = old.clone();
    sealed.custody = crate::Custody::Sealed { kek: "kek1".into() };
    sealed.secret = vec![9; 73];
    sealed.expires_at = later + Duration::days(1);
    store.update_key(sealed.clone(), audit("key.seal")).unwrap();
    assert_eq!(store.keys().unwrap().into_iter().find(|k| k.kid == "k1").unwrap(), sealed);
    let mut moved = sealed.clone();
    moved.public = vec![3; 32];
    assert!(store.update_key(moved, audit("key.seal")).is_err(), "a public key never changes");
    assert!(matches!(store.update_key(key("k9", later), audit("key.seal")), Err(StoreError::NotFound { .. })));
    assert_eq!(store.keys().unwrap().len(), 2);
}

/// Tokens are found by the hash of their secret only.
pub fn tokens(store: &dyn Store) {
    assert!(!store.has_tokens().unwrap());
    let token = TokenRecord {
        id: "tok_1".into(),
        secret_sha256: "ff".repeat(32),
        role: Role::Officer,
        country: Some("CH".into()),
        label: "Zoll Basel".into(),
        created_at: ISSUED_AT,
    };
    store.insert_token(token.clone(), audit("token.create")).unwrap();
    assert!(store.has_tokens().unwrap());
    assert_eq!(store.token_by_hash(&"ff".repeat(32)).unwrap(), Some(token));
    assert_eq!(store.token_by_hash(&"ee".repeat(32)).unwrap(), None);
    assert!(store.verify_integrity().unwrap() >= 2);
}

/// Photos are stored once per hash and read back verified.
pub fn photos(store: &dyn Store) {
    let jpeg = b"\xff\xd8 not really a jpeg \xff\xd9".to_vec();
    let sha256 = cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(&jpeg));
    let photo = PhotoRecord {
        sha256: sha256.clone(),
        jpeg,
        thumbnail: b"thumb".to_vec(),
        width: 640,
        height: 480,
        uploaded_by: actor(),
        uploaded_at: ISSUED_AT,
    };
    assert!(store.put_photo(photo.clone(), audit("photo.upload")).unwrap());
    assert!(!store.put_photo(photo.clone(), audit("photo.upload")).unwrap(), "the same hash is stored once");
    assert_eq!(store.photo(&sha256).unwrap(), Some(photo));
    assert_eq!(store.photo(&"0".repeat(64)).unwrap(), None);
    assert!(store.has_photo(&sha256).unwrap());
    assert!(!store.has_photo(&"0".repeat(64)).unwrap());
}

fn plugin_record(id: &str, version: &str, component: &[u8]) -> crate::PluginRecord {
    crate::PluginRecord {
        manifest: cartouche_model::plugin::PluginManifest {
            id: id.into(),
            jurisdiction: "IT".into(),
            version: version.into(),
            phases: vec![cartouche_model::RulePhase::Issuance],
            valid_from: ISSUED_AT.date(),
            descriptions: [("en".to_owned(), "test".to_owned())].into(),
            source: None,
            sha256: None,
            limits: Default::default(),
        },
        sha256: cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(component)),
        component: component.to_vec(),
        cases: "{}".into(),
        published_by: actor(),
        published_at: ISSUED_AT,
    }
}

/// Plugins: versions are immutable, listed by id then publication order; artifacts
/// round-trip and overwrite.
pub fn plugins(store: &dyn Store) {
    assert!(store.plugins().unwrap().is_empty());
    store.publish_plugin(plugin_record("it-export", "1.0.0", b"one"), audit("plugin.publish")).unwrap();
    store.publish_plugin(plugin_record("de-export", "1.0.0", b"two"), audit("plugin.publish")).unwrap();
    store.publish_plugin(plugin_record("it-export", "1.1.0", b"three"), audit("plugin.publish")).unwrap();
    let again = store.publish_plugin(plugin_record("it-export", "1.0.0", b"other bytes"), audit("plugin.publish"));
    assert!(
        matches!(again, Err(StoreError::PluginVersionExists { ref id, ref version }) if id == "it-export" && version == "1.0.0"),
        "a published version cannot be replaced: {again:?}"
    );
    let listed: Vec<(String, String)> =
        store.plugins().unwrap().into_iter().map(|p| (p.manifest.id, p.manifest.version)).collect();
    let expected = [("de-export", "1.0.0"), ("it-export", "1.0.0"), ("it-export", "1.1.0")];
    assert_eq!(listed, expected.map(|(i, v)| (i.to_owned(), v.to_owned())));
    assert_eq!(store.plugins().unwrap()[1].component, b"one", "the first bytes stay");

    assert_eq!(store.artifact("abc").unwrap(), None);
    store.put_artifact("abc", b"compiled").unwrap();
    assert_eq!(store.artifact("abc").unwrap().as_deref(), Some(&b"compiled"[..]));
    store.put_artifact("abc", b"recompiled").unwrap();
    assert_eq!(store.artifact("abc").unwrap().as_deref(), Some(&b"recompiled"[..]));
}

/// Two handles on one registry (two server processes on one database; for an embedded
/// store, the same handle twice) issuing at once: numbers unique and gapless, one log
/// entry each.
pub fn issuance_from_two_handles_is_gapless(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let threads: Vec<_> = (0..6)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &first } else { &second });
            std::thread::spawn(move || {
                (0..20).map(|_| created(issue(&*store, "IT", None).unwrap()).certificate.number).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=120).map(|n| format!("IT-2026-{n:06}")).collect();
    assert_eq!(numbers, expected, "unique and gapless across handles");
    assert_eq!(second.log_size().unwrap(), 120);
    check_log_tree(&*first);
}

/// Two officers record the first exit of one certificate at once, through two handles:
/// exactly one is accepted, the other is refused by the lifecycle check.
pub fn concurrent_first_exits_one_wins(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let record = created(issue(&*first, "FR", None).unwrap());
    let number = record.certificate.number.clone();
    let today: Date = ISSUED_AT.date() + Duration::days(1);
    for round in 0..5 {
        let record = if round == 0 { record.clone() } else { created(issue(&*first, "FR", None).unwrap()) };
        let number = record.certificate.number.clone();
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = [&first, &second]
            .into_iter()
            .map(|store| {
                let (store, barrier, number) = (Arc::clone(store), Arc::clone(&barrier), number.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.record_event(&number, event(EventKind::Exited), today, audit("certificate.exit"))
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
        let accepted = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(accepted, 1, "round {round}: exactly one first exit accepted: {results:?}");
        assert!(
            results.iter().any(|result| matches!(
                result,
                Err(StoreError::Lifecycle(cartouche_model::LifecycleError::AlreadyExited { .. }))
            )),
            "the other is refused as already exited: {results:?}"
        );
        assert_eq!(second.certificate(&number).unwrap().unwrap().events.len(), 2, "one exit stored");
    }
    assert!(first.certificate(&number).unwrap().is_some());
}

/// A counter kept with `swap_artifact` from two handles (or one twice) at once never gives
/// one value twice; a swap from a stale value is refused.
pub fn artifact_swaps_are_atomic(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    assert!(first.swap_artifact("counter", None, &0u64.to_be_bytes()).unwrap());
    assert!(!second.swap_artifact("counter", None, &9u64.to_be_bytes()).unwrap(), "present: not created again");
    assert!(!second.swap_artifact("counter", Some(&5u64.to_be_bytes()), &6u64.to_be_bytes()).unwrap(), "stale");
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &first } else { &second });
            std::thread::spawn(move || {
                let mut taken = Vec::new();
                while taken.len() < 25 {
                    let current = store.artifact("counter").unwrap().unwrap();
                    let value = u64::from_be_bytes(current.as_slice().try_into().unwrap()) + 1;
                    if store.swap_artifact("counter", Some(&current), &value.to_be_bytes()).unwrap() {
                        taken.push(value);
                    }
                }
                taken
            })
        })
        .collect();
    let mut taken: Vec<u64> = threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect();
    taken.sort();
    assert_eq!(taken, (1..=100).collect::<Vec<u64>>(), "every value taken once");
}
