//! Operations: health, metrics, the audit log and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;
use crate::extract::QueryParams;

/// The answer of `GET /healthz`.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    store: &'static str,
    keys: usize,
    /// The pinned peers, each with the state of its data (absent without peers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    peers: Vec<cartouche_core::federation::PeerHealth>,
    /// Officer events waiting for, or refused by, the registries that issued the
    /// certificates (absent when there are none).
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarding: Option<cartouche_core::forward::ForwardingHealth>,
    /// The PostgreSQL database of a shared store (absent for the embedded store).
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<cartouche_core::DatabaseHealth>,
}

/// `GET /healthz`: 200 when the store answers and keys are loaded.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.run(|core| core.store_answers()).await;
    let keys = state.core().keys().trust_list.keys.len();
    let peers = state.core().peer_health();
    let forwarding = state.run(|core| Ok(core.forwarding_health())).await.ok().flatten();
    let database = state.core().database();
    // A peer whose data cannot be used degrades this node (its seals are INDETERMINATE),
    // but it answers: one peer's outage stops nothing else.
    let peers_degraded = peers.iter().any(|peer| peer.state != "ok");
    match store {
        // A full disk: verification goes on, writes are refused (507 storage_full).
        Ok(()) if state.core().store_writes_refused() => (
            StatusCode::OK,
            Json(Health { status: "degraded", store: "storage_full", keys, peers, forwarding, database }),
        ),
        Ok(()) if peers_degraded => {
            (StatusCode::OK, Json(Health { status: "degraded", store: "ok", keys, peers, forwarding, database }))
        }
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok", store: "ok", keys, peers, forwarding, database })),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable", store: error.code, keys, peers, forwarding, database }),
        ),
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.0.metrics.render())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    limit: Option<usize>,
}

/// `GET /api/v1/audit`: the latest audit entries, newest first (admin).
pub async fn audit(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<impl IntoResponse, ApiError> {
    let items = state.run(move |core| core.audit_log(&caller, params.limit)).await?;
    Ok(Json(items))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}
