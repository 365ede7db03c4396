//! Photo routes: upload (issuers) and download by hash (public).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;

/// `POST /api/v1/photos`: the body is the JPEG or PNG file itself.
pub async fn upload(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let check = caller.clone();
    state.run(move |core| core.check_uploader(&check)).await?;
    let bytes = crate::extract::read_image_body(request, cartouche_image::MAX_PHOTO_BYTES, "photo").await?;
    let uploaded = state.run_image(move |core| core.upload_photo(&caller, &bytes)).await?;
    let status = if uploaded.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(uploaded.view)).into_response())
}

async fn serve(state: AppState, sha256: String, thumbnail: bool) -> Result<Response, ApiError> {
    let body = state.run(move |core| core.photo(&sha256, thumbnail)).await?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Named by their hash: a given URL never changes.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}

/// `GET /api/v1/photos/{sha256}`: the photo, to compare with the object. Public: the
/// 256-bit hash is only known to those who hold the certificate or its seal.
pub async fn photo(State(state): State<AppState>, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    serve(state, sha256, false).await
}

/// `GET /api/v1/photos/{sha256}/thumbnail`.
pub async fn thumbnail(State(state): State<AppState>, Path(sha256): Path<String>) -> Result<Response, ApiError> {
    serve(state, sha256, true).await
}
