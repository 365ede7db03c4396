//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish), and once more at the other phases: at import
//! check the plugin finds nothing; at exit check it checks only the Ivory Act, so a case
//! with no Ivory Act finding at issuance has none there either.

use cartouche_plugin_gb_export::UkExport;

const CASES: &str = include_str!("../cases.json");

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<UkExport>(CASES);
}

#[test]
fn only_the_ivory_act_is_checked_outside_issuance() {
    for phase in ["exit_check", "import_check"] {
        let mut file: serde_json::Value = serde_json::from_str(CASES).expect("cases.json parses");
        let cases = file["cases"].as_array_mut().expect("cases is an array");
        cases.retain(|case| {
            let ivory = case["expect"]
                .as_array()
                .expect("expect is an array")
                .iter()
                .any(|expected| expected["code"].as_str().is_some_and(|code| code.starts_with("GB.IVORY_")));
            case["phase"] == "issuance" && !ivory
        });
        for case in cases.iter_mut() {
            case["phase"] = phase.into();
            case["expect"] = serde_json::json!([]);
        }
        cartouche_rules_sdk::testing::assert_cases::<UkExport>(&file.to_string());
    }
}
