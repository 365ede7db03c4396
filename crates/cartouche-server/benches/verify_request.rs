//! Full in-process verification: `POST /api/v1/verify` through the router (JSON parsing,
//! seal checks, registry lookup on sled, status, verdict serialization), without a socket.
//! The certificate is issued through the core, as the issuing route does.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use cartouche_core::bootstrap::bootstrap;
use cartouche_core::{Caller, Core, CoreConfig, IssueRequest, NoRules};
use cartouche_model::Role;
use cartouche_server::{AppState, ServerOptions, app};
use cartouche_store::{SledStore, Store};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    cartouche_seal::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let config = CoreConfig::new("https://cartouche.test");
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
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
    let core = Arc::new(Core::new(Arc::clone(&store), config, Arc::new(NoRules)).unwrap());
    let issuer = Caller { token_id: "bench".into(), role: Role::Issuer, country: Some("FR".into()) };
    let mut application: serde_json::Value =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    // Valid for a year from today, whatever day the bench runs.
    application["valid_until"] = serde_json::json!((now.date() + time::Duration::days(365)).to_string());
    let body = serde_json::to_vec(&application).unwrap();
    let issued = core.issue(&issuer, IssueRequest { body: &body, idempotency_key: None }).unwrap();
    // As in service: the issuance is in a signed checkpoint, so the verdict's `log` check
    // proves the entry against it.
    core.sign_checkpoint().unwrap();
    let body = serde_json::to_vec(&serde_json::json!({ "qr": issued.view.qr_text })).unwrap();
    // Measure verification, not the rate limiter refusing the benchmark.
    let router = app(AppState::new(core, ServerOptions { verify_rate_per_minute: None }));
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
