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
}

/// `GET /healthz`: 200 when the store answers and keys are loaded.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.run(|core| core.store_answers()).await;
    let keys = state.core().keys().trust_list.keys.len();
    match store {
        // A full disk: verification goes on, writes are refused (507 storage_full).
        Ok(()) if state.core().store_writes_refused() => {
            (StatusCode::OK, Json(Health { status: "degraded", store: "storage_full", keys }))
        }
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok", store: "ok", keys })),
        Err(error) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", store: error.code, keys }))
        }
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
