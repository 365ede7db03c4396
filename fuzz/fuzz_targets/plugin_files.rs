//! What a plugin publisher uploads beside the component: the manifest and the case file
//! (a base application patched by each case, RFC 6902). Invariants: never a panic; a
//! manifest or case file that parses is the same after writing it out and reading it back.
#![no_main]

use cartouche_model::plugin::{CaseFile, PluginManifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = serde_json::from_slice::<PluginManifest>(data) {
        let written = serde_json::to_vec(&manifest).expect("a manifest serializes");
        let again: PluginManifest = serde_json::from_slice(&written).expect("a written-out manifest reads back");
        assert_eq!(serde_json::to_vec(&again).expect("serializes"), written);
    }
    if let Ok(file) = serde_json::from_slice::<CaseFile>(data) {
        for case in file.cases.iter().take(8) {
            let _ = case.subject(&file);
        }
        let written = serde_json::to_vec(&file).expect("a case file serializes");
        let again: CaseFile = serde_json::from_slice(&written).expect("a written-out case file reads back");
        assert_eq!(serde_json::to_vec(&again).expect("serializes"), written);
    }
});
