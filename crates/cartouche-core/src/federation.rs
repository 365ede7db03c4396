//! Federation: what this registry publishes for its peers and for offline verifiers (its
//! description, its status list, its signed bundle), and what it keeps of its pinned
//! peers' bundles to verify their seals.
//!
//! The federation key is a service key like the log's (sealed under the KEK, or in the
//! HSM), distinct from every seal key. The status list has one 4-bit entry per log
//! index: a certificate's entry is the index of its issuance in the issuance log, which
//! its seal names (`status.status_list.idx`). Both documents are rebuilt when the log
//! grows (every status change appends to it) or the day changes, at most every
//! [`REBUILD_SECONDS`].
//!
//! A peer's bundle replaces the last good one only after every check in
//! [`cartouche_seal::federation::open_bundle`] and [`check_successor`], and the log
//! checkpoint's (signed by the peer's log key, never smaller than one seen, the same root
//! at the same size). A refused bundle leaves the last good one in service and says why
//! (logs, metrics, `/healthz`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use cartouche_model::{CertificateState, Check, CheckName};
use cartouche_seal::federation::{
    BUNDLE_TYP, BUNDLE_VERSION, Bundle, BundlePlugin, OpenedBundle, Refusal, RegistryDescription, RegistryUrls,
    STATUS_LIST_TYP, StatusList, StatusListClaims, StatusValue, check_successor, federation_key_text, open_bundle,
    sign_document,
};
use cartouche_seal::{KeyRing, SealClaims};
use cartouche_store::{ListQuery, Store};
use time::OffsetDateTime;

use crate::vault::ServiceKeyHandle;
use crate::{Core, CoreError};

/// Seconds a built status list or bundle is served before the log is looked at again.
pub const REBUILD_SECONDS: i64 = 5;

/// How long a status list token is valid, and the `ttl` readers cache it for.
pub const STATUS_LIST_LIFETIME_SECONDS: i64 = 72 * 3600;

/// The `ttl` of the status list: how long a reader may cache it.
pub const STATUS_LIST_TTL_SECONDS: u64 = 300;

/// Where the last bundle sequence is kept (the store's artifact space).
const SEQUENCE_KEY: &str = "federation/bundle-sequence";

/// Settings of federation.
#[derive(Clone)]
pub struct FederationSettings {
    /// The countries this registry issues for; empty for a verifier node.
    pub countries: Vec<String>,
    /// A verifier node: no signing key, no issuance.
    pub verifier: bool,
    /// How long a bundle is valid (`exp - iat`).
    pub bundle_lifetime: time::Duration,
    /// Status data older than this is not used: the status is then "not checked".
    pub max_status_age: time::Duration,
    /// The pinned peers: URL and federation key.
    pub peers: Vec<(String, [u8; 32])>,
    /// Delivers officer events recorded here to the registries that issued the
    /// certificates (none: they wait in the outbox).
    pub forwarder: Option<crate::forward::SharedForwarder>,
}

impl Default for FederationSettings {
    fn default() -> Self {
        Self {
            countries: crate::bootstrap::DEMO_COUNTRIES.iter().map(|c| (*c).to_owned()).collect(),
            verifier: false,
            bundle_lifetime: time::Duration::hours(72),
            max_status_age: time::Duration::days(1),
            peers: Vec::new(),
            forwarder: None,
        }
    }
}

/// Parses `--peer URL=KEY`.
pub fn parse_peer(text: &str) -> Result<(String, [u8; 32]), String> {
    let (url, key) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{text:?}: give URL=KEY, the peer's URL and its federation key"))?;
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} is not an http(s) URL"));
    }
    let key = cartouche_seal::federation::parse_federation_key(key).map_err(|error| format!("{url}: {error}"))?;
    Ok((url.to_owned(), key))
}

enum FederationSigner {
    Local(ed25519_dalek::SigningKey),
    External(Arc<dyn cartouche_log::note::Ed25519Sign>),
}

impl FederationSigner {
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], String> {
        use ed25519_dalek::Signer as _;
        match self {
            Self::Local(key) => Ok(key.sign(message).to_bytes()),
            Self::External(signer) => signer.sign(message),
        }
    }
}

/// A signed document and when it was signed.
struct Signed {
    at: OffsetDateTime,
    token: Arc<String>,
}

/// What the documents are made of, kept while the log does not grow (every status
/// change, plugin publication and key appends to it) and the day is the same.
struct Parts {
    log_size: u64,
    date: time::Date,
    /// When the statuses were read.
    built_at: OffsetDateTime,
    /// How long reading them took.
    build_time: std::time::Duration,
    list: Arc<cartouche_seal::federation::EncodedStatusList>,
    plugins: Arc<Vec<BundlePlugin>>,
}

/// A peer's data in service, and what happened at its last sync.
pub struct PeerState {
    /// Its URL.
    pub url: String,
    key: [u8; 32],
    current: Option<Arc<PeerData>>,
    /// The last refusal or failure: code and message, with when.
    pub last_error: Option<(String, String, OffsetDateTime)>,
}

/// A peer's bundle in service.
pub struct PeerData {
    /// The bundle, opened.
    pub opened: OpenedBundle,
    /// Its keys, validated like ours.
    pub ring: KeyRing,
    /// Its checkpoint's size and root, once its signature verified.
    checkpoint: Option<(u64, [u8; 32])>,
}

/// Federation state held by the core.
pub(crate) struct FederationState {
    pub(crate) settings: FederationSettings,
    signer: FederationSigner,
    public: [u8; 32],
    parts: Mutex<Option<Parts>>,
    status: Mutex<Option<Signed>>,
    bundle: Mutex<Option<Signed>>,
    peers: RwLock<BTreeMap<String, PeerState>>,
    /// Held while the outbox is read and written.
    pub(crate) outbox: Mutex<()>,
    /// Each peer's log as far as this node has read and checked it (its entries' tree).
    peer_logs: Mutex<std::collections::HashMap<String, cartouche_log::tree::MemoryTree>>,
}

impl FederationState {
    pub(crate) fn open(
        store: &dyn Store,
        vault: &crate::vault::KeyVault,
        public_url: &str,
        settings: FederationSettings,
        now: OffsetDateTime,
    ) -> Result<Self, CoreError> {
        let host = public_url.split_once("://").map_or(public_url, |(_, rest)| rest).trim_end_matches('/');
        let (_, handle) = crate::log::service_key(store, vault, "federation", format!("{host}/federation"), now)?;
        let (signer, public) = match handle {
            ServiceKeyHandle::Local(secret) => {
                let key = ed25519_dalek::SigningKey::from_bytes(&secret);
                let public = key.verifying_key().to_bytes();
                (FederationSigner::Local(key), public)
            }
            ServiceKeyHandle::External(public, signer) => (FederationSigner::External(signer), public),
        };
        let peers = settings
            .peers
            .iter()
            .map(|(url, key)| {
                let state = PeerState { url: url.clone(), key: *key, current: None, last_error: None };
                (url.clone(), state)
            })
            .collect();
        Ok(Self {
            settings,
            signer,
            public,
            parts: Mutex::new(None),
            status: Mutex::new(None),
            bundle: Mutex::new(None),
            peers: RwLock::new(peers),
            outbox: Mutex::new(()),
            peer_logs: Mutex::new(std::collections::HashMap::new()),
        })
    }
}

/// The status-list value of a lifecycle state. Expiry is the seal's own (`exp`).
pub fn status_value(state: CertificateState) -> StatusValue {
    match state {
        CertificateState::Active | CertificateState::Expired => StatusValue::Valid,
        CertificateState::Suspended => StatusValue::Suspended,
        CertificateState::Revoked => StatusValue::Revoked,
        CertificateState::Used => StatusValue::Used,
        CertificateState::ExportedTemporarily => StatusValue::OutOnTemporaryExport,
        CertificateState::Overdue => StatusValue::Overdue,
    }
}

/// A peer's health, for `/healthz`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerHealth {
    /// Its URL.
    pub url: String,
    /// `ok`, `stale` (its data is older than the status budget), `refused` (the last
    /// bundle was refused; the last good one is kept), `unreachable` or `never_synced`.
    pub state: &'static str,
    /// The countries it speaks for (from the bundle in service).
    pub countries: Vec<String>,
    /// The sequence of the bundle in service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Age of its status data in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_age_seconds: Option<i64>,
    /// Why the last sync failed (code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_code: Option<String>,
    /// Why the last sync failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn rfc3339(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at).map(crate::views::rfc3339).unwrap_or_else(|_| at.to_string())
}

fn age_text(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// The registry-status check of a seal from a status list `as_of` (Unix seconds):
/// `who` names the registry the list comes from.
pub fn status_check(
    claims: &SealClaims,
    list: &StatusList,
    sub: &str,
    as_of: i64,
    now: i64,
    budget: i64,
    who: &str,
) -> Check {
    let name = CheckName::RegistryStatus;
    let Some(status) = &claims.status else {
        return Check::not_checked(
            name,
            format!(
                "this seal (claim set {}) names no status list: its status is known only online, at {who}",
                claims.v
            ),
        );
    };
    let reference = &status.status_list;
    if reference.uri != sub {
        return Check::not_checked(
            name,
            format!("the seal's status list {} is not the one {who} publishes ({sub}): status unknown", reference.uri),
        );
    }
    let age = now - as_of;
    let when = rfc3339(as_of);
    if age > budget {
        return Check::not_checked(
            name,
            format!(
                "status as of {when} from {who} is {} old, past the {} budget: status unknown until the next sync",
                age_text(age),
                age_text(budget)
            ),
        );
    }
    let as_of_text = format!("status as of {when} ({} old) from {who}", age_text(age.max(0)));
    match list.get(reference.idx) {
        None => Check::not_checked(
            name,
            format!(
                "{as_of_text}: entry {} is past the end of the list (issued after it): status unknown",
                reference.idx
            ),
        ),
        Some(StatusValue::Valid) => Check::pass(name, format!("active: {as_of_text}")),
        Some(StatusValue::OutOnTemporaryExport) => {
            Check::pass(name, format!("out on temporary export, not yet due back: {as_of_text}"))
        }
        Some(StatusValue::Revoked) => Check::fail(name, format!("revoked: {as_of_text}")),
        Some(StatusValue::Suspended) => Check::fail(name, format!("suspended: {as_of_text}")),
        Some(StatusValue::Used) => Check::fail(name, format!("already used (the object exited): {as_of_text}")),
        Some(StatusValue::Overdue) => {
            Check::fail(name, format!("overdue: out on temporary export past its return date: {as_of_text}"))
        }
        Some(StatusValue::Unknown(code)) => {
            Check::not_checked(name, format!("{as_of_text}: value {code:#04x} is not one this verifier knows"))
        }
    }
}

impl Core {
    fn federation(&self) -> &FederationState {
        &self.federation
    }

    /// The countries this registry issues for.
    pub fn served_countries(&self) -> &[String] {
        &self.federation.settings.countries
    }

    /// Whether this is a verifier node.
    pub fn is_verifier(&self) -> bool {
        self.federation.settings.verifier
    }

    /// Refuses work for a country this registry does not serve (`country_not_served`):
    /// 422 for a request whose body names it, 404 for one whose path does (the country's
    /// keys are not here).
    pub(crate) fn check_served_path(&self, country: &str) -> Result<(), CoreError> {
        self.check_served(country).map_err(|mut error| {
            error.kind = crate::ErrorKind::NotFound;
            error
        })
    }

    /// Refuses work for a country this registry does not serve (`country_not_served`).
    pub(crate) fn check_served(&self, country: &str) -> Result<(), CoreError> {
        if self.served_countries().iter().any(|c| c == country) {
            return Ok(());
        }
        let message = if self.is_verifier() {
            "this is a verifier node: it holds no signing key and issues nothing; issue at the country's registry"
                .to_owned()
        } else {
            format!(
                "this registry serves {} only; {country}'s certificates and keys are managed at {country}'s registry",
                self.served_countries().join(", ")
            )
        };
        Err(CoreError::unprocessable("country_not_served", message))
    }

    /// The URI of this registry's status list (what new seals name).
    pub fn status_list_uri(&self) -> String {
        format!("{}/api/v1/status-list", self.config.public_url)
    }

    /// The federation public key.
    pub fn federation_key(&self) -> [u8; 32] {
        self.federation().public
    }

    /// `/.well-known/cartouche-registry.json`.
    pub fn registry_description(&self) -> RegistryDescription {
        let url = &self.config.public_url;
        RegistryDescription {
            registry: url.clone(),
            countries: self.served_countries().to_vec(),
            verifier: self.is_verifier(),
            federation_key: federation_key_text(&self.federation().public),
            federation_kid: cartouche_seal::kid_for(&self.federation().public),
            urls: RegistryUrls {
                bundle: format!("{url}/api/v1/bundle"),
                status_list: self.status_list_uri(),
                trust_list: format!("{url}/api/v1/trust-list"),
                verify: format!("{url}/api/v1/verify"),
                log: format!("{url}/log/"),
            },
        }
    }

    pub(crate) fn sign_federation(&self, typ: &str, payload: &[u8]) -> Result<String, CoreError> {
        let federation = self.federation();
        sign_document(typ, &federation.public, payload, &|message| federation.signer.sign(message))
            .map_err(|error| CoreError::internal(format!("cannot sign with the federation key: {error}")))
    }

    /// The signed document in `cache` if it is younger than [`REBUILD_SECONDS`], else a
    /// new one signed now (its "as of" is then fresh even when nothing changed).
    fn signed(
        &self,
        cache: &Mutex<Option<Signed>>,
        build: impl FnOnce(OffsetDateTime) -> Result<String, CoreError>,
    ) -> Result<Arc<String>, CoreError> {
        let now = self.now();
        let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(signed) = cache.as_ref().filter(|signed| (now - signed.at).whole_seconds() < REBUILD_SECONDS) {
            return Ok(Arc::clone(&signed.token));
        }
        let token = Arc::new(build(now)?);
        *cache = Some(Signed { at: now, token: Arc::clone(&token) });
        Ok(token)
    }

    /// The status list and the plugin list at `now`: reused while the log has not grown
    /// and the day is the same (the expensive part: a pass over every certificate).
    ///
    /// While the log grows, the parts are also reused for ten times as long as the last
    /// pass took (at least [`REBUILD_SECONDS`]), so that a busy registry of a million
    /// certificates spends at most a tenth of a core on its status list; the list is then
    /// "as of" its pass, which the token's `iat` says. Returns the parts and that instant.
    #[allow(clippy::type_complexity)]
    fn parts(
        &self,
        now: OffsetDateTime,
    ) -> Result<(Arc<cartouche_seal::federation::EncodedStatusList>, OffsetDateTime, Arc<Vec<BundlePlugin>>), CoreError>
    {
        let mut parts = self.federation().parts.lock().unwrap_or_else(|p| p.into_inner());
        let log_size = self.store.log_size()?;
        if let Some(kept) = parts.as_ref().filter(|p| p.date == now.date()) {
            if kept.log_size == log_size {
                // Nothing changed since the pass: the statuses are true now.
                return Ok((Arc::clone(&kept.list), now, Arc::clone(&kept.plugins)));
            }
            let reuse = (kept.build_time * 10).max(std::time::Duration::from_secs(REBUILD_SECONDS as u64));
            if (now - kept.built_at).unsigned_abs() < reuse {
                return Ok((Arc::clone(&kept.list), kept.built_at, Arc::clone(&kept.plugins)));
            }
        }
        let started = std::time::Instant::now();
        let list = self.status_list(now.date())?;
        let url = &self.config.public_url;
        let plugins: Vec<BundlePlugin> = self
            .store
            .plugins()?
            .into_iter()
            .map(|plugin| BundlePlugin {
                url: format!("{url}/api/v1/plugins/{}/{}/component.wasm", plugin.manifest.id, plugin.manifest.version),
                id: plugin.manifest.id,
                version: plugin.manifest.version,
                jurisdiction: plugin.manifest.jurisdiction,
                phases: plugin
                    .manifest
                    .phases
                    .iter()
                    .map(|phase| {
                        serde_json::to_value(phase).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
                    })
                    .collect(),
                sha256: plugin.sha256,
            })
            .collect();
        let kept = Parts {
            log_size,
            date: now.date(),
            built_at: now,
            build_time: started.elapsed(),
            list: Arc::new(list.encode()),
            plugins: Arc::new(plugins),
        };
        let answer = (Arc::clone(&kept.list), now, Arc::clone(&kept.plugins));
        *parts = Some(kept);
        Ok(answer)
    }

    /// Every certificate's status, by log index, at `today`.
    pub fn status_list(&self, today: time::Date) -> Result<StatusList, CoreError> {
        let mut list = StatusList::new(self.store.log_size()?);
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_certificates(&ListQuery {
                country: None,
                after: after.as_deref(),
                limit: 500,
                filter: &|_| true,
            })?;
            for record in &page.records {
                if let Some(index) = record.log_index {
                    let state = crate::certificates::status_view(record, today).state;
                    list.set(index, status_value(state));
                }
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(list)
    }

    /// `GET /api/v1/status-list`: the signed status list token.
    pub fn status_list_token(&self) -> Result<Arc<String>, CoreError> {
        self.signed(&self.federation().status, |now| {
            let (list, as_of, _) = self.parts(now)?;
            let claims = StatusListClaims {
                sub: self.status_list_uri(),
                iat: as_of.unix_timestamp(),
                exp: now.unix_timestamp() + STATUS_LIST_LIFETIME_SECONDS,
                ttl: STATUS_LIST_TTL_SECONDS,
                status_list: list.as_ref().clone(),
            };
            let payload = serde_json::to_vec(&claims).map_err(|error| CoreError::internal(error.to_string()))?;
            self.sign_federation(STATUS_LIST_TYP, &payload)
        })
    }

    /// The version of the reference data the plugins run with: the rates' date and a
    /// digest of the whole.
    fn reference_version(&self) -> Option<String> {
        let rules = self.rules.plugins()?;
        let reference = rules.reference();
        let digest = cartouche_model::canonical::canonical_sha256_hex(&*reference).ok()?;
        Some(format!("{}+{}", reference.rates_date(), &digest[..16]))
    }

    /// `GET /api/v1/bundle`: everything a peer or an offline verifier needs, signed.
    pub fn bundle_token(&self) -> Result<Arc<String>, CoreError> {
        self.signed(&self.federation().bundle, |now| {
            let served = self.served_countries();
            let mut trust_list = self.trust_list();
            trust_list.keys.retain(|key| served.contains(&key.country));
            let status_list = self.status_list_token()?.as_ref().clone();
            let checkpoint = self.store.log_checkpoint()?.map(|note| String::from_utf8_lossy(&note).into_owned());
            let url = &self.config.public_url;
            let (_, _, plugins) = self.parts(now)?;
            let plugins = plugins.as_ref().clone();
            let federation = self.federation();
            let sequence = self.next_sequence(now)?;
            let bundle = Bundle {
                v: BUNDLE_VERSION,
                registry: url.clone(),
                countries: served.to_vec(),
                iat: now.unix_timestamp(),
                exp: (now + federation.settings.bundle_lifetime).unix_timestamp(),
                sequence,
                trust_list,
                status_list,
                checkpoint,
                plugins,
                reference_data: self.reference_version(),
            };
            let payload = serde_json::to_vec(&bundle).map_err(|error| CoreError::internal(error.to_string()))?;
            self.sign_federation(BUNDLE_TYP, &payload)
        })
    }

    /// The next bundle sequence: above every one signed before, kept in the store before
    /// the bundle is signed (a restart, or a clock set back, never makes it go back), and
    /// at least the Unix time. Taken with a compare-and-swap in the store, so two bundles
    /// never take the same number, also when several nodes share the store.
    fn next_sequence(&self, now: OffsetDateTime) -> Result<u64, CoreError> {
        for _ in 0..64 {
            let current = self.store.artifact(SEQUENCE_KEY)?;
            let stored =
                current.as_deref().and_then(|bytes| <[u8; 8]>::try_from(bytes).ok()).map_or(0, u64::from_be_bytes);
            let next = stored.saturating_add(1).max(u64::try_from(now.unix_timestamp()).unwrap_or(0));
            if self.store.swap_artifact(SEQUENCE_KEY, current.as_deref(), &next.to_be_bytes())? {
                return Ok(next);
            }
        }
        Err(CoreError::new(
            crate::ErrorKind::Unavailable,
            "busy",
            "the bundle's sequence could not be taken: other nodes took it 64 times in a row; retry",
        ))
    }

    /// A published plugin's component (public: anyone may run a country's law).
    pub fn plugin_component(&self, id: &str, version: &str) -> Result<Vec<u8>, CoreError> {
        self.store
            .plugins()?
            .into_iter()
            .find(|plugin| plugin.manifest.id == id && plugin.manifest.version == version)
            .map(|plugin| plugin.component)
            .ok_or_else(|| {
                CoreError::new(
                    crate::ErrorKind::NotFound,
                    "plugin_not_found",
                    format!(
                        "no plugin {:?} version {:?} is published here",
                        crate::audit::bounded(id, 64),
                        crate::audit::bounded(version, 32)
                    ),
                )
            })
    }

    /// Whether any peer is pinned.
    pub fn has_peers(&self) -> bool {
        !self.federation().settings.peers.is_empty()
    }

    /// The pinned peers' URLs.
    pub fn peer_urls(&self) -> Vec<String> {
        self.federation().peers.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    /// Takes a peer's bundle as fetched (`fetched`: the token, or why it could not be
    /// fetched); `fetch` GETs a URL of the peer's log (its entry bundles, read from where
    /// this node left off, to check the new checkpoint against the entries). Returns the
    /// sequence now in service; a refusal keeps the last good one.
    pub fn accept_peer_bundle(
        &self,
        url: &str,
        fetched: Result<String, String>,
        fetch: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<u64, (String, String)> {
        let now = self.now();
        let federation = self.federation();
        let (key, previous) = {
            let peers = federation.peers.read().unwrap_or_else(|p| p.into_inner());
            let Some(peer) = peers.get(url) else {
                return Err(("unknown_peer".into(), format!("{url} is not a pinned peer")));
            };
            (peer.key, peer.current.clone())
        };
        let started = std::time::Instant::now();
        let result = fetched.map_err(|error| ("unreachable".to_owned(), error)).and_then(|token| {
            self.open_peer_bundle(url, &key, &token, previous.as_deref(), now, fetch)
                .map_err(|refusal| (refusal.code().to_owned(), refusal.to_string()))
        });
        let mut peers = federation.peers.write().unwrap_or_else(|p| p.into_inner());
        let Some(peer) = peers.get_mut(url) else {
            return Err(("unknown_peer".into(), format!("{url} is not a pinned peer")));
        };
        match result {
            Ok(data) => {
                let sequence = data.opened.bundle.sequence;
                let checked_ms = started.elapsed().as_secs_f64() * 1000.0;
                tracing::info!(peer = %url, sequence, countries = %data.opened.bundle.countries.join(","), entries = data.opened.list.len(), checked_ms, "peer bundle in service");
                metrics::histogram!("cartouche_peer_bundle_check_seconds", "peer" => url.to_owned())
                    .record(checked_ms / 1000.0);
                metrics::gauge!("cartouche_peer_bundle_sequence", "peer" => url.to_owned()).set(sequence as f64);
                peer.current = Some(Arc::new(data));
                peer.last_error = None;
                Ok(sequence)
            }
            Err((code, message)) => {
                tracing::warn!(peer = %url, reason = %code, error = %message, kept = ?peer.current.as_ref().map(|c| c.opened.bundle.sequence), "peer bundle refused; the last good one is kept");
                metrics::counter!("cartouche_peer_bundle_refusals_total", "peer" => url.to_owned(), "reason" => code.clone()).increment(1);
                peer.last_error = Some((code.clone(), message.clone(), now));
                Err((code, message))
            }
        }
    }

    fn open_peer_bundle(
        &self,
        url: &str,
        key: &[u8; 32],
        token: &str,
        previous: Option<&PeerData>,
        now: OffsetDateTime,
        fetch: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<PeerData, Refusal> {
        let opened = open_bundle(token, key, now.unix_timestamp())?;
        if let Some(previous) = previous {
            check_successor(&previous.opened, &opened)?;
        }
        let bundle = &opened.bundle;
        // A peer never speaks for a country this registry serves, nor for one another
        // pinned peer speaks for.
        let serves = bundle.countries.join(",");
        if let Some(country) = bundle.countries.iter().find(|c| self.served_countries().contains(c)) {
            return Err(Refusal::ForeignCountry {
                country: country.clone(),
                serves: format!("{serves}, but this registry serves {country} itself"),
            });
        }
        {
            let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
            for (other_url, other) in peers.iter().filter(|(other_url, _)| other_url.as_str() != url) {
                if let Some(country) = other.current.as_ref().and_then(|data| {
                    data.opened.bundle.countries.iter().find(|c| bundle.countries.contains(c)).cloned()
                }) {
                    return Err(Refusal::ForeignCountry {
                        country: country.clone(),
                        serves: format!("{serves}, but {other_url} speaks for {country}"),
                    });
                }
            }
        }
        let ring = KeyRing::new(&bundle.trust_list, true)
            .map_err(|error| Refusal::Malformed(format!("a key in the bundle is refused: {error}")))?;
        let checkpoint = match (&bundle.checkpoint, &bundle.trust_list.log) {
            (Some(note), Some(log)) => {
                let verifier = cartouche_log::LogVerifier::from_vkey(&log.vkey)
                    .map_err(|error| Refusal::CheckpointInconsistent(format!("the log key is refused: {error}")))?;
                let opened = cartouche_log::note::open_checkpoint(note.as_bytes(), &verifier, &[])
                    .map_err(|error| Refusal::CheckpointInconsistent(error.to_string()))?;
                Some((opened.checkpoint.size(), opened.checkpoint.hash().0))
            }
            _ => None,
        };
        if let Some(previous) = previous {
            if let (Some(old), Some(new)) = (&previous.opened.bundle.trust_list.log, &bundle.trust_list.log) {
                if old.vkey != new.vkey {
                    return Err(Refusal::CheckpointInconsistent(format!(
                        "the log key changed from {} to {}",
                        old.vkey, new.vkey
                    )));
                }
            }
            match (previous.checkpoint, checkpoint) {
                (Some((old_size, _)), Some((new_size, _))) if new_size < old_size => {
                    return Err(Refusal::CheckpointInconsistent(format!(
                        "the log shrank from {old_size} to {new_size} entries"
                    )));
                }
                (Some((old_size, old_root)), Some((new_size, new_root)))
                    if new_size == old_size && old_root != new_root =>
                {
                    return Err(Refusal::CheckpointInconsistent(format!(
                        "two different trees of {new_size} entries: the log forked"
                    )));
                }
                (Some((old_size, _)), None) => {
                    return Err(Refusal::CheckpointInconsistent(format!(
                        "no checkpoint, after one of {old_size} entries"
                    )));
                }
                _ => {}
            }
        }
        if let (Some((size, root)), Some(log)) = (checkpoint, &bundle.trust_list.log) {
            self.check_peer_log(url, &log.url, size, root, fetch)?;
        }
        Ok(PeerData { opened, ring, checkpoint })
    }

    /// Reads `url`'s log entries from where this node left off up to `size` and checks
    /// that they hash to the checkpoint's `root`: the tree this node holds already hashed
    /// to the earlier checkpoints, so a log that forked or was rewritten, even one that
    /// grew since, is caught. The tree is dropped on a mismatch (read again next time).
    fn check_peer_log(
        &self,
        url: &str,
        log_url: &str,
        size: u64,
        root: [u8; 32],
        fetch: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<(), Refusal> {
        use cartouche_log::tiles::{TILE_WIDTH, TileKind, TilePath, unbundle};
        let mut logs = self.federation().peer_logs.lock().unwrap_or_else(|p| p.into_inner());
        let tree = logs.entry(url.to_owned()).or_default();
        let prefix = log_url.trim_end_matches('/');
        while tree.size() < size {
            let index = tree.size() / TILE_WIDTH;
            let width = (size - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let path = TilePath { kind: TileKind::Entries, index, width }.to_path();
            let bytes = fetch(&format!("{prefix}/{path}")).map_err(Refusal::LogUnreadable)?;
            let entries = unbundle(&bytes).map_err(|error| Refusal::LogUnreadable(format!("{path}: {error}")))?;
            if entries.len() != usize::from(width) {
                return Err(Refusal::LogUnreadable(format!("{path} holds {} entries, not {width}", entries.len())));
            }
            let start = usize::try_from(tree.size() - index * TILE_WIDTH).unwrap_or(usize::MAX);
            for entry in entries.iter().skip(start) {
                tree.push(entry).map_err(|error| Refusal::LogUnreadable(error.to_string()))?;
            }
        }
        let computed = tree.root_at(size).map_err(|error| Refusal::LogUnreadable(error.to_string()))?;
        if computed.0 != root {
            logs.remove(url);
            return Err(Refusal::CheckpointInconsistent(format!(
                "its log's entries do not hash to its signed checkpoint of {size} entries: the log forked or was rewritten"
            )));
        }
        Ok(())
    }

    /// The pinned peer whose federation key has id `kid`: its URL and key.
    pub(crate) fn pinned_peer_by_kid(&self, kid: &str) -> Option<(String, [u8; 32])> {
        let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
        peers.values().find(|peer| cartouche_seal::kid_for(&peer.key) == kid).map(|peer| (peer.url.clone(), peer.key))
    }

    /// `url`'s bundle in service.
    pub(crate) fn peer_data(&self, url: &str) -> Option<Arc<PeerData>> {
        let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
        peers.get(url).and_then(|peer| peer.current.clone())
    }

    /// Whether `url`'s last sync could not reach it (then nothing more is asked of it
    /// until the next sync succeeds: a verification never waits on a peer that is down).
    pub(crate) fn peer_unreachable(&self, url: &str) -> bool {
        let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
        peers.get(url).and_then(|peer| peer.last_error.as_ref()).is_some_and(|(code, _, _)| code == "unreachable")
    }

    /// The pinned peer that speaks for `country` (by its bundle in service).
    pub fn peer_url_for(&self, country: &str) -> Option<String> {
        self.peer_for(country).map(|(url, _)| url)
    }

    /// The peer that speaks for `country`, with its data in service.
    pub fn peer_for(&self, country: &str) -> Option<(String, Arc<PeerData>)> {
        let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
        peers.values().find_map(|peer| {
            let data = peer.current.as_ref()?;
            data.opened.bundle.countries.iter().any(|c| c == country).then(|| (peer.url.clone(), Arc::clone(data)))
        })
    }

    /// The status budget (`--max-status-age`).
    pub fn max_status_age(&self) -> time::Duration {
        self.federation().settings.max_status_age
    }

    /// Each peer's health.
    pub fn peer_health(&self) -> Vec<PeerHealth> {
        let now = self.now();
        let budget = self.max_status_age().whole_seconds();
        let peers = self.federation().peers.read().unwrap_or_else(|p| p.into_inner());
        peers
            .values()
            .map(|peer| {
                let age = peer.current.as_ref().map(|data| now.unix_timestamp() - data.opened.status.iat);
                let state = match (&peer.current, &peer.last_error, age) {
                    (None, None, _) => "never_synced",
                    (None, Some(_), _) => "unreachable",
                    (Some(_), _, Some(age)) if age > budget => "stale",
                    (Some(_), Some((code, _, _)), _) if code == "unreachable" => "unreachable",
                    (Some(_), Some(_), _) => "refused",
                    (Some(_), None, _) => "ok",
                };
                if let Some(age) = age {
                    metrics::gauge!("cartouche_peer_status_age_seconds", "peer" => peer.url.clone()).set(age as f64);
                }
                PeerHealth {
                    url: peer.url.clone(),
                    state,
                    countries: peer.current.as_ref().map(|d| d.opened.bundle.countries.clone()).unwrap_or_default(),
                    sequence: peer.current.as_ref().map(|d| d.opened.bundle.sequence),
                    status_age_seconds: age,
                    last_error_code: peer.last_error.as_ref().map(|(code, _, _)| code.clone()),
                    last_error: peer.last_error.as_ref().map(|(_, message, _)| message.clone()),
                }
            })
            .collect()
    }
}

/// A peer registry's name in verdicts.
pub(crate) fn peer_name(url: &str, countries: &[String]) -> String {
    format!("{}'s registry ({url})", countries.join("/"))
}
