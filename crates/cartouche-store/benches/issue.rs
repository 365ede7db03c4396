//! Durable issuance through the store: numbering, the record, the audit entry and (since
//! store format 2) the log entry with its tree hashes, in one transaction, then a flush.
//! Written against the `Store` trait only and building the record from JSON, so that the
//! same file also compiles against a store from before the log: `scripts/bench-log.sh`
//! runs it on both in one run and prints the ratio.

use cartouche_store::{AuditEvent, CertificateRecord, SledStore, Store};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn record(number: &str, application: &serde_json::Value) -> CertificateRecord {
    let at = "2026-11-28T10:00:00Z";
    // The certificate is the application's fields (flattened) with its number and dates.
    let mut certificate = application.clone();
    certificate["number"] = json!(number);
    certificate["issue_date"] = json!("2026-11-28");
    certificate["issued_at"] = json!(at);
    certificate["rule_evaluations"] = json!([]);
    serde_json::from_value(json!({
        "certificate": certificate,
        "token": format!("eyJhbGciOiJFZERTQSIsImtpZCI6ImZyLTEiLCJ6aXAiOiJERUYifQ.{}.sig", "p".repeat(600)),
        "kid": "fr-1",
        "certificate_sha256": "ab".repeat(32),
        "events": [{
            "kind": "issued",
            "at": at,
            "actor": { "role": "issuer", "country": "FR", "token_id": "tok_bench" }
        }]
    }))
    .expect("a valid record")
}

fn issue(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let application = serde_json::to_value(cartouche_store::conformance::sample_application()).unwrap();
    let audit = || AuditEvent {
        at: time::OffsetDateTime::UNIX_EPOCH,
        actor: None,
        action: "certificate.issue".into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: String::new(),
    };
    let issued = std::cell::Cell::new(0u64);
    let mut group = c.benchmark_group("store");
    group.sample_size(30);
    group.bench_function("issue_durable", |b| {
        b.iter(|| {
            issued.set(issued.get() + 1);
            store.issue("FR", 2026, None, audit(), &mut |number, _| Ok(record(number, &application))).expect("issued")
        })
    });
    group.finish();
    drop(store);
    let bytes: u64 = walk(dir.path());
    println!(
        "store size after the run: {bytes} bytes for {} certificates, {} bytes each",
        issued.get(),
        bytes / issued.get().max(1)
    );
}

fn walk(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { walk(&path) } else { entry.metadata().map(|m| m.len()).unwrap_or(0) }
                })
                .sum()
        })
        .unwrap_or(0)
}

criterion_group!(benches, issue);
criterion_main!(benches);
