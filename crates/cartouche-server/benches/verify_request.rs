//! Full in-process verification: `POST /api/v1/verify` through the router (JSON parsing,
//! seal checks, registry lookup on sled, status, verdict serialization), without a socket.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use cartouche_model::{Actor, Application, Certificate, Role};
use cartouche_server::bootstrap::bootstrap;
use cartouche_server::{AppState, NoRules, ServerConfig, app, seal_record};
use cartouche_store::{AuditEvent, SledStore, Store};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    cartouche_seal::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let mut config = ServerConfig::new("https://cartouche.test");
    // Measure verification, not the rate limiter refusing the benchmark.
    config.verify_rate_per_minute = None;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    bootstrap(&*store, &["FR".to_owned()], config.default_alg, config.key_lifetime, now, &mut |_| Ok(())).unwrap();
    let state = AppState::new(Arc::clone(&store), config, Arc::new(NoRules)).unwrap();
    let signer = state.keys().signer("FR").unwrap().clone();
    let application: Application =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    let actor = Actor { role: Role::Issuer, country: Some("FR".into()), token_id: "bench".into() };
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.clone()),
        action: "certificate.issue".into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: String::new(),
    };
    let outcome = store
        .issue("FR", now.year(), None, audit, &mut |number| {
            let certificate = Certificate {
                number: number.into(),
                issue_date: now.date(),
                issued_at: now,
                application: application.clone(),
                rule_evaluations: vec![],
            };
            seal_record(certificate, &signer, None, &actor)
        })
        .unwrap();
    let token = match outcome {
        cartouche_store::IssueOutcome::Created(record) => record.token,
        cartouche_store::IssueOutcome::Replayed(record) => record.token,
    };
    let body = serde_json::to_vec(&serde_json::json!({ "qr": format!("https://cartouche.test/v/{token}") })).unwrap();
    let router = app(state);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    c.bench_function("verify_request/EdDSA_valid", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::post("/api/v1/verify")
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await.unwrap();
                assert_eq!(response.status(), 200);
                axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap()
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
