//! An application as a ministry sends it: JSON, the schema, the cross-field rules.
//! Invariants: never a panic; an accepted application, written out again, is accepted
//! again and is the same application.
#![no_main]

use cartouche_model::validate::validate_application;
use libfuzzer_sys::fuzz_target;
use time::macros::date;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let today = date!(2026 - 11 - 26);
    if let Ok(application) = validate_application(&value, today) {
        let written = serde_json::to_value(&application).expect("an application serializes");
        let again = validate_application(&written, today).expect("a written-out application is accepted again");
        assert_eq!(again, application, "the application changed on the way out and back");
    }
});
