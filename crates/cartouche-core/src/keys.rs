//! Signing keys in memory (one signer per country, the ring of every published public
//! key), key generation, rotation, the trust list and the JWKS.

use std::collections::HashMap;

use cartouche_model::Algorithm;
use cartouche_seal::{KeyCeremony, KeyRing, Signer, TrustList, TrustedKey};
use cartouche_store::{Custody, KeyRecord, Store, StoreError};
use time::OffsetDateTime;

use crate::audit::{self, AuditAction, Outcome};
use crate::vault::KeyVault;
use crate::views::{Jwks, KeyView, RotatedKey, rfc3339};
use crate::{Action, Caller, Core, CoreError};

/// The keys as the core uses them: one signer per country (its current key), and the
/// ring of every published public key for verification.
pub struct KeyMaterial {
    signers: HashMap<String, CurrentKey>,
    /// Why a country's newest key cannot sign here (in an HSM this server lacks, say).
    unusable: HashMap<String, String>,
    /// Verification ring (authoritative: this is the registry's own list).
    pub ring: KeyRing,
    /// The published trust list.
    pub trust_list: TrustList,
}

struct CurrentKey {
    signer: Signer,
    created_at: OffsetDateTime,
    sign_until: Option<OffsetDateTime>,
}

impl KeyMaterial {
    /// Loads every key from the store, validating each public key, and opens the secret
    /// of each key that may sign now through `vault`. A key that cannot sign here is
    /// logged and remembered with the reason; it still verifies.
    pub fn load(store: &dyn Store, vault: &KeyVault, now: OffsetDateTime) -> Result<Self, StoreError> {
        let records = store.keys()?;
        let mut signers: HashMap<String, CurrentKey> = HashMap::new();
        let mut unusable: HashMap<String, (OffsetDateTime, String)> = HashMap::new();
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
            let usable = record.retired_at.is_none_or(|until| until > now) && record.expires_at > now;
            let newer = signers.get(&record.country).is_none_or(|current| record.created_at > current.created_at);
            if usable && newer {
                match vault.signer(record) {
                    Ok(signer) => {
                        signers.insert(
                            record.country.clone(),
                            CurrentKey { signer, created_at: record.created_at, sign_until: record.retired_at },
                        );
                    }
                    Err(reason) => {
                        tracing::warn!(kid = %record.kid, country = %record.country, %reason, "a signing key cannot sign here");
                        if unusable.get(&record.country).is_none_or(|(created, _)| record.created_at > *created) {
                            unusable.insert(record.country.clone(), (record.created_at, reason));
                        }
                    }
                }
            }
        }
        // A reason matters only where it is about a country's newest usable key.
        let unusable = unusable
            .into_iter()
            .filter(|(country, (created, _))| signers.get(country).is_none_or(|current| *created > current.created_at))
            .map(|(country, (_, reason))| (country, reason))
            .collect();
        trusted.sort_by(|a, b| (&a.country, a.created_at).cmp(&(&b.country, b.created_at)));
        let trust_list = TrustList { generated_at: now, keys: trusted, log: None };
        let ring = KeyRing::new(&trust_list, true).map_err(|error| StoreError::Corrupt {
            tree: "keys",
            key: "*".into(),
            reason: error.to_string(),
        })?;
        Ok(Self { signers, unusable, ring, trust_list })
    }

    /// The current signer of `country` at `now`, or why there is none.
    pub fn signer(&self, country: &str, now: OffsetDateTime) -> Result<&Signer, CoreError> {
        if let Some(reason) = self.unusable.get(country) {
            return Err(CoreError::new(
                crate::ErrorKind::Unavailable,
                "signing_key_unavailable",
                format!("{country}'s current signing key cannot sign on this server: {reason}"),
            ));
        }
        match self.signers.get(country) {
            Some(current) if current.sign_until.is_none_or(|until| until > now) => Ok(&current.signer),
            _ => Err(CoreError::conflict(
                "no_signing_key",
                format!(
                    "{country} has no current signing key; an administrator must create one (POST /api/v1/countries/{country}/keys) or import one (POST /api/v1/keys)"
                ),
            )),
        }
    }

    /// The expiry of a key.
    pub fn expires_at(&self, kid: &str) -> Option<OffsetDateTime> {
        self.ring.get(kid).map(|key| key.expires_at)
    }
}

/// Generates a key record for `country` where `vault` makes keys.
pub fn generate_key(
    vault: &KeyVault,
    country: &str,
    alg: Algorithm,
    now: OffsetDateTime,
    lifetime: time::Duration,
) -> Result<KeyRecord, CoreError> {
    vault.generate(country, alg, now, lifetime)
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
        self.check_served_path(country)?;
        let alg = alg.unwrap_or(self.config.default_alg);
        let now = self.now();
        let record = generate_key(&self.config.vault, country, alg, now, self.config.key_lifetime)?;
        self.replace_current_key(caller, record, AuditAction::KeyRotate, now)
    }

    /// Every signing key with where it lives (administrators).
    pub fn list_keys(&self, caller: &Caller) -> Result<crate::views::Items<KeyView>, CoreError> {
        self.authorize(caller, Action::Administer, None, "keys")?;
        let now = self.now();
        let material = self.keys();
        let mut items = Vec::new();
        for record in self.store.keys()? {
            let signs_here = material.signer(&record.country, now).is_ok_and(|signer| signer.kid == record.kid);
            let status = if record.expires_at <= now {
                "expired"
            } else if record.retired_at.is_some_and(|until| until <= now) {
                "retired"
            } else if signs_here && record.retired_at.is_some() {
                "retiring"
            } else if signs_here {
                "current"
            } else {
                "retired"
            };
            let public_key_jwk = material
                .trust_list
                .keys
                .iter()
                .find(|key| key.kid == record.kid)
                .map(|key| key.public_key_jwk.clone())
                .ok_or_else(|| CoreError::internal(format!("key {} is not in the trust list", record.kid)))?;
            items.push(KeyView {
                kid: record.kid,
                country: record.country,
                alg: record.alg.as_str(),
                status,
                created_at: rfc3339(record.created_at),
                sign_until: record.retired_at.map(rfc3339),
                verify_until: rfc3339(record.expires_at),
                custody: record.custody,
                signs_here,
                public_key_jwk,
            });
        }
        items.sort_by(|a, b| (&a.country, &a.created_at).cmp(&(&b.country, &b.created_at)));
        Ok(crate::views::Items { items })
    }

    /// Makes a key from a key ceremony its country's current key (administrators): the
    /// proof of possession must verify, and the key must be new. The previous key is
    /// retired and keeps verifying.
    pub fn import_key(&self, caller: &Caller, ceremony: KeyCeremony) -> Result<RotatedKey, CoreError> {
        crate::country_code(&ceremony.country, "the country")?;
        self.authorize(caller, Action::Administer, None, &format!("key of {}", ceremony.country))?;
        self.check_served(&ceremony.country)?;
        let public = ceremony.verify().map_err(|reason| {
            CoreError::unprocessable("invalid_key_ceremony", format!("the key file is refused: {reason}"))
        })?;
        let now = self.now();
        let leeway = time::Duration::minutes(5);
        if ceremony.generated_at > now + leeway {
            return Err(CoreError::unprocessable(
                "invalid_key_ceremony",
                format!(
                    "the key file says it was made at {}, in the future; check the ceremony machine's clock",
                    rfc3339(ceremony.generated_at)
                ),
            ));
        }
        if self.store.keys()?.iter().any(|record| record.kid == ceremony.kid) {
            return Err(CoreError::conflict(
                "key_exists",
                format!("key {} is already known to this registry", ceremony.kid),
            ));
        }
        if !crate::vault::is_hex_id(&ceremony.hsm.id) {
            return Err(CoreError::unprocessable("invalid_key_ceremony", "hsm.id must be the key's CKA_ID in hex"));
        }
        let record = KeyRecord {
            kid: ceremony.kid.clone(),
            country: ceremony.country.clone(),
            alg: ceremony.alg,
            custody: Custody::Hsm {
                token: ceremony.hsm.token.clone(),
                id: ceremony.hsm.id.to_ascii_lowercase(),
                label: ceremony.hsm.label.clone(),
            },
            secret: Vec::new(),
            public,
            created_at: now,
            retired_at: None,
            expires_at: now + self.config.key_lifetime,
        };
        // Before it replaces anything: the key must sign here, or the country could not issue.
        self.config.vault.signer(&record).map_err(|reason| {
            CoreError::unprocessable(
                "key_not_usable",
                format!("the key cannot sign on this server, so it was not imported: {reason}"),
            )
        })?;
        self.replace_current_key(caller, record, AuditAction::KeyImport, now)
    }

    /// Ends a key's signing at `sign_until` (default now) and, optionally, what it signed
    /// verifying at `verify_until` (never later than it was). Administrators.
    pub fn retire_key(
        &self,
        caller: &Caller,
        kid: &str,
        sign_until: Option<OffsetDateTime>,
        verify_until: Option<OffsetDateTime>,
    ) -> Result<KeyView, CoreError> {
        self.authorize(caller, Action::Administer, None, &format!("key {kid}"))?;
        let now = self.now();
        let mut record = self
            .store
            .keys()?
            .into_iter()
            .find(|record| record.kid == kid)
            .ok_or_else(|| CoreError::not_found(format!("key {kid} does not exist")))?;
        let sign_until = sign_until.unwrap_or(now).max(record.created_at);
        let sign_until = record.retired_at.map_or(sign_until, |already| already.min(sign_until));
        let verify_until = verify_until.unwrap_or(record.expires_at);
        if verify_until > record.expires_at {
            return Err(CoreError::invalid(
                "invalid_retirement",
                format!(
                    "verify_until may only shorten a key's life: key {kid} verifies until {}",
                    rfc3339(record.expires_at)
                ),
            ));
        }
        if verify_until < sign_until {
            return Err(CoreError::invalid(
                "invalid_retirement",
                "verify_until is before sign_until: a key must verify at least what it may still sign",
            ));
        }
        record.retired_at = Some(sign_until);
        record.expires_at = verify_until;
        let detail = format!(
            "signs until {}, verifies until {} ({})",
            rfc3339(sign_until),
            rfc3339(verify_until),
            record.custody.kind()
        );
        let entry = audit::entry(now, Some(&caller.actor()), AuditAction::KeyRetire, kid, Outcome::Ok, &detail);
        self.store.update_key(record, entry)?;
        self.reload_keys()?;
        tracing::info!(kid = %kid, sign_until = %rfc3339(sign_until), verify_until = %rfc3339(verify_until), "signing key retired");
        self.list_keys(caller)?
            .items
            .into_iter()
            .find(|view| view.kid == kid)
            .ok_or_else(|| CoreError::internal(format!("key {kid} vanished")))
    }

    fn replace_current_key(
        &self,
        caller: &Caller,
        record: KeyRecord,
        action: AuditAction,
        now: OffsetDateTime,
    ) -> Result<RotatedKey, CoreError> {
        let country = record.country.clone();
        let alg = record.alg;
        let retired: Vec<String> = self
            .keys()
            .trust_list
            .keys
            .iter()
            .filter(|k| k.country == country && k.retired_at.is_none_or(|until| until > now))
            .map(|k| k.kid.clone())
            .collect();
        let kid = record.kid.clone();
        let entry = audit::entry(
            now,
            Some(&caller.actor()),
            action,
            &country,
            Outcome::Ok,
            &format!("new {} key {kid} ({})", alg.as_str(), record.custody.kind()),
        );
        self.store.rotate_key(record, entry)?;
        self.reload_keys()?;
        tracing::info!(country = %country, kid = %kid, alg = alg.as_str(), action = action.as_str(), "signing key replaced");
        Ok(RotatedKey { kid, country, alg: alg.as_str(), created_at: rfc3339(now), retired })
    }
}
