//! The use-cases called directly, without HTTP: issuing and verifying through the core,
//! and what the core reads to answer (a verdict page learns which photos are on file
//! without reading one).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cartouche_core::bootstrap::bootstrap;
use cartouche_core::{Caller, Core, CoreConfig, IssueRequest, NoRules, StatusChange, VerifyRequest};
use cartouche_model::{EventKind, Role, VerdictKind};
use cartouche_store::{
    AuditEvent, BuildRecord, CertificateRecord, Idempotency, IssueOutcome, KeyRecord, ListQuery, Page, PhotoRecord,
    PluginRecord, ServiceKey, SledStore, Store, StoreError, TokenRecord, WitnessState,
};
use time::{Date, OffsetDateTime};

/// A store that counts full photo reads, and can lose its log or forget log indexes.
struct Counting {
    inner: SledStore,
    photo_reads: AtomicUsize,
    hash_reads: AtomicUsize,
    log_unreadable: AtomicBool,
    hide_log_index: AtomicBool,
}

impl Counting {
    fn new(inner: SledStore) -> Self {
        Self {
            inner,
            photo_reads: AtomicUsize::new(0),
            hash_reads: AtomicUsize::new(0),
            log_unreadable: AtomicBool::new(false),
            hide_log_index: AtomicBool::new(false),
        }
    }
}

impl Store for Counting {
    fn issue(
        &self,
        country: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        audit: AuditEvent,
        build: &mut BuildRecord<'_>,
    ) -> Result<IssueOutcome, StoreError> {
        self.inner.issue(country, year, idempotency, audit, build)
    }
    fn certificate(&self, number: &str) -> Result<Option<CertificateRecord>, StoreError> {
        let mut record = self.inner.certificate(number)?;
        if self.hide_log_index.load(Ordering::SeqCst) {
            if let Some(record) = record.as_mut() {
                record.log_index = None;
            }
        }
        Ok(record)
    }
    fn list_certificates(&self, query: &ListQuery<'_>) -> Result<Page, StoreError> {
        self.inner.list_certificates(query)
    }
    fn record_event(
        &self,
        number: &str,
        event: cartouche_model::StatusEvent,
        today: Date,
        audit: AuditEvent,
    ) -> Result<CertificateRecord, StoreError> {
        self.inner.record_event(number, event, today, audit)
    }
    fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.inner.keys()
    }
    fn rotate_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.rotate_key(key, audit)
    }
    fn update_key(&self, key: KeyRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.update_key(key, audit)
    }
    fn insert_token(&self, token: TokenRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.insert_token(token, audit)
    }
    fn token_by_hash(&self, secret_sha256: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.token_by_hash(secret_sha256)
    }
    fn has_tokens(&self) -> Result<bool, StoreError> {
        self.inner.has_tokens()
    }
    fn append_audit(&self, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.append_audit(audit)
    }
    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.recent_audit(limit)
    }
    fn put_photo(&self, photo: PhotoRecord, audit: AuditEvent) -> Result<bool, StoreError> {
        self.inner.put_photo(photo, audit)
    }
    fn photo(&self, sha256: &str) -> Result<Option<PhotoRecord>, StoreError> {
        self.photo_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.photo(sha256)
    }
    fn has_photo(&self, sha256: &str) -> Result<bool, StoreError> {
        self.inner.has_photo(sha256)
    }
    fn publish_plugin(&self, plugin: PluginRecord, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.publish_plugin(plugin, audit)
    }
    fn plugins(&self) -> Result<Vec<PluginRecord>, StoreError> {
        self.inner.plugins()
    }
    fn put_artifact(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner.put_artifact(key, bytes)
    }
    fn swap_artifact(&self, key: &str, expected: Option<&[u8]>, bytes: &[u8]) -> Result<bool, StoreError> {
        self.inner.swap_artifact(key, expected, bytes)
    }
    fn artifact(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.artifact(key)
    }
    fn verify_integrity(&self) -> Result<usize, StoreError> {
        self.inner.verify_integrity()
    }
    fn log_size(&self) -> Result<u64, StoreError> {
        self.inner.log_size()
    }
    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        if self.log_unreadable.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("the disk is gone".into()));
        }
        self.inner.log_entries(start, end)
    }
    fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        self.hash_reads.fetch_add(indexes.len(), Ordering::SeqCst);
        self.inner.log_hashes(indexes)
    }
    fn log_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.log_checkpoint()
    }
    fn put_log_checkpoint(&self, note: &[u8]) -> Result<(), StoreError> {
        self.inner.put_log_checkpoint(note)
    }
    fn service_key(&self, purpose: &str) -> Result<Option<ServiceKey>, StoreError> {
        self.inner.service_key(purpose)
    }
    fn create_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<ServiceKey, StoreError> {
        self.inner.create_service_key(key, audit)
    }
    fn replace_service_key(&self, key: ServiceKey, audit: AuditEvent) -> Result<(), StoreError> {
        self.inner.replace_service_key(key, audit)
    }
    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        self.inner.witness_state(origin)
    }
    fn advance_witness_state(
        &self,
        origin: &str,
        expected_size: u64,
        new: WitnessState,
    ) -> Result<Result<(), u64>, StoreError> {
        self.inner.advance_witness_state(origin, expected_size, new)
    }
}

fn start() -> OffsetDateTime {
    OffsetDateTime::parse("2026-11-28T10:00:00Z", &time::format_description::well_known::Rfc3339).unwrap()
}

/// A one-pixel-ish PNG large enough to pass the photo limits.
fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let image = image::RgbImage::from_fn(400, 300, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

/// A registry for FR on a fresh store, at a fixed instant, without rules.
fn registry() -> (tempfile::TempDir, Arc<Counting>, Core) {
    cartouche_seal::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Counting::new(SledStore::open(dir.path()).unwrap()));
    let mut config = CoreConfig::new("https://cartouche.test");
    let now = start();
    config.clock = Arc::new(move || now);
    bootstrap(
        &*store,
        &["FR".to_owned()],
        config.default_alg,
        config.key_lifetime,
        now,
        &config.vault,
        &mut |_| Ok(()),
    )
    .unwrap();
    let core = Core::new(store.clone(), config, Arc::new(NoRules)).unwrap();
    (dir, store, core)
}

#[test]
fn issue_then_verify_without_http_and_the_page_reads_no_photo() {
    let (_dir, store, core) = registry();
    let issuer = Caller { token_id: "tok_issuer".into(), role: Role::Issuer, country: Some("FR".into()) };

    let photo = core.upload_photo(&issuer, &png()).unwrap();
    assert!(photo.created);
    let mut application: serde_json::Value =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    application["objects"][0]["photos"] = serde_json::json!([{ "sha256": photo.view.sha256, "caption": "front" }]);
    let body = serde_json::to_vec(&application).unwrap();
    let issued = core.issue(&issuer, IssueRequest { body: &body, idempotency_key: Some("k1") }).unwrap();
    assert!(!issued.replayed);
    let again = core.issue(&issuer, IssueRequest { body: &body, idempotency_key: Some("k1") }).unwrap();
    assert!(again.replayed);
    assert_eq!(again.view.certificate.number, issued.view.certificate.number);

    let request = VerifyRequest::new(&issued.view.qr_text, Some("fr"), false).unwrap();
    let verification = core.verify(&request).unwrap();
    assert_eq!(verification.verdict.verdict, VerdictKind::Valid, "{:#?}", verification.verdict.checks);
    assert!(verification.record.is_some());

    let reads = store.photo_reads.load(Ordering::SeqCst);
    let on_file = core.photos_on_file(&verification.verdict);
    assert_eq!(on_file, vec![photo.view.sha256.clone()]);
    assert_eq!(store.photo_reads.load(Ordering::SeqCst), reads, "knowing a photo is on file read the photo");

    // An officer may not issue; the refusal is the core's, audited.
    let officer = Caller { token_id: "tok_officer".into(), role: Role::Officer, country: Some("FR".into()) };
    let refused = core.issue(&officer, IssueRequest { body: &body, idempotency_key: None }).unwrap_err();
    assert_eq!(refused.kind, cartouche_core::ErrorKind::Forbidden);
    let admin = Caller { token_id: "tok_admin".into(), role: Role::Admin, country: None };
    let audit = core.audit_log(&admin, Some(10)).unwrap();
    assert!(audit.items.iter().any(|e| e.outcome == "denied" && e.action == "certificate.issue"));
}

/// The verdict's `log` check: pass when the issuance entry proves against the signed
/// checkpoint, fail (INVALID) when the registry holds a certificate it never logged, not
/// checked (INDETERMINATE) when the log cannot be read.
#[test]
fn the_log_check_passes_fails_or_is_not_checked() {
    let (_dir, store, core) = registry();
    let issuer = Caller { token_id: "tok_issuer".into(), role: Role::Issuer, country: Some("FR".into()) };
    let body = include_bytes!("../../../schemas/examples/fr-painting-to-us.json");
    let issued = core.issue(&issuer, IssueRequest { body, idempotency_key: None }).unwrap();
    let request = VerifyRequest::new(&issued.view.qr_text, None, false).unwrap();
    let log_check = |core: &Core| {
        let verdict = core.verify(&request).unwrap().verdict;
        let check = verdict.checks.iter().find(|check| check.name == cartouche_model::CheckName::Log).cloned();
        (verdict.verdict, check.expect("a log check"))
    };
    // The issuance entry carries the hash the seal was made with, which is the canonical
    // hash of the certificate as stored.
    let record = store.certificate(&issued.view.certificate.number).unwrap().unwrap();
    let index = record.log_index.unwrap();
    let entry: serde_json::Value = serde_json::from_slice(&store.log_entries(index, index + 1).unwrap()[0]).unwrap();
    assert_eq!(
        entry["event"]["certificate_sha256"],
        cartouche_model::canonical::canonical_sha256_hex(&record.certificate).unwrap()
    );
    // Before any checkpoint: in the log, the next checkpoint includes it.
    let (kind, check) = log_check(&core);
    assert_eq!((kind, check.outcome), (VerdictKind::Valid, cartouche_model::CheckOutcome::Pass), "{}", check.detail);
    assert!(check.detail.contains("next checkpoint"), "{}", check.detail);
    // Enough certificates for a proof of several hashes.
    for _ in 0..5 {
        core.issue(&issuer, IssueRequest { body, idempotency_key: None }).unwrap();
    }
    core.sign_checkpoint().unwrap();
    let reads = store.hash_reads.load(Ordering::SeqCst);
    let (_, check) = log_check(&core);
    assert!(check.detail.contains("signed checkpoint"), "{}", check.detail);
    let first = store.hash_reads.load(Ordering::SeqCst) - reads;
    assert!(first > 0, "the first proof reads the stored hashes");
    // Stored hashes never change: the same proof again reads none of them.
    let (kind, check) = log_check(&core);
    assert_eq!((kind, check.outcome), (VerdictKind::Valid, cartouche_model::CheckOutcome::Pass), "{}", check.detail);
    assert_eq!(store.hash_reads.load(Ordering::SeqCst) - reads, first, "the kept hashes were read again");
    assert_eq!(core.check_log().unwrap().checkpoint_size, store.log_size().unwrap());
    // A certificate the registry holds but never logged.
    store.hide_log_index.store(true, Ordering::SeqCst);
    let (kind, check) = log_check(&core);
    assert_eq!((kind, check.outcome), (VerdictKind::Invalid, cartouche_model::CheckOutcome::Fail), "{}", check.detail);
    assert!(check.detail.contains("never recorded"), "{}", check.detail);
    store.hide_log_index.store(false, Ordering::SeqCst);
    // A log that cannot be read.
    store.log_unreadable.store(true, Ordering::SeqCst);
    let (kind, check) = log_check(&core);
    assert_eq!(
        (kind, check.outcome),
        (VerdictKind::Indeterminate, cartouche_model::CheckOutcome::NotChecked),
        "{}",
        check.detail
    );
}

/// A full tile is served the same from the store and from the in-memory cache, and is
/// what the entries hash to; a partial tile is never cached past the checkpoint.
#[test]
fn full_tiles_are_the_same_from_the_store_and_the_cache() {
    let (_dir, store, core) = registry();
    let issuer = Caller { token_id: "tok_issuer".into(), role: Role::Issuer, country: Some("FR".into()) };
    let body = include_bytes!("../../../schemas/examples/fr-painting-to-us.json");
    while store.log_size().unwrap() < 257 {
        core.issue(&issuer, IssueRequest { body, idempotency_key: None }).unwrap();
    }
    assert!(core.log_tile("0/000").is_err(), "not in a checkpoint yet");
    core.sign_checkpoint().unwrap();
    let first = core.log_tile("0/000").unwrap();
    let second = core.log_tile("0/000").unwrap();
    assert!(first.immutable && second.immutable);
    assert_eq!(first.bytes, second.bytes);
    let leaves: Vec<u8> =
        store.log_entries(0, 256).unwrap().iter().flat_map(|entry| cartouche_log_leaf(entry)).collect();
    assert_eq!(first.bytes, leaves);
    let bundle = core.log_tile("entries/000").unwrap();
    assert_eq!(bundle.bytes, core.log_tile("entries/000").unwrap().bytes);
    let partial = core.log_tile("entries/001.p/1").unwrap();
    assert!(!partial.immutable);
}

/// SHA-256(0x00 || entry), written out here.
fn cartouche_log_leaf(entry: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update([0u8]);
    hasher.update(entry);
    hasher.finalize().into()
}

#[test]
fn the_status_list_and_the_bundle_follow_the_registry_and_match_their_schemas() {
    use cartouche_model::validate::{SchemaKind, check_schema};
    use cartouche_seal::federation::{BUNDLE_TYP, StatusValue, open_status_list, read_bundle, verify_document};
    let (dir, store, core) = registry();
    let issuer = Caller { token_id: "tok_issuer".into(), role: Role::Issuer, country: Some("FR".into()) };
    let body = include_bytes!("../../../schemas/examples/fr-painting-to-us.json");
    let first = core.issue(&issuer, IssueRequest { body, idempotency_key: None }).unwrap().view;
    let second = core.issue(&issuer, IssueRequest { body, idempotency_key: None }).unwrap().view;
    let revoke = StatusChange { reason: "reported stolen".into() };
    core.change_status(&issuer, &second.certificate.number, EventKind::Revoked, revoke).unwrap();
    let key = core.federation_key();

    // Each seal names its entry: the index of its issuance in the log.
    let ring = core.keys();
    let claims = |qr: &str| cartouche_seal::verify_seal(qr, &ring.ring, start()).claims.unwrap();
    let (first_claims, second_claims) = (claims(&first.qr_text), claims(&second.qr_text));
    assert_eq!(first_claims.v, 2);
    let status = |claims: &cartouche_seal::SealClaims| claims.status.clone().unwrap().status_list;
    assert_eq!(status(&first_claims).uri, "https://cartouche.test/api/v1/status-list");
    let (list_claims, list) = open_status_list(&core.status_list_token().unwrap(), &key).unwrap();
    assert_eq!(list.get(status(&first_claims).idx), Some(StatusValue::Valid));
    assert_eq!(list.get(status(&second_claims).idx), Some(StatusValue::Revoked));
    check_schema(SchemaKind::StatusList, &serde_json::to_value(&list_claims).unwrap()).unwrap();

    let token = core.bundle_token().unwrap();
    let payload: serde_json::Value =
        serde_json::from_slice(&verify_document(&token, BUNDLE_TYP, &key).unwrap()).unwrap();
    check_schema(SchemaKind::Bundle, &payload).unwrap();
    let opened = read_bundle(&token, &key).unwrap();
    assert!(opened.bundle.trust_list.keys.iter().all(|k| k.country == "FR"));
    check_schema(SchemaKind::RegistryDescription, &serde_json::to_value(core.registry_description()).unwrap()).unwrap();

    // The sequence never goes back, even when the registry restarts with its clock set back.
    drop(core);
    let mut config = CoreConfig::new("https://cartouche.test");
    let earlier = start() - time::Duration::days(1);
    config.clock = Arc::new(move || earlier);
    let again = Core::new(store.clone(), config, Arc::new(NoRules)).unwrap();
    let next = read_bundle(&again.bundle_token().unwrap(), &key).unwrap();
    assert!(next.bundle.sequence > opened.bundle.sequence, "{} then {}", opened.bundle.sequence, next.bundle.sequence);
    drop(dir);
}

#[test]
fn a_peer_plugin_whose_component_is_not_the_one_its_bundle_names_is_refused() {
    let (_dir, _store, core) = registry();
    let plugin = cartouche_seal::federation::BundlePlugin {
        id: "fr-export".into(),
        version: "9.9.9".into(),
        jurisdiction: "FR".into(),
        phases: vec!["exit_check".into()],
        sha256: "0".repeat(64),
        url: "https://fr.example/api/v1/plugins/fr-export/9.9.9/component.wasm".into(),
    };
    let publication = cartouche_core::peers::Publication { manifest: serde_json::json!({}), cases: "{}".into() };
    let error = core.install_peer_plugin("https://fr.example", &plugin, &publication, b"\0asm swapped").unwrap_err();
    assert_eq!(error.code, "plugin_sha256_mismatch", "{}", error.message);
}

/// Watch-list versions loaded at once by several editors: each gets a version of its own,
/// none is lost, and the index names the latest.
#[test]
fn watch_lists_loaded_at_once_each_get_a_version_of_their_own() {
    let (_dir, _store, core) = registry();
    let core = Arc::new(core);
    let editor = Caller { token_id: "tok_editor".into(), role: Role::WatchListEditor, country: None };
    let photo = core.upload_photo(&editor, &png()).unwrap().view.sha256;
    let upload = |reference: String| cartouche_core::watch::WatchListUpload {
        name: "RACE".into(),
        source: "test".into(),
        as_of: Date::from_calendar_date(2026, time::Month::November, 30).unwrap(),
        entries: vec![cartouche_core::watch::EntryUpload {
            reference,
            description: "a stolen thing".into(),
            title: None,
            maker: None,
            object_type: Vec::new(),
            materials_techniques: Vec::new(),
            dating: None,
            inscriptions: None,
            photos: vec![photo.clone()],
        }],
    };
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let core = Arc::clone(&core);
            let editor = editor.clone();
            let upload = upload(format!("R-{i}"));
            std::thread::spawn(move || core.load_watch_list(&editor, upload).unwrap().version)
        })
        .collect();
    let mut versions: Vec<u64> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=6).collect::<Vec<_>>());
    let references: std::collections::BTreeSet<String> =
        (1..=6).map(|v| core.watch_list("RACE", Some(v)).unwrap().entries[0].reference.clone()).collect();
    assert_eq!(references.len(), 6, "every load kept its own entries: {references:?}");
    assert_eq!(core.watch_lists()[0].version, 6);
    // An issuer may not load lists; an unknown photo is named.
    let issuer = Caller { token_id: "tok_issuer".into(), role: Role::Issuer, country: Some("FR".into()) };
    assert_eq!(core.load_watch_list(&issuer, upload("X".into())).unwrap_err().code, "forbidden");
    let mut unknown = upload("Y".into());
    unknown.entries[0].photos = vec!["0".repeat(64)];
    assert_eq!(core.load_watch_list(&editor, unknown).unwrap_err().code, "unknown_photo");
}
