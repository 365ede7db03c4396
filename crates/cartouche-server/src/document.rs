//! The printable certificate, `GET /api/v1/certificates/{number}/document.pdf`: the record
//! laid out as the model form and the EU licence, with the seal's QR code and the photos
//! (see [`cartouche_document`]), for those allowed to read the record.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cartouche_core::CoreError;
use cartouche_document::{DocumentInput, QrMatrix, certificate_pdf};
use cartouche_seal::qr::qr_code;
use qrcode::EcLevel;

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;

/// `GET /api/v1/certificates/{number}/document.pdf`.
pub async fn document_pdf(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let lookup = number.clone();
    // Rendering is CPU-bound, like decoding photos: it takes the same turns.
    let pdf = state
        .run_image(move |core| {
            let printable = core.printable(&caller, &lookup)?;
            // M as everywhere; L only if the seal does not fit at M.
            let code = qr_code(&printable.qr_text, EcLevel::M)
                .or_else(|_| qr_code(&printable.qr_text, EcLevel::L))
                .map_err(|error| CoreError::unprocessable("qr_too_large", error.to_string()))?;
            let language = printable.record.certificate.application.language.clone();
            let input = DocumentInput {
                certificate: printable.record.certificate,
                qr: QrMatrix::from(&code),
                photos: printable.photos,
                state: printable.state,
                language,
            };
            certificate_pdf(&input).map_err(|error| CoreError::internal(format!("cannot render the document: {error}")))
        })
        .await?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    // The number's shape was checked by the core: only capital letters, digits and hyphens.
    if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{number}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
