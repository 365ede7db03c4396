//! Validation of applications: the JSON Schema in `schemas/` first (every error, each
//! with the JSON Pointer of the field it is about), then the cross-field rules a schema
//! cannot state (dating order, dates relative to the day of issue).
//!
//! The schemas are compiled into the binary, and the validator resolves `$ref`s only
//! against them: it never reads a file or fetches a URL.

use std::sync::LazyLock;

use jsonschema::{Registry, Validator};
use serde::Serialize;
use serde_json::Value;
use time::Date;

use crate::types::{Application, ExportType};

/// The schema texts, as shipped in `schemas/`.
pub mod sources {
    /// `schemas/application.schema.json`.
    pub const APPLICATION: &str = include_str!("../../../schemas/application.schema.json");
    /// `schemas/certificate.schema.json`.
    pub const CERTIFICATE: &str = include_str!("../../../schemas/certificate.schema.json");
    /// `schemas/verdict.schema.json`.
    pub const VERDICT: &str = include_str!("../../../schemas/verdict.schema.json");
    /// `schemas/trust-list.schema.json`.
    pub const TRUST_LIST: &str = include_str!("../../../schemas/trust-list.schema.json");
    /// `schemas/error.schema.json`.
    pub const ERROR: &str = include_str!("../../../schemas/error.schema.json");
    /// `schemas/plugin-manifest.schema.json`.
    pub const PLUGIN_MANIFEST: &str = include_str!("../../../schemas/plugin-manifest.schema.json");
    /// `schemas/plugin-cases.schema.json`.
    pub const PLUGIN_CASES: &str = include_str!("../../../schemas/plugin-cases.schema.json");
    /// `schemas/reference-data.schema.json`.
    pub const REFERENCE_DATA: &str = include_str!("../../../schemas/reference-data.schema.json");
    /// `schemas/log-entry.schema.json`.
    pub const LOG_ENTRY: &str = include_str!("../../../schemas/log-entry.schema.json");

    /// `schemas/federation.schema.json`.
    pub const FEDERATION: &str = include_str!("../../../schemas/federation.schema.json");

    /// `schemas/requests.schema.json`: request bodies and parameters (the OpenAPI document
    /// publishes it under `Requests`).
    pub const REQUESTS: &str = include_str!("../../../schemas/requests.schema.json");

    /// Every schema with its `$id`, for tools that publish them (the OpenAPI document).
    pub const ALL: [(&str, &str); 10] = [
        ("Application", APPLICATION),
        ("Certificate", CERTIFICATE),
        ("Verdict", VERDICT),
        ("TrustList", TRUST_LIST),
        ("Error", ERROR),
        ("PluginManifest", PLUGIN_MANIFEST),
        ("PluginCases", PLUGIN_CASES),
        ("ReferenceData", REFERENCE_DATA),
        ("LogEntry", LOG_ENTRY),
        ("RegistryDescription", FEDERATION),
    ];
}

/// Which schema to validate against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// `application.schema.json`.
    Application,
    /// `certificate.schema.json`.
    Certificate,
    /// `verdict.schema.json`.
    Verdict,
    /// `trust-list.schema.json`.
    TrustList,
    /// `error.schema.json`.
    Error,
    /// `plugin-manifest.schema.json`.
    PluginManifest,
    /// `plugin-cases.schema.json`.
    PluginCases,
    /// `reference-data.schema.json`.
    ReferenceData,
    /// `log-entry.schema.json`.
    LogEntry,
    /// `federation.schema.json`: the registry description.
    RegistryDescription,
    /// `federation.schema.json#/$defs/bundle`: a bundle's payload.
    Bundle,
    /// `federation.schema.json#/$defs/status_list`: a status list token's payload.
    StatusList,
    /// `requests.schema.json#/$defs/watch_list_upload`: a watch list loaded through the API.
    WatchListUpload,
}

struct Validators {
    application: Validator,
    certificate: Validator,
    verdict: Validator,
    trust_list: Validator,
    error: Validator,
    plugin_manifest: Validator,
    plugin_cases: Validator,
    reference_data: Validator,
    log_entry: Validator,
    registry: Validator,
    bundle: Validator,
    status_list: Validator,
    watch_list_upload: Validator,
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("the embedded schemas are valid JSON (checked by tests)")
}

static VALIDATORS: LazyLock<Validators> = LazyLock::new(|| {
    let mut builder = Registry::new();
    for text in sources::ALL.iter().map(|(_, text)| *text).chain([sources::REQUESTS]) {
        let schema = parse(text);
        let id = schema["$id"].as_str().expect("every schema has an $id").to_owned();
        builder = builder.add(id, schema).expect("schema ids are valid URIs");
    }
    let registry = builder.prepare().expect("the schema registry resolves");
    let build = |text: &str| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_registry(&registry)
            .build(&parse(text))
            .expect("the embedded schemas compile")
    };
    Validators {
        application: build(sources::APPLICATION),
        certificate: build(sources::CERTIFICATE),
        verdict: build(sources::VERDICT),
        trust_list: build(sources::TRUST_LIST),
        error: build(sources::ERROR),
        plugin_manifest: build(sources::PLUGIN_MANIFEST),
        plugin_cases: build(sources::PLUGIN_CASES),
        reference_data: build(sources::REFERENCE_DATA),
        log_entry: build(sources::LOG_ENTRY),
        registry: build(sources::FEDERATION),
        bundle: build(r#"{"$ref": "urn:cartouche:schema:federation#/$defs/bundle"}"#),
        status_list: build(r#"{"$ref": "urn:cartouche:schema:federation#/$defs/status_list"}"#),
        watch_list_upload: build(r#"{"$ref": "urn:cartouche:schema:requests#/$defs/watch_list_upload"}"#),
    }
});

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON Pointer of the field (`/objects/0/hs_code`; `""` is the whole document).
    pub path: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// An application that cannot be accepted, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the application is invalid: {}", summary(.errors))]
pub struct ValidationError {
    /// The problems, in document order as far as the validator reports it.
    pub errors: Vec<FieldError>,
}

fn summary(errors: &[FieldError]) -> String {
    let first = errors.first().map(|e| format!("{} {}", display_path(&e.path), e.message)).unwrap_or_default();
    if errors.len() > 1 { format!("{first} (and {} more)", errors.len() - 1) } else { first }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(document)" } else { path }
}

/// Validates `instance` against one of the schemas; every error with its path.
pub fn check_schema(kind: SchemaKind, instance: &Value) -> Result<(), ValidationError> {
    let validators = &*VALIDATORS;
    let validator = match kind {
        SchemaKind::Application => &validators.application,
        SchemaKind::Certificate => &validators.certificate,
        SchemaKind::Verdict => &validators.verdict,
        SchemaKind::TrustList => &validators.trust_list,
        SchemaKind::Error => &validators.error,
        SchemaKind::PluginManifest => &validators.plugin_manifest,
        SchemaKind::PluginCases => &validators.plugin_cases,
        SchemaKind::ReferenceData => &validators.reference_data,
        SchemaKind::LogEntry => &validators.log_entry,
        SchemaKind::RegistryDescription => &validators.registry,
        SchemaKind::Bundle => &validators.bundle,
        SchemaKind::StatusList => &validators.status_list,
        SchemaKind::WatchListUpload => &validators.watch_list_upload,
    };
    let errors: Vec<FieldError> = validator
        .iter_errors(instance)
        .map(|error| FieldError { path: error.instance_path().as_str().to_owned(), message: error.to_string() })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ValidationError { errors }) }
}

/// Validates an application submitted on `today` (the issuing authority's date of issue)
/// and returns it typed.
pub fn validate_application(instance: &Value, today: Date) -> Result<Application, ValidationError> {
    check_schema(SchemaKind::Application, instance)?;
    let application: Application = serde_json::from_value(instance.clone()).map_err(|error| ValidationError {
        // The schema and the types agree (tested), so this is a bug, but still a clear error.
        errors: vec![FieldError {
            path: String::new(),
            message: format!("does not match the certificate model: {error}"),
        }],
    })?;
    let mut errors = Vec::new();
    for (index, object) in application.objects.iter().enumerate() {
        if object.dating.earliest_year > object.dating.latest_year {
            errors.push(FieldError {
                path: format!("/objects/{index}/dating/earliest_year"),
                message: format!(
                    "earliest year {} is after latest year {}",
                    object.dating.earliest_year, object.dating.latest_year
                ),
            });
        }
    }
    if application.valid_until < today {
        errors.push(FieldError {
            path: "/valid_until".to_owned(),
            message: format!("{} is before the date of issue {today}", application.valid_until),
        });
    }
    if let (ExportType::Temporary, Some(due)) = (application.export_type, application.reimport_due_date) {
        if due <= today {
            errors.push(FieldError {
                path: "/reimport_due_date".to_owned(),
                message: format!("{due} is not after the date of issue {today}"),
            });
        }
    }
    if application.declaration.date > today {
        errors.push(FieldError {
            path: "/declaration/date".to_owned(),
            message: format!("{} is after the date of issue {today}", application.declaration.date),
        });
    }
    if errors.is_empty() { Ok(application) } else { Err(ValidationError { errors }) }
}
