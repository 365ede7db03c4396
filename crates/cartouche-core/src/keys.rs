//! Signing keys in memory (one signer per country, the ring of every published public
//! key), key generation, rotation, the trust list and the JWKS.

use std::collections::HashMap;

use cartouche_model::Algorithm;
use cartouche_seal::{KeyPair, KeyRing, Signer, TrustList, TrustedKey};
use cartouche_store::{KeyRecord, Store, StoreError};
use time::OffsetDateTime;

use crate::audit::{self, AuditAction, Outcome};
use crate::views::{Jwks, RotatedKey, rfc3339};
use crate::{Action, Caller, Core, CoreError};

/// The keys as the core uses them: one signer per country (its current key), and the
/// ring of every published public key for verification.
pub struct KeyMaterial {
    signers: HashMap<String, (Signer, OffsetDateTime)>,
    /// Verification ring (authoritative: this is the registry's own list).
    pub ring: KeyRing,
    /// The published trust list.
    pub trust_list: TrustList,
}

impl KeyMaterial {
    /// Loads every key from the store, validating each public key and each usable secret.
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
        let trust_list = TrustList { generated_at: now, keys: trusted, log: None };
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
) -> Result<KeyRecord, CoreError> {
    let pair = KeyPair::generate(alg).map_err(|error| CoreError::internal(error.to_string()))?;
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

impl Core {
    /// The trust list, dated now.
    pub fn trust_list(&self) -> TrustList {
        let mut list = self.keys().trust_list.clone();
        list.generated_at = self.now();
        list.log = Some(cartouche_seal::TrustedLog {
            origin: self.log_origin().to_owned(),
            vkey: self.log_vkey(),
            url: format!("{}/log/", self.config.public_url),
        });
        list
    }

    /// The public keys as a JWKS.
    pub fn jwks(&self) -> Jwks {
        Jwks::of(&self.keys().trust_list)
    }

    /// A new current key for `country` (administrators). The previous key is retired:
    /// it keeps verifying what it signed until it expires.
    pub fn rotate_key(&self, caller: &Caller, country: &str, alg: Option<Algorithm>) -> Result<RotatedKey, CoreError> {
        crate::country_code(country, "the country")?;
        self.authorize(caller, Action::Administer, None, &format!("key of {country}"))?;
        let alg = alg.unwrap_or(self.config.default_alg);
        let now = self.now();
        let record = generate_key(country, alg, now, self.config.key_lifetime)?;
        let retired: Vec<String> = self
            .keys()
            .trust_list
            .keys
            .iter()
            .filter(|k| k.country == country && k.retired_at.is_none())
            .map(|k| k.kid.clone())
            .collect();
        let kid = record.kid.clone();
        let entry = audit::entry(
            now,
            Some(&caller.actor()),
            AuditAction::KeyRotate,
            country,
            Outcome::Ok,
            &format!("new {} key {kid}", alg.as_str()),
        );
        self.store.rotate_key(record, entry)?;
        self.reload_keys()?;
        tracing::info!(country = %country, kid = %kid, alg = alg.as_str(), "signing key rotated");
        Ok(RotatedKey { kid, country: country.to_owned(), alg: alg.as_str(), created_at: rfc3339(now), retired })
    }
}
