//! `cartouche plugin new | build | test | publish`: write a country's rule plugin, build
//! it into a component, run its cases through the production engine with the limits
//! reported, and publish it to a server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, anyhow, bail};
use cartouche_model::plugin::{CaseFile, PluginManifest, is_jurisdiction, is_plugin_id};

use crate::ClientArgs;
use crate::scaffold::{self, Lang};

const TARGET: &str = "wasm32-unknown-unknown";

/// The sample plugin's manifest. The sample cases are dated 2026-11-28 (their ages are
/// counted to 2026): the plugin is valid from the start of that year, so that they fall in
/// its window.
fn sample_manifest(id: &str, jurisdiction: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "jurisdiction": jurisdiction,
        "version": "0.1.0",
        "phases": ["issuance"],
        "valid_from": "2026-01-01",
        "descriptions": { "en": format!("{jurisdiction}: export licence for objects over 100 years old worth over EUR 50,000 (replace with your country's rules)") },
        "source": "Name the law and articles these rules come from"
    })
}

/// The sample plugin's cases: each edge of its two thresholds.
fn sample_cases(id: &str, jurisdiction: &str) -> anyhow::Result<serde_json::Value> {
    let mut base: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/examples/fr-painting-to-us.json")).context("example")?;
    base["issuing_authority"]["country"] = jurisdiction.into();
    let required = |code: &str| serde_json::json!([{ "code": format!("{jurisdiction}.{code}"), "severity": "info", "field": "/objects/0" }]);
    let date = "2026-11-28";
    Ok(serde_json::json!({
        "plugin": id,
        "bases": { "painting": base },
        "cases": [
            { "name": "painting of about 1780 worth EUR 420,000: licence required", "base": "painting", "phase": "issuance", "date": date, "expect": required("LICENCE_REQUIRED") },
            { "name": "worth exactly EUR 50,000.00: not over the threshold", "base": "painting", "phase": "issuance", "date": date,
              "patch": [{ "op": "replace", "path": "/objects/0/value/amount", "value": "50000.00" }], "expect": [] },
            { "name": "worth EUR 50,000.01: just over", "base": "painting", "phase": "issuance", "date": date,
              "patch": [{ "op": "replace", "path": "/objects/0/value/amount", "value": "50000.01" }], "expect": required("LICENCE_REQUIRED") },
            { "name": "made in 1926, exactly 100 years old in 2026: not over 100", "base": "painting", "phase": "issuance", "date": date,
              "patch": [{ "op": "replace", "path": "/objects/0/dating", "value": { "text": "1926", "earliest_year": 1926, "latest_year": 1926 } }], "expect": [] }
        ]
    }))
}

/// `plugin new --lang python|javascript`: in plugins/ID of a Cartouche checkout (left out
/// of its Cargo workspace), else ./ID, or --dir.
fn new_interpreted(
    lang: Lang,
    id: &str,
    jurisdiction: &str,
    dir: Option<PathBuf>,
    cwd: &Path,
) -> anyhow::Result<ExitCode> {
    let root = checkout_root(cwd).ok();
    let dir = match (dir, &root) {
        (Some(dir), _) => dir,
        (None, Some(root)) => root.join("plugins").join(id),
        (None, None) => cwd.join(id),
    };
    if dir.exists() {
        bail!("{} exists already: choose another id or --dir", dir.display());
    }
    let files = scaffold::new_interpreted(
        lang,
        id,
        jurisdiction,
        &dir,
        &sample_cases(id, jurisdiction)?,
        sample_manifest(id, jurisdiction),
    )?;
    if let Some(root) = &root
        && std::fs::canonicalize(&dir).ok().and_then(|d| d.parent().map(Path::to_path_buf))
            == std::fs::canonicalize(root.join("plugins")).ok()
    {
        scaffold::exclude_from_workspace(root, id)?;
    }
    let shown = relative(cwd, &std::fs::canonicalize(&dir)?);
    println!("Created {} ({}).", shown.display(), files.join(", "));
    println!("Next:");
    println!(
        "  cartouche plugin build {}                  # the component, {}/{id}.wasm",
        shown.display(),
        shown.display()
    );
    println!("  cartouche plugin test {0}/{id}.wasm {0}/cases.json", shown.display());
    Ok(ExitCode::SUCCESS)
}

/// The workspace's `[profile.plugin]` (Cargo.toml), as `--config` settings.
const PLUGIN_PROFILE: [&str; 7] = [
    "profile.plugin.inherits=\"release\"",
    "profile.plugin.opt-level=3",
    "profile.plugin.lto=true",
    "profile.plugin.codegen-units=1",
    "profile.plugin.panic=\"abort\"",
    "profile.plugin.strip=true",
    "profile.plugin.debug=false",
];

/// Testing only: `FIRST,RETRY` wall-clock deadlines in milliseconds of plugin calls and of
/// the publication checks' retry, to play a machine too busy to finish in time (0 stops
/// every call at once). Never set in production.
const UNSAFE_DEADLINES: &str = "CARTOUCHE_UNSAFE_PLUGIN_DEADLINES_MS";

/// The plugin host's limits: the defaults, unless [`UNSAFE_DEADLINES`] is set (tests).
pub fn host_limits() -> anyhow::Result<cartouche_rules::Limits> {
    let mut limits = cartouche_rules::Limits::default();
    let Ok(text) = std::env::var(UNSAFE_DEADLINES) else { return Ok(limits) };
    let parse = |part: Option<&str>| part.and_then(|p| p.trim().parse::<u64>().ok());
    let mut parts = text.split(',');
    let (Some(first), Some(retry), None) = (parse(parts.next()), parse(parts.next()), parts.next()) else {
        bail!("{UNSAFE_DEADLINES} {text:?} must be two numbers of milliseconds, FIRST,RETRY");
    };
    limits.deadline = std::time::Duration::from_millis(first);
    limits.retry_deadline = std::time::Duration::from_millis(retry);
    tracing::warn!(first, retry, "plugin deadlines set by {UNSAFE_DEADLINES}: for tests only");
    Ok(limits)
}

/// The Cartouche checkout that holds `start` (the directory whose Cargo.toml lists the
/// rules SDK), for the scaffold's path dependency.
fn checkout_root(start: &Path) -> anyhow::Result<PathBuf> {
    let start = std::fs::canonicalize(start).with_context(|| format!("cannot resolve {}", start.display()))?;
    start
        .ancestors()
        .find(|dir| dir.join("crates/cartouche-rules-sdk/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            anyhow!(
                "{} is not inside a Cartouche checkout: run `cartouche plugin new` from a clone of the repository (the rules SDK is not on crates.io yet)",
                start.display()
            )
        })
}

fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to[common..] {
        path.push(part.as_os_str());
    }
    path
}

fn rust_type_name(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<String>()
        + "Rule"
}

/// `cartouche plugin new ID --jurisdiction XX [--dir DIR] [--lang rust|python|javascript]`.
pub fn new(id: &str, jurisdiction: &str, dir: Option<PathBuf>, lang: Lang) -> anyhow::Result<ExitCode> {
    if !is_plugin_id(id) {
        bail!("plugin id {id:?} must be 3-64 of a-z, 0-9 and -, starting with a letter (e.g. ch-export)");
    }
    if !is_jurisdiction(jurisdiction) {
        bail!("--jurisdiction {jurisdiction:?} must be an ISO 3166-1 alpha-2 code (CH), EU or INT");
    }
    let cwd = std::env::current_dir()?;
    if lang != Lang::Rust {
        return new_interpreted(lang, id, jurisdiction, dir, &cwd);
    }
    let dir = match dir {
        Some(dir) => dir,
        None => checkout_root(&cwd)?.join("plugins").join(id),
    };
    if dir.exists() {
        bail!("{} exists already: choose another id or --dir", dir.display());
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let root = checkout_root(parent)?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    let dir = std::fs::canonicalize(&dir)?;
    let sdk = relative(&dir, &root.join("crates/cartouche-rules-sdk"));
    // Under plugins/ the crate is a member of the Cartouche workspace (and gets bundled);
    // anywhere else it is its own workspace.
    let member = dir.parent() == Some(root.join("plugins").as_path());
    let package = format!("cartouche-plugin-{id}");
    let crate_name = package.replace('-', "_");
    let rule = rust_type_name(id);
    let mut cargo_toml = format!(
        r#"[package]
name = "{package}"
description = "Rule plugin {id} ({jurisdiction}) for Cartouche"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the wasm32 module that becomes the component; rlib: the native tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
cartouche-rules-sdk = {{ path = "{}" }}
"#,
        sdk.display()
    );
    if !member {
        cargo_toml.push_str("\n# Not a member of the Cartouche workspace.\n[workspace]\n");
    }
    let manifest = sample_manifest(id, jurisdiction);
    let cases = sample_cases(id, jurisdiction)?;
    let lib = format!(
        r#"//! {id}: the export rules of {jurisdiction}.
//!
//! Replace the sample rule below with your country's rules. Keep every threshold a named
//! constant with the article it comes from, and add a case for each threshold: exactly at
//! it, just under and just over.

use std::collections::BTreeMap;

use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::FindingExt;

/// The rule.
pub struct {rule};

/// Sample threshold: EUR 50,000 in cents.
pub const LICENCE_VALUE_CENTS: i64 = 50_000_00;
/// Sample threshold: more than 100 years old.
pub const LICENCE_AGE_YEARS: i32 = 100;

impl Rule for {rule} {{
    fn info() -> PluginInfo {{
        PluginInfo {{
            id: "{id}".into(),
            jurisdiction: "{jurisdiction}".into(),
            version: "0.1.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([("en".into(), "{jurisdiction} export rules".into())]),
        }}
    }}

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {{
        let mut findings = Vec::new();
        for (index, object) in subject.application.objects.iter().enumerate() {{
            if !age(object, context.date).certainly_over(LICENCE_AGE_YEARS) {{
                continue;
            }}
            match value_in(object, "EUR", reference) {{
                Ok(cents) if cents > LICENCE_VALUE_CENTS => findings.push(
                    finding(
                        "{prefix}.LICENCE_REQUIRED",
                        Severity::Info,
                        format!("object {{}}: over 100 years old and worth over EUR 50,000: this certificate is its export licence", index + 1),
                    )
                    .at(object_field(index, ""))
                    .translated("fr", format!("objet {{}} : plus de 100 ans et plus de 50 000 EUR : ce certificat vaut licence", index + 1)),
                ),
                Ok(_) => {{}}
                Err(error) => findings.push(
                    finding("{prefix}.VALUE_UNREADABLE", Severity::Error, format!("object {{}}: {{error}}", index + 1))
                        .at(object_field(index, "value/currency")),
                ),
            }}
        }}
        findings
    }}
}}

cartouche_rules_sdk::export_rule!({rule});
"#,
        prefix = jurisdiction,
    );
    let test = format!(
        r#"//! The plugin's cases, run natively with `cargo test` (the same cases run in the
//! production engine with `cartouche plugin test` and when the plugin is published).

#[test]
fn cases_pass() {{
    cartouche_rules_sdk::testing::assert_cases::<{crate_name}::{rule}>(include_str!("../cases.json"));
}}
"#
    );
    let readme = format!(
        "# {id}\n\nRule plugin for {jurisdiction}.\n\n## Legal source\n\nName the law and articles here.\n\n## Rules\n\n| code | severity | when |\n|---|---|---|\n| {jurisdiction}.LICENCE_REQUIRED | info | over 100 years old and worth over EUR 50,000 (sample) |\n| {jurisdiction}.VALUE_UNREADABLE | error | the value cannot be converted to EUR |\n\n## Test\n\n```sh\ncargo test --manifest-path {path}/Cargo.toml\ncartouche plugin build {path}\ncartouche plugin test target/plugins/{id}.wasm {path}/cases.json\n```\n",
        path = relative(&cwd, &dir).display()
    );
    let write = |name: &str, text: &str| -> anyhow::Result<()> {
        std::fs::write(dir.join(name), text).with_context(|| format!("cannot write {}", dir.join(name).display()))
    };
    write("Cargo.toml", &cargo_toml)?;
    write("manifest.json", &(serde_json::to_string_pretty(&manifest)? + "\n"))?;
    write("cases.json", &(serde_json::to_string_pretty(&cases)? + "\n"))?;
    write("src/lib.rs", &lib)?;
    write("tests/cases.rs", &test)?;
    write("README.md", &readme)?;
    if !member {
        // Outside the workspace: start from the same dependency versions as Cartouche.
        if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
            std::fs::write(dir.join("Cargo.lock"), lock)?;
        }
    }
    let shown = relative(&cwd, &dir);
    // Where `plugin build` writes the component: the workspace's target directory for a
    // member, the crate's own otherwise.
    let component =
        if member { root.join("target") } else { dir.join("target") }.join("plugins").join(format!("{id}.wasm"));
    println!("Created {} ({package}).", shown.display());
    println!("Next:");
    println!("  cargo test --manifest-path {}/Cargo.toml   # your cases, natively", shown.display());
    println!("  cartouche plugin build {}                  # the component", shown.display());
    println!(
        "  cartouche plugin test {} {}/cases.json --manifest {}/manifest.json",
        relative(&cwd, &component).display(),
        shown.display(),
        shown.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `cartouche plugin build DIR [--out FILE]`: cargo build for wasm32-unknown-unknown with
/// the plugin profile (opt-level 3, LTO, panic=abort, 64 KiB stack), then wit-component.
pub fn build(dir: &Path, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest: PluginManifest = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json"))
            .with_context(|| format!("cannot read {}", dir.join("manifest.json").display()))?,
    )
    .with_context(|| format!("{} is not a plugin manifest", dir.join("manifest.json").display()))?;
    let lang = scaffold::detect(dir)?;
    if lang != Lang::Rust {
        let out = out.unwrap_or_else(|| dir.join(format!("{}.wasm", manifest.id)));
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match lang {
            Lang::Python => scaffold::build_python(dir, &out)?,
            _ => scaffold::build_javascript(dir, &out)?,
        }
        let component = std::fs::read(&out).with_context(|| format!("cannot read {}", out.display()))?;
        let sha = cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(&component));
        println!("{}", out.display());
        eprintln!("{} bytes, sha256 {sha}", component.len());
        return Ok(ExitCode::SUCCESS);
    }
    let metadata = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(&manifest_path)
        .output()
        .context("cannot run cargo (is the Rust toolchain installed?)")?;
    if !metadata.status.success() {
        bail!("cargo metadata failed for {}:\n{}", manifest_path.display(), String::from_utf8_lossy(&metadata.stderr));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout)?;
    let target_dir = PathBuf::from(metadata["target_directory"].as_str().unwrap_or("target"));
    let wasm_target_dir = target_dir.join("plugins-wasm");
    let manifest_canonical = std::fs::canonicalize(&manifest_path)?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| {
            packages.iter().find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest_canonical.as_path()))
        })
        .and_then(|p| p["name"].as_str())
        .ok_or_else(|| anyhow!("{} has no package", manifest_path.display()))?
        .to_owned();
    eprintln!("Building {package} for {TARGET}…");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--lib", "--profile", "plugin", "--target", TARGET, "--manifest-path"])
        .arg(&manifest_path)
        .arg("--target-dir")
        .arg(&wasm_target_dir)
        // The `plugin` profile of the Cartouche workspace, also for crates outside it (the
        // same settings, so a shared target directory reuses what the bundled plugins built).
        .args(PLUGIN_PROFILE.iter().flat_map(|setting| ["--config", setting]))
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", "-C link-arg=-zstack-size=65536")
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the build failed (see above). If the {TARGET} target is missing, run `rustup target add {TARGET}`");
    }
    let module = wasm_target_dir.join(TARGET).join("plugin").join(format!("{}.wasm", package.replace('-', "_")));
    let bytes = std::fs::read(&module).with_context(|| format!("cannot read {}", module.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|error| anyhow!("{package} does not make a component: {error:#}"))?;
    let out = out.unwrap_or_else(|| target_dir.join("plugins").join(format!("{}.wasm", manifest.id)));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, &component).with_context(|| format!("cannot write {}", out.display()))?;
    let sha = cartouche_model::canonical::hex(&<sha2::Sha256 as sha2::Digest>::digest(&component));
    println!("{}", out.display());
    eprintln!("{} bytes, sha256 {sha}", component.len());
    Ok(ExitCode::SUCCESS)
}

fn percent(used: u64, limit: u64) -> String {
    let share = used as f64 * 100.0 / limit.max(1) as f64;
    let mark = if share > 50.0 { "  <- over half the budget" } else { "" };
    format!("{share:5.1} %{mark}")
}

/// `cartouche plugin test PLUGIN.wasm CASES.json [--manifest FILE] [--json]`: runs every
/// case twice through the production engine and reports fuel, memory and output size
/// against the limits. Exit status 0 when all pass, 1 otherwise, and 3 when the machine
/// was too busy to judge (a case hit the wall-clock deadline even on its retry: fuel, not
/// the clock, decides whether a plugin is correct, so run the test again).
pub fn test(component: &Path, cases: &Path, manifest: Option<&Path>, as_json: bool) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    let cases_text = std::fs::read_to_string(cases).with_context(|| format!("cannot read {}", cases.display()))?;
    let host = cartouche_rules::Host::new(host_limits()?).map_err(|e| anyhow!("plugin host: {e}"))?;
    let rules = cartouche_rules::Rules::new(host);
    // The limits the manifest asks for: --manifest's, or the manifest.json beside the cases.
    let beside = cases.parent().map(|dir| dir.join("manifest.json")).filter(|path| path.is_file());
    let declared = match manifest.map(Path::to_path_buf).or(beside) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_str::<PluginManifest>(&text)
                    .with_context(|| format!("{} is not a plugin manifest", path.display()))?,
            )
        }
        None => None,
    };
    let requested = declared.as_ref().map(|m| m.limits).unwrap_or_default();
    if let Some(manifest) = manifest {
        let manifest_bytes = std::fs::read(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
        // The publication checks, exactly as the server runs them.
        match rules.check(&manifest_bytes, &bytes, cases_text.as_bytes()) {
            Ok(_) | Err(cartouche_rules::PublishError::CasesFailed { .. }) => {}
            Err(error @ cartouche_rules::PublishError::Busy(_)) => return Ok(busy(&error.to_string())),
            Err(error) => bail!("{error}"),
        }
    }
    let started = std::time::Instant::now();
    let compiled =
        rules.host().compile_with(&bytes, &requested).map_err(|error| anyhow!("{}: {error}", component.display()))?;
    let compile_time = started.elapsed();
    let described = match rules.describe(&compiled) {
        Ok(described) => described,
        Err(error @ cartouche_rules::PublishError::Busy(_)) => return Ok(busy(&error.to_string())),
        Err(error) => bail!("describe() failed: {error}"),
    };
    let file: CaseFile =
        serde_json::from_str(&cases_text).with_context(|| format!("{} is not a case file", cases.display()))?;
    if file.plugin != described.id {
        bail!("{} is for plugin {:?}; the component is {:?}", cases.display(), file.plugin, described.id);
    }
    let mut report = rules.run_cases(&compiled, &file);
    // A case dated before the manifest's valid_from tests a day the registry never runs
    // this version on: it fails here as it would at publication.
    if let Some(declared) = &declared {
        for (result, case) in report.cases.iter_mut().zip(&file.cases) {
            if case.date < declared.valid_from {
                result.passed = false;
                result.error = Some(format!(
                    "evaluated on {}, before the plugin's valid_from {}: the registry never runs this version on that date; date the case on or after {}",
                    case.date, declared.valid_from, declared.valid_from
                ));
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let limits = compiled.limits();
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{} {} ({}), {} bytes{}, compiled in {} ms: {} cases, each run twice in a fresh instance",
            described.id,
            described.version,
            described.jurisdiction,
            bytes.len(),
            if compiled.uses_wasi() { ", WASI (deterministic)" } else { "" },
            compile_time.as_millis(),
            report.cases.len()
        )?;
        writeln!(
            out,
            "limits: {} MiB of memory, {} fuel (+{} per input byte), {} ms{}",
            limits.memory_bytes >> 20,
            limits.fuel,
            limits.fuel_per_input_byte,
            limits.deadline.as_millis(),
            if requested.is_empty() { " (the defaults)" } else { " (as the manifest asks)" }
        )?;
        for case in &report.cases {
            let (_, output_limit) = rules.host().output_limits_for(case.input_bytes);
            writeln!(out, "{} {}", if case.passed { "PASS" } else { "FAIL" }, case.name)?;
            writeln!(
                out,
                "     fuel {:>10} of {} ({}) · memory {:>9} of {} bytes ({}) · output {:>6} of {} bytes ({}) · {}",
                case.fuel,
                case.fuel_budget,
                percent(case.fuel, case.fuel_budget).trim(),
                case.peak_memory,
                limits.memory_bytes,
                percent(case.peak_memory as u64, limits.memory_bytes as u64).trim(),
                case.output_bytes,
                output_limit,
                percent(case.output_bytes as u64, output_limit as u64).trim(),
                match (case.deterministic, case.error.is_some()) {
                    (true, false) => "same findings and fuel twice",
                    (true, true) => "failed the same way twice",
                    (false, _) => "NOT DETERMINISTIC",
                }
            )?;
            if !case.passed {
                writeln!(out, "     expected: {}", serde_json::to_string(&case.expected)?)?;
                if let Some(found) = &case.found {
                    writeln!(out, "     found:    {}", serde_json::to_string(found)?)?;
                }
                if let Some(error) = &case.error {
                    writeln!(out, "     error:    {error}")?;
                }
            }
            if !case.printed.is_empty() {
                writeln!(out, "     printed:")?;
                for line in case.printed.lines().take(40) {
                    writeln!(out, "       | {line}")?;
                }
            }
        }
        writeln!(out, "{} passed, {} failed", report.cases.len() - report.failed(), report.failed())?;
    }
    if let Some(case) = report.timed_out().first() {
        return Ok(busy(&format!(
            "case {case:?} did not finish within the deadline, even on a second attempt of {} ms: the machine is too busy to judge the plugin, which says nothing about the plugin; run the test again",
            rules.host().limits().retry_deadline.as_millis()
        )));
    }
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The machine was too busy to judge: says so, exit status 3 (not the plugin's failure).
fn busy(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(3)
}

/// `cartouche plugin publish DIR --component FILE`: sends the manifest, the component and
/// the cases to `POST /api/v1/plugins` (plugin publisher of the jurisdiction, or admin for
/// EU and INT).
pub fn publish(client: &ClientArgs, dir: &Path, component: &Path) -> anyhow::Result<ExitCode> {
    let read = |path: PathBuf| std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()));
    let parts = [
        ("manifest", read(dir.join("manifest.json"))?, "application/json"),
        ("component", read(component.to_path_buf())?, "application/wasm"),
        ("cases", read(dir.join("cases.json"))?, "application/json"),
    ];
    let value = crate::client::post_multipart(client, "/api/v1/plugins", &parts)?;
    let plugin = &value["plugin"];
    println!(
        "Published {} {} ({}), sha256 {}: active from {}",
        plugin["id"].as_str().unwrap_or("?"),
        plugin["version"].as_str().unwrap_or("?"),
        plugin["jurisdiction"].as_str().unwrap_or("?"),
        plugin["sha256"].as_str().unwrap_or("?"),
        plugin["active_from"].as_str().unwrap_or("?"),
    );
    Ok(ExitCode::SUCCESS)
}

/// `cartouche plugin list`.
pub fn list(client: &ClientArgs) -> anyhow::Result<ExitCode> {
    let value = crate::client::get_json(client, "/api/v1/plugins")?;
    let mut out = std::io::stdout().lock();
    for item in value["items"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "{:<16} {:<8} {:<4} {:<10} {:<32} {} → {} {}",
            item["id"].as_str().unwrap_or(""),
            item["version"].as_str().unwrap_or(""),
            item["jurisdiction"].as_str().unwrap_or(""),
            item["status"].as_str().unwrap_or(""),
            item["phases"]
                .as_array()
                .map(|p| p.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(","))
                .unwrap_or_default(),
            item["active_from"].as_str().unwrap_or(""),
            item["active_until"].as_str().unwrap_or("…"),
            &item["sha256"].as_str().unwrap_or("")[..12.min(item["sha256"].as_str().unwrap_or("").len())],
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
