//! Plugins written in Python and JavaScript, built by their toolchains (componentize-py,
//! componentize-js: `scripts/plugin-toolchains` installs them, pinned) and run in the same
//! sandbox as compiled Rust:
//! - the hostile ones are contained, each with its reason, and the next call works;
//! - the WASI calls that would give a capability are refused or inert: no file, no socket,
//!   no name lookup, an empty environment, a clock that reads the evaluation date and a
//!   sleep that takes no time, random that repeats for the same input;
//! - the ported plugins (Italy in Python, the watch list in JavaScript) pass the Rust
//!   plugins' case files through the publication checks.
//!
//! Without the toolchains these tests say so and pass, unless CARTOUCHE_REQUIRE_TOOLCHAINS
//! is set (scripts/test sets it): then a missing toolchain fails them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use cartouche_model::plugin::{PluginManifest, RuleSubject};
use cartouche_model::reference::ReferenceData;
use cartouche_model::{Application, RulePhase};
use cartouche_rules::{CallContext, Compiled, FailureKind, Host, Limits, PublishError, Rules, Run, RunFailure};
use time::macros::date;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn wit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("wit")
}

/// The toolchain at `path`, or None (the test is skipped) unless toolchains are required.
fn toolchain(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CARTOUCHE_REQUIRE_TOOLCHAINS").is_some() {
        panic!("{what} is missing at {}: run scripts/plugin-toolchains", path.display());
    }
    eprintln!("skipped: {what} is not installed (run scripts/plugin-toolchains)");
    None
}

/// Builds the Python plugin in `dir` (app.py) into a component.
fn build_python(dir: &str) -> Option<Vec<u8>> {
    let tool = std::env::var_os("CARTOUCHE_COMPONENTIZE_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/toolchains/python/bin/componentize-py"));
    let tool = toolchain(tool, "componentize-py")?;
    let out = tempfile::tempdir().unwrap();
    let component = out.path().join("plugin.wasm");
    let status = Command::new(tool)
        .arg("-d")
        .arg(wit())
        .args(["-w", "plugin", "componentize", "app", "-o"])
        .arg(&component)
        .current_dir(workspace().join(dir))
        .status()
        .expect("componentize-py runs");
    assert!(status.success(), "componentize-py failed for {dir}");
    Some(std::fs::read(component).unwrap())
}

/// Builds the JavaScript plugin in `dir` (plugin.js) into a component, as `cartouche
/// plugin build` does.
fn build_javascript(dir: &str) -> Option<Vec<u8>> {
    let dir = workspace().join(dir);
    let tool = toolchain(dir.join("node_modules/.bin/componentize-js"), "componentize-js")?;
    let out = tempfile::tempdir().unwrap();
    let component = out.path().join("plugin.wasm");
    let status = Command::new(tool)
        .arg("plugin.js")
        .arg("--wit")
        .arg(wit().join("rules.wit"))
        .args(["--world-name", "plugin", "--disable", "http", "fetch-event", "--out"])
        .arg(&component)
        .current_dir(&dir)
        .status()
        .expect("componentize-js runs");
    assert!(status.success(), "componentize-js failed for {}", dir.display());
    Some(std::fs::read(component).unwrap())
}

fn manifest(dir: &str) -> (Vec<u8>, PluginManifest) {
    let bytes = std::fs::read(workspace().join(dir).join("manifest.json")).unwrap();
    let manifest = serde_json::from_slice(&bytes).unwrap();
    (bytes, manifest)
}

fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(Limits::default()).expect("the host starts"))
}

/// A hostile plugin built and compiled once for the whole test binary.
fn hostile(lang: &str) -> Option<&'static Compiled> {
    static PY: OnceLock<Option<Compiled>> = OnceLock::new();
    static JS: OnceLock<Option<Compiled>> = OnceLock::new();
    let (cell, dir) = match lang {
        "py" => (&PY, "tests/plugins/hostile-py"),
        _ => (&JS, "tests/plugins/hostile-js"),
    };
    cell.get_or_init(|| {
        let component = if lang == "py" { build_python(dir)? } else { build_javascript(dir)? };
        let (_, manifest) = manifest(dir);
        let compiled = host().compile_with(&component, &manifest.limits).expect("the hostile plugin compiles");
        assert!(compiled.uses_wasi(), "an interpreter's component imports WASI");
        Some(compiled)
    })
    .as_ref()
}

fn subject(title: &str, description: &str) -> String {
    let mut application: Application =
        serde_json::from_str(include_str!("../../../schemas/examples/fr-painting-to-us.json")).unwrap();
    application.objects[0].title = Some(title.to_owned());
    application.objects[0].description = description.to_owned();
    let subject = RuleSubject {
        number: None,
        issue_date: date!(2026 - 11 - 28),
        issued_at: None,
        application,
        rule_evaluations: Vec::new(),
    };
    String::from_utf8(cartouche_model::canonical::to_canonical_json(&subject).unwrap()).unwrap()
}

fn context(date: time::Date) -> CallContext {
    CallContext { phase: RulePhase::Issuance, date, checkpoint_country: None, parameters: Default::default() }
}

fn run(compiled: &Compiled, behaviour: &str, description: &str) -> Result<Run, RunFailure> {
    host().evaluate(
        compiled,
        &subject(&format!("HOSTILE:{behaviour}"), description),
        &context(date!(2026 - 11 - 28)),
        Arc::new(ReferenceData::default()),
    )
}

fn only_finding(result: Result<Run, RunFailure>) -> (String, String) {
    let run = result.unwrap_or_else(|failure| panic!("{failure:?}"));
    assert_eq!(run.findings.len(), 1, "{:?}", run.findings);
    (run.findings[0].code.clone(), run.findings[0].message.clone())
}

/// After any misbehaviour, the same plugin evaluates a plain certificate normally.
fn next_call_works(compiled: &Compiled) {
    let run = host()
        .evaluate(
            compiled,
            &subject("A plain title", "x"),
            &context(date!(2026 - 11 - 28)),
            Arc::new(ReferenceData::default()),
        )
        .expect("the next call works");
    assert!(run.findings.is_empty(), "{:?}", run.findings);
}

fn contained(lang: &str) {
    let Some(compiled) = hostile(lang) else { return };
    let limits = compiled.limits();
    assert_eq!(limits.memory_bytes, 48 << 20, "the manifest's memory");

    for (behaviour, kind) in
        [("loop", FailureKind::OutOfFuel), ("grow", FailureKind::MemoryLimit), ("print", FailureKind::PrintTooLarge)]
    {
        let failure = run(compiled, behaviour, "x").expect_err(behaviour);
        assert_eq!(failure.kind, kind, "{lang} {behaviour}: {failure:?}");
        next_call_works(compiled);
    }

    // An exception nobody catches: a trap (Python prints its traceback, kept for the author).
    let failure = run(compiled, "raise", "x").expect_err("raise");
    if lang == "py" {
        assert_eq!(failure.kind, FailureKind::Trap, "{failure:?}");
        assert!(failure.printed.contains("ValueError: the hostile plugin raises"), "{}", failure.printed);
    } else {
        assert!(matches!(failure.kind, FailureKind::Trap | FailureKind::PluginError), "{failure:?}");
    }
    next_call_works(compiled);
    let failure = run(compiled, "error", "x").expect_err("error");
    assert_eq!(failure.kind, FailureKind::PluginError, "{failure:?}");
    assert!(failure.message.contains("cannot evaluate this"), "{}", failure.message);

    // Files: nothing to read.
    assert_eq!(only_finding(run(compiled, "file", "x")).0, "HOSTILE.FILE_DENIED");

    // The network: a listener on loopback that the plugin is told about gets no connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    match run(compiled, "network", &address) {
        // Python: the socket module's calls fail (no socket may be created, no name resolved).
        Ok(run) => assert_eq!(run.findings[0].code, "HOSTILE.NET_DENIED", "{:?}", run.findings),
        // JavaScript built without fetch (`--disable http`): calling the stub traps.
        Err(failure) => assert_eq!(failure.kind, FailureKind::Trap, "{failure:?}"),
    }
    assert!(listener.accept().is_err(), "no connection reached the listener");
    next_call_works(compiled);

    // The clock reads midnight UTC of the evaluation date, and a sleep takes no time.
    let started = std::time::Instant::now();
    let (code, message) = only_finding(run(compiled, "clock", "x"));
    assert_eq!(code, "HOSTILE.CLOCK");
    let seen: serde_json::Value = serde_json::from_str(&message).unwrap();
    let midnight = date!(2026 - 11 - 28).midnight().assume_utc().unix_timestamp();
    if lang == "py" {
        assert_eq!(seen["time"].as_f64(), Some(midnight as f64), "{message}");
        assert_eq!(seen["after_sleep"], seen["time"], "a sleep of 60 s moved no clock: {message}");
        assert_eq!(seen["monotonic"], seen["monotonic_after"], "{message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the sleep did not block the host");
    } else {
        assert_eq!(seen["now"].as_f64(), Some(midnight as f64 * 1000.0), "{message}");
    }

    // Random: the same input gives the same bytes; another input, others.
    let first = only_finding(run(compiled, "random", "x")).1;
    assert_eq!(first, only_finding(run(compiled, "random", "x")).1, "deterministic");
    assert_ne!(first, only_finding(run(compiled, "random", "y")).1, "seeded from the input");

    // No environment.
    let (_, message) = only_finding(run(compiled, "environment", "x"));
    let seen: serde_json::Value = serde_json::from_str(&message).unwrap();
    if lang == "py" {
        assert_eq!(seen["environ"], serde_json::json!({}), "{message}");
    } else {
        assert!(seen["env"].is_null() || seen["env"] == serde_json::json!({}), "{message}");
    }
    next_call_works(compiled);
}

#[test]
fn a_hostile_python_plugin_is_contained_and_sees_no_capability() {
    contained("py");
}

/// As many interpreter calls at once as the pool has slots: none is refused for want of
/// an instance, memory or table slot.
#[test]
fn the_pool_runs_an_interpreter_in_every_slot_at_once() {
    let Some(compiled) = hostile("py") else { return };
    let threads = Limits::default().concurrency as usize;
    let json = subject("A plain title", "x");
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..3 {
                        host()
                            .evaluate(
                                compiled,
                                &json,
                                &context(date!(2026 - 11 - 28)),
                                Arc::new(ReferenceData::default()),
                            )
                            .expect("every call finds a slot");
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
}

#[test]
fn a_hostile_javascript_plugin_is_contained_and_sees_no_capability() {
    contained("js");
}

/// The port passes the Rust plugin's case file (the same file but for the plugin id)
/// through the publication checks, each case twice with the same findings and fuel.
fn port_passes(dir: &str, rust_dir: &str, component: Option<Vec<u8>>) {
    let Some(component) = component else { return };
    let cases = std::fs::read_to_string(workspace().join(dir).join("cases.json")).unwrap();
    let rust_cases = std::fs::read_to_string(workspace().join(rust_dir).join("cases.json")).unwrap();
    let mut ported: serde_json::Value = serde_json::from_str(&cases).unwrap();
    let original: serde_json::Value = serde_json::from_str(&rust_cases).unwrap();
    ported["plugin"] = original["plugin"].clone();
    assert_eq!(ported, original, "{dir}/cases.json is {rust_dir}/cases.json but for the plugin id");

    let (manifest_bytes, _) = manifest(dir);
    let rules = Rules::new(Host::new(Limits::default()).unwrap());
    match rules.check(&manifest_bytes, &component, cases.as_bytes()) {
        Ok(checked) => {
            assert!(checked.report.cases.len() >= 10);
            let fuel = checked.report.cases.iter().map(|c| c.fuel).max().unwrap_or(0);
            let memory = checked.report.cases.iter().map(|c| c.peak_memory).max().unwrap_or(0);
            println!(
                "{dir}: {} cases passed twice; component {} bytes; most fuel {fuel}; peak memory {memory}",
                checked.report.cases.len(),
                component.len()
            );
        }
        Err(PublishError::CasesFailed { report, .. }) => {
            let failed: Vec<_> = report.cases.iter().filter(|c| !c.passed).collect();
            panic!("{dir}: cases failed: {failed:#?}");
        }
        Err(error) => panic!("{dir}: {error}"),
    }
}

#[test]
fn italy_in_python_passes_the_rust_plugins_cases() {
    port_passes("plugins/it-export-py", "plugins/it-export", build_python("plugins/it-export-py"));
}

#[test]
fn the_watch_list_in_javascript_passes_the_rust_plugins_cases() {
    port_passes("plugins/watch-list-js", "plugins/watch-list", build_javascript("plugins/watch-list-js"));
}

#[test]
fn asking_for_more_than_the_ceiling_is_refused_with_what_to_do() {
    let host = Host::new(Limits::default()).unwrap();
    let asked = cartouche_model::plugin::RequestedLimits {
        memory_mib: Some(4096),
        fuel: None,
        fuel_per_input_byte: Some(1_000_000),
        deadline_ms: Some(60_000),
    };
    let error = host.limits_for(&asked).expect_err("over the ceilings");
    let message = error.to_string();
    assert!(message.contains("4096 MiB of memory; this registry allows at most 128 MiB"), "{message}");
    assert!(message.contains("60000 ms"), "{message}");
    assert!(message.contains("1000000 fuel per input byte; this registry allows at most 10000"), "{message}");
    let within = cartouche_model::plugin::RequestedLimits {
        memory_mib: Some(64),
        fuel: Some(1_000_000_000),
        fuel_per_input_byte: Some(400),
        deadline_ms: None,
    };
    let limits = host.limits_for(&within).unwrap();
    assert_eq!((limits.memory_bytes, limits.fuel), (64 << 20, 1_000_000_000));
    assert_eq!(limits.deadline, Limits::default().deadline);
    assert_eq!(host.fuel_for(1000), Limits::default().fuel + 100 * 1000, "the defaults");
    assert_eq!(limits.fuel_per_input_byte, 400);
}
