//! `POST /api/v1/plugins` (publish a rule plugin) and `GET /api/v1/plugins` (what is in
//! service). A publication is a multipart form: `manifest` (JSON), `component` (the
//! WebAssembly component) and `cases` (JSON). It is checked completely (manifest,
//! component, describe(), every case run twice) before anything is stored.

use axum::Json;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartouche_rules::{ComponentError, PublishError};
use serde_json::json;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::error::ApiError;

/// Largest publication: the component (1 MiB at most) plus the manifest and the cases.
pub const MAX_PUBLISH_BYTES: usize = 3 * 1024 * 1024;

fn no_plugins() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "plugins_disabled", "this server runs without rule plugins")
}

fn publish_error(error: PublishError) -> ApiError {
    match error {
        PublishError::Manifest(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest", message),
        PublishError::Component(ComponentError::TooLarge { size, limit }) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "component_too_large",
            format!("the component is {size} bytes; the limit is {limit} bytes"),
        ),
        PublishError::Component(error @ ComponentError::ForbiddenImport(_)) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "forbidden_import", error.to_string())
        }
        PublishError::Component(error @ ComponentError::WrongExports(_)) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong_exports", error.to_string())
        }
        PublishError::Component(error @ ComponentError::Invalid(_)) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_component", error.to_string())
        }
        PublishError::DescribeMismatch(message) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "describe_mismatch",
            format!("the component's describe() does not match the manifest: {message}"),
        ),
        PublishError::Cases(message) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cases", format!("invalid case file: {message}"))
        }
        error @ PublishError::CasesFailed { .. } => {
            let message = error.to_string();
            let PublishError::CasesFailed { report, .. } = error else { unreachable!() };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "cases_failed", message)
                .with_details(json!({ "cases": report.cases }))
        }
        PublishError::Store(cartouche_store::StoreError::PluginVersionExists { id, version }) => ApiError::new(
            StatusCode::CONFLICT,
            "version_exists",
            format!("{id} {version} is already published; published versions are immutable: publish a new version"),
        ),
        PublishError::Store(error) => error.into(),
    }
}

/// `POST /api/v1/plugins`.
pub async fn publish(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    if state.rules().plugins().is_none() {
        return Err(no_plugins());
    }
    // Only publishers and the admin get as far as reading the body.
    if !matches!(caller.role, cartouche_model::Role::PluginPublisher | cartouche_model::Role::Admin) {
        let target = caller.country.clone().unwrap_or_default();
        authorize_audited(&state, &caller, Action::PublishPlugin, caller.country.as_deref(), &target).await?;
    }
    let bad = |message: String| ApiError::bad_request("invalid_upload", message);
    let mut form = Multipart::from_request(request, &state).await.map_err(|error| bad(error.body_text()))?;
    let (mut manifest, mut component, mut cases) = (None, None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("a publication may be at most {MAX_PUBLISH_BYTES} bytes"),
                ));
            }
            Err(error) => return Err(bad(error.body_text())),
        };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|error| bad(error.body_text()))?.to_vec();
        match name.as_str() {
            "manifest" => manifest = Some(bytes),
            "component" => component = Some(bytes),
            "cases" => cases = Some(bytes),
            other => {
                return Err(bad(format!(
                    "unknown form field {other:?}: send \"manifest\" (JSON), \"component\" (the .wasm) and \"cases\" (JSON)"
                )));
            }
        }
    }
    let (Some(manifest), Some(component), Some(cases)) = (manifest, component, cases) else {
        return Err(bad("a publication needs three form fields: \"manifest\", \"component\" and \"cases\"".into()));
    };
    // The jurisdiction decides who may publish: read it before any expensive check.
    let jurisdiction = serde_json::from_slice::<serde_json::Value>(&manifest)
        .ok()
        .and_then(|value| value.get("jurisdiction").and_then(|j| j.as_str()).map(str::to_owned))
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_manifest", "the manifest has no \"jurisdiction\"")
        })?;
    authorize_audited(&state, &caller, Action::PublishPlugin, Some(&jurisdiction), &jurisdiction).await?;

    let now = state.now();
    let actor = caller.actor();
    let hook = state.rules();
    let store = state.store();
    let record = tokio::task::spawn_blocking(move || {
        let rules = hook.plugins().ok_or_else(no_plugins)?;
        let checked = rules.check(&manifest, &component, &cases).map_err(publish_error)?;
        let report = checked.report.clone();
        let record = rules.publish(&*store, checked, actor, now).map_err(publish_error)?;
        Ok::<_, ApiError>((record, report))
    })
    .await
    .map_err(|error| ApiError::internal(format!("publish task failed: {error}")))??;
    let (record, report) = record;
    let listing = state
        .rules()
        .plugins()
        .map(|rules| rules.list(now.date()))
        .unwrap_or_default()
        .into_iter()
        .find(|l| l.id == record.manifest.id && l.version == record.manifest.version);
    Ok((StatusCode::CREATED, Json(json!({ "plugin": listing, "cases": report.cases }))).into_response())
}

/// `GET /api/v1/plugins`: every published version, with its active range (public: which
/// rules run is no secret).
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rules = state.rules();
    let plugins = rules.plugins().ok_or_else(no_plugins)?;
    let items = plugins.list(state.now().date());
    Ok(Json(json!({ "items": items })).into_response())
}
