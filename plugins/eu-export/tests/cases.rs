//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish).

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<cartouche_plugin_eu_export::EuExport>(include_str!("../cases.json"));
}

/// The customs-territory module is shared with eu-import by copy (plugins depend only on the
/// SDK): the two copies must stay identical.
#[test]
fn the_territory_module_is_the_same_in_eu_import() {
    assert_eq!(
        include_str!("../src/territory.rs"),
        include_str!("../../eu-import/src/territory.rs"),
        "plugins/eu-export/src/territory.rs and plugins/eu-import/src/territory.rs differ: copy one onto the other"
    );
}
