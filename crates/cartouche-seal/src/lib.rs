//! Seals: per-country signing keys, the trust list, signing a certificate's claim set into
//! a compact JWS, and verifying one offline against a key ring.
//!
//! This crate knows nothing of HTTP or storage: keys come in as bytes and go out as
//! bytes. Call [`install_crypto_provider`] once at start-up before signing or verifying.

pub mod claims;
pub mod keys;
pub mod verify;

pub use claims::{SealClaims, SealObject};
pub use keys::{KeyError, KeyPair, PublicJwk, Signer, TrustList, TrustedKey, kid_for, random_bytes};
pub use verify::{KeyRing, LEEWAY_SECONDS, MAX_TOKEN_BYTES, SealReport, sign, token_from_qr_text, verify_seal};

/// Installs jsonwebtoken's pure-Rust crypto provider for the process. Idempotent.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed, which is what we want.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

/// The text put in the QR code: `{public_url}/v/{token}`, so any phone camera opens the
/// verification page. Verifiers accept it and the bare token.
pub fn qr_text(public_url: &str, token: &str) -> String {
    format!("{}/v/{token}", public_url.trim_end_matches('/'))
}
