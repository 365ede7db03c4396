//! API tokens: authenticating a presented token, and creating new ones.
//!
//! Requests with an unknown or malformed token are audited, but aggregated so that
//! guessing cannot flood the audit trail: the first such request in a window of
//! [`FAILURE_WINDOW_SECONDS`] is written with its route and client, the others are
//! counted, and the count is written when the next window opens. At most two entries a
//! window, however many guesses.

use std::net::IpAddr;

use cartouche_model::Role;
use cartouche_store::TokenRecord;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::audit::{self, AuditAction, Outcome};
use crate::authz::{bearer_secret, new_token_id, new_token_secret, token_hash};
use crate::views::NewToken;
use crate::{Action, Caller, Core, CoreError};

/// Length of a window of aggregated token failures.
pub const FAILURE_WINDOW_SECONDS: i64 = 60;

/// Where a request came from, for the audit of refused credentials.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Method (already bounded to the known ones by the face).
    pub method: String,
    /// Route template (`/api/v1/certificates/{number}`), never the raw path.
    pub route: String,
    /// Client address.
    pub client: Option<IpAddr>,
}

/// Token failures of the current window.
#[derive(Debug, Default)]
pub(crate) struct FailureWindow {
    started: Option<OffsetDateTime>,
    suppressed: u64,
}

/// A request for a new API token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Role.
    pub role: Role,
    /// Country (none for admin, required otherwise).
    pub country: Option<String>,
    /// Free label.
    pub label: Option<String>,
}

impl Core {
    /// The caller presenting the `Authorization` header value `header`. A malformed or
    /// unknown token is `invalid_token`, audited (aggregated).
    pub fn authenticate(&self, header: &str, context: &RequestContext) -> Result<Caller, CoreError> {
        let Some(secret) = bearer_secret(header) else {
            self.token_failure("malformed Authorization header", context);
            return Err(CoreError::unauthenticated(
                "invalid_token",
                "the Authorization header must be 'Bearer ct_…' with a Cartouche API token",
            ));
        };
        match self.store.token_by_hash(&token_hash(secret))? {
            Some(record) => Ok(Caller { token_id: record.id, role: record.role, country: record.country }),
            None => {
                self.token_failure("unknown API token", context);
                Err(CoreError::unauthenticated(
                    "invalid_token",
                    "this API token is not known; ask an administrator for a new one",
                ))
            }
        }
    }

    fn token_failure(&self, what: &str, context: &RequestContext) {
        let now = self.now();
        let mut entries = Vec::new();
        {
            let mut window = self.token_failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match window.started {
                Some(started) if (now - started).whole_seconds() < FAILURE_WINDOW_SECONDS => {
                    window.suppressed += 1;
                    return;
                }
                Some(started) if window.suppressed > 0 => {
                    let detail = format!(
                        "{} more requests with unknown or malformed API tokens from {} to {} (counted, not written one by one)",
                        window.suppressed,
                        crate::views::rfc3339(started),
                        crate::views::rfc3339(now)
                    );
                    entries.push(audit::entry(now, None, AuditAction::TokenInvalid, "*", Outcome::Denied, &detail));
                }
                _ => {}
            }
            window.started = Some(now);
            window.suppressed = 0;
        }
        let client = context.client.map(|ip| ip.to_string()).unwrap_or_else(|| "an unknown address".into());
        let detail = format!("{what} on {} {} from {client}", context.method, context.route);
        entries.push(audit::entry(now, None, AuditAction::TokenInvalid, &context.route, Outcome::Denied, &detail));
        tracing::warn!(method = %context.method, route = %context.route, client = %client, "{what}");
        for entry in entries {
            if let Err(error) = self.store.append_audit(entry) {
                tracing::error!(error = %error, "could not write the audit entry of a refused token");
            }
        }
    }

    /// A new API token (administrators); the secret is in this answer only.
    pub fn create_token(&self, caller: &Caller, request: TokenRequest) -> Result<NewToken, CoreError> {
        match (request.role, &request.country) {
            (Role::Admin, Some(_)) => {
                return Err(CoreError::invalid(
                    "invalid_token_request",
                    "an admin token has no country; omit \"country\"",
                ));
            }
            (Role::Admin | Role::WatchListEditor, None) => {}
            (_, None) => {
                return Err(CoreError::invalid(
                    "invalid_token_request",
                    "issuer, officer and plugin_publisher tokens need a \"country\" (ISO 3166-1 alpha-2); admin and watch_list_editor tokens may omit it",
                ));
            }
            (_, Some(country)) => crate::country_code(country, "the country")?,
        }
        let label = request.label.unwrap_or_default();
        if label.chars().count() > 200 {
            return Err(CoreError::invalid("invalid_token_request", "the label is longer than 200 characters"));
        }
        self.authorize(caller, Action::Administer, None, "token")?;
        let (secret, hash) = new_token_secret()?;
        let id = new_token_id()?;
        let now = self.now();
        let (role, country) = (request.role, request.country);
        let record = TokenRecord {
            id: id.clone(),
            secret_sha256: hash,
            role,
            country: country.clone(),
            label: label.clone(),
            created_at: now,
        };
        let detail =
            format!("{} token{}", role.as_str(), country.as_deref().map(|c| format!(" for {c}")).unwrap_or_default());
        let entry = audit::entry(now, Some(&caller.actor()), AuditAction::TokenCreate, &id, Outcome::Ok, &detail);
        self.store.insert_token(record, entry)?;
        tracing::info!(token_id = %id, role = role.as_str(), country = country.as_deref().unwrap_or("-"), "API token created");
        Ok(NewToken { id, token: secret, role, country, label })
    }
}
