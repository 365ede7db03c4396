//! The host against real components: every bundled plugin passes its own cases through
//! the production engine; hostile plugins are refused at publish or contained at run time,
//! and the host keeps working afterwards; a plugin id stays its first jurisdiction's; a
//! busy machine's timeouts are retried and never blamed on the plugin.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cartouche_model::plugin::{PublishedPlugin, RuleSubject};
use cartouche_model::reference::ReferenceData;
use cartouche_model::{Actor, Application, Role, RuleOutcome, RulePhase};
use cartouche_rules::{CallContext, Checked, ComponentError, FailureKind, Host, Limits, PublishError, Rules};
use time::OffsetDateTime;
use time::macros::{date, datetime};

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

/// What a caller stores: the publications in order, and the compiled artifacts by key.
#[derive(Default)]
struct Stored {
    plugins: Vec<PublishedPlugin>,
    artifacts: BTreeMap<String, Vec<u8>>,
}

impl Stored {
    /// What the server does with a checked publication: store it, then install it.
    fn publish(&mut self, rules: &Rules, checked: Checked, actor: Actor, at: OffsetDateTime) {
        let _publishing = rules.lock_publications();
        rules.check_owner(&checked.manifest).expect("the id is free or the jurisdiction's");
        let record = checked.record(actor, at);
        self.plugins.push(record.clone());
        let artifact = checked.artifact.clone().expect("the engine serializes its code");
        assert_eq!(artifact.key, rules.artifact_key(&record.sha256));
        self.artifacts.insert(artifact.key, artifact.bytes);
        rules.install(&record, checked).unwrap();
    }

    /// What the server does at start.
    fn load(&mut self, rules: &Rules) -> usize {
        let done = rules
            .load(self.plugins.clone(), |key| Ok::<_, std::convert::Infallible>(self.artifacts.get(key).cloned()))
            .unwrap();
        for artifact in done.compiled {
            self.artifacts.insert(artifact.key, artifact.bytes);
        }
        done.loaded
    }
}

fn admin() -> Actor {
    Actor { role: Role::Admin, country: None, token_id: "tok_admin".into() }
}

#[test]
fn a_rules_service_reports_a_failing_plugin_as_indeterminate_not_pass() {
    let rules = rules();
    let plugin = hostile();
    let checked =
        rules.check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()).expect("publishable");
    let mut store = Stored::default();
    store.publish(&rules, checked, admin(), OffsetDateTime::now_utc());
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
    assert_eq!(store.load(&again), 1);
    assert!(again.has("hostile-test", "1.0.0"));
    let listed = again.list(date!(2026 - 11 - 28));
    assert_eq!(listed[0].status, "active");

    // Without the artifact, it is compiled again and the new artifact handed back to store.
    store.artifacts.clear();
    let third = self::rules();
    let done = third.load(store.plugins.clone(), |_| Ok::<_, std::convert::Infallible>(None)).unwrap();
    assert_eq!(done.loaded, 1);
    assert_eq!(done.compiled.len(), 1);
    assert_eq!(done.compiled[0].key, third.artifact_key(&store.plugins[0].sha256));
}

/// A publication of `manifest` as stored data, whatever the component.
fn stored(manifest: &str, component: &[u8], at: OffsetDateTime) -> PublishedPlugin {
    PublishedPlugin {
        manifest: serde_json::from_str(manifest).unwrap(),
        sha256: cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(component)),
        component: component.to_vec(),
        cases: String::new(),
        published_by: admin(),
        published_at: at,
    }
}

fn italian_issuance(rules: &Rules) -> Vec<cartouche_model::RuleEvaluation> {
    let mut subject = subject_titled("an amphora");
    subject.application.issuing_authority.country = "IT".into();
    rules.evaluate(&subject, RulePhase::Issuance, "IT", date!(2026 - 11 - 28), None)
}

#[test]
fn a_plugin_id_stays_with_the_jurisdiction_of_its_first_publication() {
    let rules = rules();
    let italy = cartouche_plugins::bundled("it-export").unwrap();
    let checked = rules.check(italy.manifest.as_bytes(), italy.component, italy.cases.as_bytes()).unwrap();
    let mut store = Stored::default();
    store.publish(&rules, checked, admin(), datetime!(2026-01-01 0:00 UTC));
    assert_eq!(rules.owner("it-export").as_deref(), Some("IT"));

    // France's publisher cannot publish a later version of Italy's id: refused before any
    // compiling, with a message that says what to do.
    let hijack = italy
        .manifest
        .replace("\"jurisdiction\": \"IT\"", "\"jurisdiction\": \"FR\"")
        .replace("\"version\": \"1.1.0\"", "\"version\": \"1.1.1\"");
    assert!(hijack.contains("\"FR\"") && hijack.contains("1.1.1"), "{hijack}");
    let error = rules.check(hijack.as_bytes(), b"not even wasm", italy.cases.as_bytes()).err().unwrap();
    assert!(
        matches!(&error, PublishError::IdTaken { id, owner, jurisdiction } if id == "it-export" && owner == "IT" && jurisdiction == "FR"),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "plugin id it-export belongs to jurisdiction IT; publish your rules under an id of your own"
    );
    let manifest: cartouche_model::plugin::PluginManifest = serde_json::from_str(&hijack).unwrap();
    assert!(matches!(rules.check_owner(&manifest), Err(PublishError::IdTaken { .. })));

    // Stored data of another jurisdiction (published before this check existed) is not
    // loaded: Italy's version stays the one Italian issuance runs.
    store.plugins.push(stored(&hijack, hostile().component, datetime!(2026-02-01 0:00 UTC)));
    let again = self::rules();
    assert_eq!(store.load(&again), 1, "the FR version of it-export is left out");
    assert!(again.has("it-export", "1.1.0") && !again.has("it-export", "1.1.1"));
    let ran = italian_issuance(&again);
    let it = ran.iter().find(|e| e.plugin == "it-export").expect("Italy's rules ran");
    assert_eq!(it.version, "1.1.0");
    assert_eq!(it.sha256, store.plugins[0].sha256);
    assert!(again.list(date!(2026 - 11 - 28)).iter().all(|l| l.jurisdiction == "IT"));
}

#[test]
fn publication_checks_retry_a_deadline_hit_and_then_blame_the_machine_not_the_plugin() {
    // A zero deadline interrupts every call at its first instruction: the first attempt of
    // every check times out, deterministically, as on a machine far too busy.
    let plugin = hostile();
    let busy_first = Rules::new(Host::new(Limits { deadline: Duration::ZERO, ..Limits::default() }).unwrap());
    let quiet = busy_first.host().compile(plugin.component).unwrap();
    let json = serde_json::to_string(&subject_titled("quiet")).unwrap();
    let failure =
        busy_first.host().evaluate(&quiet, &json, &context(), Arc::new(ReferenceData::default())).unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout, "the first attempt alone times out: {}", failure.message);
    let checked = busy_first
        .check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes())
        .expect("the retry, with the longer deadline, passes");
    assert!(checked.report.cases.iter().all(|c| c.passed && !c.timed_out && c.fuel > 0));

    // A plugin that genuinely loops is still refused for its fuel, not called busy.
    let looping = plugin.cases.replace(
        "\"expect\": []",
        "\"patch\": [{\"op\": \"add\", \"path\": \"/objects/0/title\", \"value\": \"HOSTILE:loop\"}], \"expect\": []",
    );
    assert!(looping.contains("HOSTILE:loop"));
    match busy_first.check(plugin.manifest.as_bytes(), plugin.component, looping.as_bytes()) {
        Err(PublishError::CasesFailed { report, .. }) => {
            let case = &report.cases[0];
            assert!(!case.timed_out);
            assert!(case.error.as_deref().unwrap().starts_with("HOST.OUT_OF_FUEL"), "{case:?}");
        }
        other => panic!("expected the loop to fail its case: {:?}", other.err()),
    }

    // When the retry times out too, it is the machine's problem: Busy, never CasesFailed.
    let hopeless = Rules::new(
        Host::new(Limits { deadline: Duration::ZERO, retry_deadline: Duration::ZERO, ..Limits::default() }).unwrap(),
    );
    let error = hopeless.check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()).err().unwrap();
    assert!(matches!(&error, PublishError::Busy(what) if what == "describe()"), "{error}");
    assert!(error.to_string().contains("says nothing about the plugin"), "{error}");
    let compiled = hopeless.host().compile(plugin.component).unwrap();
    let file: cartouche_model::plugin::CaseFile = serde_json::from_str(plugin.cases).unwrap();
    let report = hopeless.run_cases(&compiled, &file);
    assert_eq!(report.timed_out(), ["behaves when no title asks it not to"]);
    assert!(report.cases[0].error.as_deref().unwrap().starts_with("HOST.TIMEOUT"));
}

fn component_from_wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid component text")
}

#[test]
fn components_that_import_anything_else_are_refused_at_publish() {
    let host = Host::new(Limits::default()).unwrap();
    // WASI that would give a capability the deterministic layer does not have: refused.
    let wasi = component_from_wat(
        r#"(component
            (import "wasi:http/outgoing-handler@0.2.0" (instance (export "handle" (func (result u64)))))
        )"#,
    );
    let error = host.compile(&wasi).err().expect("a wasi:http import is refused");
    assert!(matches!(&error, ComponentError::ForbiddenImport(name) if name.contains("wasi:http")), "{error}");
    assert!(error.to_string().contains("wasm32-unknown-unknown"));
    // WASI of a version the layer does not provide (preview 3): refused.
    let p3 = component_from_wat(
        r#"(component
            (import "wasi:clocks/wall-clock@0.3.0" (instance (export "now" (func (result u64)))))
        )"#,
    );
    let error = host.compile(&p3).err().expect("WASI 0.3 is refused");
    assert!(matches!(&error, ComponentError::ForbiddenImport(name) if name.contains("0.3.0")), "{error}");
    // A WASI 0.2 interface with another shape than the real one: refused at linking.
    let fake = component_from_wat(
        r#"(component
            (import "wasi:clocks/wall-clock@0.2.0" (instance (export "now" (func (result u64)))))
        )"#,
    );
    assert!(matches!(host.compile(&fake), Err(ComponentError::ForbiddenImport(_))));

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
    // A custom section (id 0) padding the component past the limit: still valid WebAssembly.
    let payload_len = Limits::default().component_bytes + 1;
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
fn a_case_dated_outside_the_plugins_window_is_refused() {
    let rules = rules();
    let plugin = hostile();
    let manifest: serde_json::Value = serde_json::from_str(plugin.manifest).unwrap();
    let parts: Vec<i32> = manifest["valid_from"].as_str().unwrap().split('-').map(|p| p.parse().unwrap()).collect();
    let month = time::Month::try_from(parts[1] as u8).unwrap();
    let valid_from = time::Date::from_calendar_date(parts[0], month, parts[2] as u8).unwrap();
    let mut cases: serde_json::Value = serde_json::from_str(plugin.cases).unwrap();
    let day_before = (valid_from - time::Duration::days(1)).to_string();
    cases["cases"][0]["date"] = day_before.clone().into();
    let error = rules.check(plugin.manifest.as_bytes(), plugin.component, cases.to_string().as_bytes()).err().unwrap();
    assert!(
        matches!(&error, PublishError::Cases(m) if m.contains(&format!("evaluated on {day_before}, before the plugin's valid_from"))),
        "{error}"
    );
    // On valid_from itself, the case is in the window.
    cases["cases"][0]["date"] = valid_from.to_string().into();
    assert!(rules.check(plugin.manifest.as_bytes(), plugin.component, cases.to_string().as_bytes()).is_ok());
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

#[test]
fn exit_checks_are_remembered_until_the_plugins_or_the_reference_data_change() {
    let rules = rules();
    let mut store = Stored::default();
    let watch = cartouche_plugins::bundled("watch-list").unwrap();
    let checked = rules.check(watch.manifest.as_bytes(), watch.component, watch.cases.as_bytes()).unwrap();
    store.publish(&rules, checked, admin(), datetime!(2026-01-01 0:00 UTC));

    let mut subject = subject_titled("Example Landscape with Ruins");
    let maker = subject.application.objects[0].maker.as_mut().expect("the example names its maker");
    maker.name = "Example Painter".into();
    let day = date!(2026 - 11 - 28);
    let made = std::cell::Cell::new(0);
    let exit = |date, checkpoint: Option<&str>| {
        let subject = || {
            made.set(made.get() + 1);
            subject.clone()
        };
        rules.evaluate_certificate("aa".repeat(32).as_str(), subject, RulePhase::ExitCheck, "FR", date, checkpoint)
    };

    // Run once, then remembered: the subject is not even built again.
    let first = exit(day, Some("FR"));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].outcome, RuleOutcome::Pass, "no watch list loaded: nothing matches");
    assert_eq!(exit(day, Some("FR")), first);
    assert_eq!(made.get(), 1);
    assert_eq!(rules.remembered_evaluations(), 1);

    // Another day or another checkpoint is another evaluation.
    exit(date!(2026 - 11 - 29), Some("FR"));
    exit(day, Some("DE"));
    assert_eq!(made.get(), 3);

    // New reference data forgets everything: the stolen-object list now matches.
    let reference: ReferenceData =
        serde_json::from_str(include_str!("../../../plugins/reference-data.example.json")).unwrap();
    rules.set_reference(reference);
    let held = exit(day, Some("FR"));
    assert_eq!(held[0].outcome, RuleOutcome::Fail, "{held:?}");
    assert_eq!(made.get(), 4);
    assert_eq!(exit(day, Some("FR")), held);
    assert_eq!(made.get(), 4, "remembered again");

    // A publication forgets everything too.
    let hostile = hostile();
    let checked = rules.check(hostile.manifest.as_bytes(), hostile.component, hostile.cases.as_bytes()).unwrap();
    store.publish(&rules, checked, admin(), datetime!(2026-01-02 0:00 UTC));
    exit(day, Some("FR"));
    assert_eq!(made.get(), 5);
    assert_eq!(rules.remembered_evaluations(), 1, "the older generation's entries were dropped");
}

#[test]
fn an_evaluation_that_hits_the_deadline_is_retried_not_made_indeterminate() {
    // The first attempt of every call times out, as on a machine far too busy; the
    // retry's longer deadline lets the plugin answer. Officers never get INDETERMINATE
    // because the server was loaded.
    let rules = Rules::new(Host::new(Limits { deadline: Duration::ZERO, ..Limits::default() }).unwrap());
    let mut store = Stored::default();
    let plugin = hostile();
    let checked = rules.check(plugin.manifest.as_bytes(), plugin.component, plugin.cases.as_bytes()).unwrap();
    store.publish(&rules, checked, admin(), datetime!(2026-01-01 0:00 UTC));
    let ran = rules.evaluate(&subject_titled("quiet"), RulePhase::Issuance, "FR", date!(2026 - 11 - 28), None);
    assert_eq!(ran.len(), 1);
    assert_eq!(ran[0].outcome, RuleOutcome::Pass, "{ran:?}");
}

/// Compiled code kept in a compile cache is used by the next host, checked first: a
/// damaged file is compiled again (and replaced), never loaded.
#[test]
fn the_compile_cache_is_shared_and_a_damaged_entry_is_compiled_again() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(Limits::default()).unwrap().with_compile_cache(dir.path().to_path_buf());
    let first = compiled_hostile(&host);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let kept = std::fs::read(&files[0]).unwrap();
    assert!(files[0].to_string_lossy().ends_with(&format!("-{}.cwasm", host.compatibility_key())));

    // Another host of the same engine reads it, and the code runs the same.
    let again = Host::new(Limits::default()).unwrap().with_compile_cache(dir.path().to_path_buf());
    let second = compiled_hostile(&again);
    let (a, b) = (run(&host, &first, "calm").unwrap(), run(&again, &second, "calm").unwrap());
    assert_eq!((a.findings, a.fuel), (b.findings, b.fuel));

    // A flipped byte: the checksum fails, the component is compiled again and kept anew.
    let mut damaged = kept.clone();
    damaged[kept.len() / 2] ^= 0x40;
    std::fs::write(&files[0], &damaged).unwrap();
    let third = compiled_hostile(&again);
    assert!(run(&again, &third, "calm").is_ok());
    assert_eq!(std::fs::read(&files[0]).unwrap().len(), kept.len(), "the damaged file was replaced");
    assert_ne!(std::fs::read(&files[0]).unwrap(), damaged);
}
