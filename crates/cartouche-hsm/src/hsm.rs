//! The token: module loading, sessions, key generation, look-up and signing.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256};

use crate::error::{hex, is_session_lost, map_ck, rv_of};
use crate::{HsmConfig, HsmError};

/// DER of the OID 1.3.101.112 (id-Ed25519, RFC 8410).
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER of the PrintableString "edwards25519" (the PKCS#11 3.0 curve-name form).
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";
/// DER of the OID 1.3.6.1.4.1.11591.15.1 (the GnuPG curve OID some tokens report for Ed25519).
const ED25519_GNU_OID: &[u8] = &[0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
/// DER of the OID 1.2.840.10045.3.1.7 (prime256v1, secp256r1).
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// How long `sign` and friends wait for a busy session before giving up.
const SESSION_WAIT: Duration = Duration::from_secs(5);

/// The signature algorithm of a key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HsmAlg {
    /// Ed25519 (JWS `EdDSA`): CKK_EC_EDWARDS on edwards25519, signed with CKM_EDDSA.
    Ed25519,
    /// ECDSA on P-256 (JWS `ES256`): CKK_EC on prime256v1, signed with CKM_ECDSA over a SHA-256 digest.
    P256,
}

impl HsmAlg {
    fn name(self) -> &'static str {
        match self {
            HsmAlg::Ed25519 => "Ed25519",
            HsmAlg::P256 => "P-256",
        }
    }
}

/// A key pair on the token.
#[derive(Clone, Debug)]
pub struct HsmKey {
    /// CKA_ID, shared by both halves (16 random bytes chosen at generation).
    pub id: Vec<u8>,
    /// CKA_LABEL.
    pub label: String,
    /// The algorithm.
    pub alg: HsmAlg,
    /// The public key: the 32-byte raw Ed25519 key, or the 65-byte uncompressed SEC1 P-256 point (0x04||x||y).
    pub public: Vec<u8>,
}

/// What the token says about itself.
#[derive(Clone, Debug)]
pub struct HsmInfo {
    /// The slot the token is in.
    pub slot: u64,
    /// The token label (trimmed).
    pub token_label: String,
    /// The token manufacturer (trimmed).
    pub manufacturer: String,
    /// The token model (trimmed).
    pub model: String,
    /// The token serial number (trimmed).
    pub serial: String,
}

/// A logged-in connection to one token, with a small pool of sessions. `Send + Sync`: share it between threads.
pub struct Hsm {
    ctx: Pkcs11,
    slot: Slot,
    pin: AuthPin,
    info: HsmInfo,
    module: PathBuf,
    pool: Pool,
    /// Bumped by `destroy`: cached object handles older than this are dropped.
    generation: AtomicU64,
    /// Set once the token refused the PIN: it is never tried again by this process, since
    /// tokens lock the user out after a few wrong PINs.
    pin_refused: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for Hsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hsm").field("module", &self.module).field("info", &self.info).finish_non_exhaustive()
    }
}

/// A session from the pool, with the private-key handles it has looked up.
struct PooledSession {
    session: Session,
    generation: u64,
    handles: HashMap<Vec<u8>, (ObjectHandle, HsmAlg)>,
}

struct PoolState {
    idle: Vec<PooledSession>,
    /// Sessions open, idle or in use.
    open: usize,
}

struct Pool {
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A session taken from the pool; goes back to it when dropped, unless discarded.
struct Lease<'a> {
    hsm: &'a Hsm,
    session: Option<PooledSession>,
}

impl Lease<'_> {
    /// Closes the session (it is broken) and frees its place in the pool.
    fn discard(mut self) {
        if let Some(s) = self.session.take() {
            drop(s);
            let pool = &self.hsm.pool;
            let mut st = pool.lock();
            st.open = st.open.saturating_sub(1);
            drop(st);
            pool.freed.notify_one();
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let pool = &self.hsm.pool;
            pool.lock().idle.push(s);
            pool.freed.notify_one();
        }
    }
}

/// The loaded modules, by path: C_Initialize is process-wide, so every `Hsm` on one module shares one context,
/// and the module is never finalised or unloaded.
fn module_context(path: &Path) -> Result<Pkcs11, HsmError> {
    static MODULES: OnceLock<Mutex<Vec<(PathBuf, Pkcs11)>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut modules = MODULES.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, ctx)) = modules.iter().find(|(p, _)| *p == key) {
        return Ok(ctx.clone());
    }
    let module_err = |reason: String| HsmError::Module { path: path.display().to_string(), reason };
    if !path.exists() {
        return Err(module_err(
            "no such file: module-path= must name the vendor's PKCS#11 library (for SoftHSM2 \
             /usr/lib/softhsm/libsofthsm2.so)"
                .into(),
        ));
    }
    let ctx = Pkcs11::new(path).map_err(|e| module_err(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => tracing::debug!(module = %path.display(), "PKCS#11 module initialised"),
        Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {
            tracing::debug!(module = %path.display(), "PKCS#11 module was already initialised in this process")
        }
        Err(e) => return Err(module_err(format!("C_Initialize failed: {}", describe(&e)))),
    }
    modules.push((key, ctx.clone()));
    Ok(ctx)
}

/// "C_Foo returned CKR_BAR", or the error's own text.
fn describe(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, f) => format!("{} returned {}", crate::error::fn_name(*f), crate::error::ckr_name(*rv)),
        other => other.to_string(),
    }
}

/// The result of one attempt at an operation on a session.
enum OpError {
    /// A PKCS#11 call failed; `doing` says what we were doing.
    Ck(String, CkError),
    /// Anything else, already mapped.
    Hsm(HsmError),
}

impl OpError {
    fn session_lost(&self) -> bool {
        matches!(self, OpError::Ck(_, e) if rv_of(e).is_some_and(is_session_lost))
    }

    fn into_hsm(self) -> HsmError {
        match self {
            OpError::Ck(doing, e) => map_ck(&doing, e),
            OpError::Hsm(e) => e,
        }
    }
}

impl From<HsmError> for OpError {
    fn from(e: HsmError) -> Self {
        OpError::Hsm(e)
    }
}

/// Wraps a cryptoki result with what we were doing.
trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, OpError>;
}

impl<T> Doing<T> for Result<T, CkError> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, OpError> {
        self.map_err(|e| OpError::Ck(what(), e))
    }
}

impl Hsm {
    /// Loads the module, initialises it (once per process; an already initialised module is fine), finds the
    /// slot whose token label matches (trimmed), opens a read/write session and logs in as the user.
    /// At most `pool_size` sessions (at least 1) are opened, as threads need them.
    pub fn open(config: &HsmConfig, pool_size: usize) -> Result<Self, HsmError> {
        let ctx = module_context(&config.module)?;
        let wanted = config.token_label.trim();
        let slots = ctx.get_slots_with_token().map_err(|e| map_ck("listing the HSM slots", e))?;
        let mut available = Vec::new();
        let mut found = None;
        for slot in slots {
            let token = match ctx.get_token_info(slot) {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(slot = slot.id(), error = %e, "skipping a slot whose token info cannot be read");
                    continue;
                }
            };
            let label = token.label().trim().to_owned();
            if label == wanted {
                found = Some((slot, token));
                break;
            }
            if token.token_initialized() && !label.is_empty() {
                available.push(label);
            }
        }
        let Some((slot, token)) = found else {
            return Err(HsmError::TokenNotFound { label: wanted.to_owned(), available });
        };
        let info = HsmInfo {
            slot: slot.id(),
            token_label: token.label().trim().to_owned(),
            manufacturer: token.manufacturer_id().trim().to_owned(),
            model: token.model().trim().to_owned(),
            serial: token.serial_number().trim().to_owned(),
        };
        let max = pool_size.max(1);
        let hsm = Hsm {
            ctx,
            slot,
            pin: AuthPin::from(config.pin().to_owned()),
            info,
            module: config.module.clone(),
            pool: Pool { max, state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }), freed: Condvar::new() },
            generation: AtomicU64::new(0),
            pin_refused: std::sync::atomic::AtomicBool::new(false),
        };
        // Open and log in one session now, so a wrong PIN or a broken token shows at start-up.
        let first = hsm.new_session()?;
        {
            let mut st = hsm.pool.lock();
            st.idle.push(first);
            st.open = 1;
        }
        tracing::info!(
            module = %hsm.module.display(),
            slot = hsm.info.slot,
            token = %hsm.info.token_label,
            manufacturer = %hsm.info.manufacturer,
            model = %hsm.info.model,
            serial = %hsm.info.serial,
            sessions = max,
            "HSM token opened"
        );
        Ok(hsm)
    }

    /// What the token says about itself.
    pub fn info(&self) -> &HsmInfo {
        &self.info
    }

    /// Generates a key pair in the token: the private half is a token object, private, sensitive, not
    /// extractable and can only sign; the public half can verify. Both get a fresh 16-byte CKA_ID from the
    /// token's random generator and `label` as CKA_LABEL. Returns the pair with its public key.
    pub fn generate(&self, alg: HsmAlg, label: &str) -> Result<HsmKey, HsmError> {
        let key = self.run(&format!("generating a key pair ({})", alg.name()), |s| {
            let id = s.session.generate_random_vec(16).doing(|| "drawing a key id".into())?;
            let (mechanism, params_choices): (Mechanism, &[&[u8]]) = match alg {
                HsmAlg::Ed25519 => (Mechanism::EccEdwardsKeyPairGen, &[ED25519_OID, ED25519_NAME]),
                HsmAlg::P256 => (Mechanism::EccKeyPairGen, &[P256_OID]),
            };
            let label_bytes = label.as_bytes().to_vec();
            let mut last_err = None;
            for params in params_choices {
                let public_template = [
                    Attribute::Token(true),
                    Attribute::Private(false),
                    Attribute::Verify(true),
                    Attribute::EcParams(params.to_vec()),
                    Attribute::Id(id.clone()),
                    Attribute::Label(label_bytes.clone()),
                ];
                let private_template = [
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Sign(true),
                    Attribute::Id(id.clone()),
                    Attribute::Label(label_bytes.clone()),
                ];
                match s.session.generate_key_pair(&mechanism, &public_template, &private_template) {
                    Ok((public, private)) => {
                        let point = s
                            .session
                            .get_attributes(public, &[AttributeType::EcPoint])
                            .doing(|| "reading the new public key".into())
                            .and_then(|attrs| {
                                let raw = attrs.into_iter().find_map(|a| match a {
                                    Attribute::EcPoint(p) => Some(p),
                                    _ => None,
                                });
                                raw.ok_or_else(|| {
                                    OpError::Hsm(HsmError::Failed("the new public key has no CKA_EC_POINT".into()))
                                })
                            })
                            .and_then(|raw| Ok(public_key_bytes(alg, &raw)?));
                        return match point {
                            Ok(public) => Ok(HsmKey { id, label: label.to_owned(), alg, public }),
                            Err(e) => {
                                // Do not leave half-usable keys behind.
                                let _ = s.session.destroy_object(private);
                                let _ = s.session.destroy_object(public);
                                Err(e)
                            }
                        };
                    }
                    Err(e)
                        if alg == HsmAlg::Ed25519
                            && matches!(
                                rv_of(&e),
                                Some(
                                    RvError::AttributeValueInvalid
                                        | RvError::CurveNotSupported
                                        | RvError::DomainParamsInvalid
                                        | RvError::TemplateInconsistent
                                )
                            ) =>
                    {
                        // Some tokens know edwards25519 only by name, others only by OID: try the next form.
                        tracing::debug!(error = %describe(&e), "the token refused this Ed25519 CKA_EC_PARAMS form");
                        last_err = Some(e);
                    }
                    Err(e) => return Err(OpError::Ck("generating a key pair".into(), e)),
                }
            }
            Err(match last_err {
                Some(e) => OpError::Ck("generating a key pair (neither Ed25519 CKA_EC_PARAMS form accepted)".into(), e),
                None => OpError::Hsm(HsmError::Failed("no CKA_EC_PARAMS to try".into())),
            })
        })?;
        tracing::info!(id = %hex(&key.id), label = %key.label, alg = key.alg.name(), "generated a key pair in the HSM");
        Ok(key)
    }

    /// The key pair with this CKA_ID, or `None` if the token has no private key with it. (`None` is checked:
    /// if the token has gone, or the session lost its login, the answer is `Unavailable` or a retry instead.)
    pub fn find(&self, id: &[u8]) -> Result<Option<HsmKey>, HsmError> {
        let what = format!("looking up key {}", hex(id));
        let found = self.run(&what, |s| {
            let privates = s
                .session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(id.to_vec())])
                .doing(|| "finding the private key".into())?;
            let Some(&private) = privates.first() else {
                ensure_logged_in(&s.session)?;
                return Ok(None);
            };
            if privates.len() > 1 {
                tracing::warn!(id = %hex(id), count = privates.len(), "several private keys share this id; using the first");
            }
            let (alg, label) = private_alg_label(&s.session, private)?;
            let Some(alg) = alg else {
                return Err(OpError::Hsm(HsmError::Unsupported(format!(
                    "key {} is neither an Ed25519 nor a P-256 key",
                    hex(id)
                ))));
            };
            let publics = s
                .session
                .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::Id(id.to_vec())])
                .doing(|| "finding the public key".into())?;
            let Some(&public) = publics.first() else {
                return Err(OpError::Hsm(HsmError::Failed(format!(
                    "the token has the private key {} but not its public half",
                    hex(id)
                ))));
            };
            let point = ec_point(&s.session, public)?;
            let public = public_key_bytes(alg, &point)?;
            Ok(Some(HsmKey { id: id.to_vec(), label, alg, public }))
        })?;
        if found.is_none() {
            self.check_token(&what)?;
        }
        Ok(found)
    }

    /// Every Ed25519 and P-256 key pair on the token (private key present), with its public half. Other keys,
    /// and private keys without their public half, are skipped (with a warning for the latter).
    pub fn keys(&self) -> Result<Vec<HsmKey>, HsmError> {
        let keys = self.run("listing the keys", |s| {
            let mut publics: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            let public_handles = s
                .session
                .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY)])
                .doing(|| "finding the public keys".into())?;
            for h in public_handles {
                let attrs = s
                    .session
                    .get_attributes(h, &[AttributeType::Id, AttributeType::EcPoint])
                    .doing(|| "reading a public key".into())?;
                let mut id = None;
                let mut point = None;
                for a in attrs {
                    match a {
                        Attribute::Id(v) => id = Some(v),
                        Attribute::EcPoint(v) => point = Some(v),
                        _ => {}
                    }
                }
                if let (Some(id), Some(point)) = (id, point) {
                    publics.entry(id).or_insert(point);
                }
            }
            let private_handles = s
                .session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
                .doing(|| "finding the private keys".into())?;
            let mut keys = Vec::new();
            for h in private_handles {
                let (alg, label) = private_alg_label(&s.session, h)?;
                let Some(alg) = alg else { continue };
                let id = s
                    .session
                    .get_attributes(h, &[AttributeType::Id])
                    .doing(|| "reading a private key's id".into())?
                    .into_iter()
                    .find_map(|a| match a {
                        Attribute::Id(v) => Some(v),
                        _ => None,
                    })
                    .unwrap_or_default();
                let Some(point) = publics.get(&id) else {
                    tracing::warn!(id = %hex(&id), "skipping a private key whose public half is not on the token");
                    continue;
                };
                match public_key_bytes(alg, point) {
                    Ok(public) => keys.push(HsmKey { id, label, alg, public }),
                    Err(e) => {
                        tracing::warn!(id = %hex(&id), error = %e, "skipping a key with an unreadable public key")
                    }
                }
            }
            ensure_logged_in(&s.session)?;
            Ok(keys)
        })?;
        self.check_token("listing the keys")?;
        Ok(keys)
    }

    /// Signs `message` with the private key whose CKA_ID is `id`.
    ///
    /// Ed25519: CKM_EDDSA (pure Ed25519) over `message`, a 64-byte signature. P-256: CKM_ECDSA over the SHA-256
    /// of `message` (hashed here), the raw 64-byte r||s, not low-S normalised.
    ///
    /// `KeyNotFound` if the token has no such private key, `Failed` if the key is not of algorithm `alg`,
    /// `Unavailable` if the token has gone or no session can be had.
    pub fn sign(&self, id: &[u8], alg: HsmAlg, message: &[u8]) -> Result<Vec<u8>, HsmError> {
        let digest;
        let (mechanism, data) = match alg {
            HsmAlg::Ed25519 => (Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)), message),
            HsmAlg::P256 => {
                digest = Sha256::digest(message);
                (Mechanism::Ecdsa, &digest[..])
            }
        };
        let generation = self.generation.load(Ordering::Acquire);
        self.run(&format!("signing with key {}", hex(id)), |s| {
            if s.generation != generation {
                s.handles.clear();
                s.generation = generation;
            }
            let mut cached = true;
            loop {
                let (handle, key_alg) = match s.handles.get(id) {
                    Some(&h) => h,
                    None => {
                        cached = false;
                        let h = lookup_private(&s.session, id)?;
                        s.handles.insert(id.to_vec(), h);
                        h
                    }
                };
                if key_alg != alg {
                    return Err(OpError::Hsm(HsmError::Failed(format!(
                        "key {} is {}, not {}",
                        hex(id),
                        key_alg.name(),
                        alg.name()
                    ))));
                }
                match s.session.sign(&mechanism, handle, data) {
                    Ok(sig) if sig.len() == 64 => return Ok(sig),
                    Ok(sig) => {
                        return Err(OpError::Hsm(HsmError::Failed(format!(
                            "C_Sign returned a {}-byte signature, expected 64",
                            sig.len()
                        ))));
                    }
                    Err(e)
                        if cached
                            && matches!(rv_of(&e), Some(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid)) =>
                    {
                        // The key went away or changed handle under this session: look it up again, once.
                        s.handles.remove(id);
                        cached = false;
                    }
                    Err(e) => return Err(OpError::Ck("signing".into(), e)),
                }
            }
        })
    }

    /// Deletes both halves of the key pair with this CKA_ID (`KeyNotFound` if there is neither).
    pub fn destroy(&self, id: &[u8]) -> Result<(), HsmError> {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.run(&format!("deleting key {}", hex(id)), |s| {
            s.handles.remove(id);
            let mut objects = Vec::new();
            for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
                objects.extend(
                    s.session
                        .find_objects(&[Attribute::Class(class), Attribute::Id(id.to_vec())])
                        .doing(|| "finding the key pair".into())?,
                );
            }
            if objects.is_empty() {
                ensure_logged_in(&s.session)?;
                return Err(OpError::Hsm(HsmError::KeyNotFound { id: hex(id) }));
            }
            for o in objects {
                s.session.destroy_object(o).doing(|| "deleting a key object".into())?;
            }
            Ok(())
        })?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        tracing::info!(id = %hex(id), "deleted a key pair from the HSM");
        Ok(())
    }

    /// Runs `op` on a pooled session. If the session turns out to be lost (closed, token removed, logged out,
    /// device error), drops it, opens and logs in a fresh one and tries once more.
    fn run<T>(&self, what: &str, mut op: impl FnMut(&mut PooledSession) -> Result<T, OpError>) -> Result<T, HsmError> {
        let mut lease = self.take()?;
        let first = match lease.session.as_mut() {
            Some(s) => op(s),
            None => return Err(HsmError::Failed("internal: empty session lease".into())),
        };
        let err = match first {
            Ok(v) => return Ok(v),
            Err(e) if e.session_lost() => e,
            Err(e) => return Err(self.unless_token_gone(what, e.into_hsm())),
        };
        let first_msg = err.into_hsm().to_string();
        tracing::warn!(doing = what, error = %first_msg, "HSM session lost; opening a fresh one and retrying once");
        lease.discard();
        let mut lease = match self.take_fresh() {
            Ok(l) => l,
            Err(e) => {
                return Err(match e {
                    HsmError::PinIncorrect | HsmError::PinLocked => e,
                    other => HsmError::Unavailable(format!(
                        "{what}: the session was lost ({first_msg}) and a new one could not be opened ({other})"
                    )),
                });
            }
        };
        let second = match lease.session.as_mut() {
            Some(s) => op(s),
            None => return Err(HsmError::Failed("internal: empty session lease".into())),
        };
        match second {
            Ok(v) => {
                tracing::info!(doing = what, "HSM operation succeeded on a fresh session");
                Ok(v)
            }
            Err(e) if e.session_lost() => {
                let msg = e.into_hsm().to_string();
                lease.discard();
                Err(HsmError::Unavailable(format!("{what}: failed again on a fresh session: {msg}")))
            }
            Err(e) => Err(self.unless_token_gone(what, e.into_hsm())),
        }
    }

    /// What is wrong with the token, if it is no longer the one opened: gone (SoftHSM2 answers C_GetTokenInfo
    /// with CKR_GENERAL_ERROR once its token directory is deleted), uninitialised, or another token.
    fn token_problem(&self) -> Option<String> {
        match self.ctx.get_token_info(self.slot) {
            Err(e) => Some(format!(
                "the token {:?} in slot {} cannot be read ({})",
                self.info.token_label,
                self.info.slot,
                describe(&e)
            )),
            Ok(t) if !t.token_initialized() || t.label().trim() != self.info.token_label => Some(format!(
                "slot {} no longer holds the token {:?} (now {:?})",
                self.info.slot,
                self.info.token_label,
                t.label().trim()
            )),
            Ok(t) if t.serial_number().trim() != self.info.serial => Some(format!(
                "slot {} holds another token labelled {:?} (serial {}, was {})",
                self.info.slot,
                self.info.token_label,
                t.serial_number().trim(),
                self.info.serial
            )),
            Ok(_) => None,
        }
    }

    /// `err`, unless the token has gone: a key that is not found or a general failure then means the HSM
    /// is unavailable, not that the key was deleted.
    fn unless_token_gone(&self, what: &str, err: HsmError) -> HsmError {
        if !matches!(err, HsmError::KeyNotFound { .. } | HsmError::Failed(_)) {
            return err;
        }
        match self.token_problem() {
            Some(problem) => {
                tracing::warn!(doing = what, error = %err, problem = %problem, "the HSM token has gone");
                HsmError::Unavailable(format!("{what}: {problem}"))
            }
            None => err,
        }
    }

    /// Fails with `Unavailable` if the token is no longer the one opened (so an empty answer means empty).
    fn check_token(&self, what: &str) -> Result<(), HsmError> {
        match self.token_problem() {
            Some(problem) => {
                tracing::warn!(doing = what, problem = %problem, "the HSM token has gone");
                Err(HsmError::Unavailable(format!("{what}: {problem}")))
            }
            None => Ok(()),
        }
    }

    /// A session from the pool: an idle one, else a new one if the pool is not full, else waits for one.
    fn take(&self) -> Result<Lease<'_>, HsmError> {
        let deadline = Instant::now() + SESSION_WAIT;
        let mut st = self.pool.lock();
        loop {
            if let Some(s) = st.idle.pop() {
                return Ok(Lease { hsm: self, session: Some(s) });
            }
            if st.open < self.pool.max {
                st.open += 1;
                drop(st);
                return self.open_counted();
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(HsmError::Unavailable(format!(
                    "all {} HSM sessions busy for {} s",
                    self.pool.max,
                    SESSION_WAIT.as_secs()
                )));
            }
            st = self.pool.freed.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// A newly opened session (after one was lost), waiting for room in the pool if need be.
    fn take_fresh(&self) -> Result<Lease<'_>, HsmError> {
        let deadline = Instant::now() + SESSION_WAIT;
        let mut st = self.pool.lock();
        loop {
            if st.open < self.pool.max {
                st.open += 1;
                drop(st);
                return self.open_counted();
            }
            // The pool is full: idle sessions may be as dead as the one just lost, so replace one.
            if let Some(old) = st.idle.pop() {
                drop(st);
                drop(old);
                return self.open_counted();
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(HsmError::Unavailable(format!("all {} HSM sessions busy", self.pool.max)));
            }
            st = self.pool.freed.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Opens a session whose place in the pool has already been counted; uncounts it on failure.
    fn open_counted(&self) -> Result<Lease<'_>, HsmError> {
        match self.new_session() {
            Ok(s) => Ok(Lease { hsm: self, session: Some(s) }),
            Err(e) => {
                let mut st = self.pool.lock();
                st.open = st.open.saturating_sub(1);
                drop(st);
                self.pool.freed.notify_one();
                Err(e)
            }
        }
    }

    /// Opens a read/write session and logs the user in (already logged in, by another session, is fine).
    fn new_session(&self) -> Result<PooledSession, HsmError> {
        if self.pin_refused.load(Ordering::Acquire) {
            return Err(HsmError::PinIncorrect);
        }
        let session = self.ctx.open_rw_session(self.slot).map_err(|e| map_ck("opening an HSM session", e))?;
        match session.login(UserType::User, Some(&self.pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => {
                let error = map_ck("logging in to the HSM token", e);
                if matches!(error, HsmError::PinIncorrect | HsmError::PinLocked) {
                    // Another try with the same PIN would only bring the token closer to locking.
                    self.pin_refused.store(true, Ordering::Release);
                    tracing::error!(
                        slot = self.info.slot,
                        "the HSM token refused the PIN; it will not be tried again until restart"
                    );
                }
                return Err(error);
            }
        }
        tracing::debug!(slot = self.info.slot, "opened an HSM session");
        Ok(PooledSession { session, generation: self.generation.load(Ordering::Acquire), handles: HashMap::new() })
    }
}

/// Fails with CKR_USER_NOT_LOGGED_IN (so the session is replaced and the user logged in again) if the session
/// has lost its login, e.g. after a C_Logout elsewhere in the process: private keys are then invisible, and
/// "not found" would be a lie.
fn ensure_logged_in(session: &Session) -> Result<(), OpError> {
    let info = session.get_session_info().doing(|| "checking the session".into())?;
    match info.session_state() {
        SessionState::RwUser | SessionState::RoUser => Ok(()),
        _ => Err(OpError::Ck(
            "the session is no longer logged in".into(),
            CkError::Pkcs11(RvError::UserNotLoggedIn, Function::GetSessionInfo),
        )),
    }
}

/// The private key with this id and its algorithm.
fn lookup_private(session: &Session, id: &[u8]) -> Result<(ObjectHandle, HsmAlg), OpError> {
    let found = session
        .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(id.to_vec())])
        .doing(|| "finding the private key".into())?;
    let Some(&handle) = found.first() else {
        ensure_logged_in(session)?;
        return Err(OpError::Hsm(HsmError::KeyNotFound { id: hex(id) }));
    };
    match private_alg_label(session, handle)?.0 {
        Some(alg) => Ok((handle, alg)),
        None => {
            Err(OpError::Hsm(HsmError::Unsupported(format!("key {} is neither an Ed25519 nor a P-256 key", hex(id)))))
        }
    }
}

/// The algorithm (None if neither Ed25519 nor P-256) and label of a private key.
fn private_alg_label(session: &Session, handle: ObjectHandle) -> Result<(Option<HsmAlg>, String), OpError> {
    let attrs = session
        .get_attributes(handle, &[AttributeType::KeyType, AttributeType::EcParams, AttributeType::Label])
        .doing(|| "reading a private key's attributes".into())?;
    let mut key_type = None;
    let mut params = None;
    let mut label = String::new();
    for a in attrs {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
            _ => {}
        }
    }
    let alg = match (key_type, params.as_deref()) {
        (Some(t), Some(p)) if t == KeyType::EC_EDWARDS && [ED25519_OID, ED25519_NAME, ED25519_GNU_OID].contains(&p) => {
            Some(HsmAlg::Ed25519)
        }
        (Some(t), Some(p)) if t == KeyType::EC && p == P256_OID => Some(HsmAlg::P256),
        _ => None,
    };
    Ok((alg, label))
}

/// The raw CKA_EC_POINT of a public key.
fn ec_point(session: &Session, handle: ObjectHandle) -> Result<Vec<u8>, OpError> {
    session
        .get_attributes(handle, &[AttributeType::EcPoint])
        .doing(|| "reading a public key".into())?
        .into_iter()
        .find_map(|a| match a {
            Attribute::EcPoint(p) => Some(p),
            _ => None,
        })
        .ok_or_else(|| OpError::Hsm(HsmError::Failed("a public key has no CKA_EC_POINT".into())))
}

/// The public key from a CKA_EC_POINT, which tokens give either raw or wrapped in a DER OCTET STRING.
fn public_key_bytes(alg: HsmAlg, ec_point: &[u8]) -> Result<Vec<u8>, HsmError> {
    let want = match alg {
        HsmAlg::Ed25519 => 32,
        HsmAlg::P256 => 65,
    };
    let raw_ok = |b: &[u8]| b.len() == want && (alg == HsmAlg::Ed25519 || b[0] == 0x04);
    if raw_ok(ec_point) {
        return Ok(ec_point.to_vec());
    }
    // DER OCTET STRING with a short-form length (both sizes are under 128).
    if ec_point.len() == want + 2 && ec_point[0] == 0x04 && usize::from(ec_point[1]) == want {
        let inner = &ec_point[2..];
        if raw_ok(inner) {
            return Ok(inner.to_vec());
        }
    }
    Err(HsmError::Failed(format!(
        "the token gave a {}-byte CKA_EC_POINT that is not an {} public key",
        ec_point.len(),
        alg.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_forms() {
        let ed = [7u8; 32];
        assert_eq!(public_key_bytes(HsmAlg::Ed25519, &ed).ok(), Some(ed.to_vec()));
        let mut der = vec![0x04, 0x20];
        der.extend_from_slice(&ed);
        assert_eq!(public_key_bytes(HsmAlg::Ed25519, &der).ok(), Some(ed.to_vec()));
        let mut p = vec![0x04];
        p.extend_from_slice(&[0x41; 64]);
        assert_eq!(public_key_bytes(HsmAlg::P256, &p).ok(), Some(p.clone()));
        let mut der = vec![0x04, 0x41];
        der.extend_from_slice(&p);
        assert_eq!(public_key_bytes(HsmAlg::P256, &der).ok(), Some(p));
        assert!(public_key_bytes(HsmAlg::P256, &[0x04; 33]).is_err());
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Hsm>();
    }
}
