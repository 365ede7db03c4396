//! Bearer tokens and who may do what.
//!
//! A token is `ct_` followed by 43 base64url characters (32 random bytes). Only its
//! SHA-256 is stored; the secret is shown once, when it is created. Each token carries a
//! role and, except for admin, a country. Authorization is decided here and nowhere else:
//! handlers call the `require_*` functions with the country of the resource.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::canonical::hex;
use cartouche_model::{Actor, Role};
use sha2::{Digest, Sha256};

use cartouche_store::AuditEvent;

use crate::AppState;
use crate::error::ApiError;

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
pub fn new_token_secret() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    cartouche_seal::random_bytes(&mut bytes).map_err(|error| ApiError::internal(error.to_string()))?;
    let secret = format!("ct_{}", B64.encode(bytes));
    let hash = token_hash(&secret);
    Ok((secret, hash))
}

/// A new public token id.
pub fn new_token_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 6];
    cartouche_seal::random_bytes(&mut bytes).map_err(|error| ApiError::internal(error.to_string()))?;
    Ok(format!("tok_{}", hex(&bytes)))
}

/// The stored form of a token secret.
pub fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The caller, if the request carries a token; a bad token is an error, not anonymity.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(MaybeCaller(None));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|text| text.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("bearer ")).map(|_| &text[7..]))
            .map(str::trim)
            .filter(|secret| secret.starts_with("ct_") && secret.len() <= 128)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "invalid_token",
                    "the Authorization header must be 'Bearer ct_…' with a Cartouche API token",
                )
            })?;
        let hash = token_hash(secret);
        let record = state.run_store(move |store| store.token_by_hash(&hash)).await?;
        let record = record.ok_or_else(|| {
            ApiError::unauthorized("invalid_token", "this API token is not known; ask an administrator for a new one")
        })?;
        Ok(MaybeCaller(Some(Caller { token_id: record.id, role: record.role, country: record.country })))
    }
}

/// The caller, required.
pub struct RequireCaller(pub Caller);

impl FromRequestParts<AppState> for RequireCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeCaller::from_request_parts(parts, state).await?.0 {
            Some(caller) => Ok(RequireCaller(caller)),
            None => Err(ApiError::unauthorized(
                "unauthorized",
                "this route needs an API token: send 'Authorization: Bearer ct_…'",
            )),
        }
    }
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
    /// Rotate keys, create tokens.
    Administer,
    /// Upload an object photo.
    UploadPhoto,
    /// Publish a rule plugin of a jurisdiction.
    PublishPlugin,
}

impl Action {
    /// Name used in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Issue => "certificate.issue",
            Action::Read => "certificate.read",
            Action::ChangeStatus => "certificate.status",
            Action::RecordEvent => "certificate.event",
            Action::Administer => "administer",
            Action::UploadPhoto => "photo.upload",
            Action::PublishPlugin => "plugin.publish",
        }
    }
}

/// The authorization matrix. `country` is the resource's country (`None` for actions on
/// no particular country).
///
/// | action        | admin | issuer XX       | officer | plugin_publisher |
/// |---------------|-------|-----------------|---------|------------------|
/// | Issue         | no    | own country     | no      | no               |
/// | Read          | yes   | own country     | any     | no               |
/// | ChangeStatus  | yes   | own country     | no      | no               |
/// | RecordEvent   | no    | no              | any     | no               |
/// | Administer    | yes   | no              | no      | no               |
/// | UploadPhoto   | no    | yes             | no      | no               |
/// | PublishPlugin | EU, INT | no            | no      | own jurisdiction |
pub fn authorize(caller: &Caller, action: Action, country: Option<&str>) -> Result<(), ApiError> {
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
        (Role::Issuer, Action::UploadPhoto) => true,
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
    Err(ApiError::forbidden(code, format!("{} may not {}{resource}{hint}", caller.describe(), verb(action))))
}

fn article(word: &str) -> String {
    let vowel = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Issue => "issue certificates",
        Action::Read => "read certificates",
        Action::ChangeStatus => "revoke, suspend or reinstate certificates",
        Action::RecordEvent => "record exits or returns",
        Action::Administer => "manage keys and tokens",
        Action::UploadPhoto => "upload object photos",
        Action::PublishPlugin => "publish rule plugins",
    }
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
        let publisher = caller(Role::PluginPublisher, Some("FR"));
        for action in [Action::Issue, Action::Read, Action::ChangeStatus, Action::RecordEvent, Action::Administer] {
            assert!(authorize(&publisher, action, Some("FR")).is_err());
        }
        assert!(token_hash("ct_a") != token_hash("ct_b"));
    }
}

async fn audit_denied(state: &AppState, caller: &Caller, action: Action, target: &str, error: &ApiError) {
    let audit = AuditEvent {
        at: state.now(),
        actor: Some(caller.actor()),
        action: action.as_str().into(),
        target: target.to_owned(),
        outcome: "denied".into(),
        detail: error.message.clone(),
    };
    if let Err(failure) = state.run_store(move |store| store.append_audit(audit)).await {
        tracing::error!(code = failure.code, "could not write the audit entry of a denied request");
    }
}

/// Authorizes, and on refusal writes a `denied` audit entry.
pub async fn authorize_audited(
    state: &AppState,
    caller: &Caller,
    action: Action,
    country: Option<&str>,
    target: &str,
) -> Result<(), ApiError> {
    match authorize(caller, action, country) {
        Ok(()) => Ok(()),
        Err(error) => {
            audit_denied(state, caller, action, target, &error).await;
            tracing::warn!(token_id = %caller.token_id, action = action.as_str(), target, "request denied");
            Err(error)
        }
    }
}
