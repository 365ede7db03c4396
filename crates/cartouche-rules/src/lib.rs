//! The rule-plugin host. Countries write their export and import rules as WebAssembly
//! components against the WIT package in `wit/` (`cartouche:rules@1.0.0`); this crate
//! compiles them once at publish (refusing any import beyond the read-only reference
//! data), runs their cases twice to prove them, caches the compiled code in the store, and
//! evaluates them in a sandbox: a fresh instance per call, with fuel, a deadline, a memory
//! cap and output caps. A plugin that breaks a limit or traps yields an INDETERMINATE
//! evaluation with the reason, never a crash and never a pass.

pub mod engine;
pub mod registry;

pub use engine::{CallContext, Compiled, ComponentError, Description, FailureKind, Host, Limits, Run, RunFailure};
pub use registry::{CaseResult, CasesReport, Checked, Listing, PublishError, Rules};
