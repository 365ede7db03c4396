//! The printable certificate, `GET /api/v1/certificates/{number}/document.pdf`: the record
//! laid out as the model form and the EU licence, with the seal's QR code and the photos
//! (see [`cartouche_document`]), for those allowed to read the record.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_document::{DocumentInput, QrMatrix, certificate_pdf};
use cartouche_seal::qr::{QrError, qr_code};
use cartouche_seal::qr_text;
use qrcode::EcLevel;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::certificates::{parse_number, status_view};
use crate::error::ApiError;

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
            let code =
                qr_code(&text, EcLevel::M).or_else(|_| qr_code(&text, EcLevel::L)).map_err(|error: QrError| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_too_large", error.to_string())
                })?;
            let language = record.certificate.application.language.clone();
            let qr = QrMatrix::from(&code);
            let input = DocumentInput { certificate: record.certificate, qr, photos, state: state_text, language };
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
