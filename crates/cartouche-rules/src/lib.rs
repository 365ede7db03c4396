//! The rule-plugin host. Countries write their export and import rules as WebAssembly
//! components against the WIT package in `wit/` (`cartouche:rules@1.0.0`); this crate
//! compiles them once at publish (refusing any import beyond the read-only reference
//! data and, for interpreters' toolchains, a deterministic WASI layer that gives no
//! capability), runs their cases twice to prove them, hands the publication and its compiled
//! code to the caller to store (this crate knows no store), and
//! evaluates them in a sandbox: a fresh instance per call, with fuel, a deadline, a memory
//! cap and output caps. A plugin that breaks a limit or traps yields an INDETERMINATE
//! evaluation with the reason, never a crash and never a pass.

pub mod engine;
pub mod registry;
pub mod wasi;

pub use engine::{
    CallContext, Compiled, ComponentError, Description, FailureKind, Host, Limits, PluginLimits, Run, RunFailure,
};
pub use registry::{Artifact, CaseResult, CasesReport, Checked, Listing, Loaded, MEMO_ENTRIES, PublishError, Rules};
