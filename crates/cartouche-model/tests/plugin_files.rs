//! The files plugins are published with agree with their schemas and the Rust types: every
//! plugin's `manifest.json` and `cases.json` (in `plugins/` and `tests/plugins/hostile`),
//! every case's patched base as an application, and `plugins/reference-data.example.json`.
//! Broken documents are refused, so the schemas are not vacuous.

use std::path::{Path, PathBuf};

use cartouche_model::plugin::{CaseFile, PluginManifest};
use cartouche_model::reference::ReferenceData;
use cartouche_model::validate::{SchemaKind, check_schema, sources};
use cartouche_model::validate_application;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every plugin directory: those under `plugins/`, then the hostile test plugin.
fn plugin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("plugins"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && path.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    dirs.push(root().join("tests/plugins/hostile"));
    dirs
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn refused_at(kind: SchemaKind, instance: &Value, path: &str, what: &str) {
    let error = check_schema(kind, instance).expect_err(what);
    assert!(
        error.errors.iter().any(|e| e.path == path),
        "{what}: expected an error at {path:?}, got {:?}",
        error.errors
    );
}

fn it_export_manifest() -> Value {
    read_json(&root().join("plugins/it-export/manifest.json"))
}

#[test]
fn the_plugins_are_found() {
    let names: Vec<String> = plugin_dirs().iter().map(|dir| name(dir)).collect();
    assert!(names.len() >= 9, "{names:?}");
    for expected in ["cites-ivory", "eu-export", "gb-export", "it-export", "watch-list", "hostile"] {
        assert!(names.iter().any(|n| n == expected), "{expected} not found in {names:?}");
    }
}

#[test]
fn every_manifest_validates_and_round_trips_through_the_type() {
    for dir in plugin_dirs() {
        let plugin = name(&dir);
        let value = read_json(&dir.join("manifest.json"));
        check_schema(SchemaKind::PluginManifest, &value).unwrap_or_else(|error| panic!("{plugin}: {error:?}"));
        let manifest: PluginManifest =
            serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{plugin}: {error}"));
        assert!(cartouche_model::plugin::is_plugin_id(&manifest.id), "{plugin}: id {:?}", manifest.id);
        assert!(cartouche_model::plugin::is_jurisdiction(&manifest.jurisdiction), "{plugin}");
        assert_eq!(serde_json::to_value(&manifest).unwrap(), value, "{plugin}: the type loses or changes a field");
    }
}

#[test]
fn every_case_file_validates_and_every_case_builds_a_valid_application() {
    let (mut total, mut problems) = (0, Vec::new());
    for dir in plugin_dirs() {
        let plugin = name(&dir);
        let manifest: PluginManifest = serde_json::from_value(read_json(&dir.join("manifest.json"))).unwrap();
        let value = read_json(&dir.join("cases.json"));
        check_schema(SchemaKind::PluginCases, &value).unwrap_or_else(|error| panic!("{plugin}: {error:?}"));
        let file: CaseFile = serde_json::from_value(value).unwrap_or_else(|error| panic!("{plugin}: {error}"));
        assert_eq!(file.plugin, manifest.id, "{plugin}: cases.json names another plugin");
        file.reference.check().unwrap_or_else(|error| panic!("{plugin}: reference: {error}"));
        assert!(!file.cases.is_empty(), "{plugin}: no cases");
        if dir.starts_with(root().join("plugins")) {
            assert!(file.cases.len() >= 10, "{plugin}: {} cases; a bundled plugin has at least 10", file.cases.len());
        }
        for case in &file.cases {
            let what = format!("{plugin}: case {:?}", case.name);
            // What publication refuses, refused here first (the native tests run any case).
            assert!(manifest.phases.contains(&case.phase), "{what}: phase {:?} is not in the manifest", case.phase);
            assert!(case.date >= manifest.valid_from, "{what}: dated before valid_from {}", manifest.valid_from);
            let subject = case.subject(&file).unwrap_or_else(|error| panic!("{what}: {error}"));
            // The same patch on the raw JSON, validated as an application would be on the day
            // of issue (the schema, then the dates relative to that day).
            let mut document = file.bases[&case.base].clone();
            let patch: json_patch::Patch = serde_json::from_value(Value::Array(case.patch.clone())).unwrap();
            json_patch::patch(&mut document, &patch).unwrap();
            let today = case.issue_date.unwrap_or(case.date);
            assert_eq!(subject.issue_date, today, "{what}");
            match validate_application(&document, today) {
                Ok(application) => assert_eq!(application, subject.application, "{what}"),
                Err(error) => {
                    for field in error.errors {
                        problems.push((plugin.clone(), case.name.clone(), field.path, field.message));
                    }
                }
            }
            total += 1;
        }
    }
    assert!(total > 100, "only {total} cases");
    let unexpected: Vec<String> =
        problems.iter().map(|(p, c, f, message)| format!("{p}: case {c:?}: {f}: {message}")).collect();
    assert!(unexpected.is_empty(), "invalid patched bases (of {total} cases):\n{}", unexpected.join("\n"));
}

#[test]
fn the_example_reference_data_validates_and_parses() {
    let value = read_json(&root().join("plugins/reference-data.example.json"));
    check_schema(SchemaKind::ReferenceData, &value).unwrap_or_else(|error| panic!("{error:?}"));
    let data: ReferenceData = serde_json::from_value(value.clone()).unwrap();
    data.check().unwrap();
    assert_eq!(serde_json::to_value(&data).unwrap(), value, "the types lose or change a field");
    let rates = data.rates.as_ref().unwrap();
    assert_eq!(rates.base, "EUR");
    assert_eq!(rates.date.to_string(), "2026-11-27");
    for currency in ["GBP", "CHF", "USD", "JPY", "SGD", "HKD"] {
        assert!(rates.rates.contains_key(currency), "no rate for {currency}");
    }
    assert_eq!(data.convert(100_00, "EUR", "GBP"), Some(84_00));
    assert_eq!(data.watch_lists.len(), 1);
    assert_eq!(data.watch_lists[0].name, "EXAMPLE-STOLEN");
    assert_eq!(data.watch_lists[0].entries.len(), 2);
    assert!(data.watch_lists[0].entries.iter().all(|entry| entry.reference.starts_with("EX-")));
}

#[test]
fn broken_manifests_are_refused_where_they_break() {
    let good = it_export_manifest();
    check_schema(SchemaKind::PluginManifest, &good).unwrap();
    let broken: [(&str, Value, &str); 11] = [
        ("id with a space and capitals", json!({"id": "IT Export"}), "/id"),
        ("id too short", json!({"id": "it"}), "/id"),
        ("no phase", json!({"phases": []}), "/phases"),
        ("a phase twice", json!({"phases": ["issuance", "issuance"]}), "/phases"),
        ("unknown phase", json!({"phases": ["at_sea"]}), "/phases/0"),
        ("jurisdiction spelled out", json!({"jurisdiction": "Italy"}), "/jurisdiction"),
        ("version not semver", json!({"version": "1.0"}), "/version"),
        ("date not a date", json!({"valid_from": "2026-02-30"}), "/valid_from"),
        ("no English description", json!({"descriptions": {"it": "Italia"}}), "/descriptions"),
        ("sha256 in capitals", json!({"sha256": "AB".repeat(32)}), "/sha256"),
        ("an unknown field", json!({"licence": "MIT"}), ""),
    ];
    for (what, change, path) in broken {
        let mut value = good.clone();
        for (key, field) in change.as_object().unwrap() {
            value[key] = field.clone();
        }
        refused_at(SchemaKind::PluginManifest, &value, path, what);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("valid_from");
    refused_at(SchemaKind::PluginManifest, &missing, "", "no valid_from");
    // What the schema accepts, the publisher's checks accept too: "EU" and "INT" are
    // jurisdictions, and pre-release versions are semantic versions.
    for (key, field) in [("jurisdiction", "EU"), ("jurisdiction", "INT"), ("version", "2.1.0-rc.1+build.5")] {
        let mut value = good.clone();
        value[key] = field.into();
        check_schema(SchemaKind::PluginManifest, &value).unwrap_or_else(|error| panic!("{key} {field}: {error:?}"));
    }
}

#[test]
fn broken_case_files_and_reference_data_are_refused() {
    let good = read_json(&root().join("plugins/it-export/cases.json"));
    let broken: [(&str, &str, Value, &str); 7] = [
        ("unknown patch op", "/cases/1/patch/0/op", json!("rename"), "/cases/1/patch/0/op"),
        ("replace without a value", "/cases/1/patch/0", json!({"op": "replace", "path": "/x"}), "/cases/1/patch/0"),
        ("lower-case code", "/cases/0/expect/0/code", json!("it.alc"), "/cases/0/expect/0/code"),
        ("unknown severity", "/cases/0/expect/0/severity", json!("fatal"), "/cases/0/expect/0/severity"),
        ("field not a pointer", "/cases/0/expect/0/field", json!("objects/0"), "/cases/0/expect/0/field"),
        ("unknown phase", "/cases/0/phase", json!("exit"), "/cases/0/phase"),
        ("rate as a number", "/reference/rates/rates/GBP", json!(0.84), "/reference/rates/rates/GBP"),
    ];
    for (what, pointer, field, path) in broken {
        let mut value = good.clone();
        *value.pointer_mut(pointer).unwrap() = field;
        refused_at(SchemaKind::PluginCases, &value, path, what);
    }
    let example = read_json(&root().join("plugins/reference-data.example.json"));
    for (what, pointer, field, path) in [
        ("exponent", "/rates/rates/JPY", json!("1e3"), "/rates/rates/JPY"),
        ("zero rate", "/rates/rates/JPY", json!("0.00"), "/rates/rates/JPY"),
        ("seven decimals", "/rates/rates/GBP", json!("0.8400001"), "/rates/rates/GBP"),
        ("lower-case base", "/rates/base", json!("eur"), "/rates/base"),
        (
            "photo hash too short",
            "/watch_lists/0/entries/0/photo_sha256/0",
            json!("abc"),
            "/watch_lists/0/entries/0/photo_sha256/0",
        ),
    ] {
        let mut value = example.clone();
        *value.pointer_mut(pointer).unwrap() = field;
        refused_at(SchemaKind::ReferenceData, &value, path, what);
    }
    let mut lower_currency = example.clone();
    lower_currency["rates"]["rates"]["jpy"] = json!("160");
    assert!(check_schema(SchemaKind::ReferenceData, &lower_currency).is_err(), "a lower-case currency key");
    let mut note = example;
    note["note"] = json!("illustrative");
    refused_at(SchemaKind::ReferenceData, &note, "", "a top-level note");
}

/// The style every schema follows: an `$id`, every property described, every object closed.
fn check_style(schema: &Value, at: &str, problems: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                let closed = map.get("additionalProperties") == Some(&Value::Bool(false))
                    || map.get("unevaluatedProperties") == Some(&Value::Bool(false));
                // A conditional's `properties` (inside if/then) only selects: it is not an object shape.
                if !closed && !at.ends_with("/if") {
                    problems.push(format!("{at}: object not closed"));
                }
                for (key, property) in properties {
                    if !at.ends_with("/if") && property.get("description").is_none() {
                        problems.push(format!("{at}/properties/{key}: no description"));
                    }
                }
            }
            for (key, child) in map {
                check_style(child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                check_style(child, &format!("{at}/{index}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn the_plugin_schemas_are_registered_and_follow_the_house_style() {
    let mut ids = Vec::new();
    for (component, text) in sources::ALL {
        let schema: Value = serde_json::from_str(text).unwrap_or_else(|error| panic!("{component}: {error}"));
        ids.push(schema["$id"].as_str().unwrap().to_owned());
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate $id in {ids:?}");
    let mut problems = Vec::new();
    for (component, id) in [
        ("PluginManifest", "urn:cartouche:schema:plugin-manifest"),
        ("PluginCases", "urn:cartouche:schema:plugin-cases"),
        ("ReferenceData", "urn:cartouche:schema:reference-data"),
    ] {
        let (_, text) = sources::ALL.iter().find(|(name, _)| *name == component).unwrap();
        let schema: Value = serde_json::from_str(text).unwrap();
        assert_eq!(schema["$id"], id);
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        check_style(&schema, component, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
