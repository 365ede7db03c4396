//! The plugin's case file, run natively (the same cases run through the production engine
//! in cartouche-rules' tests and at publish); then the same cases with no watch list loaded
//! and at the phase the plugin does not declare, where it must find nothing.

use cartouche_plugin_watch_list::WatchListRule;

const CASES: &str = include_str!("../cases.json");

/// The case file with every expectation emptied, after `change` is applied to it.
fn expecting_nothing(change: impl Fn(&mut serde_json::Value)) -> String {
    let mut file: serde_json::Value = serde_json::from_str(CASES).expect("cases.json parses");
    change(&mut file);
    for case in file["cases"].as_array_mut().expect("cases is an array") {
        case["expect"] = serde_json::json!([]);
    }
    file.to_string()
}

#[test]
fn cases_pass() {
    cartouche_rules_sdk::testing::assert_cases::<WatchListRule>(CASES);
}

#[test]
fn no_list_loaded_means_no_finding() {
    // The case file's reference data is shared by all cases, so the "no lists" case is every
    // case run again without the lists: the operator has loaded none.
    let file = expecting_nothing(|file| {
        file["reference"].as_object_mut().expect("reference is an object").remove("watch_lists");
    });
    cartouche_rules_sdk::testing::assert_cases::<WatchListRule>(&file);
}

#[test]
fn nothing_is_found_at_import_check() {
    let file = expecting_nothing(|file| {
        for case in file["cases"].as_array_mut().expect("cases is an array") {
            case["phase"] = "import_check".into();
        }
    });
    cartouche_rules_sdk::testing::assert_cases::<WatchListRule>(&file);
}
