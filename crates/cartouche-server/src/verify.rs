//! The verification routes of the API: `POST /api/v1/verify` and the JSON answer of
//! `GET /v/{token}` (browsers get the verdict page from [`crate::web`]).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cartouche_core::VerifyRequest;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::VerifyInput;

/// `POST /api/v1/verify`: a JSON body `{"qr": ...}`, or a `multipart/form-data` upload
/// with the photo of the QR code in the field `image` (and optionally
/// `checkpoint_country`, `import_check`).
pub async fn verify(State(state): State<AppState>, VerifyInput(request): VerifyInput) -> Result<Response, ApiError> {
    let verification = state.run_verification(move |core| core.verify(&request)).await?;
    Ok(Json(verification.verdict).into_response())
}

/// `GET /v/{token}`: what a phone opens after scanning. JSON for API clients that ask
/// for it; for browsers, the officer's verdict screen, rendered on the server so that it
/// works without JavaScript (`?lang=`, `?checkpoint_country=`, `?import_check=1`).
pub async fn verify_link(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    query: crate::web::PageQuery,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"));
    if wants_json {
        let request = VerifyRequest::new(&token, None, false)?;
        let verification = state.run_verification(move |core| core.verify(&request)).await?;
        return Ok(Json(verification.verdict).into_response());
    }
    Ok(crate::web::verdict_page(&state, &uri, &query, &headers, &token).await)
}
