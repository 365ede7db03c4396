//! Rule plugins: publication (authorization by jurisdiction, every check of the rules
//! host, then the durable record and the compiled artifact) and the list in service.

use cartouche_model::canonical::hex;
use cartouche_model::plugin::{PluginManifest, PublishedPlugin};
use cartouche_model::{Actor, Role};
use cartouche_rules::{Checked, ComponentError, Listing, PublishError, Rules};
use cartouche_store::Store;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditAction, Outcome};
use crate::views::Items;
use crate::{Action, Caller, Core, CoreError, ErrorKind};

/// Largest publication: the component (at most the host's `component_bytes`, 32 MiB by
/// default: an interpreter's component is about 18 MB) plus the manifest and the cases.
pub const MAX_PUBLISH_BYTES: usize = 36 * 1024 * 1024;

/// A publication as uploaded.
#[derive(Debug, Clone)]
pub struct PluginUpload {
    /// `manifest.json`.
    pub manifest: Vec<u8>,
    /// The WebAssembly component.
    pub component: Vec<u8>,
    /// `cases.json`.
    pub cases: Vec<u8>,
}

/// What a publication answered: the version as listed, and its cases' results.
#[derive(Debug, Clone, Serialize)]
pub struct PluginPublished {
    /// The version in service.
    pub plugin: Option<Listing>,
    /// Each case, run twice.
    pub cases: Vec<cartouche_rules::CaseResult>,
}

fn no_plugins() -> CoreError {
    CoreError::new(ErrorKind::NotFound, "plugins_disabled", "this server runs without rule plugins")
}

/// The error of a refused publication.
pub fn publish_error(error: PublishError) -> CoreError {
    match error {
        PublishError::Manifest(message) => CoreError::unprocessable("invalid_manifest", message),
        PublishError::Component(ComponentError::TooLarge { size, limit }) => CoreError::new(
            ErrorKind::TooLarge,
            "component_too_large",
            format!("the component is {size} bytes; the limit is {limit} bytes"),
        ),
        PublishError::Component(error @ ComponentError::ForbiddenImport(_)) => {
            CoreError::unprocessable("forbidden_import", error.to_string())
        }
        PublishError::Component(error @ ComponentError::WrongExports(_)) => {
            CoreError::unprocessable("wrong_exports", error.to_string())
        }
        PublishError::Component(error @ ComponentError::LimitsTooHigh(_)) => {
            CoreError::unprocessable("limits_too_high", error.to_string())
        }
        PublishError::Component(error @ ComponentError::Invalid(_)) => {
            CoreError::unprocessable("invalid_component", error.to_string())
        }
        PublishError::DescribeMismatch(message) => CoreError::unprocessable(
            "describe_mismatch",
            format!("the component's describe() does not match the manifest: {message}"),
        ),
        PublishError::Cases(message) => {
            CoreError::unprocessable("invalid_cases", format!("invalid case file: {message}"))
        }
        error @ PublishError::CasesFailed { .. } => {
            let message = error.to_string();
            let PublishError::CasesFailed { report, .. } = error else { unreachable!() };
            CoreError::unprocessable("cases_failed", message).with_details(json!({ "cases": report.cases }))
        }
        error @ PublishError::IdTaken { .. } => {
            CoreError::new(ErrorKind::Forbidden, "plugin_id_taken", error.to_string())
        }
        error @ PublishError::Busy(_) => CoreError::new(ErrorKind::Unavailable, "busy", error.to_string()),
        error @ PublishError::NotTheChecked(_) => CoreError::internal(error.to_string()),
    }
}

/// Puts every stored publication not yet in service in service (at start, all of them;
/// later, those another node published), with its compiled code from the store (compiled
/// again, and stored, when this engine has none). A stored version that claims another
/// jurisdiction's id is left out by the host. How many were put in service.
pub fn load_published(store: &dyn Store, rules: &Rules) -> Result<usize, CoreError> {
    let stored: Vec<_> = store
        .plugins()?
        .into_iter()
        .filter(|plugin| !rules.has(&plugin.manifest.id, &plugin.manifest.version))
        .collect();
    if stored.is_empty() {
        return Ok(0);
    }
    let done = rules.load(stored, |key| store.artifact(key))?;
    for artifact in &done.compiled {
        store.put_artifact(&artifact.key, &artifact.bytes)?;
    }
    Ok(done.loaded)
}

/// A plugin bundled with the binary.
#[derive(Debug, Clone, Copy)]
pub struct Bundled<'a> {
    /// Its id.
    pub id: &'a str,
    /// `manifest.json`.
    pub manifest: &'a str,
    /// The component.
    pub component: &'a [u8],
    /// `cases.json`.
    pub cases: &'a str,
}

impl Core {
    /// Refuses, before an upload is read, a caller who may publish no plugin at all.
    pub fn check_publisher(&self, caller: &Caller) -> Result<(), CoreError> {
        if self.rules.plugins().is_none() {
            return Err(no_plugins());
        }
        if !matches!(caller.role, Role::PluginPublisher | Role::Admin) {
            let target = caller.country.clone().unwrap_or_default();
            self.authorize(caller, Action::PublishPlugin, caller.country.as_deref(), &target)?;
        }
        Ok(())
    }

    /// Publishes a plugin version: the caller must be allowed for the manifest's
    /// jurisdiction; then every check runs (manifest, component, describe(), each case
    /// twice) before anything is stored.
    pub fn publish_plugin(&self, caller: &Caller, upload: PluginUpload) -> Result<PluginPublished, CoreError> {
        self.check_publisher(caller)?;
        let rules = self.rules.plugins().ok_or_else(no_plugins)?;
        // The jurisdiction decides who may publish: read it before any expensive check.
        let jurisdiction = serde_json::from_slice::<serde_json::Value>(&upload.manifest)
            .ok()
            .and_then(|value| value.get("jurisdiction").and_then(|j| j.as_str()).map(str::to_owned))
            .ok_or_else(|| CoreError::unprocessable("invalid_manifest", "the manifest has no \"jurisdiction\""))?;
        let target = crate::audit::bounded(&jurisdiction, 16);
        self.authorize(caller, Action::PublishPlugin, Some(&jurisdiction), &target)?;
        let actor = caller.actor();
        let checked = rules
            .check(&upload.manifest, &upload.component, &upload.cases)
            .map_err(|error| self.publication_refused(&actor, error))?;
        let report = checked.report.clone();
        let record = self.store_publication(rules, checked, &actor)?;
        let plugin = rules
            .list(self.now().date())
            .into_iter()
            .find(|l| l.id == record.manifest.id && l.version == record.manifest.version);
        Ok(PluginPublished { plugin, cases: report.cases })
    }

    /// Publishes the bundled plugins not yet published (same id and version), through the
    /// same checks as any publication, as the system. A bundled build that differs from
    /// the published version is left out (published versions are immutable). Returns how
    /// many were published.
    pub fn publish_bundled(&self, bundled: &[Bundled<'_>]) -> Result<usize, CoreError> {
        let rules = self.rules.plugins().ok_or_else(no_plugins)?;
        let actor = crate::bootstrap::system_actor("system:bundled");
        let listed = rules.list(self.now().date());
        let mut published = 0;
        for plugin in bundled {
            let manifest: PluginManifest = serde_json::from_str(plugin.manifest)
                .map_err(|error| CoreError::internal(format!("bundled plugin {}: bad manifest: {error}", plugin.id)))?;
            if let Some(existing) = listed.iter().find(|l| l.id == manifest.id && l.version == manifest.version) {
                if existing.sha256 != hex(&Sha256::digest(plugin.component)) {
                    tracing::warn!(plugin = %manifest.id, version = %manifest.version, "the bundled build differs from the published version, which stays (published versions are immutable; bump the version to publish it)");
                }
                continue;
            }
            let checked = rules
                .check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes())
                .map_err(|error| self.publication_refused(&actor, error))?;
            self.store_publication(rules, checked, &actor)?;
            published += 1;
        }
        Ok(published)
    }

    /// The error of a refused publication; a refusal for the id (another jurisdiction's)
    /// is audited as denied.
    fn publication_refused(&self, actor: &Actor, error: PublishError) -> CoreError {
        if let PublishError::IdTaken { id, .. } = &error {
            let target = id.clone();
            let core = publish_error(error);
            tracing::warn!(token_id = %actor.token_id, target = %audit::bounded(&target, 80), "plugin publication denied: the id belongs to another jurisdiction");
            let entry = audit::entry(
                self.now(),
                Some(actor),
                AuditAction::PluginPublish,
                &target,
                Outcome::Denied,
                &core.message,
            );
            if let Err(failure) = self.store.append_audit(entry) {
                tracing::error!(error = %failure, "could not write the audit entry of a denied publication");
            }
            return core;
        }
        publish_error(error)
    }

    /// Stores a checked publication and puts it in service: under the publication lock,
    /// checks again that the id is still the manifest's jurisdiction's, stores the record
    /// with its audit entry (`version_exists` if that version exists), stores the compiled
    /// code, and installs it.
    pub(crate) fn store_publication(
        &self,
        rules: &Rules,
        checked: Checked,
        actor: &Actor,
    ) -> Result<PublishedPlugin, CoreError> {
        let _publishing = rules.lock_publications();
        rules.check_owner(&checked.manifest).map_err(|error| self.publication_refused(actor, error))?;
        let now = self.now();
        let record = checked.record(actor.clone(), now);
        let target = format!("{}@{}", record.manifest.id, record.manifest.version);
        let detail = format!("sha256 {}", record.sha256);
        let entry = audit::entry(now, Some(actor), AuditAction::PluginPublish, &target, Outcome::Ok, &detail);
        self.store.publish_plugin(record.clone(), entry)?;
        if let Some(artifact) = &checked.artifact {
            self.store.put_artifact(&artifact.key, &artifact.bytes)?;
        }
        rules.install(&record, checked).map_err(publish_error)?;
        tracing::info!(plugin = %record.manifest.id, version = %record.manifest.version, sha256 = %record.sha256, "plugin published");
        Ok(record)
    }

    /// Every published version with its active range (public: which rules run is no
    /// secret).
    pub fn plugin_list(&self) -> Result<Items<Listing>, CoreError> {
        let rules = self.rules.plugins().ok_or_else(no_plugins)?;
        Ok(Items { items: rules.list(self.now().date()) })
    }
}
