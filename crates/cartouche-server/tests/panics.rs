//! A panicking handler answers a 500 in the API's error shape and leaks nothing of the
//! panic; the server keeps serving.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use cartouche_core::{Core, CoreConfig, NoRules};
use cartouche_server::{AppState, ServerOptions, harden};
use cartouche_store::SledStore;
use tower::ServiceExt;

#[tokio::test]
async fn a_panic_becomes_a_bare_500() {
    cartouche_seal::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let core = Core::new(store, CoreConfig::new("https://cartouche.test"), Arc::new(NoRules)).unwrap();
    let state = AppState::new(Arc::new(core), ServerOptions::default());
    let router = harden(
        axum::Router::new()
            .route(
                "/panic",
                get(|| async {
                    let secret = "secret-db-password=hunter2";
                    if !secret.is_empty() {
                        panic!("{secret}");
                    }
                    "unreachable"
                }),
            )
            .route("/ok", get(|| async { "fine" })),
    )
    .with_state(state);
    let response = router.clone().oneshot(Request::get("/panic").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.contains("\"code\":\"internal\""), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    let response = router.oneshot(Request::get("/ok").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
