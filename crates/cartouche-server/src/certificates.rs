//! Certificate routes: issue, read, list, status changes, officer events, QR images.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_core::{IssueRequest, ListRequest, OfficerEvent, StatusChange};
use cartouche_model::EventKind;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybeCaller, RequireCaller};
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, read_json_bytes};

/// `POST /api/v1/certificates`.
pub async fn issue(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let check = caller.clone();
    state.run(move |core| core.check_issuer(&check)).await?;
    let body = read_json_bytes(request, &()).await?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map(str::to_owned).map_err(|_| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
            )
        })?),
    };
    let issued = state
        .run(move |core| core.issue(&caller, IssueRequest { body: &body, idempotency_key: key.as_deref() }))
        .await?;
    let status = if issued.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let location = issued.view.links.self_.clone();
    let mut response = (status, Json(issued.view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if issued.replayed {
        response.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// `GET /api/v1/certificates/{number}`: the full record for those allowed to read it,
/// the status alone for anyone else.
pub async fn get_one(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let read = state.run(move |core| core.read_certificate(caller.as_ref(), &number)).await?;
    Ok(Json(read).into_response())
}

/// `GET /api/v1/certificates`.
pub async fn list(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    QueryParams(request): QueryParams<ListRequest>,
) -> Result<Response, ApiError> {
    let page = state.run(move |core| core.list(&caller, request)).await?;
    Ok(Json(page).into_response())
}

async fn change_status(
    state: AppState,
    caller: cartouche_core::Caller,
    number: String,
    kind: EventKind,
    change: StatusChange,
) -> Result<Response, ApiError> {
    let view = state.run(move |core| core.change_status(&caller, &number, kind, change)).await?;
    Ok(Json(view).into_response())
}

/// `POST /api/v1/certificates/{number}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(change): JsonBody<StatusChange>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Revoked, change).await
}

/// `POST /api/v1/certificates/{number}/suspend`.
pub async fn suspend(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(change): JsonBody<StatusChange>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Suspended, change).await
}

/// `POST /api/v1/certificates/{number}/reinstate`.
pub async fn reinstate(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(change): JsonBody<StatusChange>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Reinstated, change).await
}

/// `POST /api/v1/certificates/{number}/events`: an officer records an exit or a return.
pub async fn record_event(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(event): JsonBody<OfficerEvent>,
) -> Result<Response, ApiError> {
    use cartouche_core::forward::EventOutcome;
    Ok(match state.run(move |core| core.record_event(&caller, &number, event)).await? {
        EventOutcome::Recorded(view) => Json(view).into_response(),
        // Another registry's certificate: 200 once it recorded the event, 202 while it
        // waits in this node's outbox.
        EventOutcome::Forwarded(forwarded) if forwarded.state == "delivered" => Json(forwarded).into_response(),
        EventOutcome::Forwarded(forwarded) => (StatusCode::ACCEPTED, Json(forwarded)).into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QrParams {
    /// Side in pixels, 100 to 4000 (default 600).
    size: Option<u32>,
    /// Error correction L, M, Q or H (default M).
    ec: Option<String>,
}

impl QrParams {
    fn checked(&self) -> Result<(qrcode::EcLevel, u32), ApiError> {
        let level = match self.ec.as_deref() {
            None => qrcode::EcLevel::M,
            Some(text) => cartouche_seal::qr::parse_ec_level(text).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_ec_level",
                    format!("ec {text:?} is not an error-correction level: use L, M, Q or H"),
                )
            })?,
        };
        let size = self.size.unwrap_or(600);
        if !(100..=4000).contains(&size) {
            return Err(ApiError::bad_request("invalid_size", "size must be between 100 and 4000 pixels"));
        }
        Ok((level, size))
    }
}

fn image_response(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    response
}

fn qr_error(error: cartouche_seal::qr::QrError) -> cartouche_core::CoreError {
    cartouche_core::CoreError::unprocessable("qr_too_large", error.to_string())
}

/// `GET /api/v1/certificates/{number}/qr.png`.
pub async fn qr_png(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    QueryParams(params): QueryParams<QrParams>,
) -> Result<Response, ApiError> {
    let (level, size) = params.checked()?;
    let png = state
        .run(move |core| {
            let text = core.qr_text_of(&caller, &number)?;
            cartouche_seal::qr::render_png(&text, level, size).map_err(qr_error)
        })
        .await?;
    Ok(image_response("image/png", png))
}

/// `GET /api/v1/certificates/{number}/qr.svg`.
pub async fn qr_svg(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    QueryParams(params): QueryParams<QrParams>,
) -> Result<Response, ApiError> {
    let (level, size) = params.checked()?;
    let svg = state
        .run(move |core| {
            let text = core.qr_text_of(&caller, &number)?;
            cartouche_seal::qr::render_svg(&text, level, size).map_err(qr_error)
        })
        .await?;
    Ok(image_response("image/svg+xml", svg.into_bytes()))
}
