//! Seals: per-country signing keys, the trust list, signing a certificate's claim set into
//! a compact JWS, and verifying one offline against a key ring.
//!
//! This crate knows nothing of HTTP or storage: keys come in as bytes and go out as
//! bytes. Call [`install_crypto_provider`] once at start-up before signing or verifying.

pub mod claims;
pub mod federation;
pub mod kek;
pub mod keys;
pub mod qr;
pub mod recognise;
pub mod scan;
pub mod verify;

pub use claims::{SealClaims, SealObject};
pub use kek::{Kek, KekError};
pub use keys::{
    ExternalSignError, ExternalSigner, HsmLocation, KEY_CEREMONY_FORMAT, KeyCeremony, KeyError, KeyPair, PublicJwk,
    Signer, TrustList, TrustedKey, TrustedLog, kid_for, random_bytes, verify_raw,
};
pub use qr::qr_text;
pub use recognise::{NotASeal, recognise};
pub use verify::{
    KeyRing, LEEWAY_SECONDS, MAX_INFLATED_BYTES, MAX_TOKEN_BYTES, SealReport, SignError, sign, token_from_qr_text,
    verify_seal,
};

/// Whether `c` must not reach a terminal or a page raw: C0 controls (newlines included),
/// DEL, C1 controls, and the bidirectional overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069) and marks (U+200E, U+200F, U+061C) that reorder what follows them.
pub fn is_unsafe_to_print(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `text` with every character of [`is_unsafe_to_print`] written as `\u{1b}`: safe to
/// print on a terminal, in a log line or in a check detail. Borrowed when nothing needed
/// escaping.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_to_print) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_to_print(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text` in double quotes, for a value that comes from unverified input (a seal's header):
/// quotes and backslashes are escaped too, so the value cannot pass for the text around it.
pub fn quoted(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}\"", printable(&escaped))
}

/// Installs jsonwebtoken's pure-Rust crypto provider for the process. Idempotent.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed, which is what we want.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}
