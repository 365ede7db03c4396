//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish), and once more at the phases the plugin does
//! not declare, where it must find nothing.

use cartouche_plugin_us_import::UnitedStatesImport;

const CASES: &str = include_str!("../cases.json");

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<UnitedStatesImport>(CASES);
}

#[test]
fn nothing_is_found_outside_import_check() {
    for phase in ["issuance", "exit_check"] {
        let mut file: serde_json::Value = serde_json::from_str(CASES).expect("cases.json parses");
        for case in file["cases"].as_array_mut().expect("cases is an array") {
            case["phase"] = phase.into();
            case["expect"] = serde_json::json!([]);
        }
        cartouche_rules_sdk::testing::assert_cases::<UnitedStatesImport>(&file.to_string());
    }
}
