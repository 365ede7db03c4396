//! Who the caller is and what they may do: API tokens (format, hashing), the caller, and
//! the authorization matrix, decided here and nowhere else.
//!
//! A token is `ct_` followed by 43 base64url characters (32 random bytes). Only its
//! SHA-256 is stored; the secret is shown once, when it is created. Each token carries a
//! role and, except for admin, a country.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::canonical::hex;
use cartouche_model::{Actor, Role};
use sha2::{Digest, Sha256};

use crate::audit::AuditAction;
use crate::error::{CoreError, ErrorKind};

/// Longest API token accepted, in characters.
pub const MAX_TOKEN_CHARS: usize = 128;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Public token id.
    pub token_id: String,
    /// Role.
    pub role: Role,
    /// Country (none for admin).
    pub country: Option<String>,
}

impl Caller {
    /// As recorded on events and in the audit log.
    pub fn actor(&self) -> Actor {
        Actor { role: self.role, country: self.country.clone(), token_id: self.token_id.clone() }
    }

    fn describe(&self) -> String {
        match &self.country {
            Some(country) => format!("{} token of {country}", article(self.role.as_str())),
            None => format!("{} token", article(self.role.as_str())),
        }
    }
}

/// A new token secret and the hex SHA-256 under which it is stored.
pub fn new_token_secret() -> Result<(String, String), CoreError> {
    let mut bytes = [0u8; 32];
    cartouche_seal::random_bytes(&mut bytes).map_err(|error| CoreError::internal(error.to_string()))?;
    let secret = format!("ct_{}", B64.encode(bytes));
    let hash = token_hash(&secret);
    Ok((secret, hash))
}

/// A new public token id.
pub fn new_token_id() -> Result<String, CoreError> {
    let mut bytes = [0u8; 6];
    cartouche_seal::random_bytes(&mut bytes).map_err(|error| CoreError::internal(error.to_string()))?;
    Ok(format!("tok_{}", hex(&bytes)))
}

/// The stored form of a token secret.
pub fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The secret of an `Authorization` header value (`Bearer ct_…`), if it has that shape.
pub fn bearer_secret(header: &str) -> Option<&str> {
    header
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .map(|_| header[7..].trim())
        .filter(|secret| secret.starts_with("ct_") && secret.len() <= MAX_TOKEN_CHARS)
}

/// What the caller wants to do, for the authorization decision and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Issue a certificate of a country.
    Issue,
    /// Read a certificate's full record, or list a country's certificates.
    Read,
    /// Revoke, suspend or reinstate.
    ChangeStatus,
    /// Record an exit or a return.
    RecordEvent,
    /// Rotate keys, create tokens, read the audit log.
    Administer,
    /// Upload an object photo.
    UploadPhoto,
    /// Publish a rule plugin of a jurisdiction.
    PublishPlugin,
}

impl Action {
    /// The audit action of a refusal of this action.
    pub fn audit_action(self) -> AuditAction {
        match self {
            Action::Issue => AuditAction::CertificateIssue,
            Action::Read => AuditAction::CertificateRead,
            Action::ChangeStatus => AuditAction::CertificateStatus,
            Action::RecordEvent => AuditAction::CertificateEvent,
            Action::Administer => AuditAction::Administer,
            Action::UploadPhoto => AuditAction::PhotoUpload,
            Action::PublishPlugin => AuditAction::PluginPublish,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Issue => "issue certificates",
            Action::Read => "read certificates",
            Action::ChangeStatus => "revoke, suspend or reinstate certificates",
            Action::RecordEvent => "record exits or returns",
            Action::Administer => "manage keys and tokens",
            Action::UploadPhoto => "upload object photos",
            Action::PublishPlugin => "publish rule plugins",
        }
    }
}

/// A domain refusal: the caller is known but may not do this. Faces show it as
/// "forbidden" (HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// `forbidden`, `country_mismatch` or `plugin_id_taken`.
    pub code: &'static str,
    /// Who may not do what, and why.
    pub message: String,
}

impl From<Refusal> for CoreError {
    fn from(refusal: Refusal) -> Self {
        CoreError::new(ErrorKind::Forbidden, refusal.code, refusal.message)
    }
}

/// The authorization matrix. `country` is the resource's country (`None` for actions on
/// no particular country).
///
/// | action        | admin | issuer XX       | officer | plugin_publisher | watch_list_editor |
/// |---------------|-------|-----------------|---------|------------------|-------------------|
/// | Issue         | no    | own country     | no      | no               | no                |
/// | Read          | yes   | own country     | any     | no               | no                |
/// | ChangeStatus  | yes   | own country     | no      | no               | no                |
/// | RecordEvent   | no    | no              | any     | no               | no                |
/// | Administer    | yes   | no              | no      | no               | no                |
/// | UploadPhoto   | no    | yes             | no      | no               | yes               |
/// | PublishPlugin | EU, INT | no            | no      | own jurisdiction | no                |
pub fn authorize(caller: &Caller, action: Action, country: Option<&str>) -> Result<(), Refusal> {
    let own = |country: Option<&str>| country.is_some() && caller.country.as_deref() == country;
    let allowed = match (caller.role, action) {
        (Role::Admin, Action::Issue | Action::RecordEvent) => false,
        // A country's rules are its publisher's; multi-country rules (EU, INT) the admin's.
        (Role::Admin, Action::PublishPlugin) => {
            matches!(country, Some(cartouche_model::plugin::EU | cartouche_model::plugin::INTERNATIONAL))
        }
        (Role::PluginPublisher, Action::PublishPlugin) => own(country),
        (Role::Admin, _) => true,
        (Role::Issuer, Action::Issue | Action::Read | Action::ChangeStatus) => own(country),
        (Role::Issuer | Role::WatchListEditor, Action::UploadPhoto) => true,
        (Role::Officer, Action::Read | Action::RecordEvent) => true,
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    let resource = country.map(|c| format!(" for {c}")).unwrap_or_default();
    let (code, hint) = match (caller.role, action) {
        (Role::Issuer, Action::Issue | Action::Read | Action::ChangeStatus) => {
            ("country_mismatch", " (an issuer acts only on its own country's certificates)")
        }
        (Role::PluginPublisher, Action::PublishPlugin) => {
            ("country_mismatch", " (a plugin publisher publishes only its own jurisdiction's plugins)")
        }
        (Role::Admin, Action::PublishPlugin) => (
            "forbidden",
            " (the administrator publishes only multi-country plugins, EU and INT; a country's plugins come from its plugin publisher)",
        ),
        _ => ("forbidden", ""),
    };
    Err(Refusal { code, message: format!("{} may not {}{resource}{hint}", caller.describe(), action.verb()) })
}

fn article(word: &str) -> String {
    let vowel = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, country: Option<&str>) -> Caller {
        Caller { token_id: "tok".into(), role, country: country.map(str::to_owned) }
    }

    #[test]
    fn matrix() {
        let fr_issuer = caller(Role::Issuer, Some("FR"));
        assert!(authorize(&fr_issuer, Action::Issue, Some("FR")).is_ok());
        assert_eq!(authorize(&fr_issuer, Action::Issue, Some("DE")).unwrap_err().code, "country_mismatch");
        assert!(authorize(&fr_issuer, Action::RecordEvent, Some("FR")).is_err());
        let officer = caller(Role::Officer, Some("CH"));
        assert!(authorize(&officer, Action::Read, Some("FR")).is_ok());
        assert!(authorize(&officer, Action::RecordEvent, Some("FR")).is_ok());
        assert!(authorize(&officer, Action::Issue, Some("CH")).is_err());
        let admin = caller(Role::Admin, None);
        assert!(authorize(&admin, Action::Issue, Some("FR")).is_err());
        assert!(authorize(&admin, Action::Administer, None).is_ok());
        assert!(authorize(&admin, Action::PublishPlugin, Some("EU")).is_ok());
        assert!(authorize(&admin, Action::PublishPlugin, Some("FR")).is_err());
        let publisher = caller(Role::PluginPublisher, Some("FR"));
        for action in [Action::Issue, Action::Read, Action::ChangeStatus, Action::RecordEvent, Action::Administer] {
            assert!(authorize(&publisher, action, Some("FR")).is_err());
        }
        assert!(authorize(&publisher, Action::PublishPlugin, Some("FR")).is_ok());
        assert!(authorize(&publisher, Action::PublishPlugin, Some("IT")).is_err());
        assert!(token_hash("ct_a") != token_hash("ct_b"));
    }

    #[test]
    fn bearer_header_shapes() {
        assert_eq!(bearer_secret("Bearer ct_abc"), Some("ct_abc"));
        assert_eq!(bearer_secret("bearer  ct_abc "), Some("ct_abc"));
        assert_eq!(bearer_secret("Basic ct_abc"), None);
        assert_eq!(bearer_secret("Bearer abc"), None);
        assert_eq!(bearer_secret(&format!("Bearer ct_{}", "a".repeat(200))), None);
    }
}
