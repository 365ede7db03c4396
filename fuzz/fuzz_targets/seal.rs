//! A scanned seal, verified offline: QR text to token, header, kid, signature, inflation,
//! claims. Invariants: never a panic; verifying twice gives the same checks (the second
//! time the signature is remembered); a seal that verifies is exactly what signing its
//! claims with the same key gives again (one encoding per seal), and its QR text reads
//! back to the same token.
#![no_main]

use std::sync::OnceLock;

use cartouche_seal::{KeyRing, qr_text, sign, token_from_qr_text, verify_seal};
use libfuzzer_sys::fuzz_target;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        cartouche_seal::install_crypto_provider();
        cartouche_fuzz::ring()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let first = verify_seal(text, ring(), cartouche_fuzz::NOW);
    let again = verify_seal(text, ring(), cartouche_fuzz::NOW);
    assert_eq!(first.checks, again.checks, "a second verification differs");
    if let Some(claims) = &first.claims {
        let token = token_from_qr_text(text).into_owned();
        let pair = cartouche_fuzz::pairs()
            .into_iter()
            .find(|pair| first.key.as_ref().is_some_and(|key| key.kid == pair.kid()));
        let pair = pair.expect("a verified seal names one of the ring's keys");
        let signer = pair.signer().expect("signer");
        if pair.alg == cartouche_model::Algorithm::EdDSA {
            // Ed25519 signatures are deterministic: the same claims give the same seal.
            assert_eq!(sign(claims, &signer).expect("sign"), token, "a verified seal has another encoding");
        }
        let printed = qr_text(cartouche_fuzz::PUBLIC_URL, &token);
        assert_eq!(token_from_qr_text(&printed), token, "the QR text does not read back");
    }
});
