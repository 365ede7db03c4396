//! Issuing, reading, listing and changing the status of certificates.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartouche_model::canonical::hex;
use cartouche_model::lifecycle::state as lifecycle_state;
use cartouche_model::{
    Actor, Certificate, CertificateNumber, CertificateState, EventKind, RuleOutcome, Severity, StatusEvent, StatusView,
    validate_application,
};
use cartouche_seal::{SealClaims, qr_text, sign};
use cartouche_store::{AuditEvent, CertificateRecord, Idempotency, IssueOutcome, ListQuery};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::Date;

use crate::AppState;
use crate::auth::{Action, Caller, MaybeCaller, RequireCaller, authorize_audited};
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, parse_json, read_json_bytes};

/// The registry's view of a record at `today`.
pub(crate) fn status_view(record: &CertificateRecord, today: Date) -> StatusView {
    let view = lifecycle_state(&record.certificate, &record.events, today);
    StatusView {
        state: view.state,
        since: view.cause.map(|event| event.at),
        reason: view.cause.and_then(|event| event.reason.clone()),
        events: record.events.clone(),
    }
}

fn record_json(state: &AppState, record: &CertificateRecord, today: Date) -> Value {
    let number = &record.certificate.number;
    let public_url = &state.config().public_url;
    json!({
        "certificate": record.certificate,
        "token": record.token,
        "kid": record.kid,
        "qr_text": qr_text(public_url, &record.token),
        "status": status_view(record, today),
        "links": {
            "self": format!("/api/v1/certificates/{number}"),
            "verify": qr_text(public_url, &record.token),
        },
    })
}

pub(crate) fn parse_number(number: &str) -> Result<CertificateNumber, ApiError> {
    number
        .parse::<CertificateNumber>()
        .map_err(|error| ApiError::bad_request("invalid_number", format!("{number:?} is {error}")))
}

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// `POST /api/v1/certificates`.
pub async fn issue(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The role is checked before the body is read: an officer learns nothing from it.
    if !matches!(caller.role, cartouche_model::Role::Issuer) {
        let target = caller.country.clone().unwrap_or_else(|| "(no country)".into());
        authorize_audited(&state, &caller, Action::Issue, caller.country.as_deref(), &target).await?;
    }
    let body = read_json_bytes(request, &()).await?;
    let value: Value = parse_json(&body)?;
    let now = state.now();
    let today = now.date();
    let application = validate_application(&value, today)?;
    let country = application.issuing_authority.country.clone();
    authorize_audited(&state, &caller, Action::Issue, Some(&country), &country).await?;

    let idempotency = match headers.get(IDEMPOTENCY_HEADER) {
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .filter(|key| !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                })?;
            Some(Idempotency {
                scoped_key: format!("{}:{key}", caller.token_id),
                request_sha256: hex(&Sha256::digest(&body)),
            })
        }
        None => None,
    };

    let rules = state.rules();
    let evaluations = {
        let application = application.clone();
        tokio::task::spawn_blocking(move || rules.issuance(&application, today))
            .await
            .map_err(|error| ApiError::internal(format!("rules task failed: {error}")))?
    };
    let errors: Vec<_> =
        evaluations.iter().flat_map(|e| e.findings.iter()).filter(|f| f.severity == Severity::Error).collect();
    let indeterminate = evaluations.iter().any(|e| e.outcome == RuleOutcome::Indeterminate);
    if !errors.is_empty() || indeterminate {
        let message = if errors.is_empty() {
            format!(
                "a rule of the issuing country could not be evaluated, so the certificate was not issued: {}",
                evaluations
                    .iter()
                    .filter(|e| e.outcome == RuleOutcome::Indeterminate)
                    .flat_map(|e| e.findings.iter().map(|f| f.message.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        } else {
            format!(
                "the issuing country's rules refuse this application: {}",
                errors.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")
            )
        };
        let code = if errors.is_empty() { "rules_indeterminate" } else { "rules_refused" };
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            .with_details(json!({ "rule_evaluations": evaluations })));
    }

    let keys = state.keys();
    let signer = keys
        .signer(&country)
        .cloned()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no_signing_key", format!("{country} has no current signing key; an administrator must create one (POST /api/v1/countries/{country}/keys)")))?;
    let key_expiry = keys.expires_at(&signer.kid);
    let actor = caller.actor();
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.clone()),
        action: "certificate.issue".into(),
        target: String::new(),
        outcome: "ok".into(),
        detail: format!("signed with key {}", signer.kid),
    };
    let year = now.year();
    let outcome = state
        .run_store(move |store| {
            let mut build = |number: &str| {
                let certificate = Certificate {
                    number: number.to_owned(),
                    issue_date: today,
                    issued_at: now,
                    application: application.clone(),
                    rule_evaluations: evaluations.clone(),
                };
                seal_record(certificate, &signer, key_expiry, &actor)
            };
            store.issue(&country, year, idempotency.as_ref(), audit, &mut build)
        })
        .await?;
    let (status, record, replayed) = match outcome {
        IssueOutcome::Created(record) => (StatusCode::CREATED, record, false),
        IssueOutcome::Replayed(record) => (StatusCode::OK, record, true),
    };
    let number = record.certificate.number.clone();
    if !replayed {
        metrics::counter!("cartouche_certificates_issued_total", "country" => record.certificate.application.issuing_authority.country.clone()).increment(1);
        tracing::info!(number = %number, token_id = %caller.token_id, "certificate issued");
    }
    let mut response = (status, Json(record_json(&state, &record, today))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/certificates/{number}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replayed {
        response.headers_mut().insert("idempotency-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Seals an issued certificate with `signer` into the record the store keeps, with its
/// `issued` event. Refuses a certificate that would outlive the signing key.
pub fn seal_record(
    certificate: Certificate,
    signer: &cartouche_seal::Signer,
    key_expiry: Option<time::OffsetDateTime>,
    actor: &Actor,
) -> Result<CertificateRecord, String> {
    let claims =
        SealClaims::for_certificate(&certificate).map_err(|error| format!("cannot build the seal: {error}"))?;
    if key_expiry.is_some_and(|expiry| claims.exp > expiry.unix_timestamp()) {
        return Err(format!("the certificate would outlive signing key {}; rotate the key first", signer.kid));
    }
    let token = sign(&claims, signer).map_err(|error| format!("cannot sign the seal: {error}"))?;
    let issued = StatusEvent {
        kind: EventKind::Issued,
        at: certificate.issued_at,
        actor: actor.clone(),
        reason: None,
        office: None,
        country: None,
        declaration_ref: None,
    };
    Ok(CertificateRecord { certificate, token, kid: signer.kid.clone(), events: vec![issued] })
}

/// `GET /api/v1/certificates/{number}`: the full record for those allowed to read it,
/// the status alone for anyone else.
pub async fn get_one(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let parsed = parse_number(&number)?;
    if let Some(caller) = &caller {
        authorize_audited(&state, caller, Action::Read, Some(parsed.country()), &number).await?;
    }
    let lookup = number.clone();
    let record = state
        .run_store(move |store| store.certificate(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("certificate {number} does not exist")))?;
    let today = state.now().date();
    if caller.is_some() {
        return Ok(Json(record_json(&state, &record, today)).into_response());
    }
    let view = lifecycle_state(&record.certificate, &record.events, today);
    Ok(Json(without_nulls(json!({
        "number": record.certificate.number,
        "issuing_country": record.certificate.application.issuing_authority.country,
        "status": { "state": view.state, "since": view.cause.map(|e| e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()) },
    })))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    country: Option<String>,
    status: Option<String>,
    q: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/v1/certificates`.
pub async fn list(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let country = match (caller.role, &params.country) {
        (cartouche_model::Role::Issuer, None) => caller.country.clone(),
        (_, country) => country.clone(),
    };
    if let Some(country) = &country {
        if !cartouche_model::is_country_code(country) {
            return Err(ApiError::bad_request(
                "invalid_country",
                format!("{country:?} is not an ISO 3166-1 alpha-2 code such as FR"),
            ));
        }
    }
    match (&country, caller.role) {
        (None, cartouche_model::Role::Admin | cartouche_model::Role::Officer) => {}
        (None, _) => authorize_audited(&state, &caller, Action::Read, None, "*").await?,
        (Some(country), _) => authorize_audited(&state, &caller, Action::Read, Some(country), country).await?,
    }
    let wanted_state = match &params.status {
        Some(text) => Some(CertificateState::parse(text).ok_or_else(|| {
            ApiError::bad_request("invalid_status", format!("unknown status {text:?}; use active, suspended, revoked, used, exported_temporarily, overdue or expired"))
        })?),
        None => None,
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 500"));
    }
    if let Some(after) = &params.after {
        parse_number(after)?;
    }
    let needle = params.q.as_ref().map(|q| q.to_lowercase()).filter(|q| !q.is_empty());
    if needle.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::bad_request("invalid_query", "q is longer than 200 characters"));
    }
    let today = state.now().date();
    let page = state
        .run_store(move |store| {
            let filter = |record: &CertificateRecord| {
                if let Some(wanted) = wanted_state {
                    if lifecycle_state(&record.certificate, &record.events, today).state != wanted {
                        return false;
                    }
                }
                match &needle {
                    Some(needle) => matches_query(&record.certificate, needle),
                    None => true,
                }
            };
            store.list_certificates(&ListQuery {
                country: country.as_deref(),
                after: params.after.as_deref(),
                limit,
                filter: &filter,
            })
        })
        .await?;
    let items: Vec<Value> = page
        .records
        .iter()
        .map(|record| {
            let application = &record.certificate.application;
            let view = lifecycle_state(&record.certificate, &record.events, today);
            json!({
                "number": record.certificate.number,
                "issuing_country": application.issuing_authority.country,
                "issued_at": record.certificate.issued_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "state": view.state,
                "export_type": application.export_type,
                "reimport_due_date": application.reimport_due_date.map(|d| d.to_string()),
                "destination_country": application.destination_country,
                "applicant": application.applicant.name,
                "titles": application.objects.iter().map(|o| o.title.clone().unwrap_or_else(|| o.object_type.join(" / "))).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(without_nulls(json!({ "items": items, "next_after": page.next_after }))).into_response())
}

/// Optional members are omitted, never null (schemas/FIELDS.md).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn matches_query(certificate: &Certificate, needle: &str) -> bool {
    let application = &certificate.application;
    let mut haystacks =
        vec![certificate.number.as_str(), application.applicant.name.as_str(), application.consignee.name.as_str()];
    for object in &application.objects {
        haystacks.push(&object.description);
        haystacks.extend(object.title.as_deref());
        haystacks.extend(object.maker.as_ref().map(|m| m.name.as_str()));
        haystacks.extend(object.object_type.iter().map(String::as_str));
    }
    haystacks.iter().any(|text| text.to_lowercase().contains(needle))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    reason: String,
}

async fn change_status(
    state: AppState,
    caller: Caller,
    number: String,
    kind: EventKind,
    body: ReasonBody,
) -> Result<Response, ApiError> {
    let parsed = parse_number(&number)?;
    authorize_audited(&state, &caller, Action::ChangeStatus, Some(parsed.country()), &number).await?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::bad_request(
            "invalid_reason",
            "give a reason of 1 to 1000 characters; it is shown to officers who scan the certificate",
        ));
    }
    let event = StatusEvent {
        kind,
        at: state.now(),
        actor: caller.actor(),
        reason: Some(reason.clone()),
        office: None,
        country: None,
        declaration_ref: None,
    };
    let action = match kind {
        EventKind::Revoked => "certificate.revoke",
        EventKind::Suspended => "certificate.suspend",
        _ => "certificate.reinstate",
    };
    record(state, caller.actor(), number, event, action, reason).await
}

async fn record(
    state: AppState,
    actor: Actor,
    number: String,
    event: StatusEvent,
    action: &str,
    detail: String,
) -> Result<Response, ApiError> {
    let now = state.now();
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.clone()),
        action: action.into(),
        target: number.clone(),
        outcome: "ok".into(),
        detail,
    };
    let today = now.date();
    let lookup = number.clone();
    let record = state.run_store(move |store| store.record_event(&lookup, event, today, audit)).await?;
    tracing::info!(number = %number, action, token_id = %actor.token_id, "status event recorded");
    Ok((StatusCode::OK, Json(record_json(&state, &record, today))).into_response())
}

/// `POST /api/v1/certificates/{number}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Revoked, body).await
}

/// `POST /api/v1/certificates/{number}/suspend`.
pub async fn suspend(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Suspended, body).await
}

/// `POST /api/v1/certificates/{number}/reinstate`.
pub async fn reinstate(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<Response, ApiError> {
    change_status(state, caller, number, EventKind::Reinstated, body).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfficerEvent {
    kind: EventKind,
    office: String,
    declaration_ref: Option<String>,
}

/// `POST /api/v1/certificates/{number}/events`: an officer records an exit or a return.
pub async fn record_event(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<OfficerEvent>,
) -> Result<Response, ApiError> {
    let parsed = parse_number(&number)?;
    authorize_audited(&state, &caller, Action::RecordEvent, Some(parsed.country()), &number).await?;
    if !matches!(body.kind, EventKind::Exited | EventKind::Returned) {
        return Err(ApiError::bad_request(
            "invalid_event",
            "officers record \"exited\" or \"returned\"; issuers revoke, suspend and reinstate",
        ));
    }
    let office = body.office.trim().to_owned();
    if office.is_empty() || office.chars().count() > 200 {
        return Err(ApiError::bad_request("invalid_office", "name the customs office (1 to 200 characters)"));
    }
    if body.declaration_ref.as_ref().is_some_and(|r| r.is_empty() || r.chars().count() > 100) {
        return Err(ApiError::bad_request(
            "invalid_declaration_ref",
            "the declaration reference must be 1 to 100 characters",
        ));
    }
    let event = StatusEvent {
        kind: body.kind,
        at: state.now(),
        actor: caller.actor(),
        reason: None,
        office: Some(office.clone()),
        country: caller.country.clone(),
        declaration_ref: body.declaration_ref,
    };
    let action = if body.kind == EventKind::Exited { "certificate.exit" } else { "certificate.return" };
    record(state, caller.actor(), number, event, action, office).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QrParams {
    /// Side in pixels, 100 to 4000 (default 600).
    size: Option<u32>,
    /// Error correction L, M, Q or H (default M).
    ec: Option<String>,
}

/// The seal's QR text and rendering options, for the caller allowed to read the record.
async fn qr_request(
    state: &AppState,
    caller: &Caller,
    number: &str,
    params: &QrParams,
) -> Result<(String, qrcode::EcLevel, u32), ApiError> {
    let parsed = parse_number(number)?;
    authorize_audited(state, caller, Action::Read, Some(parsed.country()), number).await?;
    let level = match params.ec.as_deref() {
        None => qrcode::EcLevel::M,
        Some(text) => cartouche_seal::qr::parse_ec_level(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_ec_level",
                format!("ec {text:?} is not an error-correction level: use L, M, Q or H"),
            )
        })?,
    };
    let size = params.size.unwrap_or(600);
    if !(100..=4000).contains(&size) {
        return Err(ApiError::bad_request("invalid_size", "size must be between 100 and 4000 pixels"));
    }
    let lookup = number.to_owned();
    let record = state
        .run_store(move |store| store.certificate(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("certificate {number} does not exist")))?;
    Ok((qr_text(&state.config().public_url, &record.token), level, size))
}

fn image_response(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    response
}

async fn render<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, cartouche_seal::qr::QrError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|error| ApiError::internal(format!("QR task failed: {error}")))?
        .map_err(|error| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "qr_too_large", error.to_string()))
}

/// `GET /api/v1/certificates/{number}/qr.png`.
pub async fn qr_png(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    QueryParams(params): QueryParams<QrParams>,
) -> Result<Response, ApiError> {
    let (text, level, size) = qr_request(&state, &caller, &number, &params).await?;
    let png = render(move || cartouche_seal::qr::render_png(&text, level, size)).await?;
    Ok(image_response("image/png", png))
}

/// `GET /api/v1/certificates/{number}/qr.svg`.
pub async fn qr_svg(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(number): Path<String>,
    QueryParams(params): QueryParams<QrParams>,
) -> Result<Response, ApiError> {
    let (text, level, size) = qr_request(&state, &caller, &number, &params).await?;
    let svg = render(move || cartouche_seal::qr::render_svg(&text, level, size)).await?;
    Ok(image_response("image/svg+xml", svg.into_bytes()))
}
