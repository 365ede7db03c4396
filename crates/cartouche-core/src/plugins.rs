//! Rule plugins: publication (authorization by jurisdiction, every check of the rules
//! host, then the durable record and the compiled artifact) and the list in service.

use cartouche_model::Role;
use cartouche_rules::{ComponentError, Listing, PublishError};
use serde::Serialize;
use serde_json::json;

use crate::views::Items;
use crate::{Action, Caller, Core, CoreError, ErrorKind};

/// Largest publication: the component (1 MiB at most) plus the manifest and the cases.
pub const MAX_PUBLISH_BYTES: usize = 3 * 1024 * 1024;

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
    CoreError::not_found("this server runs without rule plugins").with_code("plugins_disabled")
}

impl CoreError {
    fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
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
        PublishError::Store(error) => error.into(),
    }
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
        let checked = rules.check(&upload.manifest, &upload.component, &upload.cases).map_err(publish_error)?;
        let report = checked.report.clone();
        let now = self.now();
        let record = rules.publish(&*self.store, checked, caller.actor(), now).map_err(publish_error)?;
        let plugin = rules
            .list(now.date())
            .into_iter()
            .find(|l| l.id == record.manifest.id && l.version == record.manifest.version);
        Ok(PluginPublished { plugin, cases: report.cases })
    }

    /// Every published version with its active range (public: which rules run is no
    /// secret).
    pub fn plugin_list(&self) -> Result<Items<Listing>, CoreError> {
        let rules = self.rules.plugins().ok_or_else(no_plugins)?;
        Ok(Items { items: rules.list(self.now().date()) })
    }
}
