//! The certificate lifecycle: which status events may follow which, and the state a
//! certificate is in, derived from its events (the events are the record; the state is
//! never stored, so it cannot disagree with them).
//!
//! - Revoked is final.
//! - Suspended blocks exits and returns until reinstated.
//! - Definitive export: one exit, after which the certificate is used.
//! - Temporary export: exit then return; a standard licence makes one trip, open licences
//!   (specific/general open) may make repeated trips while valid. Out past the re-import
//!   date without a return is overdue.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::types::{Certificate, EventKind, ExportType, StatusEvent};

/// The state of a certificate at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateState {
    /// Issued, not yet used, within validity.
    Active,
    /// Suspended by the issuer.
    Suspended,
    /// Revoked by the issuer (final).
    Revoked,
    /// Definitive export recorded, or a standard temporary export that has come back.
    Used,
    /// Out on a temporary export, re-import date not yet passed.
    ExportedTemporarily,
    /// Out on a temporary export past its re-import date.
    Overdue,
    /// Past its validity without having been used.
    Expired,
}

impl CertificateState {
    /// The state's name as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateState::Active => "active",
            CertificateState::Suspended => "suspended",
            CertificateState::Revoked => "revoked",
            CertificateState::Used => "used",
            CertificateState::ExportedTemporarily => "exported_temporarily",
            CertificateState::Overdue => "overdue",
            CertificateState::Expired => "expired",
        }
    }

    /// Parses an API state name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CertificateState::Active,
            CertificateState::Suspended,
            CertificateState::Revoked,
            CertificateState::Used,
            CertificateState::ExportedTemporarily,
            CertificateState::Overdue,
            CertificateState::Expired,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// The state with the event that put the certificate in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateView<'a> {
    /// The state.
    pub state: CertificateState,
    /// The event that caused it (none for active or expired).
    pub cause: Option<&'a StatusEvent>,
}

/// Facts about events that the rules need, folded from the history.
struct History<'a> {
    revoked: Option<&'a StatusEvent>,
    suspended: Option<&'a StatusEvent>,
    out: Option<&'a StatusEvent>,
    last_exit: Option<&'a StatusEvent>,
    last_return: Option<&'a StatusEvent>,
    exits: usize,
}

fn fold(events: &[StatusEvent]) -> History<'_> {
    let mut history =
        History { revoked: None, suspended: None, out: None, last_exit: None, last_return: None, exits: 0 };
    for event in events {
        match event.kind {
            EventKind::Issued => {}
            EventKind::Revoked => history.revoked = Some(event),
            EventKind::Suspended => history.suspended = Some(event),
            EventKind::Reinstated => history.suspended = None,
            EventKind::Exited => {
                history.exits += 1;
                history.out = Some(event);
                history.last_exit = Some(event);
            }
            EventKind::Returned => {
                history.out = None;
                history.last_return = Some(event);
            }
        }
    }
    history
}

/// The state of `certificate` with `events` at `today`.
pub fn state<'a>(certificate: &Certificate, events: &'a [StatusEvent], today: Date) -> StateView<'a> {
    let history = fold(events);
    let view = |state, cause| StateView { state, cause };
    if let Some(event) = history.revoked {
        return view(CertificateState::Revoked, Some(event));
    }
    if let Some(event) = history.suspended {
        return view(CertificateState::Suspended, Some(event));
    }
    let application = &certificate.application;
    match application.export_type {
        ExportType::Definitive => {
            if let Some(event) = history.last_exit {
                return view(CertificateState::Used, Some(event));
            }
        }
        ExportType::Temporary => {
            if let Some(exit) = history.out {
                let overdue = application.reimport_due_date.is_some_and(|due| today > due);
                let state = if overdue { CertificateState::Overdue } else { CertificateState::ExportedTemporarily };
                return view(state, Some(exit));
            }
            if history.exits > 0 && !application.licence_type.is_open() {
                return view(CertificateState::Used, history.last_return);
            }
        }
    }
    if today > application.valid_until {
        return view(CertificateState::Expired, None);
    }
    view(CertificateState::Active, None)
}

/// Why an event cannot be recorded now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The certificate was revoked.
    #[error("the certificate was revoked on {at}: {reason}")]
    Revoked {
        /// When.
        at: String,
        /// Why.
        reason: String,
    },
    /// The certificate is suspended.
    #[error("the certificate has been suspended since {at}: {reason}")]
    Suspended {
        /// When.
        at: String,
        /// Why.
        reason: String,
    },
    /// Reinstate on a certificate that is not suspended.
    #[error("the certificate is not suspended")]
    NotSuspended,
    /// A second exit on a definitive export, or a standard temporary export that came back.
    #[error("the certificate was already used: exit recorded at {office} on {at}")]
    AlreadyExited {
        /// When.
        at: String,
        /// Where.
        office: String,
    },
    /// A standard-licence temporary export that went out and came back.
    #[error("the certificate was already used: the object went out and its return was recorded at {office} on {at}")]
    AlreadyReturned {
        /// When the return was recorded.
        at: String,
        /// Where.
        office: String,
    },
    /// An exit while the object is already out.
    #[error("the object is already out: exit recorded at {office} on {at}, no return since")]
    AlreadyOut {
        /// When.
        at: String,
        /// Where.
        office: String,
    },
    /// A return on a definitive export.
    #[error("a return can only be recorded for a temporary export")]
    NotTemporary,
    /// A return with no exit before it.
    #[error("the object is not out: no exit without a return has been recorded")]
    NotOut,
    /// An exit after the certificate's validity.
    #[error("the certificate expired on {valid_until}")]
    Expired {
        /// Last valid day.
        valid_until: String,
    },
    /// Issued can only be the first event.
    #[error("an issued event is only recorded at issuance")]
    IssuedTwice,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.to_string())
}

fn office_of(event: &StatusEvent) -> String {
    match (&event.office, &event.country) {
        (Some(office), Some(country)) => format!("{office} ({country})"),
        (Some(office), None) => office.clone(),
        (None, Some(country)) => country.clone(),
        (None, None) => "an unnamed office".to_owned(),
    }
}

/// Checks that `next` may follow `events` on `certificate`.
pub fn check_transition(
    certificate: &Certificate,
    events: &[StatusEvent],
    next: EventKind,
) -> Result<(), LifecycleError> {
    let history = fold(events);
    let reason = |event: &StatusEvent| event.reason.clone().unwrap_or_default();
    if next == EventKind::Issued {
        return Err(LifecycleError::IssuedTwice);
    }
    if let Some(event) = history.revoked {
        return Err(LifecycleError::Revoked { at: rfc3339(event.at), reason: reason(event) });
    }
    let application = &certificate.application;
    match next {
        EventKind::Issued => Err(LifecycleError::IssuedTwice),
        EventKind::Revoked => Ok(()),
        EventKind::Suspended => match history.suspended {
            Some(event) => Err(LifecycleError::Suspended { at: rfc3339(event.at), reason: reason(event) }),
            None => Ok(()),
        },
        EventKind::Reinstated => match history.suspended {
            Some(_) => Ok(()),
            None => Err(LifecycleError::NotSuspended),
        },
        EventKind::Exited | EventKind::Returned => {
            if let Some(event) = history.suspended {
                return Err(LifecycleError::Suspended { at: rfc3339(event.at), reason: reason(event) });
            }
            if next == EventKind::Returned {
                return match (application.export_type, history.out) {
                    (ExportType::Definitive, _) => Err(LifecycleError::NotTemporary),
                    (ExportType::Temporary, None) => Err(LifecycleError::NotOut),
                    (ExportType::Temporary, Some(_)) => Ok(()),
                };
            }
            if let Some(exit) = history.out {
                return Err(match application.export_type {
                    ExportType::Definitive => {
                        LifecycleError::AlreadyExited { at: rfc3339(exit.at), office: office_of(exit) }
                    }
                    ExportType::Temporary => {
                        LifecycleError::AlreadyOut { at: rfc3339(exit.at), office: office_of(exit) }
                    }
                });
            }
            if let Some(exit) = history.last_exit {
                if !application.licence_type.is_open() {
                    return Err(match history.last_return {
                        Some(back) => LifecycleError::AlreadyReturned { at: rfc3339(back.at), office: office_of(back) },
                        None => LifecycleError::AlreadyExited { at: rfc3339(exit.at), office: office_of(exit) },
                    });
                }
            }
            Ok(())
        }
    }
}

/// Checks that an exit on `today` is within the certificate's validity.
pub fn check_exit_date(certificate: &Certificate, today: Date) -> Result<(), LifecycleError> {
    if today > certificate.application.valid_until {
        return Err(LifecycleError::Expired { valid_until: certificate.application.valid_until.to_string() });
    }
    Ok(())
}
