//! What the issuance log reads from outside: tile paths, entry bundles, tlog-proofs,
//! witness add-checkpoint requests, signed checkpoint notes. Invariants: never a panic
//! (the tlog_tiles and signed_note crates panic on some hostile input: the log crate must
//! catch it); every format that parses writes out to the same bytes.
#![no_main]

use std::sync::OnceLock;

use cartouche_log::note::{LogSigner, LogVerifier, open_checkpoint};
use cartouche_log::proof::TlogProof;
use cartouche_log::tiles::{TilePath, bundle, unbundle};
use cartouche_log::witness::{AddCheckpoint, decide};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static LogVerifier {
    static VERIFIER: OnceLock<LogVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| LogSigner::new("cartouche.example/log", &[3; 32]).expect("signer").verifier())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(path) = TilePath::parse(text)
    {
        assert_eq!(path.to_path(), format!("tile/{text}"), "a tile path writes out differently");
    }
    if let Ok(entries) = unbundle(data) {
        assert_eq!(bundle(&entries).expect("a bundle of read entries"), data, "an entry bundle writes out differently");
    }
    if let Ok(proof) = TlogProof::parse(data) {
        assert_eq!(proof.to_text(), data, "a tlog-proof writes out differently");
    }
    if let Ok(request) = AddCheckpoint::parse(data) {
        assert_eq!(request.to_bytes(), data, "an add-checkpoint request writes out differently");
        let _ = decide(&request, verifier(), None);
    }
    let _ = open_checkpoint(data, verifier(), &[]);
});
