//! Verification: the seal offline checks, then the registry, then the exit-check rules.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cartouche_model::canonical::canonical_sha256_hex;
use cartouche_model::{CertificateState, Check, RuleOutcome, Verdict, verdict_of};
use cartouche_seal::verify_seal;
use serde::Deserialize;

use crate::AppState;
use crate::certificates::status_view;
use crate::error::ApiError;
use cartouche_store::CertificateRecord;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    /// The QR text (`{public-url}/v/{token}`) or the bare token.
    qr: String,
    /// Country of the checkpoint, passed to the exit-check rules.
    checkpoint_country: Option<String>,
    /// Also run the destination's import rules (an officer at the destination).
    #[serde(default)]
    import_check: bool,
}

/// Runs every check on `qr_text` and folds them into a verdict.
pub(crate) async fn verdict_for(
    state: &AppState,
    qr_text: &str,
    checkpoint_country: Option<String>,
    import_check: bool,
) -> Result<Verdict, ApiError> {
    Ok(verdict_with_record(state, qr_text, checkpoint_country, import_check).await?.0)
}

/// As [`verdict_for`], with the registry's record when the seal matched it (the verdict
/// page shows its full description without reading it a second time).
pub(crate) async fn verdict_with_record(
    state: &AppState,
    qr_text: &str,
    checkpoint_country: Option<String>,
    import_check: bool,
) -> Result<(Verdict, Option<CertificateRecord>), ApiError> {
    let now = state.now();
    let keys = state.keys();
    let report = verify_seal(qr_text, &keys.ring, now);
    let mut checks = report.checks;
    let mut status = None;
    let mut rules = Vec::new();
    let mut matched_record = None;
    let summary = report.claims.as_ref().and_then(|claims| claims.summary());
    if let Some(claims) =
        report.claims.as_ref().filter(|_| checks.iter().all(|c| c.outcome != cartouche_model::CheckOutcome::Fail))
    {
        let number = claims.n.clone();
        let lookup = number.clone();
        match state.run_store(move |store| store.certificate(&lookup)).await {
            Ok(Some(record)) => {
                let mut matched = false;
                match canonical_sha256_hex(&record.certificate) {
                    Ok(hash) if hash == claims.certificate_sha256_hex() && record.token == cartouche_seal::token_from_qr_text(qr_text) => {
                        checks.push(Check::pass("certificate_hash", "the seal matches the registry's certificate"));
                        matched = true;
                    }
                    Ok(_) => checks.push(Check::fail(
                        "certificate_hash",
                        "the seal does not match the certificate in the registry: it may have been re-issued or altered",
                    )),
                    Err(error) => return Err(ApiError::internal(format!("cannot hash {number}: {error}"))),
                }
                let today = now.date();
                let view = status_view(&record, today);
                let cause =
                    view.since.map(|at| at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default());
                let cause_event = record.events.iter().rev().find(|e| Some(e.at) == view.since);
                let office = cause_event
                    .map(|e| match (&e.office, &e.country) {
                        (Some(office), Some(country)) => format!("{office} ({country})"),
                        (Some(office), None) => office.clone(),
                        _ => "an unnamed office".into(),
                    })
                    .unwrap_or_default();
                let reason = view.reason.clone().unwrap_or_default();
                let when = cause.unwrap_or_default();
                let application = &record.certificate.application;
                checks.push(match view.state {
                    CertificateState::Active => {
                        Check::pass("registry_status", "active: not used, not revoked, not suspended")
                    }
                    CertificateState::ExportedTemporarily => Check::pass(
                        "registry_status",
                        format!(
                            "out on temporary export since {when} ({office}); due back by {}",
                            application.reimport_due_date.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    ),
                    CertificateState::Overdue => Check::fail(
                        "registry_status",
                        format!(
                            "overdue: exported temporarily on {when} ({office}), due back by {}, no return recorded",
                            application.reimport_due_date.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    ),
                    CertificateState::Used if application.export_type == cartouche_model::ExportType::Temporary => Check::fail(
                        "registry_status",
                        format!("already used: the object went out and came back (return recorded at {office} on {when})"),
                    ),
                    CertificateState::Used => {
                        Check::fail("registry_status", format!("already exited: used at {office} on {when}"))
                    }
                    CertificateState::Revoked => Check::fail("registry_status", format!("revoked on {when}: {reason}")),
                    CertificateState::Suspended => {
                        Check::fail("registry_status", format!("suspended since {when}: {reason}"))
                    }
                    CertificateState::Expired => {
                        Check::fail("registry_status", format!("expired: valid until {}", application.valid_until))
                    }
                });
                status = Some(view);
                let hook = state.rules();
                let certificate = record.certificate.clone();
                let (exit, import) = tokio::task::spawn_blocking(move || {
                    let exit = hook.exit_check(&certificate, today, checkpoint_country.as_deref());
                    let import =
                        import_check.then(|| hook.import_check(&certificate, today, checkpoint_country.as_deref()));
                    (exit, import)
                })
                .await
                .map_err(|error| ApiError::internal(format!("rules task failed: {error}")))?;
                checks.push(rules_check("rules", "exit-check", &exit, &claims.c));
                if let Some(import) = import {
                    checks.push(rules_check("import_rules", "import", &import, &application.destination_country));
                    rules = exit.into_iter().chain(import).collect();
                } else {
                    rules = exit;
                }
                if matched {
                    matched_record = Some(record);
                }
            }
            Ok(None) => checks.push(Check::fail(
                "registry_status",
                format!(
                    "{number} is not in the registry, although its seal verifies: treat it as a forgery and report it"
                ),
            )),
            Err(error) => {
                tracing::error!(code = error.code, number = %number, "registry lookup failed during verification");
                checks.push(Check::not_checked("registry_status", "the registry could not be reached: status unknown"));
            }
        }
    }
    let verdict = verdict_of(&checks);
    metrics::counter!("cartouche_verifications_total", "verdict" => verdict.as_str()).increment(1);
    let verdict = Verdict { verdict, checked_at: now, checks, certificate: summary, status, key: report.key, rules };
    Ok((verdict, matched_record))
}

fn rules_check(name: &'static str, kind: &str, rules: &[cartouche_model::RuleEvaluation], country: &str) -> Check {
    if rules.is_empty() {
        return Check::pass(name, format!("no {kind} rules are published for {country}"));
    }
    let ran = rules.iter().map(|r| format!("{} {}", r.plugin, r.version)).collect::<Vec<_>>().join(", ");
    let said = |outcome: RuleOutcome| {
        rules
            .iter()
            .filter(|r| r.outcome == outcome)
            .flat_map(|r| r.findings.iter().filter(|f| f.severity != cartouche_model::Severity::Info))
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    if rules.iter().any(|r| r.outcome == RuleOutcome::Fail) {
        Check::fail(name, format!("{kind} rules refuse: {} (ran {ran})", said(RuleOutcome::Fail)))
    } else if rules.iter().any(|r| r.outcome == RuleOutcome::Indeterminate) {
        Check::not_checked(
            name,
            format!("a rule could not be evaluated: {} (ran {ran})", said(RuleOutcome::Indeterminate)),
        )
    } else {
        Check::pass(name, format!("passed: {ran}"))
    }
}

fn checked_country(country: Option<String>) -> Result<Option<String>, ApiError> {
    if country.as_deref().is_some_and(|c| !cartouche_model::is_country_code(c)) {
        return Err(ApiError::bad_request(
            "invalid_country",
            "checkpoint_country must be an ISO 3166-1 alpha-2 code such as FR",
        ));
    }
    Ok(country)
}

/// `POST /api/v1/verify`: a JSON body `{"qr": ...}`, or a `multipart/form-data` upload
/// with the photo of the QR code in the field `image` (and optionally
/// `checkpoint_country`).
pub async fn verify(State(state): State<AppState>, request: axum::extract::Request) -> Result<Response, ApiError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let (qr, checkpoint, import_check) = if content_type.starts_with("multipart/form-data") {
        let (image, checkpoint, import_check) = read_upload(&state, request).await?;
        (decode_image(&state, image).await?, checkpoint, import_check)
    } else {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > crate::MAX_VERIFY_BODY_BYTES) {
            return Err(too_large("a JSON verification request", crate::MAX_VERIFY_BODY_BYTES));
        }
        let bytes = axum::body::to_bytes(request.into_body(), crate::MAX_VERIFY_BODY_BYTES)
            .await
            .map_err(|_| too_large("a JSON verification request", crate::MAX_VERIFY_BODY_BYTES))?;
        let request: VerifyRequest = crate::extract::parse_json(&bytes)?;
        (request.qr, request.checkpoint_country, request.import_check)
    };
    let verdict = verdict_for(&state, &qr, checked_country(checkpoint)?, import_check).await?;
    Ok(Json(verdict).into_response())
}

/// Decodes the QR code in a photo, waiting for a decoder's turn.
pub(crate) async fn decode_image(state: &AppState, image: Vec<u8>) -> Result<String, ApiError> {
    let _permit = state.image_permit().await?;
    tokio::task::spawn_blocking(move || cartouche_seal::scan::decode_qr(&image))
        .await
        .map_err(|error| ApiError::internal(format!("image task failed: {error}")))?
        .map_err(scan_error)
}

fn too_large(what: &str, limit: usize) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("{what} may be at most {limit} bytes"),
    )
}

pub(crate) async fn read_upload(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(Vec<u8>, Option<String>, bool), ApiError> {
    use axum::extract::FromRequest;
    let bad = |message: String| ApiError::bad_request("invalid_upload", message);
    let mut multipart =
        axum::extract::Multipart::from_request(request, state).await.map_err(|error| bad(error.body_text()))?;
    let (mut image, mut checkpoint, mut import_check) = (None, None, false);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large("an uploaded image", cartouche_seal::scan::MAX_IMAGE_BYTES));
            }
            Err(error) => return Err(bad(error.body_text())),
        };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|error| {
            if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                too_large("an uploaded image", cartouche_seal::scan::MAX_IMAGE_BYTES)
            } else {
                bad(error.body_text())
            }
        })?;
        match name.as_str() {
            "image" => image = Some(bytes.to_vec()),
            "checkpoint_country" => checkpoint = Some(String::from_utf8_lossy(&bytes).trim().to_owned()),
            "import_check" => import_check = matches!(String::from_utf8_lossy(&bytes).trim(), "true" | "1" | "on"),
            other => {
                return Err(bad(format!(
                    "unknown form field {other:?}: send \"image\" (and optionally \"checkpoint_country\", \"import_check\")"
                )));
            }
        }
    }
    let image = image.ok_or_else(|| bad("the form has no \"image\" field with the photo of the QR code".into()))?;
    if image.len() > cartouche_seal::scan::MAX_IMAGE_BYTES {
        return Err(too_large("an uploaded image", cartouche_seal::scan::MAX_IMAGE_BYTES));
    }
    Ok((image, checkpoint, import_check))
}

fn scan_error(error: cartouche_seal::scan::ScanError) -> ApiError {
    use cartouche_seal::scan::ScanError;
    let code = match &error {
        ScanError::UnsupportedFormat => "unsupported_image",
        ScanError::TooLarge { .. } => "image_too_large",
        ScanError::Corrupt(_) => "image_unreadable",
        ScanError::NoQrCode => "no_qr_code",
    };
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string())
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
        let verdict = verdict_for(&state, &token, None, false).await?;
        return Ok(Json(verdict).into_response());
    }
    Ok(crate::web::verdict_page(&state, &uri, &query, &headers, &token).await)
}
