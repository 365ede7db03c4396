//! Operations: health, metrics, the audit log and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::error::ApiError;
use crate::extract::QueryParams;

/// `GET /healthz`: 200 when the store answers and keys are loaded.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.run_store(|store| store.has_tokens()).await;
    let keys = state.keys().trust_list.keys.len();
    match store {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ok", "store": "ok", "keys": keys }))),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "store": error.code, "keys": keys })),
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
    authorize_audited(&state, &caller, Action::Administer, None, "audit").await?;
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.run_store(move |store| store.recent_audit(limit)).await?;
    Ok(Json(json!({ "items": entries })))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}
