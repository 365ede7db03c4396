//! Seals: per-country signing keys, the trust list, signing a certificate's claim set into
//! a compact JWS, and verifying one offline against a key ring.
//!
//! This crate knows nothing of HTTP or storage: keys come in as bytes and go out as
//! bytes. Call [`install_crypto_provider`] once at start-up before signing or verifying.

pub mod claims;
pub mod keys;
pub mod qr;
pub mod scan;
pub mod verify;

pub use claims::{SealClaims, SealObject};
pub use keys::{KeyError, KeyPair, PublicJwk, Signer, TrustList, TrustedKey, kid_for, random_bytes};
pub use qr::qr_text;
pub use verify::{
    KeyRing, LEEWAY_SECONDS, MAX_INFLATED_BYTES, MAX_TOKEN_BYTES, SealReport, SignError, sign, token_from_qr_text,
    verify_seal,
};

/// Installs jsonwebtoken's pure-Rust crypto provider for the process. Idempotent.
pub fn install_crypto_provider() {
    // An error only means a provider is already installed, which is what we want.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}
