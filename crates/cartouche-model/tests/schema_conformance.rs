//! The Rust types and the JSON Schemas in `schemas/` describe the same documents: every
//! example validates, parses into the types and serializes back to the same JSON; every
//! invalid example fails at the path it names; what the types produce validates.

use std::path::{Path, PathBuf};

use cartouche_model::validate::{SchemaKind, check_schema};
use cartouche_model::{
    Algorithm, Application, Certificate, CertificateState, Check, CheckName, KeyInfo, StatusView, Verdict, VerdictKind,
    validate_application,
};
use serde_json::Value;
use time::macros::{date, datetime};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn examples() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(schemas_dir().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

const TODAY: time::Date = date!(2026 - 11 - 28);

#[test]
fn there_are_at_least_six_examples_from_six_countries() {
    let examples = examples();
    let mut countries: Vec<String> =
        examples.iter().map(|(_, value)| value["issuing_authority"]["country"].as_str().unwrap().to_owned()).collect();
    countries.sort();
    countries.dedup();
    assert!(examples.len() >= 6, "{} examples", examples.len());
    for country in ["FR", "IT", "DE", "GB", "CH", "US"] {
        assert!(countries.iter().any(|c| c == country), "no example from {country}");
    }
}

#[test]
fn every_example_validates_and_round_trips_through_the_types() {
    for (name, value) in examples() {
        let application = validate_application(&value, TODAY).unwrap_or_else(|error| panic!("{name}: {error:?}"));
        let back = serde_json::to_value(&application).unwrap();
        assert_eq!(back, value, "{name}: the types lose or change a field");
    }
}

#[test]
fn every_invalid_example_fails_at_its_path() {
    let dir = schemas_dir().join("examples/invalid");
    let expected: Vec<Value> = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= 10);
    for case in expected {
        let file = case["file"].as_str().unwrap();
        let path = case["path"].as_str().unwrap();
        let value: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        let error = validate_application(&value, TODAY).expect_err(file);
        assert!(
            error.errors.iter().any(|e| e.path == path),
            "{file}: expected an error at {path:?}, got {:?}",
            error.errors
        );
    }
}

#[test]
fn cross_field_rules_name_their_field() {
    let (_, mut value) = examples().into_iter().find(|(name, _)| name.starts_with("fr-painting")).unwrap();
    value["objects"][0]["dating"]["earliest_year"] = 1900.into();
    value["objects"][0]["dating"]["latest_year"] = 1800.into();
    value["valid_until"] = "2026-01-01".into();
    let error = validate_application(&value, TODAY).unwrap_err();
    let paths: Vec<&str> = error.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/objects/0/dating/earliest_year", "/valid_until"]);
}

#[test]
fn certificates_and_verdicts_made_by_the_types_validate() {
    for (name, value) in examples() {
        let application: Application = serde_json::from_value(value).unwrap();
        let certificate = Certificate {
            number: "FR-2026-000001".into(),
            issue_date: TODAY,
            issued_at: datetime!(2026-11-28 09:30 UTC),
            application,
            rule_evaluations: Vec::new(),
        };
        let json = serde_json::to_value(&certificate).unwrap();
        check_schema(SchemaKind::Certificate, &json).unwrap_or_else(|error| panic!("{name}: {error:?}"));
        let parsed: Certificate = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, certificate);
    }
    let verdict = Verdict {
        verdict: VerdictKind::Indeterminate,
        checked_at: datetime!(2026-11-28 09:30 UTC),
        checks: vec![Check::pass(CheckName::Signature, "ok"), Check::not_checked(CheckName::RegistryStatus, "offline")],
        certificate: None,
        status: Some(StatusView { state: CertificateState::Active, since: None, reason: None, events: Vec::new() }),
        key: Some(KeyInfo { kid: "abc".into(), country: "FR".into(), alg: Algorithm::EdDSA }),
        rules: Vec::new(),
        referrals: vec![cartouche_model::verdict::Referral {
            list: "ITALY-TPC".into(),
            version: 3,
            as_of: time::macros::date!(2026 - 11 - 30),
            source: "Carabinieri TPC".into(),
            reference: "TPC-0001".into(),
            description: "a stolen painting".into(),
            object: 0,
            photo: "a".repeat(64),
            listed_photo: "b".repeat(64),
            distance: 5,
            bits: 64,
        }],
    };
    let json = serde_json::to_value(&verdict).unwrap();
    check_schema(SchemaKind::Verdict, &json).unwrap();
    assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), verdict, "a referral round-trips");
}

/// A certificate and a plugin's subject are read through a flat copy of the application's
/// fields (not `flatten`'s intermediate tree): with every optional field of the
/// application present, each example reads back to the same JSON, in both types, and a
/// missing field of the certificate is named.
#[test]
fn certificates_and_rule_subjects_read_back_every_field() {
    use cartouche_model::plugin::RuleSubject;
    for (name, mut application) in examples() {
        let object = application.as_object_mut().unwrap();
        let party = object["applicant"].clone();
        object.entry("representative").or_insert_with(|| party.clone());
        object.entry("owner").or_insert(party);
        object.entry("reimport_due_date").or_insert_with(|| "2027-11-30".into());
        object.entry("national_certificate").or_insert_with(
            || serde_json::json!({"number": "N-1", "issue_date": "2026-11-01", "valid_until": "2046-11-01"}),
        );
        let mut certificate = application.clone();
        let fields = certificate.as_object_mut().unwrap();
        fields.insert("number".into(), "FR-2026-000042".into());
        fields.insert("issue_date".into(), "2026-11-28".into());
        fields.insert("issued_at".into(), "2026-11-28T10:00:00Z".into());
        fields.insert(
            "rule_evaluations".into(),
            serde_json::json!([{"plugin": "fr-export", "version": "1.1.0", "sha256": "ab".repeat(32), "phase": "issuance", "outcome": "pass", "findings": []}]),
        );
        let parsed: Certificate = serde_json::from_value(certificate.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), certificate, "{name}: a certificate field was lost");
        let subject: RuleSubject =
            serde_json::from_value(certificate.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&subject).unwrap(), certificate, "{name}: a subject field was lost");
        for required in ["number", "issued_at", "rule_evaluations", "objects"] {
            let mut without = certificate.clone();
            without.as_object_mut().unwrap().remove(required);
            let error = serde_json::from_value::<Certificate>(without).unwrap_err().to_string();
            assert!(error.contains(&format!("missing field `{required}`")), "{name} without {required}: {error}");
        }
    }
}
