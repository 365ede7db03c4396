//! Runs a plugin's case file natively, with `cargo test`: the same cases that
//! `cartouche plugin test` runs through the production engine and that the server runs
//! before it activates the plugin.
//!
//! ```text
//! #[test]
//! fn cases_pass() {
//!     cartouche_rules_sdk::testing::assert_cases::<MyRule>(include_str!("../cases.json"));
//! }
//! ```

use cartouche_model::plugin::{CaseFile, ExpectedFinding, comparable};

use crate::{Context, Rule};

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// What it expected (sorted).
    pub expected: Vec<ExpectedFinding>,
    /// What the rule found (sorted), or why the case could not run.
    pub found: Result<Vec<ExpectedFinding>, String>,
}

impl CaseReport {
    /// Whether the rule found exactly what was expected.
    pub fn passed(&self) -> bool {
        self.found.as_ref().is_ok_and(|found| *found == self.expected)
    }
}

/// Runs every case of `cases_json` through `R` natively.
pub fn run_cases<R: Rule>(cases_json: &str) -> Result<Vec<CaseReport>, String> {
    let file: CaseFile =
        serde_json::from_str(cases_json).map_err(|error| format!("the case file does not parse: {error}"))?;
    let info = R::info();
    if file.plugin != info.id {
        return Err(format!("the case file is for {:?}, the rule is {:?}", file.plugin, info.id));
    }
    Ok(file
        .cases
        .iter()
        .map(|case| {
            let found = case.subject(&file).map_err(|error| error.to_string()).map(|subject| {
                let context = Context {
                    phase: case.phase,
                    date: case.date,
                    checkpoint_country: case.checkpoint_country.clone(),
                    parameters: case.parameters.clone(),
                };
                comparable(R::evaluate(&subject, &context, &file.reference).into_iter().map(|f| ExpectedFinding {
                    code: f.code,
                    severity: f.severity,
                    field: f.field,
                }))
            });
            CaseReport { name: case.name.clone(), expected: comparable(case.expect.iter().cloned()), found }
        })
        .collect())
}

/// Runs the cases and panics with every failing case (expected and found) if any fails.
pub fn assert_cases<R: Rule>(cases_json: &str) {
    let reports = run_cases::<R>(cases_json).unwrap_or_else(|error| panic!("{error}"));
    let failures: Vec<String> = reports
        .iter()
        .filter(|report| !report.passed())
        .map(|report| {
            format!("case {:?}\n  expected: {:?}\n  found:    {:?}", report.name, report.expected, report.found)
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), reports.len(), failures.join("\n"));
}
