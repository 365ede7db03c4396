//! What a node takes from its peer registries to verify their seals fully: their
//! exit-check plugins (downloaded, checked against the sha256 their signed bundle gives,
//! then through the same publication checks as any plugin, and kept in this node's store
//! as published from that peer) and, at verification, the certificate's full text (asked
//! with a request signed by this node's federation key, which the registry answers only
//! for nodes it pins; checked against the seal's hash; remembered).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use cartouche_model::Certificate;
use cartouche_model::canonical::canonical_sha256_hex;
use cartouche_seal::federation::{BundlePlugin, CertificateRequest, REQUEST_TYP, document_kid, verify_document};
use sha2::{Digest, Sha256};

use crate::{Core, CoreError, ErrorKind};

/// Certificates of peers a node remembers (by number and hash).
pub const REMEMBERED_CERTIFICATES: usize = 4096;

/// Seconds a certificate request stays answerable.
const REQUEST_LIFETIME_SECONDS: i64 = 300;

/// The certificates of peers this node fetched, by number, and the peer each photo
/// hash named by a verified peer seal may be asked of (a node asks a peer only for the
/// photos of that peer's seals, never for a hash a client made up).
pub(crate) struct PeerCertificates {
    certificates: Mutex<lru::LruCache<String, Arc<Certificate>>>,
    photos: Mutex<lru::LruCache<String, String>>,
}

impl Default for PeerCertificates {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(REMEMBERED_CERTIFICATES).unwrap_or(NonZeroUsize::MIN);
        Self {
            certificates: Mutex::new(lru::LruCache::new(capacity)),
            photos: Mutex::new(lru::LruCache::new(capacity)),
        }
    }
}

/// The public part of a published plugin a peer downloads besides its component.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Publication {
    /// The manifest as published.
    pub manifest: serde_json::Value,
    /// The case file as published (text).
    pub cases: String,
}

impl Core {
    /// `GET /api/v1/plugins/{id}/{version}/publication.json`: a published plugin's
    /// manifest and cases (public, as the component is).
    pub fn plugin_publication(&self, id: &str, version: &str) -> Result<Publication, CoreError> {
        let plugin = self
            .store
            .plugins()?
            .into_iter()
            .find(|plugin| plugin.manifest.id == id && plugin.manifest.version == version)
            .ok_or_else(|| {
                CoreError::new(
                    ErrorKind::NotFound,
                    "plugin_not_found",
                    format!(
                        "no plugin {:?} version {:?} is published here",
                        crate::audit::bounded(id, 64),
                        crate::audit::bounded(version, 32)
                    ),
                )
            })?;
        let manifest =
            serde_json::to_value(&plugin.manifest).map_err(|error| CoreError::internal(error.to_string()))?;
        Ok(Publication { manifest, cases: plugin.cases })
    }

    /// The exit-check plugins `url`'s bundle in service lists that this node does not run
    /// yet (by id and version).
    pub fn missing_peer_plugins(&self, url: &str) -> Vec<BundlePlugin> {
        let Some(rules) = self.rules.plugins() else { return Vec::new() };
        let listed = rules.list(self.now().date());
        let Some(data) = self.peer_data(url) else { return Vec::new() };
        data.opened
            .bundle
            .plugins
            .iter()
            .filter(|plugin| plugin.phases.iter().any(|phase| phase == "exit_check"))
            .filter(|plugin| !listed.iter().any(|l| l.id == plugin.id && l.version == plugin.version))
            .cloned()
            .collect()
    }

    /// Puts a peer's plugin in service here: the component must have the sha256 the
    /// peer's signed bundle gives, then the same checks as any publication (manifest,
    /// compile, imports, describe(), each case twice), then it is stored as published by
    /// that peer.
    pub fn install_peer_plugin(
        &self,
        url: &str,
        plugin: &BundlePlugin,
        publication: &Publication,
        component: &[u8],
    ) -> Result<(), CoreError> {
        let sha256 = cartouche_model::canonical::hex(&Sha256::digest(component));
        if sha256 != plugin.sha256 {
            return Err(CoreError::unprocessable(
                "plugin_sha256_mismatch",
                format!(
                    "{url} served plugin {} {} with sha256 {sha256}, not the {} its signed bundle gives: refused",
                    plugin.id, plugin.version, plugin.sha256
                ),
            ));
        }
        let manifest =
            serde_json::to_vec(&publication.manifest).map_err(|error| CoreError::internal(error.to_string()))?;
        let rules = self.rules.plugins().ok_or_else(|| CoreError::internal("this node runs no plugin host"))?;
        let actor = cartouche_model::Actor {
            role: cartouche_model::Role::Admin,
            country: None,
            token_id: format!("peer:{url}"),
        };
        let checked = rules.check(&manifest, component, publication.cases.as_bytes()).map_err(|error| {
            CoreError::unprocessable("plugin_refused", format!("{url}'s plugin {}: {error}", plugin.id))
        })?;
        self.store_publication(rules, checked, &actor)?;
        tracing::info!(peer = %url, plugin = %plugin.id, version = %plugin.version, "a peer's exit-check plugin is in service");
        Ok(())
    }

    /// Remembers that the photos `hashes` (base64url, as sealed) were named by a seal of
    /// `peer`'s whose signature verified.
    pub(crate) fn remember_peer_photos<'a>(&self, peer: &str, hashes: impl Iterator<Item = &'a String>) {
        use base64::Engine as _;
        let mut photos = self.peer_certificates.photos.lock().unwrap_or_else(|p| p.into_inner());
        for hash in hashes {
            if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(hash) {
                photos.put(cartouche_model::canonical::hex(&bytes), peer.to_owned());
            }
        }
    }

    /// The peer whose verified seal named photo `sha256` (hex), if any.
    pub(crate) fn peer_photo_source(&self, sha256: &str) -> Option<String> {
        self.peer_certificates.photos.lock().unwrap_or_else(|p| p.into_inner()).get(sha256).cloned()
    }

    /// A certificate of `peer`'s, by number, whose canonical hash is `sha256` (hex): from
    /// memory, or asked of the peer; or why it cannot be had.
    pub(crate) fn peer_certificate(&self, peer: &str, number: &str, sha256: &str) -> Result<Arc<Certificate>, String> {
        {
            let mut remembered = self.peer_certificates.certificates.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(certificate) = remembered.get(number) {
                if canonical_sha256_hex(&**certificate).is_ok_and(|hash| hash == sha256) {
                    return Ok(Arc::clone(certificate));
                }
            }
        }
        if self.peer_unreachable(peer) {
            return Err(format!("{peer} could not be reached at its last sync"));
        }
        let forwarder = self.federation.settings.forwarder.clone().ok_or("this node cannot reach its peers")?;
        let request = CertificateRequest {
            number: number.to_owned(),
            iat: self.now().unix_timestamp(),
            origin: self.config.public_url.clone(),
        };
        let payload = serde_json::to_vec(&request).map_err(|error| error.to_string())?;
        let document = self.sign_federation(REQUEST_TYP, &payload).map_err(|error| error.message)?;
        let body = forwarder.fetch_certificate(peer, &document)?;
        let certificate: Certificate = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|value| serde_json::from_value(value.get("certificate")?.clone()).ok())
            .ok_or_else(|| format!("{peer} answered something that is not a certificate"))?;
        let hash = canonical_sha256_hex(&certificate).map_err(|error| error.to_string())?;
        if hash != sha256 || certificate.number != number {
            return Err(format!("{peer} answered a certificate that does not match the seal"));
        }
        let certificate = Arc::new(certificate);
        self.peer_certificates
            .certificates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(number.to_owned(), Arc::clone(&certificate));
        Ok(certificate)
    }

    /// `POST /api/v1/federation/certificate`: a certificate's full text for a node this
    /// registry pins (the request signed with its federation key, at most five minutes old).
    pub fn certificate_for_peer(&self, document: &str) -> Result<serde_json::Value, CoreError> {
        let kid = document_kid(document).unwrap_or_default();
        let Some((peer, key)) = self.pinned_peer_by_kid(&kid) else {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "unknown_peer",
                "this registry answers certificate requests only from the nodes it pins (--peer URL=KEY)",
            ));
        };
        let payload = verify_document(document, REQUEST_TYP, &key).map_err(|refusal| {
            CoreError::new(ErrorKind::Forbidden, "bad_signature", format!("the request is refused: {refusal}"))
        })?;
        let request: CertificateRequest = serde_json::from_slice(&payload)
            .map_err(|error| CoreError::invalid("invalid_document", format!("not a certificate request: {error}")))?;
        let age = self.now().unix_timestamp() - request.iat;
        if !(-REQUEST_LIFETIME_SECONDS..=REQUEST_LIFETIME_SECONDS).contains(&age) {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "stale_request",
                "the request is more than five minutes from this registry's clock: check the node's clock",
            ));
        }
        let parsed = crate::certificate_number(&request.number)?;
        self.check_served(parsed.country())?;
        let record = self.store.certificate(&request.number)?.ok_or_else(|| {
            CoreError::new(
                ErrorKind::NotFound,
                "certificate_not_found",
                format!("{} is not in this registry", request.number),
            )
        })?;
        tracing::info!(number = %request.number, peer = %peer, "certificate sent to a pinned node");
        Ok(serde_json::json!({ "certificate": record.certificate }))
    }
}
