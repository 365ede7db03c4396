//! Signing keys in memory, the trust list and JWKS, key rotation and API tokens.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cartouche_model::{Algorithm, Role};
use cartouche_seal::{KeyPair, KeyRing, Signer, TrustList, TrustedKey};
use cartouche_store::{AuditEvent, KeyRecord, Store, StoreError, TokenRecord};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{Action, RequireCaller, authorize_audited, new_token_id, new_token_secret};
use crate::error::ApiError;
use crate::extract::{JsonBody, parse_json};

/// The keys as the server uses them: one signer per country (its current key), and the
/// ring of every published public key for verification.
pub struct KeyMaterial {
    signers: HashMap<String, (Signer, OffsetDateTime)>,
    /// Verification ring (authoritative: this is the registry's own list).
    pub ring: KeyRing,
    /// The published trust list.
    pub trust_list: TrustList,
}

impl KeyMaterial {
    /// Loads every key from the store, validating each public key.
    pub fn load(store: &dyn Store, now: OffsetDateTime) -> Result<Self, StoreError> {
        let records = store.keys()?;
        let mut signers: HashMap<String, (Signer, OffsetDateTime)> = HashMap::new();
        let mut trusted = Vec::with_capacity(records.len());
        let invalid =
            |record: &KeyRecord, reason: String| StoreError::Corrupt { tree: "keys", key: record.kid.clone(), reason };
        for record in &records {
            let entry = TrustedKey::new(
                &record.country,
                record.alg,
                &record.public,
                record.created_at,
                record.retired_at,
                record.expires_at,
            )
            .map_err(|error| invalid(record, error.to_string()))?;
            trusted.push(entry);
            let usable = record.retired_at.is_none() && record.expires_at > now;
            if usable {
                let pair = KeyPair::from_secret(record.alg, record.secret.clone())
                    .map_err(|error| invalid(record, error.to_string()))?;
                if pair.public != record.public {
                    return Err(invalid(record, "secret and public key do not match".into()));
                }
                let signer = pair.signer().map_err(|error| invalid(record, error.to_string()))?;
                let newer = signers.get(&record.country).is_none_or(|(_, created)| record.created_at > *created);
                if newer {
                    signers.insert(record.country.clone(), (signer, record.created_at));
                }
            }
        }
        trusted.sort_by(|a, b| (&a.country, a.created_at).cmp(&(&b.country, b.created_at)));
        let trust_list = TrustList { generated_at: now, keys: trusted };
        let ring = KeyRing::new(&trust_list, true).map_err(|error| StoreError::Corrupt {
            tree: "keys",
            key: "*".into(),
            reason: error.to_string(),
        })?;
        Ok(Self { signers, ring, trust_list })
    }

    /// The current signer of `country`.
    pub fn signer(&self, country: &str) -> Option<&Signer> {
        self.signers.get(country).map(|(signer, _)| signer)
    }

    /// The expiry of a key.
    pub fn expires_at(&self, kid: &str) -> Option<OffsetDateTime> {
        self.ring.get(kid).map(|key| key.expires_at)
    }
}

/// Generates a key record for `country`.
pub fn generate_key(
    country: &str,
    alg: Algorithm,
    now: OffsetDateTime,
    lifetime: time::Duration,
) -> Result<KeyRecord, ApiError> {
    let pair = KeyPair::generate(alg).map_err(|error| ApiError::internal(error.to_string()))?;
    Ok(KeyRecord {
        kid: pair.kid(),
        country: country.to_owned(),
        alg,
        secret: pair.secret.clone(),
        public: pair.public.clone(),
        created_at: now,
        retired_at: None,
        expires_at: now + lifetime,
    })
}

/// `GET /api/v1/trust-list`.
pub async fn trust_list(State(state): State<AppState>) -> impl IntoResponse {
    let mut list = state.keys().trust_list.clone();
    list.generated_at = state.now();
    Json(list)
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    let keys = state.keys();
    let keys: Vec<_> = keys
        .trust_list
        .keys
        .iter()
        .map(|key| {
            let mut jwk = serde_json::to_value(&key.public_key_jwk).unwrap_or_default();
            jwk["kid"] = json!(key.kid);
            jwk["alg"] = json!(key.alg.as_str());
            jwk["use"] = json!("sig");
            jwk
        })
        .collect();
    Json(json!({ "keys": keys }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateRequest {
    alg: Option<Algorithm>,
}

/// `POST /api/v1/countries/{country}/keys`: a new current key for a country.
pub async fn rotate(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(country): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    authorize_audited(&state, &caller, Action::Administer, None, &format!("key of {country}")).await?;
    if !cartouche_model::is_country_code(&country) {
        return Err(ApiError::bad_request(
            "invalid_country",
            format!("{country:?} is not an ISO 3166-1 alpha-2 code such as FR"),
        ));
    }
    let request: RotateRequest =
        if body.iter().all(u8::is_ascii_whitespace) { RotateRequest::default() } else { parse_json(&body)? };
    let alg = request.alg.unwrap_or(state.config().default_alg);
    let now = state.now();
    let record = generate_key(&country, alg, now, state.config().key_lifetime)?;
    let previous: Vec<String> = state
        .keys()
        .trust_list
        .keys
        .iter()
        .filter(|k| k.country == country && k.retired_at.is_none())
        .map(|k| k.kid.clone())
        .collect();
    let kid = record.kid.clone();
    let audit = AuditEvent {
        at: now,
        actor: Some(caller.actor()),
        action: "key.rotate".into(),
        target: country.clone(),
        outcome: "ok".into(),
        detail: format!("new {} key {kid}", alg.as_str()),
    };
    state.run_store(move |store| store.rotate_key(record, audit)).await?;
    state.reload_keys().await?;
    tracing::info!(country = %country, kid = %kid, alg = alg.as_str(), "signing key rotated");
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "kid": kid, "country": country, "alg": alg.as_str(), "created_at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(), "retired": previous }),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    role: Role,
    country: Option<String>,
    label: Option<String>,
}

/// `POST /api/v1/tokens`: a new API token; the secret is in this answer only.
pub async fn create_token(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<impl IntoResponse, ApiError> {
    authorize_audited(&state, &caller, Action::Administer, None, "token").await?;
    match (request.role, &request.country) {
        (Role::Admin, Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_token_request",
                "an admin token has no country; omit \"country\"",
            ));
        }
        (Role::Admin, None) => {}
        (_, None) => {
            return Err(ApiError::bad_request(
                "invalid_token_request",
                "issuer, officer and plugin_publisher tokens need a \"country\" (ISO 3166-1 alpha-2)",
            ));
        }
        (_, Some(country)) if !cartouche_model::is_country_code(country) => {
            return Err(ApiError::bad_request(
                "invalid_country",
                format!("{country:?} is not an ISO 3166-1 alpha-2 code such as FR"),
            ));
        }
        _ => {}
    }
    let label = request.label.unwrap_or_default();
    if label.chars().count() > 200 {
        return Err(ApiError::bad_request("invalid_token_request", "the label is longer than 200 characters"));
    }
    let token = create_token_record(&state, &caller.actor(), request.role, request.country, label).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

async fn create_token_record(
    state: &AppState,
    actor: &cartouche_model::Actor,
    role: Role,
    country: Option<String>,
    label: String,
) -> Result<serde_json::Value, ApiError> {
    let (secret, hash) = new_token_secret()?;
    let id = new_token_id()?;
    let now = state.now();
    let record = TokenRecord {
        id: id.clone(),
        secret_sha256: hash,
        role,
        country: country.clone(),
        label: label.clone(),
        created_at: now,
    };
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.clone()),
        action: "token.create".into(),
        target: id.clone(),
        outcome: "ok".into(),
        detail: format!(
            "{} token{}",
            role.as_str(),
            country.as_deref().map(|c| format!(" for {c}")).unwrap_or_default()
        ),
    };
    state.run_store(move |store| store.insert_token(record, audit)).await?;
    tracing::info!(token_id = %id, role = role.as_str(), country = country.as_deref().unwrap_or("-"), "API token created");
    Ok(json!({ "id": id, "token": secret, "role": role, "country": country, "label": label }))
}
