//! Request bodies and queries, turned into the core's inputs with errors in the API's
//! shape: JSON with a size limit, query parameters, image bodies, the one multipart
//! reader, and the one verification input (JSON, photo upload or form).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use cartouche_core::VerifyRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body, parsed into `T`. Accepts `application/json` (or no content type, for
/// `curl -d`); anything else is 415. Too large is 413, malformed is 400 `invalid_json`,
/// well-formed but the wrong shape is 400 `invalid_request`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_bytes(request, state).await?;
        Ok(JsonBody(cartouche_core::parse_json(&bytes)?))
    }
}

fn too_large(what: &str, limit: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("{what} may be at most {limit} bytes"))
}

/// Reads a JSON request body within the route's limit.
pub async fn read_json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(str::to_owned);
    if let Some(content_type) = content_type {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if essence != "application/json"
            && essence != "application/x-www-form-urlencoded"
            && !essence.ends_with("+json")
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("expected a JSON body (Content-Type: application/json), got {content_type:?}"),
            ));
        }
    }
    Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this route accepts",
        ),
        other => ApiError::bad_request("unreadable_body", format!("the request body could not be read: {other}")),
    })
}

/// Query parameters parsed into `T`; an unknown or malformed parameter is 400
/// `invalid_query` naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(ApiError::bad_request("invalid_query", rejection.body_text())),
        }
    }
}

/// Reads a body that is an image itself (`Content-Type: image/jpeg` or `image/png`, else
/// 415), at most `limit` bytes (else 413). `what` names it in the messages.
pub async fn read_image_body(request: Request, limit: usize, what: &str) -> Result<Bytes, ApiError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if !matches!(content_type.split(';').next().unwrap_or("").trim(), "image/jpeg" | "image/png") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the {what} itself as the body, with Content-Type image/jpeg or image/png"),
        ));
    }
    axum::body::to_bytes(request.into_body(), limit).await.map_err(|_| too_large(&format!("a {what}"), limit))
}

/// The fields of a `multipart/form-data` body.
pub struct Form {
    fields: HashMap<String, Vec<u8>>,
}

impl Form {
    /// Takes a field's bytes.
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        self.fields.remove(name)
    }

    /// A field as trimmed text.
    pub fn text(&mut self, name: &str) -> Option<String> {
        self.take(name).map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
    }
}

/// The one multipart reader: a `multipart/form-data` body of the fields in `allowed`
/// (any other is 400 `invalid_upload`, naming `hint`), within `limit` bytes (else 413,
/// naming `what`).
pub async fn read_form(
    request: Request,
    allowed: &[&str],
    what: &str,
    limit: usize,
    hint: &str,
) -> Result<Form, ApiError> {
    let bad = |message: String| ApiError::bad_request("invalid_upload", message);
    let mut multipart =
        axum::extract::Multipart::from_request(request, &()).await.map_err(|error| bad(error.body_text()))?;
    let mut fields = HashMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(what, limit)),
            Err(error) => return Err(bad(error.body_text())),
        };
        let name = field.name().unwrap_or("").to_owned();
        if !allowed.contains(&name.as_str()) {
            let shown = cartouche_core::audit::bounded(&name, 40);
            return Err(bad(format!("unknown form field {shown:?}: send {hint}")));
        }
        let bytes = field.bytes().await.map_err(|error| {
            if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(what, limit)
            } else {
                bad(error.body_text())
            }
        })?;
        fields.insert(name, bytes.to_vec());
    }
    Ok(Form { fields })
}

/// What the verification routes accept as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    /// The QR text (`{public-url}/v/{token}`) or the bare token.
    qr: String,
    /// Country of the checkpoint, passed to the exit-check rules.
    checkpoint_country: Option<String>,
    /// Also run the destination's import rules (an officer at the destination).
    #[serde(default)]
    import_check: bool,
}

/// Whether a form or query flag is set.
pub fn flag(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("true" | "1" | "on"))
}

/// Reads a photo upload of a QR code (`image`, and optionally `checkpoint_country` and
/// `import_check`), decodes the QR code and normalises the options: the verification
/// input of the officer page's upload and of the API's multipart form.
pub async fn verify_upload(state: &AppState, request: Request) -> Result<VerifyRequest, ApiError> {
    let limit = cartouche_seal::scan::MAX_IMAGE_BYTES;
    let mut form = read_form(
        request,
        &["image", "checkpoint_country", "import_check"],
        "an uploaded image",
        limit,
        "\"image\" (and optionally \"checkpoint_country\", \"import_check\")",
    )
    .await?;
    let image = form.take("image").ok_or_else(|| {
        ApiError::bad_request("invalid_upload", "the form has no \"image\" field with the photo of the QR code")
    })?;
    if image.len() > limit {
        return Err(too_large("an uploaded image", limit));
    }
    let checkpoint = form.text("checkpoint_country");
    let import_check = flag(form.text("import_check").as_deref());
    // The options are checked before the (costly) decoding.
    VerifyRequest::new("", checkpoint.as_deref(), import_check)?;
    let qr = state.run_image(move |core| core.scan(&image)).await?;
    Ok(VerifyRequest::new(&qr, checkpoint.as_deref(), import_check)?)
}

/// The verification input of `POST /api/v1/verify`: a JSON body `{"qr", ...}` (at most
/// [`crate::MAX_VERIFY_BODY_BYTES`]), or a `multipart/form-data` photo upload.
pub struct VerifyInput(pub VerifyRequest);

impl FromRequest<AppState> for VerifyInput {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            return Ok(VerifyInput(verify_upload(state, request).await?));
        }
        let limit = crate::MAX_VERIFY_BODY_BYTES;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large("a JSON verification request", limit));
        }
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| too_large("a JSON verification request", limit))?;
        let body: VerifyBody = cartouche_core::parse_json(&bytes)?;
        Ok(VerifyInput(VerifyRequest::new(&body.qr, body.checkpoint_country.as_deref(), body.import_check)?))
    }
}
