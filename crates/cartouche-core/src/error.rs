//! The core's one error type: a kind (what went wrong, in domain terms), a stable code
//! for programs, a message a person can act on, optional structured details, and for
//! internal failures a cause that is logged and never shown. The faces map the kind to
//! their own vocabulary (the server to an HTTP status) and keep the code and message.

use cartouche_model::{FieldError, LifecycleError, ValidationError};
use cartouche_store::StoreError;
use serde_json::{Value, json};

/// What kind of failure, independent of any protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed or out of range.
    Invalid,
    /// No usable credentials.
    Unauthenticated,
    /// Authenticated, but not allowed (a [`crate::Refusal`]).
    Forbidden,
    /// No such thing.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// Well-formed, but refused on its content (rules, images, plugins).
    Unprocessable,
    /// Larger than allowed.
    TooLarge,
    /// Temporarily unable (storage down, machine busy, numbers exhausted).
    Unavailable,
    /// The store's disk is full: nothing was written; reads go on.
    StorageFull,
    /// A bug or a broken invariant; the cause is logged, never shown.
    Internal,
}

/// An error of a use-case.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CoreError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// Stable code, for programs.
    pub code: &'static str,
    /// For a person: what happened and what to do.
    pub message: String,
    /// Structured details (field errors, rule findings, case reports).
    pub details: Option<Value>,
    /// The cause of an internal failure: logged, never sent.
    pub internal: Option<String>,
}

impl CoreError {
    /// The same error with an internal cause (logged, never shown).
    pub fn with_internal(mut self, cause: impl Into<String>) -> Self {
        self.internal = Some(cause.into());
        self
    }

    /// A new error.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self { kind, code, message: message.into(), details: None, internal: None }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Malformed input.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }

    /// No such thing (`not_found`).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", message)
    }

    /// Conflicts with the current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    /// Refused on its content.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unprocessable, code, message)
    }

    /// Missing or unknown credentials.
    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, code, message)
    }

    /// An internal failure: `cause` is logged, the message says nothing of it.
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::Internal, "internal", "an internal error occurred; it has been logged");
        error.internal = Some(cause.into());
        error
    }

    /// `validation_failed` with every field error.
    pub fn validation(errors: &[FieldError]) -> Self {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", if e.path.is_empty() { "(document)" } else { &e.path }, e.message));
        Self::invalid(
            "validation_failed",
            format!("the application does not match the schema: {}", first.unwrap_or_default()),
        )
        .with_details(json!({ "errors": errors }))
    }
}

impl From<ValidationError> for CoreError {
    fn from(error: ValidationError) -> Self {
        CoreError::validation(&error.errors)
    }
}

impl From<LifecycleError> for CoreError {
    fn from(error: LifecycleError) -> Self {
        let code = match &error {
            LifecycleError::Revoked { .. } => "certificate_revoked",
            LifecycleError::Suspended { .. } => "certificate_suspended",
            LifecycleError::NotSuspended => "not_suspended",
            LifecycleError::AlreadyExited { .. } => "already_exited",
            LifecycleError::AlreadyReturned { .. } => "already_used",
            LifecycleError::AlreadyOut { .. } => "already_out",
            LifecycleError::NotTemporary => "not_temporary",
            LifecycleError::NotOut => "not_out",
            LifecycleError::Expired { .. } => "certificate_expired",
            LifecycleError::IssuedTwice => "invalid_transition",
        };
        CoreError::conflict(code, error.to_string())
    }
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, key } => CoreError::not_found(format!("{what} {key} does not exist")),
            StoreError::Lifecycle(error) => error.into(),
            StoreError::IdempotencyMismatch { number } => CoreError::conflict(
                "idempotency_key_reused",
                format!(
                    "this Idempotency-Key was already used for a different application (it issued {number}); use a new key"
                ),
            ),
            StoreError::SequenceExhausted { country, year } => CoreError::new(
                ErrorKind::Unavailable,
                "sequence_exhausted",
                format!("no certificate numbers left for {country} in {year}"),
            ),
            StoreError::Build(message) => CoreError::conflict("issuance_failed", message),
            StoreError::PluginVersionExists { id, version } => CoreError::conflict(
                "version_exists",
                format!("{id} {version} is already published; published versions are immutable: publish a new version"),
            ),
            StoreError::Full(_) => {
                let mut core = CoreError::new(
                    ErrorKind::StorageFull,
                    "storage_full",
                    "the registry's disk is full, so nothing was written; verification goes on. The operator must free space in the data directory's filesystem; then retry",
                );
                core.internal = Some(error.to_string());
                core
            }
            StoreError::Unavailable(_) => {
                let mut core = CoreError::new(
                    ErrorKind::Unavailable,
                    "database_unavailable",
                    "the registry's database cannot be reached or is read-only (a failover may be under way); nothing was written; retry in a few seconds",
                );
                core.internal = Some(error.to_string());
                core
            }
            StoreError::Corrupt { .. } => {
                let mut core = CoreError::new(
                    ErrorKind::Internal,
                    "record_corrupt",
                    "a stored record failed its integrity check and is not served; the operator has been alerted in the log",
                );
                core.internal = Some(error.to_string());
                core
            }
            other => {
                let mut core = CoreError::new(
                    ErrorKind::Unavailable,
                    "storage_unavailable",
                    "the registry is unavailable; retry later",
                );
                core.internal = Some(other.to_string());
                core
            }
        }
    }
}

/// Parses JSON bytes into `T` with errors a person can act on: empty or malformed is
/// `invalid_json`, well-formed but of the wrong shape is `invalid_request`.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CoreError> {
    if bytes.is_empty() {
        return Err(CoreError::invalid("invalid_json", "the request body is empty; send a JSON document"));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        use serde_json::error::Category;
        let code = match error.classify() {
            Category::Data => "invalid_request",
            Category::Syntax | Category::Eof | Category::Io => "invalid_json",
        };
        CoreError::invalid(code, format!("the request body is not acceptable JSON: {error}"))
    })
}
