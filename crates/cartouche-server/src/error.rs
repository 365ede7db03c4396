//! The one HTTP error type.
//!
//! Policy: every 4xx/5xx body is `{"error": {"code", "message", "details"?}}`
//! (`schemas/error.schema.json`). `code` is stable and machine-readable; `message` tells a
//! person what to do; `details` carries structured data (field errors, findings). A 5xx
//! never shows its cause: the cause is logged with the request's method and path, and the
//! client gets a generic message. Converting an error into a response has no side effect
//! other than that log line.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_core::{CoreError, ErrorKind};
use serde_json::{Value, json};

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// For a person.
    pub message: String,
    /// Structured details.
    pub details: Option<Value>,
    /// Logged for 5xx, never sent.
    pub internal: Option<String>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, internal: None }
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no usable credentials.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 500 that logs `cause` and shows nothing of it.
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut error =
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; it has been logged");
        error.internal = Some(cause.into());
        error
    }
}

/// The HTTP status of a kind of core error.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        ApiError {
            status: status_of(error.kind),
            code: error.code,
            message: error.message,
            details: error.details,
            internal: error.internal,
        }
    }
}

/// The JSON body of an error.
pub fn error_body(code: &str, message: &str, details: Option<&Value>) -> Value {
    let mut error = json!({ "code": code, "message": message });
    if let Some(details) = details {
        error["details"] = details.clone();
    }
    json!({ "error": error })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(code = self.code, cause = %cause, "request failed");
        }
        let body = error_body(self.code, &self.message, self.details.as_ref());
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The stable code for a bare status produced outside our handlers (404 from routing,
/// 405, 413 from the body limit, 408 from the timeout).
pub fn code_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route; see /api/v1/openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this method is not allowed on this route; see /api/v1/openapi.json")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is larger than this route accepts"),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests; slow down"),
        status if status.is_server_error() => ("internal", "an internal error occurred; it has been logged"),
        _ => ("bad_request", "the request could not be understood"),
    }
}
