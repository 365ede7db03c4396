//! Signing keys in a hardware security module, over PKCS#11.
//!
//! The service signs JWS seals with Ed25519 (`EdDSA`) and P-256 (`ES256`) keys. With this crate those keys are
//! generated in, and never leave, a PKCS#11 token: [`HsmConfig::parse`] reads where the token is from an
//! RFC 7512 URI, [`Hsm::open`] logs in, and [`Hsm::generate`], [`Hsm::find`], [`Hsm::keys`], [`Hsm::sign`] and
//! [`Hsm::destroy`] work on key pairs named by their CKA_ID.
//!
//! [`Hsm`] is `Send + Sync` and keeps a small pool of logged-in sessions; a session that is lost (token
//! removed, device error, logged out) is replaced and the operation retried once. Errors that mean "the HSM
//! is unusable for now" answer true to [`HsmError::is_unavailable`].
//!
//! The PKCS#11 module is loaded and initialised once per process and never finalised, so several [`Hsm`]
//! on one module share it. PKCS#11 login state is per token and per process: a second [`Hsm`] on a token
//! that is already logged in gets `CKR_USER_ALREADY_LOGGED_IN`, which is accepted, so its PIN is not checked.

mod config;
mod error;
mod hsm;

pub use config::HsmConfig;
pub use error::HsmError;
pub use hsm::{Hsm, HsmAlg, HsmInfo, HsmKey};
