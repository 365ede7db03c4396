//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish), and once more at the phases the plugin does
//! not declare, where it must find nothing.

use cartouche_plugin_eu_import::EuImport;

const CASES: &str = include_str!("../cases.json");

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<EuImport>(CASES);
}

/// The day Parts B and C of Reg. 2019/880 start to apply (2025-06-28), on either side. The
/// registry runs this version only from its `valid_from` (2026-01-01), so a publication's
/// case file may not hold these dates (`plugin test` refuses them); the rule is tested
/// here, natively, with the case file's bases and reference data.
#[test]
fn parts_b_and_c_apply_from_2025_06_28() {
    let mut file: serde_json::Value = serde_json::from_str(CASES).expect("cases.json parses");
    let early = |date: &str, name: &str, expect: serde_json::Value| {
        serde_json::json!({
            "name": name,
            "base": "brooch",
            "phase": "import_check",
            "date": date,
            "issue_date": "2025-06-20",
            "expect": expect,
            "patch": [
                { "op": "replace", "path": "/declaration/date", "value": "2025-06-16" },
                { "op": "replace", "path": "/valid_until", "value": "2026-06-15" }
            ]
        })
    };
    file["cases"] = serde_json::json!([
        early(
            "2025-06-27",
            "evaluated on 2025-06-27, the day before Parts B and C apply: no finding",
            serde_json::json!([])
        ),
        early(
            "2025-06-28",
            "evaluated on 2025-06-28, the first day Parts B and C apply: error",
            serde_json::json!([{ "code": "EU.IMPORT_LICENCE_MISSING", "severity": "error", "field": "/objects/0/documents" }])
        ),
    ]);
    cartouche_rules_sdk::testing::assert_cases::<EuImport>(&file.to_string());
}

#[test]
fn nothing_is_found_outside_import_check() {
    for phase in ["issuance", "exit_check"] {
        let mut file: serde_json::Value = serde_json::from_str(CASES).expect("cases.json parses");
        for case in file["cases"].as_array_mut().expect("cases is an array") {
            case["phase"] = phase.into();
            case["expect"] = serde_json::json!([]);
        }
        cartouche_rules_sdk::testing::assert_cases::<EuImport>(&file.to_string());
    }
}
