//! The audit trail: typed actions, and the one constructor of audit entries.
//!
//! Every entry the core writes is made by [`entry`], which bounds the fields that may
//! carry caller input (target and detail) so that no request can write a large record
//! or log line, and strips control characters from them.

use cartouche_model::Actor;
use cartouche_store::AuditEvent;
use time::OffsetDateTime;

/// Longest audit target kept, in characters (a certificate number is 14).
pub const MAX_TARGET_CHARS: usize = 120;
/// Longest audit detail kept, in characters (a status reason is at most 1000).
pub const MAX_DETAIL_CHARS: usize = 1200;

/// What was done or attempted. The names are stable: they are what `GET /api/v1/audit`
/// shows and what operators filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A certificate was issued (or issuance was refused).
    CertificateIssue,
    /// A certificate's full record was read, or a country's list.
    CertificateRead,
    /// A status change was refused (the caller may not change statuses).
    CertificateStatus,
    /// A certificate was revoked.
    CertificateRevoke,
    /// A certificate was suspended.
    CertificateSuspend,
    /// A certificate was reinstated.
    CertificateReinstate,
    /// An officer event was refused (the caller may not record events).
    CertificateEvent,
    /// An officer recorded an exit.
    CertificateExit,
    /// An officer recorded a return.
    CertificateReturn,
    /// An administrative action was refused (keys, tokens, the audit log).
    Administer,
    /// A country's first signing key was created.
    KeyCreate,
    /// A country's signing key was rotated.
    KeyRotate,
    /// A public key from a key ceremony was imported, with its proof of possession.
    KeyImport,
    /// A key's signing or verification period was ended.
    KeyRetire,
    /// A key's secret was sealed under the key-encryption key (a store from before).
    KeySeal,
    /// An API token was created.
    TokenCreate,
    /// A request came with an unknown or malformed API token.
    TokenInvalid,
    /// An object photo was uploaded.
    PhotoUpload,
    /// A rule plugin version was published (or its publication refused).
    PluginPublish,
    /// A watch list version was loaded.
    WatchListLoad,
    /// A certificate was issued although a photo looks like a watch-list photo.
    WatchListReferral,
}

impl AuditAction {
    /// Every action, for tests and documentation.
    pub const ALL: [AuditAction; 21] = [
        AuditAction::CertificateIssue,
        AuditAction::CertificateRead,
        AuditAction::CertificateStatus,
        AuditAction::CertificateRevoke,
        AuditAction::CertificateSuspend,
        AuditAction::CertificateReinstate,
        AuditAction::CertificateEvent,
        AuditAction::CertificateExit,
        AuditAction::CertificateReturn,
        AuditAction::Administer,
        AuditAction::KeyCreate,
        AuditAction::KeyRotate,
        AuditAction::KeyImport,
        AuditAction::KeyRetire,
        AuditAction::KeySeal,
        AuditAction::TokenCreate,
        AuditAction::TokenInvalid,
        AuditAction::PhotoUpload,
        AuditAction::PluginPublish,
        AuditAction::WatchListLoad,
        AuditAction::WatchListReferral,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::CertificateIssue => "certificate.issue",
            AuditAction::CertificateRead => "certificate.read",
            AuditAction::CertificateStatus => "certificate.status",
            AuditAction::CertificateRevoke => "certificate.revoke",
            AuditAction::CertificateSuspend => "certificate.suspend",
            AuditAction::CertificateReinstate => "certificate.reinstate",
            AuditAction::CertificateEvent => "certificate.event",
            AuditAction::CertificateExit => "certificate.exit",
            AuditAction::CertificateReturn => "certificate.return",
            AuditAction::Administer => "administer",
            AuditAction::KeyCreate => "key.create",
            AuditAction::KeyRotate => "key.rotate",
            AuditAction::KeyImport => "key.import",
            AuditAction::KeyRetire => "key.retire",
            AuditAction::KeySeal => "key.seal",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenInvalid => "token.invalid",
            AuditAction::PhotoUpload => "photo.upload",
            AuditAction::PluginPublish => "plugin.publish",
            AuditAction::WatchListLoad => "watch_list.load",
            AuditAction::WatchListReferral => "watch_list.referral",
        }
    }
}

/// Whether the action was done or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused.
    Denied,
}

impl Outcome {
    /// `ok` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// `text` without control characters, cut to `max` characters (with "…" when cut).
pub fn bounded(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { '\u{FFFD}' } else { c });
    }
    out
}

/// The one constructor of audit entries.
pub fn entry(
    at: OffsetDateTime,
    actor: Option<&Actor>,
    action: AuditAction,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.cloned(),
        action: action.as_str().to_owned(),
        target: bounded(target, MAX_TARGET_CHARS),
        outcome: outcome.as_str().to_owned(),
        detail: bounded(detail, MAX_DETAIL_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_dotted() {
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn fields_are_bounded_and_clean() {
        let long = "A".repeat(60_000);
        let entry = entry(OffsetDateTime::UNIX_EPOCH, None, AuditAction::KeyRotate, &long, Outcome::Denied, &long);
        assert_eq!(entry.target.chars().count(), MAX_TARGET_CHARS + 1);
        assert_eq!(entry.detail.chars().count(), MAX_DETAIL_CHARS + 1);
        assert_eq!(bounded("a\u{1b}[2Jb\n", 10), "a\u{FFFD}[2Jb\u{FFFD}");
    }
}
