//! Where secret keys live: sealed in the store under the key-encryption key (KEK), or in
//! a hardware security module. The vault makes new keys where they belong, opens stored
//! ones into signers, and seals the secrets a store from before kept in clear.
//!
//! The store only ever sees sealed secrets (or none, for keys in an HSM): a copy of it
//! without the KEK yields no usable key.

use std::sync::Arc;

use cartouche_model::Algorithm;
use cartouche_seal::{ExternalSignError, ExternalSigner, Kek, KeyPair, Signer};
use cartouche_store::{Custody, KeyRecord, ServiceKey, Store};
use time::OffsetDateTime;

use crate::CoreError;
use crate::audit::{self, AuditAction, Outcome};

/// The KEK, and the HSM if the registry has one.
pub struct KeyVault {
    kek: Kek,
    hsm: Option<Arc<cartouche_hsm::Hsm>>,
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault").field("kek", &self.kek.id()).field("hsm", &self.hsm.is_some()).finish()
    }
}

/// What a stored secret is bound to: a sealed secret moved to another record does not open.
fn seal_context(record: &KeyRecord) -> Vec<u8> {
    format!("cartouche seal key v1\n{}\n{}\n{}", record.country, record.alg.as_str(), record.kid).into_bytes()
}

fn service_context(purpose: &str, name: &str) -> Vec<u8> {
    format!("cartouche service key v1\n{purpose}\n{name}").into_bytes()
}

fn hsm_alg(alg: Algorithm) -> cartouche_hsm::HsmAlg {
    match alg {
        Algorithm::EdDSA => cartouche_hsm::HsmAlg::Ed25519,
        Algorithm::ES256 => cartouche_hsm::HsmAlg::P256,
    }
}

/// A 503 for an HSM that does not answer, or a 500 for anything else it says.
pub(crate) fn hsm_error(error: cartouche_hsm::HsmError) -> CoreError {
    if error.is_unavailable() {
        CoreError::new(
            crate::ErrorKind::Unavailable,
            "hsm_unavailable",
            format!("the hardware security module is unavailable: {error}; try again once it is back"),
        )
    } else {
        CoreError::internal(format!("hardware security module: {error}"))
    }
}

/// Signs seals with a key pair in the HSM.
struct HsmSigner {
    hsm: Arc<cartouche_hsm::Hsm>,
    id: Vec<u8>,
    alg: cartouche_hsm::HsmAlg,
}

impl ExternalSigner for HsmSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ExternalSignError> {
        self.hsm.sign(&self.id, self.alg, message).map_err(|error| ExternalSignError {
            unavailable: error.is_unavailable() || matches!(error, cartouche_hsm::HsmError::KeyNotFound { .. }),
            message: format!("the hardware security module: {error}"),
        })
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

impl KeyVault {
    /// Keys sealed under `kek`, made in this process.
    pub fn new(kek: Kek) -> Self {
        Self { kek, hsm: None }
    }

    /// A vault with a KEK of its own, for tests and tools that keep nothing.
    pub fn ephemeral() -> Self {
        Self::new(Kek::from_bytes(std::array::from_fn(|i| i as u8 ^ 0x5a)))
    }

    /// New seal keys are made in `hsm` (and keys recorded there sign through it).
    pub fn with_hsm(mut self, hsm: Arc<cartouche_hsm::Hsm>) -> Self {
        self.hsm = Some(hsm);
        self
    }

    /// The KEK's id.
    pub fn kek_id(&self) -> &str {
        self.kek.id()
    }

    /// The HSM, if any.
    pub fn hsm(&self) -> Option<&Arc<cartouche_hsm::Hsm>> {
        self.hsm.as_ref()
    }

    /// Where new seal keys are made: `sealed` or `hsm`.
    pub fn new_key_custody(&self) -> &'static str {
        if self.hsm.is_some() { "hsm" } else { "sealed" }
    }

    /// A new seal key for `country`: in the HSM if there is one, else sealed under the KEK.
    pub fn generate(
        &self,
        country: &str,
        alg: Algorithm,
        now: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Result<KeyRecord, CoreError> {
        if let Some(hsm) = &self.hsm {
            let label = format!("cartouche {country} {}", now.unix_timestamp());
            let key = hsm.generate(hsm_alg(alg), &label).map_err(hsm_error)?;
            let kid = cartouche_seal::kid_for(&key.public);
            return Ok(KeyRecord {
                kid,
                country: country.to_owned(),
                alg,
                custody: Custody::Hsm { token: hsm.info().token_label.clone(), id: hex(&key.id), label: key.label },
                secret: Vec::new(),
                public: key.public,
                created_at: now,
                retired_at: None,
                expires_at: now + lifetime,
            });
        }
        let pair = KeyPair::generate(alg).map_err(|error| CoreError::internal(error.to_string()))?;
        let mut record = KeyRecord {
            kid: pair.kid(),
            country: country.to_owned(),
            alg,
            custody: Custody::Store,
            secret: Vec::new(),
            public: pair.public.clone(),
            created_at: now,
            retired_at: None,
            expires_at: now + lifetime,
        };
        self.seal_record(&mut record, &pair.secret)?;
        Ok(record)
    }

    fn seal_record(&self, record: &mut KeyRecord, secret: &[u8]) -> Result<(), CoreError> {
        record.secret =
            self.kek.seal(secret, &seal_context(record)).map_err(|error| CoreError::internal(error.to_string()))?;
        record.custody = Custody::Sealed { kek: self.kek.id().to_owned() };
        Ok(())
    }

    /// The signer of a stored key, or why it cannot sign here (a person can act on it).
    pub fn signer(&self, record: &KeyRecord) -> Result<Signer, String> {
        match &record.custody {
            Custody::Store => self.local_signer(record, record.secret.clone()),
            Custody::Sealed { kek } => {
                if kek != self.kek.id() {
                    return Err(format!(
                        "key {} is sealed under KEK {kek}, and this server has KEK {}: start it with the KEK this store was sealed with",
                        record.kid,
                        self.kek.id()
                    ));
                }
                let secret = self.kek.open(&record.secret, &seal_context(record)).map_err(|error| error.to_string())?;
                self.local_signer(record, secret)
            }
            Custody::Hsm { token, id, label } => {
                let Some(hsm) = &self.hsm else {
                    return Err(format!(
                        "key {} is in the HSM token {token:?} (label {label:?}), and this server runs without an HSM (--keys pkcs11:...)",
                        record.kid
                    ));
                };
                let id = unhex(id).ok_or_else(|| format!("key {}: the stored HSM key id is not hex", record.kid))?;
                let found =
                    hsm.find(&id).map_err(|error| format!("key {}: {error}", record.kid))?.ok_or_else(|| {
                        format!(
                            "key {} (id {}, label {label:?}) is not on the HSM token {:?}",
                            record.kid,
                            hex(&id),
                            hsm.info().token_label
                        )
                    })?;
                if found.public != record.public {
                    return Err(format!("key {}: the HSM's key with that id has another public key", record.kid));
                }
                Ok(Signer::external(
                    record.alg,
                    &record.public,
                    Arc::new(HsmSigner { hsm: Arc::clone(hsm), id, alg: hsm_alg(record.alg) }),
                ))
            }
        }
    }

    fn local_signer(&self, record: &KeyRecord, secret: Vec<u8>) -> Result<Signer, String> {
        let pair = KeyPair::from_secret(record.alg, secret).map_err(|error| error.to_string())?;
        if pair.public != record.public {
            return Err("secret and public key do not match".into());
        }
        pair.signer().map_err(|error| error.to_string())
    }

    /// A new service key (the log's, the witness's): in the HSM if there is one, else
    /// sealed under the KEK.
    pub(crate) fn new_service_key(
        &self,
        purpose: &str,
        name: String,
        now: OffsetDateTime,
    ) -> Result<ServiceKey, CoreError> {
        if let Some(hsm) = &self.hsm {
            let label = format!("cartouche {purpose} {}", now.unix_timestamp());
            let key = hsm.generate(cartouche_hsm::HsmAlg::Ed25519, &label).map_err(hsm_error)?;
            return Ok(ServiceKey {
                purpose: purpose.to_owned(),
                name,
                custody: Custody::Hsm { token: hsm.info().token_label.clone(), id: hex(&key.id), label: key.label },
                secret: Vec::new(),
                created_at: now,
            });
        }
        let secret = cartouche_log::note::new_secret().map_err(|error| CoreError::internal(error.to_string()))?;
        self.sealed_service_key(purpose, name, &secret, now)
    }

    fn sealed_service_key(
        &self,
        purpose: &str,
        name: String,
        secret: &[u8],
        now: OffsetDateTime,
    ) -> Result<ServiceKey, CoreError> {
        let sealed = self
            .kek
            .seal(secret, &service_context(purpose, &name))
            .map_err(|error| CoreError::internal(error.to_string()))?;
        Ok(ServiceKey {
            purpose: purpose.to_owned(),
            name,
            custody: Custody::Sealed { kek: self.kek.id().to_owned() },
            secret: sealed,
            created_at: now,
        })
    }

    /// What signs for a stored service key.
    pub(crate) fn open_service_key(&self, key: &ServiceKey) -> Result<ServiceKeyHandle, CoreError> {
        let secret = match &key.custody {
            Custody::Store => key.secret.clone(),
            Custody::Sealed { kek } if kek == self.kek.id() => self
                .kek
                .open(&key.secret, &service_context(&key.purpose, &key.name))
                .map_err(|error| CoreError::internal(format!("the {} key: {error}", key.purpose)))?,
            Custody::Sealed { kek } => {
                return Err(CoreError::internal(format!(
                    "the {} key is sealed under KEK {kek}, and this server has KEK {}: start it with the KEK this store was sealed with",
                    key.purpose,
                    self.kek.id()
                )));
            }
            Custody::Hsm { token, id, label } => {
                let hsm = self.hsm.as_ref().ok_or_else(|| {
                    CoreError::internal(format!(
                        "the {} key is in the HSM token {token:?} (label {label:?}): start with --keys pkcs11:...",
                        key.purpose
                    ))
                })?;
                let id = unhex(id)
                    .ok_or_else(|| CoreError::internal(format!("the {} key's HSM id is not hex", key.purpose)))?;
                let found = hsm.find(&id).map_err(hsm_error)?.ok_or_else(|| {
                    CoreError::internal(format!("the {} key (label {label:?}) is not on the HSM token", key.purpose))
                })?;
                let public = <[u8; 32]>::try_from(found.public.as_slice())
                    .map_err(|_| CoreError::internal(format!("the {} key in the HSM is not Ed25519", key.purpose)))?;
                let signer = Arc::new(HsmSigner { hsm: Arc::clone(hsm), id, alg: cartouche_hsm::HsmAlg::Ed25519 });
                return Ok(ServiceKeyHandle::External(public, signer));
            }
        };
        let secret = <[u8; 32]>::try_from(secret.as_slice())
            .map_err(|_| CoreError::internal(format!("the stored {} key is not 32 bytes", key.purpose)))?;
        Ok(ServiceKeyHandle::Local(secret))
    }
}

/// Every service key the registry holds: the log's, the witness's, the federation's.
pub const SERVICE_KEY_PURPOSES: [&str; 3] = ["log", "witness", "federation"];

/// What signs for a service key.
pub(crate) enum ServiceKeyHandle {
    /// The secret, opened.
    Local([u8; 32]),
    /// The public key, and the HSM that signs with it.
    External([u8; 32], Arc<dyn cartouche_log::note::Ed25519Sign>),
}

impl cartouche_log::note::Ed25519Sign for HsmSigner {
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], String> {
        let signature = self.hsm.sign(&self.id, self.alg, message).map_err(|error| error.to_string())?;
        <[u8; 64]>::try_from(signature.as_slice()).map_err(|_| "the HSM's signature is not 64 bytes".to_owned())
    }
}

/// The KEK ids the store's sealed secrets were sealed under (empty for a new store or one
/// from before keys were sealed): checked at start against the KEK given.
pub fn sealing_keks(store: &dyn Store) -> Result<Vec<String>, CoreError> {
    let mut keks: Vec<String> = Vec::new();
    let service = SERVICE_KEY_PURPOSES.into_iter().filter_map(|purpose| store.service_key(purpose).transpose());
    let custodies = store
        .keys()?
        .into_iter()
        .map(|record| record.custody)
        .chain(service.map(|key| key.map(|key| key.custody)).collect::<Result<Vec<_>, _>>()?);
    for custody in custodies {
        if let Custody::Sealed { kek } = custody
            && !keks.contains(&kek)
        {
            keks.push(kek);
        }
    }
    Ok(keks)
}

/// Seals every secret the store keeps in clear (a store from before keys were sealed),
/// each with its audit entry. Returns how many were sealed.
pub fn seal_stored_secrets(store: &dyn Store, vault: &KeyVault, now: OffsetDateTime) -> Result<usize, CoreError> {
    let actor = cartouche_model::Actor { role: cartouche_model::Role::Admin, country: None, token_id: "start".into() };
    let mut sealed = 0;
    for mut record in store.keys()? {
        if record.custody != Custody::Store {
            continue;
        }
        let secret = std::mem::take(&mut record.secret);
        vault.seal_record(&mut record, &secret)?;
        let detail = format!("sealed under KEK {}", vault.kek_id());
        let entry = audit::entry(now, Some(&actor), AuditAction::KeySeal, &record.kid, Outcome::Ok, &detail);
        store.update_key(record, entry)?;
        sealed += 1;
    }
    for purpose in SERVICE_KEY_PURPOSES {
        let Some(key) = store.service_key(purpose)? else { continue };
        if key.custody != Custody::Store {
            continue;
        }
        let replacement = vault.sealed_service_key(purpose, key.name.clone(), &key.secret, key.created_at)?;
        let detail = format!("{purpose} key sealed under KEK {}", vault.kek_id());
        let entry = audit::entry(now, Some(&actor), AuditAction::KeySeal, purpose, Outcome::Ok, &detail);
        store.replace_service_key(replacement, entry)?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Whether `text` is a non-empty even-length hex string (a CKA_ID).
pub(crate) fn is_hex_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 128 && unhex(text).is_some()
}
