//! The certificate model: applications, issued certificates, status events, verdicts,
//! canonical JSON, and validation of applications against the JSON Schemas in `schemas/`.
//!
//! This crate does no IO: no clock (callers pass the date or instant), no files (the
//! schemas are embedded at compile time), no network. Everything here is a pure function
//! of its arguments, so the server, the CLI, the store and rule plugins all agree on it.
//!
//! The JSON shapes are fixed by `schemas/*.schema.json`; the types here follow them field
//! for field, and `tests/schema_conformance.rs` proves it on the bundled examples.

pub mod canonical;
pub mod lifecycle;
pub mod number;
pub mod plugin;
pub mod reference;
pub mod territory;
pub mod types;
#[cfg(feature = "validate")]
pub mod validate;
pub mod verdict;

pub use lifecycle::{CertificateState, LifecycleError, StateView};
pub use number::CertificateNumber;
pub use types::*;
#[cfg(feature = "validate")]
pub use validate::{FieldError, ValidationError, validate_application};
pub use verdict::*;
