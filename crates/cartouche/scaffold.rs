//! `cartouche plugin new --lang python|javascript` and the build of such plugins: the
//! interpreters' toolchains (componentize-py from PyPI, componentize-js from npm, both
//! pinned) turn a Python or JavaScript module into a component against the WIT contract
//! this binary embeds. The component imports WASI, which the host satisfies with its
//! deterministic layer (a fixed clock, seeded random, no files, no network).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow, bail};

/// The WIT contract of this version of Cartouche, for the toolchains.
pub const RULES_WIT: &str = include_str!("../cartouche-rules/wit/rules.wit");

/// The componentize-py release `scripts/plugin-toolchains` installs and the scaffold names.
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// The componentize-js release a JavaScript plugin's package.json pins.
pub const COMPONENTIZE_JS: &str = "0.23.0";
/// componentize-js 0.23 imports @bytecodealliance/preview2-shim without declaring it (a
/// development dependency of its own): `npm ci` leaves it out unless the plugin pins it.
pub const PREVIEW2_SHIM: &str = "0.25.0";

/// The languages of `plugin new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, built for wasm32-unknown-unknown with the rules SDK (imports nothing).
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// JavaScript, built with componentize-js.
    Javascript,
}

/// The language of the plugin in `dir`, from its files.
pub fn detect(dir: &Path) -> anyhow::Result<Lang> {
    if dir.join("Cargo.toml").is_file() {
        Ok(Lang::Rust)
    } else if dir.join("app.py").is_file() {
        Ok(Lang::Python)
    } else if dir.join("plugin.js").is_file() {
        Ok(Lang::Javascript)
    } else {
        bail!(
            "{} holds no plugin: expected Cargo.toml (Rust), app.py (Python) or plugin.js (JavaScript); start one with `cartouche plugin new ID --jurisdiction XX --lang python`",
            dir.display()
        )
    }
}

/// The WIT contract written into a fresh temporary directory (the toolchains read files).
fn wit_dir() -> anyhow::Result<tempfile::TempDir> {
    let dir =
        tempfile::Builder::new().prefix("cartouche-wit").tempdir().context("cannot make a temporary directory")?;
    std::fs::write(dir.path().join("rules.wit"), RULES_WIT)?;
    Ok(dir)
}

/// componentize-py: `$CARTOUCHE_COMPONENTIZE_PY`, the checkout's `target/toolchains`
/// (scripts/plugin-toolchains), or the PATH.
fn componentize_py(dir: &Path) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CARTOUCHE_COMPONENTIZE_PY") {
        return Ok(PathBuf::from(path));
    }
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in canonical.ancestors() {
        let candidate = ancestor.join("target/toolchains/python/bin/componentize-py");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let on_path = Command::new("componentize-py").arg("--version").output();
    match on_path {
        Ok(output) if output.status.success() => Ok(PathBuf::from("componentize-py")),
        _ => bail!(
            "componentize-py is not installed: run scripts/plugin-toolchains in a Cartouche checkout, or `pip install componentize-py=={COMPONENTIZE_PY}` (or set CARTOUCHE_COMPONENTIZE_PY)"
        ),
    }
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command.status().with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed (see above)");
    }
    Ok(())
}

/// Writes the typed Python bindings of the WIT contract into `dir/bindings`, for editors
/// and type checkers (the build generates its own). Quietly does nothing without
/// componentize-py.
fn python_bindings(dir: &Path) -> anyhow::Result<()> {
    let tool = componentize_py(dir)?;
    let wit = wit_dir()?;
    let output = Command::new(tool)
        .arg("-d")
        .arg(wit.path())
        .args(["-w", "plugin", "bindings"])
        .arg(dir.join("bindings"))
        .output()
        .context("cannot run componentize-py")?;
    if !output.status.success() {
        bail!("componentize-py bindings failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// Builds a Python plugin (`app.py`, class `Rule`) into `out`.
pub fn build_python(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let tool = componentize_py(dir)?;
    let wit = wit_dir()?;
    eprintln!("Building {} with componentize-py…", dir.join("app.py").display());
    run(
        Command::new(&tool)
            .arg("-d")
            .arg(wit.path())
            .args(["-w", "plugin", "componentize", "app", "-o"])
            .arg(std::path::absolute(out)?)
            .current_dir(dir),
        "componentize-py",
    )
}

/// Builds a JavaScript plugin (`plugin.js`, exporting `rule`) into `out`, installing the
/// plugin's pinned componentize-js first (`npm ci`, or `npm install` without a lock file).
pub fn build_javascript(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let tool = dir.join("node_modules/.bin/componentize-js");
    if !tool.exists() {
        if !dir.join("package.json").is_file() {
            bail!("{} has no package.json pinning @bytecodealliance/componentize-js", dir.display());
        }
        let verb = if dir.join("package-lock.json").is_file() { "ci" } else { "install" };
        eprintln!("Installing componentize-js (npm {verb})…");
        run(
            Command::new("npm").args([verb, "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir),
            "npm (is Node.js installed?)",
        )?;
    }
    let wit = wit_dir()?;
    eprintln!("Building {} with componentize-js…", dir.join("plugin.js").display());
    run(
        Command::new(std::path::absolute(&tool)?)
            .arg("plugin.js")
            .arg("--wit")
            .arg(wit.path().join("rules.wit"))
            // No fetch: it would import wasi:http, which the host refuses (no network).
            .args(["--world-name", "plugin", "--disable", "http", "fetch-event", "--out"])
            .arg(std::path::absolute(out)?)
            .current_dir(dir),
        "componentize-js",
    )
}

/// The manifest's limits for an interpreter: about 13 MiB of the memory is the
/// interpreter's own snapshot before the plugin's code runs; a call starts at about 1 M
/// instructions, and parsing the certificate costs about 300 a byte of JSON.
fn interpreted_limits() -> serde_json::Value {
    serde_json::json!({ "memory_mib": 64, "fuel": 20_000_000, "fuel_per_input_byte": 1000, "deadline_ms": 1000 })
}

/// Writes a Python or JavaScript plugin's files into `dir` (which does not exist yet).
pub fn new_interpreted(
    lang: Lang,
    id: &str,
    jurisdiction: &str,
    dir: &Path,
    cases: &serde_json::Value,
    mut manifest: serde_json::Value,
) -> anyhow::Result<Vec<&'static str>> {
    manifest["limits"] = interpreted_limits();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let write = |name: &str, text: &str| -> anyhow::Result<()> {
        std::fs::write(dir.join(name), text).with_context(|| format!("cannot write {}", dir.join(name).display()))
    };
    write("manifest.json", &(serde_json::to_string_pretty(&manifest)? + "\n"))?;
    write("cases.json", &(serde_json::to_string_pretty(cases)? + "\n"))?;
    match lang {
        Lang::Python => {
            write("app.py", &python_source(id, jurisdiction))?;
            write(".gitignore", "__pycache__/\n*.wasm\nbindings/\n")?;
            write("README.md", &readme(id, jurisdiction, "Python", "app.py", "componentize-py"))?;
            let mut files = vec!["app.py", "manifest.json", "cases.json", "README.md"];
            if python_bindings(dir).is_ok() {
                files.push("bindings/ (typed, for your editor)");
            }
            Ok(files)
        }
        Lang::Javascript => {
            write("plugin.js", &javascript_source(id, jurisdiction))?;
            let package = serde_json::json!({
                "name": format!("cartouche-plugin-{id}"),
                "private": true,
                "type": "module",
                "description": format!("Rule plugin {id} ({jurisdiction}) for Cartouche"),
                "devDependencies": {
                    "@bytecodealliance/componentize-js": COMPONENTIZE_JS,
                    "@bytecodealliance/preview2-shim": PREVIEW2_SHIM
                }
            });
            write("package.json", &(serde_json::to_string_pretty(&package)? + "\n"))?;
            write(".gitignore", "node_modules/\n*.wasm\n")?;
            write("README.md", &readme(id, jurisdiction, "JavaScript", "plugin.js", "componentize-js"))?;
            Ok(vec!["plugin.js", "package.json", "manifest.json", "cases.json", "README.md"])
        }
        Lang::Rust => unreachable!("Rust plugins are scaffolded as crates"),
    }
}

fn readme(id: &str, jurisdiction: &str, language: &str, file: &str, tool: &str) -> String {
    format!(
        r#"# {id}

Rule plugin for {jurisdiction}, in {language} (`{file}`), built into a WebAssembly component
by {tool} against Cartouche's WIT contract (`cartouche:rules@1.0.0`).

## Legal source

Name the law and articles here.

## Rules

| code | severity | when |
|---|---|---|
| {jurisdiction}.LICENCE_REQUIRED | info | over 100 years old and worth over EUR 50,000 (sample) |
| {jurisdiction}.VALUE_UNREADABLE | error | the value cannot be converted to EUR |

## Build, test, publish

```sh
cartouche plugin build {id}                 # writes {id}.wasm here (or --out FILE)
cartouche plugin test {id}/{id}.wasm {id}/cases.json
cartouche plugin publish {id} --component {id}/{id}.wasm --server URL --token TOKEN
```

The plugin runs in the same sandbox as compiled ones: no clock but the evaluation date
(the clock reads midnight UTC of it), random numbers seeded from the input, no files, no
network; what it prints is kept for `plugin test` (at most 16 KiB). An interpreter needs
more memory and instructions than compiled Rust: `manifest.json` asks for them under
`limits` (each at most the registry's ceiling).
"#
    )
}

fn python_source(id: &str, jurisdiction: &str) -> String {
    format!(
        r#""""{id}: the export rules of {jurisdiction}.

Replace the sample rule below with your country's rules. Keep every threshold a named
constant with the article it comes from, and add a case to cases.json for each threshold:
exactly at it, just under and just over.

The types (Finding, Context, PluginInfo...) are generated from Cartouche's WIT contract
by componentize-py; `plugin new` wrote them to bindings/ for your editor (point its
Python path there).
"""

import json
from decimal import Decimal, ROUND_HALF_EVEN

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import reference_data, types

# Sample threshold: EUR 50,000 (in cents).
LICENCE_VALUE_CENTS = 50_000_00
# Sample threshold: more than 100 years old.
LICENCE_AGE_YEARS = 100


def finding(code, severity, message, field=None, translations=()):
    return types.Finding(
        code=code,
        severity=severity,
        message=message,
        field=field,
        translations=[types.Localized(lang=lang, text=text) for lang, text in translations],
    )


def certainly_older_than(item, years, today_year):
    """Whether the object is more than `years` old whatever its exact date (the latest
    year it may have been made counts)."""
    dating = item.get("dating") or {{}}
    latest = dating.get("latest_year")
    return latest is not None and today_year - latest > years


def value_in_eur_cents(item):
    """The object's value in euro cents, through the registry's rates table."""
    value = item["value"]
    cents = int((Decimal(value["amount"]) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if value["currency"] == "EUR":
        return cents
    return reference_data.convert(cents, value["currency"], "EUR")


class Rule(exports.Rule):
    def describe(self):
        return types.PluginInfo(
            id="{id}",
            jurisdiction="{jurisdiction}",
            version="0.1.0",
            phases=[types.Phase.ISSUANCE],
            descriptions=[types.Localized(lang="en", text="{jurisdiction} export rules")],
        )

    def evaluate(self, certificate, context):
        try:
            subject = json.loads(certificate)
        except ValueError as error:
            raise Err("the certificate is not JSON: " + str(error))
        today_year = int(context.evaluation_date[:4])
        findings = []
        for index, item in enumerate(subject["objects"]):
            if not certainly_older_than(item, LICENCE_AGE_YEARS, today_year):
                continue
            cents = value_in_eur_cents(item)
            if cents is None:
                findings.append(finding(
                    "{jurisdiction}.VALUE_UNREADABLE", types.Severity.ERROR,
                    f"object {{index + 1}}: the value cannot be converted to EUR",
                    f"/objects/{{index}}/value/currency"))
            elif cents > LICENCE_VALUE_CENTS:
                findings.append(finding(
                    "{jurisdiction}.LICENCE_REQUIRED", types.Severity.INFO,
                    f"object {{index + 1}}: over 100 years old and worth over EUR 50,000: this certificate is its export licence",
                    f"/objects/{{index}}",
                    [("fr", f"objet {{index + 1}} : plus de 100 ans et plus de 50 000 EUR : ce certificat vaut licence")]))
        return findings
"#
    )
}

fn javascript_source(id: &str, jurisdiction: &str) -> String {
    format!(
        r#"// {id}: the export rules of {jurisdiction}.
//
// Replace the sample rule below with your country's rules. Keep every threshold a named
// constant with the article it comes from, and add a case to cases.json for each
// threshold: exactly at it, just under and just over.
//
// The WIT contract (cartouche:rules@1.0.0) maps to JavaScript as componentize-js does it:
// records are objects with camelCase keys, enums are kebab-case strings ("issuance",
// "info"), an option is a value or undefined, and `evaluate` returns the list of findings
// or throws a string (the WIT error: the plugin cannot evaluate).

import {{ convert }} from 'cartouche:rules/reference-data@1.0.0';

/** Sample threshold: EUR 50,000 in cents. */
const LICENCE_VALUE_CENTS = 50_000_00n;
/** Sample threshold: more than 100 years old. */
const LICENCE_AGE_YEARS = 100;

/**
 * @typedef {{{{ code: string, severity: 'info'|'warning'|'error', message: string,
 *   field?: string, translations: {{{{ lang: string, text: string }}}}[] }}}} Finding
 */

/** @returns {{Finding}} */
function finding(code, severity, message, field, translations = []) {{
  return {{ code, severity, message, field, translations }};
}}

/** Whether the object is more than `years` old whatever its exact date. */
function certainlyOlderThan(item, years, todayYear) {{
  const latest = item.dating?.latest_year;
  return latest !== undefined && todayYear - latest > years;
}}

/** The value in euro cents (a BigInt), or undefined if it cannot be converted. */
function valueInEurCents(item) {{
  const [units, fraction = ''] = item.value.amount.split('.');
  const cents = BigInt(units) * 100n + BigInt((fraction + '00').slice(0, 2));
  if (item.value.currency === 'EUR') return cents;
  return convert(cents, item.value.currency, 'EUR');
}}

export const rule = {{
  describe() {{
    return {{
      id: '{id}',
      jurisdiction: '{jurisdiction}',
      version: '0.1.0',
      phases: ['issuance'],
      descriptions: [{{ lang: 'en', text: '{jurisdiction} export rules' }}],
    }};
  }},

  /** @returns {{Finding[]}} */
  evaluate(certificate, context) {{
    let subject;
    try {{
      subject = JSON.parse(certificate);
    }} catch (error) {{
      throw `the certificate is not JSON: ${{error}}`;
    }}
    const todayYear = Number(context.evaluationDate.slice(0, 4));
    const findings = [];
    subject.objects.forEach((item, index) => {{
      if (!certainlyOlderThan(item, LICENCE_AGE_YEARS, todayYear)) return;
      const cents = valueInEurCents(item);
      if (cents === undefined) {{
        findings.push(finding('{jurisdiction}.VALUE_UNREADABLE', 'error',
          `object ${{index + 1}}: the value cannot be converted to EUR`, `/objects/${{index}}/value/currency`));
      }} else if (cents > LICENCE_VALUE_CENTS) {{
        findings.push(finding('{jurisdiction}.LICENCE_REQUIRED', 'info',
          `object ${{index + 1}}: over 100 years old and worth over EUR 50,000: this certificate is its export licence`,
          `/objects/${{index}}`,
          [{{ lang: 'fr', text: `objet ${{index + 1}} : plus de 100 ans et plus de 50 000 EUR : ce certificat vaut licence` }}]));
      }}
    }});
    return findings;
  }},
}};
"#
    )
}

/// Adds `plugins/ID` to the checkout's workspace `exclude` list (a plugin directory without
/// Cargo.toml would break the `plugins/*` members glob).
pub fn exclude_from_workspace(root: &Path, id: &str) -> anyhow::Result<()> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let entry = format!("\"plugins/{id}\"");
    if text.contains(&entry) {
        return Ok(());
    }
    let Some(start) = text.find("\nexclude = [") else {
        return Err(anyhow!("{} has no workspace exclude list to add plugins/{id} to", path.display()));
    };
    let insert_at = start + "\nexclude = [".len();
    let updated = format!("{}{entry}, {}", &text[..insert_at], &text[insert_at..]);
    std::fs::write(&path, updated).with_context(|| format!("cannot write {}", path.display()))
}
