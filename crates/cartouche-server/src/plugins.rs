//! `POST /api/v1/plugins` (publish a rule plugin) and `GET /api/v1/plugins` (what is in
//! service). A publication is a multipart form: `manifest` (JSON), `component` (the
//! WebAssembly component) and `cases` (JSON). It is checked completely (manifest,
//! component, describe(), every case run twice) before anything is stored;
//! [`publish_checked`] then stores it (record, audit entry, compiled code) and puts it in
//! service. A plugin id belongs to the jurisdiction of its first publication.

use axum::Json;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartouche_model::Actor;
use cartouche_model::plugin::PublishedPlugin;
use cartouche_rules::{Checked, ComponentError, PublishError, Rules};
use cartouche_store::{AuditEvent, Store, StoreError};
use serde_json::json;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited};
use crate::error::ApiError;

/// Largest publication: the component (1 MiB at most) plus the manifest and the cases.
pub const MAX_PUBLISH_BYTES: usize = 3 * 1024 * 1024;

fn no_plugins() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "plugins_disabled", "this server runs without rule plugins")
}

/// The HTTP error of a refused publication.
pub fn publish_error(error: PublishError) -> ApiError {
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
        error @ PublishError::IdTaken { .. } => ApiError::forbidden("plugin_id_taken", error.to_string()),
        error @ PublishError::Busy(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", error.to_string()),
        error @ PublishError::NotTheChecked(_) => ApiError::internal(error.to_string()),
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::PluginVersionExists { id, version } => ApiError::new(
            StatusCode::CONFLICT,
            "version_exists",
            format!("{id} {version} is already published; published versions are immutable: publish a new version"),
        ),
        error => error.into(),
    }
}

/// Writes the `denied` audit entry of a publication refused for its id (another
/// jurisdiction's), and gives its error.
fn id_taken(store: &dyn Store, actor: &Actor, now: OffsetDateTime, target: &str, error: PublishError) -> ApiError {
    let api = publish_error(error);
    tracing::warn!(token_id = %actor.token_id, target, "plugin publication denied: the id belongs to another jurisdiction");
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.clone()),
        action: "plugin.publish".into(),
        target: target.to_owned(),
        outcome: "denied".into(),
        detail: api.message.clone(),
    };
    if let Err(error) = store.append_audit(audit) {
        tracing::error!(%error, "could not write the audit entry of a denied publication");
    }
    api
}

/// Stores a checked publication and puts it in service: under the publication lock, checks
/// that the id is still the manifest's jurisdiction's (else a `denied` audit entry and 403
/// `plugin_id_taken`), stores the record with its audit entry (409 `version_exists` if that
/// version exists), stores the compiled code, and installs it. Blocking: run it off the
/// async runtime.
pub fn publish_checked(
    store: &dyn Store,
    rules: &Rules,
    checked: Checked,
    actor: Actor,
    now: OffsetDateTime,
) -> Result<PublishedPlugin, ApiError> {
    let _publishing = rules.lock_publications();
    let target = format!("{}@{}", checked.manifest.id, checked.manifest.version);
    if let Err(error) = rules.check_owner(&checked.manifest) {
        return Err(id_taken(store, &actor, now, &target, error));
    }
    let record = checked.record(actor.clone(), now);
    let audit = AuditEvent {
        at: now,
        actor: Some(actor),
        action: "plugin.publish".into(),
        target,
        outcome: "ok".into(),
        detail: format!("sha256 {}", record.sha256),
    };
    store.publish_plugin(record.clone(), audit).map_err(store_error)?;
    if let Some(artifact) = &checked.artifact {
        store.put_artifact(&artifact.key, &artifact.bytes).map_err(store_error)?;
    }
    rules.install(&record, checked).map_err(publish_error)?;
    Ok(record)
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
        let checked = rules.check(&manifest, &component, &cases).map_err(|error| match &error {
            PublishError::IdTaken { id, .. } => {
                let target = id.clone();
                id_taken(&*store, &actor, now, &target, error)
            }
            _ => publish_error(error),
        })?;
        let report = checked.report.clone();
        let record = publish_checked(&*store, rules, checked, actor, now)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_for_the_id_and_for_a_busy_machine_have_their_own_codes() {
        let taken = publish_error(PublishError::IdTaken {
            id: "it-export".into(),
            owner: "IT".into(),
            jurisdiction: "FR".into(),
        });
        assert_eq!((taken.status, taken.code), (StatusCode::FORBIDDEN, "plugin_id_taken"));
        assert_eq!(
            taken.message,
            "plugin id it-export belongs to jurisdiction IT; publish your rules under an id of your own"
        );
        let busy = publish_error(PublishError::Busy("case \"x\"".into()));
        assert_eq!((busy.status, busy.code), (StatusCode::SERVICE_UNAVAILABLE, "busy"));
        assert!(busy.message.contains("says nothing about the plugin"), "{}", busy.message);
        assert!(busy.internal.is_none(), "the message is for the publisher, not a hidden cause");
    }
}
