//! Object photos: upload (cleaned of metadata, stored by the SHA-256 of the clean JPEG)
//! and download by hash.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_image::{ImageError, clean_photo};
use cartouche_store::{AuditEvent, PhotoRecord};
use serde_json::json;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::error::ApiError;

fn image_error(error: ImageError) -> ApiError {
    let code = match &error {
        ImageError::UnsupportedFormat => "unsupported_image",
        ImageError::TooLarge { .. } => "image_too_large",
        ImageError::TooSmall { .. } => "image_too_small",
        ImageError::Corrupt(_) => "image_unreadable",
        ImageError::Encode(_) => return ApiError::internal(error.to_string()),
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string())
}

/// `POST /api/v1/photos`: the body is the JPEG or PNG file itself.
pub async fn upload(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    authorize_audited(&state, &caller, Action::UploadPhoto, None, "photo").await?;
    let bytes = crate::extract::read_image_body(request, cartouche_image::MAX_PHOTO_BYTES, "photo").await?;
    let clean = {
        let _permit = state.image_permit().await?;
        tokio::task::spawn_blocking(move || clean_photo(&bytes))
            .await
            .map_err(|error| ApiError::internal(format!("photo task failed: {error}")))?
            .map_err(image_error)?
    };
    let now = state.now();
    let sha256 = clean.sha256.clone();
    let (width, height) = (clean.width, clean.height);
    let record = PhotoRecord {
        sha256: clean.sha256,
        jpeg: clean.jpeg,
        thumbnail: clean.thumbnail,
        width,
        height,
        uploaded_by: caller.actor(),
        uploaded_at: now,
    };
    let audit = AuditEvent {
        at: now,
        actor: Some(caller.actor()),
        action: "photo.upload".into(),
        target: sha256.clone(),
        outcome: "ok".into(),
        detail: format!("{width} × {height}"),
    };
    let created = state.run_store(move |store| store.put_photo(record, audit)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let url = format!("/api/v1/photos/{sha256}");
    Ok((
        status,
        Json(json!({
            "sha256": sha256,
            "media_type": "image/jpeg",
            "width": width,
            "height": height,
            "url": url,
            "thumbnail_url": format!("{url}/thumbnail"),
        })),
    )
        .into_response())
}

fn valid_hash(sha256: &str) -> Result<(), ApiError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_photo_hash",
            "a photo is named by the lower-case hex SHA-256 of its bytes (64 characters)",
        ))
    }
}

async fn serve(state: AppState, sha256: String, thumbnail: bool) -> Result<Response, ApiError> {
    valid_hash(&sha256)?;
    let lookup = sha256.clone();
    let photo = state
        .run_store(move |store| store.photo(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no photo {sha256} has been uploaded")))?;
    let body = if thumbnail { photo.thumbnail } else { photo.jpeg };
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
