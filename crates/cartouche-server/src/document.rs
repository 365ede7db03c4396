//! The printable certificate, `GET /api/v1/certificates/{number}/document.pdf`: the record
//! laid out as the model form and the EU licence, with the seal's QR code and the photos
//! (see [`cartouche_media::document`]), for those allowed to read the record.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_media::document::{DocumentInput, certificate_pdf};
use cartouche_seal::qr::{QrError, render_png};
use cartouche_seal::qr_text;
use qrcode::EcLevel;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::certificates::{parse_number, status_view};
use crate::error::ApiError;

/// Side of the QR image put on the page, in pixels (about 500 dpi at its printed size).
const QR_PIXELS: u32 = 1200;

/// Full-size photos embedded in one document, in bytes; past it, the stored thumbnails
/// stand in, so a certificate of 100 objects with 10 photos each stays a sane size.
const FULL_PHOTO_BUDGET: usize = 48 * 1024 * 1024;

/// `GET /api/v1/certificates/{number}/document.pdf`.
pub async fn document_pdf(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let parsed = parse_number(&number)?;
    authorize_audited(&state, &caller, Action::Read, Some(parsed.country()), &number).await?;
    let lookup = number.clone();
    let (record, photos) = state
        .run_store(move |store| {
            let Some(record) = store.certificate(&lookup)? else {
                return Ok(None);
            };
            let mut photos = BTreeMap::new();
            let mut budget = FULL_PHOTO_BUDGET;
            for photo in record.certificate.application.objects.iter().flat_map(|object| &object.photos) {
                if photos.contains_key(&photo.sha256) {
                    continue;
                }
                if let Some(found) = store.photo(&photo.sha256)? {
                    let bytes = if found.jpeg.len() <= budget { found.jpeg } else { found.thumbnail };
                    budget = budget.saturating_sub(bytes.len());
                    photos.insert(photo.sha256.clone(), bytes);
                }
            }
            Ok(Some((record, photos)))
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("certificate {number} does not exist")))?;
    let today = state.now().date();
    let state_text = status_view(&record, today).state.as_str().to_owned();
    let text = qr_text(&state.config().public_url, &record.token);
    let pdf = {
        // Rendering is CPU-bound, like decoding photos: it takes the same turns.
        let _permit = state.image_permit().await?;
        tokio::task::spawn_blocking(move || {
            // M as everywhere; L only if the seal does not fit at M.
            let qr_png = render_png(&text, EcLevel::M, QR_PIXELS)
                .or_else(|_| render_png(&text, EcLevel::L, QR_PIXELS))
                .map_err(|error: QrError| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_too_large", error.to_string())
                })?;
            let language = record.certificate.application.language.clone();
            let input = DocumentInput { certificate: record.certificate, qr_png, photos, state: state_text, language };
            certificate_pdf(&input).map_err(|error| ApiError::internal(format!("cannot render the document: {error}")))
        })
        .await
        .map_err(|error| ApiError::internal(format!("document task failed: {error}")))??
    };
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    // The number's shape is checked above: only capital letters, digits and hyphens.
    if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{number}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
