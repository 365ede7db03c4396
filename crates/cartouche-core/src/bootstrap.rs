//! First start: signing keys for the configured countries and the first admin token.

use cartouche_model::{Actor, Algorithm, Role};
use cartouche_store::{Store, TokenRecord};
use time::OffsetDateTime;

use crate::CoreError;
use crate::audit::{self, AuditAction, Outcome};
use crate::authz::{new_token_id, new_token_secret};
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

/// The actor of what the system does by itself (first start, bundled plugins).
pub fn system_actor(token_id: &str) -> Actor {
    Actor { role: Role::Admin, country: None, token_id: token_id.into() }
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
    vault: &crate::vault::KeyVault,
    persist: &mut dyn FnMut(&str) -> Result<(), String>,
) -> Result<Bootstrapped, CoreError> {
    let actor = system_actor("bootstrap");
    let mut done = Bootstrapped::default();
    let existing = store.keys()?;
    for country in countries {
        crate::country_code(country, "the country")?;
        if existing.iter().any(|key| &key.country == country) {
            continue;
        }
        let key = generate_key(vault, country, alg, now, key_lifetime)?;
        let detail = format!("first {} key {} ({})", alg.as_str(), key.kid, key.custody.kind());
        store
            .rotate_key(key, audit::entry(now, Some(&actor), AuditAction::KeyCreate, country, Outcome::Ok, &detail))?;
        done.new_keys.push(country.clone());
    }
    if !store.has_tokens()? {
        let (secret, hash) = new_token_secret()?;
        let id = new_token_id()?;
        let record = TokenRecord {
            id: id.clone(),
            secret_sha256: hash,
            role: Role::Admin,
            country: None,
            label: "first-start admin".into(),
            created_at: now,
        };
        persist(&secret).map_err(|error| CoreError::internal(format!("cannot keep the admin token: {error}")))?;
        let entry =
            audit::entry(now, Some(&actor), AuditAction::TokenCreate, &id, Outcome::Ok, "first-start admin token");
        store.insert_token(record, entry)?;
        done.admin_token_created = true;
    }
    Ok(done)
}
