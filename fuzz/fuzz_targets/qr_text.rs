//! What a scanner reads: the numeric digits of a printed link (also through a foreign
//! keyboard layout), a bare token, a web address, anything. Invariants: never a panic; a
//! text that yields a JWS-shaped token with a JSON header (`eyJ…`, as every seal's is) is
//! recognised as a seal (it gets a verdict, never "not a certificate"; `www.a.b` has three
//! parts too, and is a web address); a token's QR text reads back to it.
#![no_main]

use cartouche_seal::{qr_text, recognise, token_from_qr_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let verdict = recognise(text);
    let token = token_from_qr_text(text);
    let parts: Vec<&str> = token.split('.').collect();
    // The token as typed (a short run of digits decodes to a token too, but is a product
    // code to recognition: a seal's digits are hundreds long).
    let jws = parts.len() == 3
        && token.as_ref() == text.trim()
        && token.starts_with("eyJ")
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if jws && token.len() <= 4096 {
        assert!(verdict.is_ok(), "a JWS-shaped token {token:?} is called not a seal: {verdict:?}");
        let printed = qr_text(cartouche_fuzz::PUBLIC_URL, &token);
        assert_eq!(token_from_qr_text(&printed), token.as_ref(), "the QR text of a token does not read back");
    }
});
