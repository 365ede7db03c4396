//! First start: signing keys for the configured countries and the first admin token.

use cartouche_model::{Actor, Algorithm, Role};
use cartouche_store::{AuditEvent, Store, StoreError, TokenRecord};
use time::OffsetDateTime;

use crate::auth::{new_token_id, new_token_secret};
use crate::keys::generate_key;

/// The countries that get keys on first start when none are configured.
pub const DEMO_COUNTRIES: [&str; 6] = ["FR", "IT", "DE", "GB", "CH", "US"];

/// What bootstrap did.
#[derive(Debug, Default)]
pub struct Bootstrapped {
    /// Countries that got their first key.
    pub new_keys: Vec<String>,
    /// Whether an admin token was created (no token existed) and handed to `persist`.
    pub admin_token_created: bool,
}

fn system_audit(action: &str, target: &str, detail: String, now: OffsetDateTime) -> AuditEvent {
    AuditEvent {
        at: now,
        actor: Some(Actor { role: Role::Admin, country: None, token_id: "bootstrap".into() }),
        action: action.into(),
        target: target.into(),
        outcome: "ok".into(),
        detail,
    }
}

/// Creates a key for every country in `countries` that has none, and an admin token if
/// the store has no token at all. Idempotent: a second run does nothing.
///
/// The admin secret is handed to `persist` *before* the token is stored: if persisting
/// fails, no token exists and the next start tries again, so the operator can never be
/// locked out with a token whose secret nobody saw.
pub fn bootstrap(
    store: &dyn Store,
    countries: &[String],
    alg: Algorithm,
    key_lifetime: time::Duration,
    now: OffsetDateTime,
    persist: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<Bootstrapped, StoreError> {
    let mut done = Bootstrapped::default();
    let existing = store.keys()?;
    for country in countries {
        if existing.iter().any(|key| &key.country == country) {
            continue;
        }
        let key = generate_key(country, alg, now, key_lifetime).map_err(|error| StoreError::Backend(error.message))?;
        let detail = format!("first {} key {}", alg.as_str(), key.kid);
        store.rotate_key(key, system_audit("key.create", country, detail, now))?;
        done.new_keys.push(country.clone());
    }
    if !store.has_tokens()? {
        let (secret, hash) = new_token_secret().map_err(|error| StoreError::Backend(error.message))?;
        let id = new_token_id().map_err(|error| StoreError::Backend(error.message))?;
        let record = TokenRecord {
            id: id.clone(),
            secret_sha256: hash,
            role: Role::Admin,
            country: None,
            label: "first-start admin".into(),
            created_at: now,
        };
        persist(&secret).map_err(StoreError::Backend)?;
        store.insert_token(record, system_audit("token.create", &id, "first-start admin token".into(), now))?;
        done.admin_token_created = true;
    }
    Ok(done)
}
