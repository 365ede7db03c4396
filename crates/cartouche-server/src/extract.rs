//! Request bodies: JSON with a size limit and errors in the API's shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body, parsed into `T`. Accepts `application/json` (or no content type, for
/// `curl -d`); anything else is 415. Too large is 413, malformed is 400 `invalid_json`,
/// well-formed but the wrong shape is 400 `invalid_request`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_bytes(request, state).await?;
        Ok(JsonBody(parse_json(&bytes)?))
    }
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

/// Parses JSON bytes into `T` with errors a person can act on.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("invalid_json", "the request body is empty; send a JSON document"));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        use serde_json::error::Category;
        let code = match error.classify() {
            Category::Data => "invalid_request",
            Category::Syntax | Category::Eof | Category::Io => "invalid_json",
        };
        ApiError::bad_request(code, format!("the request body is not acceptable JSON: {error}"))
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
    axum::body::to_bytes(request.into_body(), limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a {what} may be at most {limit} bytes"),
        )
    })
}
