//! Federation over HTTP: the registry's description (`/.well-known/cartouche-registry.json`),
//! its signed status list and bundle, and the published plugins' components that peers
//! download. All public: they carry no secret, and peers and offline verifiers fetch them
//! without an account.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

fn document(content_type: &'static str, cache: &'static str, body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /.well-known/cartouche-registry.json`.
pub async fn description(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.core().registry_description())
}

/// `GET /api/v1/status-list`: the IETF Token Status List (`statuslist+jwt`).
pub async fn status_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let token = state.run(|core| core.status_list_token()).await?;
    Ok(document("application/statuslist+jwt", "no-cache", token.as_bytes().to_vec()))
}

/// `GET /api/v1/bundle`: the registry's signed bundle.
pub async fn bundle(State(state): State<AppState>) -> Result<Response, ApiError> {
    let token = state.run(|core| core.bundle_token()).await?;
    Ok(document("application/cartouche-bundle+jwt", "no-cache", token.as_bytes().to_vec()))
}

/// Largest signed document a pinned node posts (an event, a certificate request): the
/// body limit of their routes.
pub const MAX_NODE_DOCUMENT_BYTES: usize = 16 * 1024;

/// `POST /api/v1/federation/events`: an exit or return recorded at a pinned peer node
/// (a compact JWS of typ `cartouche-event+jwt` signed with its federation key).
pub async fn forwarded_event(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let document = String::from_utf8_lossy(&body).into_owned();
    let view = state.run(move |core| core.accept_forwarded_event(&document)).await?;
    Ok(Json(view).into_response())
}

/// `POST /api/v1/federation/certificate`: a certificate's full text for a pinned node
/// (a compact JWS of typ `cartouche-request+jwt` signed with its federation key).
pub async fn certificate_for_peer(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let document = String::from_utf8_lossy(&body).into_owned();
    let answer = state.run(move |core| core.certificate_for_peer(&document)).await?;
    Ok(Json(answer).into_response())
}

/// `GET /api/v1/plugins/{id}/{version}/publication.json`: a published plugin's manifest
/// and cases, which a peer runs through its own publication checks.
pub async fn publication(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let publication = state.run(move |core| core.plugin_publication(&id, &version)).await?;
    Ok(Json(publication).into_response())
}

/// `GET /api/v1/plugins/{id}/{version}/component.wasm`: a published component (peers
/// check it against the sha256 their bundle gives).
pub async fn component(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let bytes = state.run(move |core| core.plugin_component(&id, &version)).await?;
    Ok(document("application/wasm", "public, max-age=86400, immutable", bytes))
}
