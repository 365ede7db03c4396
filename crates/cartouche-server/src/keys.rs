//! Key and token routes: the trust list and JWKS (public), key rotation and token
//! creation (administrators).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cartouche_core::TokenRequest;
use cartouche_model::Algorithm;
use serde::Deserialize;

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;
use crate::extract::JsonBody;

/// `GET /api/v1/trust-list`.
pub async fn trust_list(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.core().trust_list())
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.core().jwks())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateRequest {
    alg: Option<Algorithm>,
}

/// `POST /api/v1/countries/{country}/keys`: a new current key for a country. The body
/// is optional (`{"alg": "ES256"}`).
pub async fn rotate(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(country): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: RotateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotateRequest::default()
    } else {
        cartouche_core::parse_json(&body)?
    };
    let rotated = state.run(move |core| core.rotate_key(&caller, &country, request.alg)).await?;
    Ok((StatusCode::CREATED, Json(rotated)))
}

/// `GET /api/v1/keys`: every signing key, with where its secret half lives (administrators).
pub async fn list(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.run(move |core| core.list_keys(&caller)).await?))
}

/// `POST /api/v1/keys`: a key from a key ceremony (`cartouche keys generate`) becomes its
/// country's current key once its proof of possession verifies (administrators).
pub async fn import(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    JsonBody(ceremony): JsonBody<cartouche_seal::KeyCeremony>,
) -> Result<impl IntoResponse, ApiError> {
    let imported = state.run(move |core| core.import_key(&caller, ceremony)).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetireRequest {
    #[serde(default, with = "time::serde::rfc3339::option")]
    sign_until: Option<time::OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    verify_until: Option<time::OffsetDateTime>,
}

/// `POST /api/v1/keys/{kid}/retire`: the key stops signing at `sign_until` (default now)
/// and, if given, what it signed stops verifying at `verify_until` (administrators).
pub async fn retire(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(kid): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: RetireRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RetireRequest::default()
    } else {
        cartouche_core::parse_json(&body)?
    };
    let view = state.run(move |core| core.retire_key(&caller, &kid, request.sign_until, request.verify_until)).await?;
    Ok(Json(view))
}

/// `POST /api/v1/tokens`: a new API token; the secret is in this answer only.
pub async fn create_token(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let token = state.run(move |core| core.create_token(&caller, request)).await?;
    Ok((StatusCode::CREATED, Json(token)))
}
