//! The issuance log over HTTP: the C2SP tlog-tiles files under `/log/` (checkpoint,
//! hash tiles, entry bundles, the verifier key), a certificate's tlog-proof, and the
//! witness's `add-checkpoint` (C2SP tlog-witness).
//!
//! The tiles, the checkpoint and the witness protocol are files and text protocols with
//! their own specifications; their successful answers are those files, not JSON. A bad
//! tile path or an unknown tile is still the API's JSON error. The witness answers with
//! the statuses its specification gives (400, 403, 404, 409 with the size as
//! `text/x.tlog.size`, 422) and a one-line text body.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_core::log::WitnessRefusal as Refusal;

use crate::AppState;
use crate::error::ApiError;

fn text(status: StatusCode, content_type: &'static str, cache: &'static str, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /log/checkpoint`: the latest signed checkpoint with its cosignatures.
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let note = state.run(|core| core.log_checkpoint()).await?;
    Ok(text(StatusCode::OK, "text/plain; charset=utf-8", "no-cache", note))
}

/// `GET /log/vkey`: the checkpoint verifier key.
pub async fn vkey(State(state): State<AppState>) -> Response {
    let key = format!("{}\n", state.core().log_vkey()).into_bytes();
    text(StatusCode::OK, "text/plain; charset=utf-8", "public, max-age=3600", key)
}

/// `GET /log/tile/{path}`: a hash tile or an entry bundle. Full tiles never change.
pub async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> Result<Response, ApiError> {
    let tile = state.run(move |core| core.log_tile(&path)).await?;
    let cache = if tile.immutable { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
    Ok(text(StatusCode::OK, "application/octet-stream", cache, tile.bytes))
}

/// `GET /api/v1/certificates/{number}/proof`: a `c2sp.org/tlog-proof@v1` of the
/// certificate's issuance entry.
pub async fn proof(State(state): State<AppState>, Path(number): Path<String>) -> Result<Response, ApiError> {
    let proof = state.run(move |core| core.certificate_proof(&number)).await?;
    Ok(text(StatusCode::OK, "text/plain; charset=utf-8", "no-cache", proof))
}

/// `GET /witness/vkey`: this registry's witness (cosignature) key.
pub async fn witness_vkey(State(state): State<AppState>) -> Response {
    let key = format!("{}\n", state.core().witness_vkey()).into_bytes();
    text(StatusCode::OK, "text/plain; charset=utf-8", "public, max-age=3600", key)
}

/// `POST /witness/add-checkpoint`.
pub async fn add_checkpoint(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let core = std::sync::Arc::clone(state.core());
    let answer = tokio::task::spawn_blocking(move || core.witness_add_checkpoint(&body)).await;
    let plain = "text/plain; charset=utf-8";
    let mut response = match answer {
        Ok(Ok(cosignature)) => text(StatusCode::OK, plain, "no-store", cosignature),
        Ok(Err(Refusal::Conflict(size))) => {
            text(StatusCode::CONFLICT, "text/x.tlog.size", "no-store", format!("{size}\n").into_bytes())
        }
        Ok(Err(refusal)) => {
            let status = match refusal {
                Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
                Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
                Refusal::UnknownLog(_) => StatusCode::NOT_FOUND,
                Refusal::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Refusal::Conflict(_) => StatusCode::CONFLICT,
            };
            text(status, plain, "no-store", format!("{refusal}\n").into_bytes())
        }
        Err(join_error) => return ApiError::internal(format!("witness task failed: {join_error}")).into_response(),
    };
    response.extensions_mut().insert(crate::ProtocolAnswer);
    response
}
