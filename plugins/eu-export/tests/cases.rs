//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish).

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<cartouche_plugin_eu_export::EuExport>(include_str!("../cases.json"));
}
