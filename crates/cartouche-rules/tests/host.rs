//! The host against real components: every bundled plugin passes its own cases through
//! the production engine; hostile plugins are refused at publish or contained at run time,
//! and the host keeps working afterwards.

use std::sync::Arc;

use cartouche_model::plugin::RuleSubject;
use cartouche_model::reference::ReferenceData;
use cartouche_model::{Application, RuleOutcome, RulePhase};
use cartouche_rules::{CallContext, ComponentError, FailureKind, Host, Limits, PublishError, Rules};
use time::macros::date;

fn rules() -> Rules {
    Rules::new(Host::new(Limits::default()).expect("the host starts"))
}

fn hostile() -> &'static cartouche_plugins::Bundled {
    cartouche_plugins::test_plugin("hostile-test").expect("the hostile test plugin is built")
}

fn subject_titled(title: &str) -> RuleSubject {
    let mut application: Application =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    application.objects[0].title = Some(title.to_owned());
    RuleSubject {
        number: None,
        issue_date: date!(2026 - 11 - 28),
        issued_at: None,
        application,
        rule_evaluations: Vec::new(),
    }
}

fn context() -> CallContext {
    CallContext {
        phase: RulePhase::Issuance,
        date: date!(2026 - 11 - 28),
        checkpoint_country: None,
        parameters: Default::default(),
    }
}

#[test]
fn every_bundled_plugin_passes_its_cases_in_the_production_engine() {
    let rules = rules();
    assert!(!cartouche_plugins::BUNDLED.is_empty());
    for plugin in cartouche_plugins::BUNDLED {
        match rules.check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()) {
            Ok(checked) => {
                assert!(
                    checked.report.cases.len() >= 10,
                    "{} has {} cases; at least 10",
                    plugin.id,
                    checked.report.cases.len()
                );
                let most = checked.report.cases.iter().map(|c| c.fuel).max().unwrap_or(0);
                println!(
                    "{}: {} cases passed twice with identical findings and fuel; component {} bytes; most fuel {most}",
                    plugin.id,
                    checked.report.cases.len(),
                    plugin.component.len()
                );
            }
            Err(PublishError::CasesFailed { report, .. }) => {
                let failed: Vec<_> = report.cases.iter().filter(|c| !c.passed).collect();
                panic!("{}: cases failed: {failed:#?}", plugin.id);
            }
            Err(error) => panic!("{}: {error}", plugin.id),
        }
    }
}

fn compiled_hostile(host: &Host) -> cartouche_rules::Compiled {
    host.compile(hostile().component).expect("the hostile plugin compiles (it misbehaves only at run time)")
}

fn run(
    host: &Host,
    compiled: &cartouche_rules::Compiled,
    title: &str,
) -> Result<cartouche_rules::Run, cartouche_rules::RunFailure> {
    let json = serde_json::to_string(&subject_titled(title)).unwrap();
    host.evaluate(compiled, &json, &context(), Arc::new(ReferenceData::default()))
}

#[test]
fn runaway_plugins_are_contained_with_the_reason_and_the_next_call_works() {
    let host = Host::new(Limits::default()).unwrap();
    let compiled = compiled_hostile(&host);
    for (behaviour, expected) in [
        ("HOSTILE:loop", FailureKind::OutOfFuel),
        ("HOSTILE:grow", FailureKind::MemoryLimit),
        ("HOSTILE:output", FailureKind::OutputTooLarge),
        ("HOSTILE:big-message", FailureKind::OutputTooLarge),
        ("HOSTILE:trap", FailureKind::Trap),
        ("HOSTILE:recursion", FailureKind::Trap),
        ("HOSTILE:garbage", FailureKind::Malformed),
    ] {
        let failure = run(&host, &compiled, behaviour).expect_err(behaviour);
        assert_eq!(failure.kind, expected, "{behaviour}: {}", failure.message);
        println!("{behaviour}: {:?}: {}", failure.kind, failure.message);
        let fine = run(&host, &compiled, "a quiet painting").expect("the next call works");
        assert!(fine.findings.is_empty());
    }
}

#[test]
fn fuel_is_deterministic() {
    let host = Host::new(Limits::default()).unwrap();
    let compiled = compiled_hostile(&host);
    let first = run(&host, &compiled, "a quiet painting").unwrap();
    let second = run(&host, &compiled, "a quiet painting").unwrap();
    assert_eq!(first.fuel, second.fuel);
    assert!(first.fuel > 0);
    let loop_a = run(&host, &compiled, "HOSTILE:loop").unwrap_err();
    let input = serde_json::to_string(&subject_titled("HOSTILE:loop")).unwrap().len();
    assert_eq!(loop_a.fuel, host.fuel_for(input), "a runaway uses exactly its budget (base + per input byte)");
    assert!(host.fuel_for(input) > Limits::default().fuel);
}

#[test]
fn the_wall_clock_deadline_stops_what_fuel_would_let_run() {
    // With an enormous fuel budget, only the epoch deadline can stop the loop.
    let host =
        Host::new(Limits { fuel: u64::MAX / 2, deadline: std::time::Duration::from_millis(30), ..Limits::default() })
            .unwrap();
    let compiled = compiled_hostile(&host);
    let failure = run(&host, &compiled, "HOSTILE:loop").unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout, "{}", failure.message);
    assert!(run(&host, &compiled, "fine").is_ok());
}

#[test]
fn oversized_input_is_refused_before_the_call() {
    let host = Host::new(Limits { input_bytes: 1000, ..Limits::default() }).unwrap();
    let compiled = compiled_hostile(&host);
    assert_eq!(run(&host, &compiled, "x").unwrap_err().kind, FailureKind::InputTooLarge);
}

#[test]
fn a_rules_service_reports_a_failing_plugin_as_indeterminate_not_pass() {
    let rules = rules();
    let plugin = hostile();
    let checked =
        rules.check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()).expect("publishable");
    let dir = tempfile::tempdir().unwrap();
    let store = cartouche_store::SledStore::open(&dir.path().join("store")).unwrap();
    let actor =
        cartouche_model::Actor { role: cartouche_model::Role::Admin, country: None, token_id: "tok_admin".into() };
    rules.publish(&store, checked, actor, time::OffsetDateTime::now_utc()).unwrap();
    let evaluations =
        rules.evaluate(&subject_titled("HOSTILE:trap"), RulePhase::Issuance, "FR", date!(2026 - 11 - 28), None);
    assert_eq!(evaluations.len(), 1);
    assert_eq!(evaluations[0].outcome, RuleOutcome::Indeterminate);
    assert_eq!(evaluations[0].findings[0].code, "HOST.TRAP");
    assert_eq!(evaluations[0].sha256.len(), 64);
    let fine = rules.evaluate(&subject_titled("quiet"), RulePhase::Issuance, "JP", date!(2026 - 11 - 28), None);
    assert_eq!(fine[0].outcome, RuleOutcome::Pass, "INT plugins apply in every country");
    // Not yet valid before its valid-from date: nothing runs.
    assert!(
        rules.evaluate(&subject_titled("quiet"), RulePhase::Issuance, "FR", date!(2025 - 12 - 31), None).is_empty()
    );

    // A second service loads it back from the store: from the cached artifact.
    let again = self::rules();
    assert_eq!(again.load(&store).unwrap(), 1);
    assert!(again.has("hostile-test", "1.0.0"));
    let listed = again.list(date!(2026 - 11 - 28));
    assert_eq!(listed[0].status, "active");
}

fn component_from_wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid component text")
}

#[test]
fn components_that_import_anything_else_are_refused_at_publish() {
    let host = Host::new(Limits::default()).unwrap();
    let wasi = component_from_wat(
        r#"(component
            (import "wasi:clocks/wall-clock@0.2.0" (instance (export "now" (func (result u64)))))
        )"#,
    );
    let error = host.compile(&wasi).err().expect("a WASI import is refused");
    assert!(matches!(&error, ComponentError::ForbiddenImport(name) if name.contains("wasi:clocks")), "{error}");
    assert!(error.to_string().contains("wasm32-unknown-unknown"));

    let unknown = component_from_wat(
        r#"(component
            (import "cartouche:rules/secrets@1.0.0" (instance (export "steal" (func (result string)))))
        )"#,
    );
    let error = host.compile(&unknown).err().expect("an unknown host import is refused");
    assert!(matches!(&error, ComponentError::ForbiddenImport(name) if name.contains("secrets")), "{error}");

    let empty = component_from_wat("(component)");
    let error = host.compile(&empty).err().expect("a component without the rule export is refused");
    assert!(matches!(error, ComponentError::WrongExports(_)), "{error}");

    assert!(matches!(host.compile(b"\0asm not really"), Err(ComponentError::Invalid(_))));
}

#[test]
fn oversized_components_are_refused_before_compiling() {
    let host = Host::new(Limits::default()).unwrap();
    let mut big = hostile().component.to_vec();
    // A custom section (id 0) padding the component past 1 MiB: still valid WebAssembly.
    let payload_len = (1 << 20) + 1;
    let name = b"padding";
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.resize(section.len() + payload_len, 0);
    big.push(0);
    let mut length = section.len();
    loop {
        let byte = (length & 0x7f) as u8;
        length >>= 7;
        big.push(if length == 0 { byte } else { byte | 0x80 });
        if length == 0 {
            break;
        }
    }
    big.extend_from_slice(&section);
    assert!(matches!(host.compile(&big), Err(ComponentError::TooLarge { .. })));
}

#[test]
fn publication_refuses_a_manifest_that_does_not_match_the_component() {
    let rules = rules();
    let plugin = hostile();
    let manifest = plugin.manifest.replace("\"version\": \"1.0.0\"", "\"version\": \"1.0.1\"");
    let error = rules.check(manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()).err().unwrap();
    assert!(matches!(&error, PublishError::DescribeMismatch(m) if m.contains("version")), "{error}");
    let pinned = plugin.manifest.replace("\"id\"", &format!("\"sha256\": \"{}\", \"id\"", "0".repeat(64)));
    let error = rules.check(pinned.as_bytes(), plugin.component, plugin.cases.as_bytes()).err().unwrap();
    assert!(matches!(&error, PublishError::Manifest(m) if m.contains("pins")), "{error}");
    let wrong_case =
        plugin.cases.replace("\"expect\": []", "\"expect\": [{\"code\": \"X.Y\", \"severity\": \"info\"}]");
    let error = rules.check(plugin.manifest.as_bytes(), plugin.component, wrong_case.as_bytes()).err().unwrap();
    assert!(matches!(error, PublishError::CasesFailed { failed: 1, total: 1, .. }), "{error}");
}

#[test]
fn the_largest_application_is_evaluated_within_the_limits() {
    // 100 objects, the most an application may hold: the budget grows with the input.
    let host = Host::new(Limits::default()).unwrap();
    let plugin = cartouche_plugins::bundled("it-export").unwrap();
    let compiled = host.compile(plugin.component).unwrap();
    let mut subject = subject_titled("one of many");
    let object = subject.application.objects[0].clone();
    subject.application.objects = vec![object; 100];
    let json = serde_json::to_string(&subject).unwrap();
    assert!(json.len() > 200 << 10, "{} bytes", json.len());
    let mut reference = ReferenceData::default();
    reference.rates = None;
    let run = host.evaluate(&compiled, &json, &context(), Arc::new(reference)).expect("evaluated, not indeterminate");
    assert!(run.findings.iter().any(|f| f.code == "IT.TOO_MANY_ITEMS"));
    assert!(run.fuel < host.fuel_for(json.len()));
    println!(
        "{} bytes: {} fuel of {}, peak memory {} bytes",
        json.len(),
        run.fuel,
        host.fuel_for(json.len()),
        run.peak_memory
    );
}
