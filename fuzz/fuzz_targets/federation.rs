//! What registries and offline verifiers read from peers: signed documents (bundles,
//! status lists, forwarded events, certificate requests), status lists, seals routed by
//! their claimed country. Invariants: never a panic; no document verifies under a key
//! that did not sign it; a payload signed by the key reads back as signed; a bundle that
//! opens speaks only for its countries; a decoded status list re-encodes to the same
//! entries; inflation is capped.
#![no_main]

use cartouche_seal::federation::{
    BUNDLE_TYP, EVENT_TYP, EncodedStatusList, STATUS_LIST_TYP, StatusList, claimed_country, document_kid,
    open_status_list, read_bundle, sign_document, verify_document,
};
use libfuzzer_sys::fuzz_target;

fn key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[11; 32])
}

fuzz_target!(|data: &[u8]| {
    use ed25519_dalek::Signer as _;
    let signing = key();
    let public = signing.verifying_key().to_bytes();
    let other = ed25519_dalek::SigningKey::from_bytes(&[12; 32]).verifying_key().to_bytes();
    let sign = |message: &[u8]| Ok(signing.sign(message).to_bytes());

    // Raw text as a peer sends it.
    if let Ok(text) = std::str::from_utf8(data) {
        for typ in [BUNDLE_TYP, STATUS_LIST_TYP, EVENT_TYP] {
            if let Ok(payload) = verify_document(text, typ, &public) {
                // Only a document this key signed verifies: re-signing gives the same token.
                let again = sign_document(typ, &public, &payload, &sign).unwrap();
                assert_eq!(again, text.trim(), "a document verified that this key did not sign");
            }
        }
        let _ = read_bundle(text, &public);
        let _ = claimed_country(text);
        let _ = document_kid(text);
    }

    // The bytes as a payload signed by the key: it reads back, never under another key.
    let bundle = sign_document(BUNDLE_TYP, &public, data, &sign).unwrap();
    assert_eq!(verify_document(&bundle, BUNDLE_TYP, &public).unwrap(), data);
    assert!(verify_document(&bundle, BUNDLE_TYP, &other).is_err());
    if let Ok(opened) = read_bundle(&bundle, &public) {
        let countries = &opened.bundle.countries;
        assert!(opened.bundle.trust_list.keys.iter().all(|key| countries.contains(&key.country)));
    }
    let list_token = sign_document(STATUS_LIST_TYP, &public, data, &sign).unwrap();
    if let Ok((_, list)) = open_status_list(&list_token, &public) {
        let again = StatusList::decode(&list.encode()).unwrap();
        assert_eq!(again, list);
    }

    // A status list member built from the bytes: bits, then the list as given.
    if let Some((&bits, rest)) = data.split_first() {
        use base64::Engine as _;
        let zlib = miniz_oxide::deflate::compress_to_vec_zlib(rest, 1);
        for lst in [
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rest),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(zlib),
        ] {
            if let Ok(list) = StatusList::decode(&EncodedStatusList { bits, lst }) {
                for idx in [0, 1, list.len().saturating_sub(1), list.len(), u64::MAX] {
                    let _ = list.get(idx);
                }
            }
        }
    }
});
