//! Watch lists of stolen and missing objects: `POST /api/v1/watch-lists` (load a version:
//! watch-list editors and the admin), `GET /api/v1/watch-lists` (the lists in force) and
//! `GET /api/v1/watch-lists/{name}[?version=N]` (one version with its entries), both for
//! any API token.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartouche_core::watch::WatchListUpload;
use serde::Deserialize;

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;
use crate::extract::read_json_bytes;

/// Largest list upload (20,000 entries of Object ID text and photo hashes).
pub const MAX_WATCH_LIST_BYTES: usize = 32 * 1024 * 1024;

/// `POST /api/v1/watch-lists`.
pub async fn load(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    // Only editors and the admin get as far as reading the body.
    let check = caller.clone();
    state.run(move |core| core.check_watch_list_editor(&check)).await?;
    let bytes = read_json_bytes(request, &state).await?;
    let upload: WatchListUpload = cartouche_core::watch::parse_upload(&bytes)?;
    let loaded = state.run_image(move |core| core.load_watch_list(&caller, upload)).await?;
    Ok((StatusCode::CREATED, Json(loaded)).into_response())
}

/// `GET /api/v1/watch-lists`.
pub async fn list(State(state): State<AppState>, RequireCaller(_caller): RequireCaller) -> Result<Response, ApiError> {
    let lists = state.run(|core| Ok(core.watch_lists())).await?;
    Ok(Json(serde_json::json!({ "lists": lists })).into_response())
}

/// `?version=N`.
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<u64>,
}

/// `GET /api/v1/watch-lists/{name}`.
pub async fn one(
    State(state): State<AppState>,
    RequireCaller(_caller): RequireCaller,
    Path(name): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, ApiError> {
    let version = state.run(move |core| core.watch_list(&name, query.version)).await?;
    Ok(Json(version).into_response())
}
