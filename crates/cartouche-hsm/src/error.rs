//! The errors of this crate, and how PKCS#11 return values map onto them.

use cryptoki::context::Function;
use cryptoki::error::{Error as CkError, RvError};

/// What went wrong talking to the HSM.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    /// The PKCS#11 URI or the PIN source is wrong; the message says what to write instead.
    #[error("HSM configuration: {0}")]
    Config(String),
    /// The PKCS#11 module cannot be loaded or initialised.
    #[error("cannot load the PKCS#11 module {path}: {reason}")]
    Module {
        /// The module path, as configured.
        path: String,
        /// What the loader or C_Initialize said.
        reason: String,
    },
    /// No slot holds a token with this label.
    #[error("no HSM token labelled {label:?} (tokens present: {})", list_or_none(.available))]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels of the tokens that are present.
        available: Vec<String>,
    },
    /// The token refused the user PIN (CKR_PIN_INCORRECT).
    #[error("the HSM refused the user PIN (CKR_PIN_INCORRECT)")]
    PinIncorrect,
    /// The user PIN is locked or expired (CKR_PIN_LOCKED, CKR_PIN_EXPIRED).
    #[error("the HSM user PIN is locked or expired; unlock or change it with the token's tools")]
    PinLocked,
    /// The token is absent or failing, or no session could be (re)opened.
    #[error("the HSM is unavailable: {0}")]
    Unavailable(String),
    /// The token holds no private key with this CKA_ID.
    #[error("the HSM has no private key with id {id}")]
    KeyNotFound {
        /// The CKA_ID, in lower-case hex.
        id: String,
    },
    /// The token lacks a mechanism or curve that is needed.
    #[error("the HSM does not support this: {0}")]
    Unsupported(String),
    /// Anything else; the message names the PKCS#11 function and its return value.
    #[error("HSM operation failed: {0}")]
    Failed(String),
}

impl HsmError {
    /// Whether the HSM is, for now, unusable (absent, failing, or the PIN is refused or locked) rather
    /// than the request being wrong: the caller should report the signing service as unavailable.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, HsmError::Unavailable(_) | HsmError::PinLocked | HsmError::PinIncorrect)
    }
}

fn list_or_none(labels: &[String]) -> String {
    if labels.is_empty() {
        "none".to_owned()
    } else {
        labels.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ")
    }
}

/// The CKR_ name of a return value, e.g. `CKR_SESSION_HANDLE_INVALID` for `SessionHandleInvalid`.
pub(crate) fn ckr_name(rv: RvError) -> String {
    match rv {
        RvError::VendorDefined(v) => format!("CKR_VENDOR_DEFINED+{v:#x}"),
        RvError::UnknownErrorCode(v) => format!("CKR {v:#x}"),
        other => {
            let camel = format!("{other:?}");
            let mut out = String::from("CKR");
            for c in camel.chars() {
                if c.is_ascii_uppercase() {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }
}

/// The C_ name of a PKCS#11 function, e.g. `C_Sign`.
pub(crate) fn fn_name(f: Function) -> String {
    format!("C_{f:?}")
}

/// The return value of a failed PKCS#11 call, if the error is one.
pub(crate) fn rv_of(e: &CkError) -> Option<RvError> {
    match e {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// Return values after which the session is no use and a fresh one (logged in again) may work.
pub(crate) fn is_session_lost(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::TokenNotPresent
            | RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::UserNotLoggedIn
    )
}

/// Maps a cryptoki error onto an [`HsmError`]; `doing` says what we were doing ("signing with key ab12").
pub(crate) fn map_ck(doing: &str, e: CkError) -> HsmError {
    match e {
        CkError::Pkcs11(rv, f) => {
            let what = format!("{doing}: {} returned {}", fn_name(f), ckr_name(rv));
            match rv {
                RvError::PinIncorrect => HsmError::PinIncorrect,
                RvError::PinLocked | RvError::PinExpired => HsmError::PinLocked,
                RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::TokenNotPresent
                | RvError::TokenNotRecognized
                | RvError::DeviceRemoved
                | RvError::DeviceError
                | RvError::DeviceMemory
                | RvError::UserNotLoggedIn
                | RvError::SessionCount
                | RvError::SlotIdInvalid
                | RvError::CryptokiNotInitialized => HsmError::Unavailable(what),
                RvError::MechanismInvalid
                | RvError::MechanismParamInvalid
                | RvError::CurveNotSupported
                | RvError::DomainParamsInvalid
                | RvError::FunctionNotSupported => HsmError::Unsupported(what),
                _ => HsmError::Failed(what),
            }
        }
        other => HsmError::Failed(format!("{doing}: {other}")),
    }
}

/// Lower-case hex, for key ids in messages and logs.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckr_names() {
        assert_eq!(ckr_name(RvError::SessionHandleInvalid), "CKR_SESSION_HANDLE_INVALID");
        assert_eq!(ckr_name(RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(fn_name(Function::Sign), "C_Sign");
    }

    #[test]
    fn unavailable_kinds() {
        assert!(HsmError::PinIncorrect.is_unavailable());
        assert!(HsmError::PinLocked.is_unavailable());
        assert!(HsmError::Unavailable(String::new()).is_unavailable());
        assert!(!HsmError::KeyNotFound { id: "00".into() }.is_unavailable());
        let e = map_ck("signing", CkError::Pkcs11(RvError::DeviceRemoved, Function::Sign));
        assert!(e.is_unavailable(), "{e}");
        assert!(e.to_string().contains("C_Sign returned CKR_DEVICE_REMOVED"), "{e}");
    }
}
