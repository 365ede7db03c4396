//! Watch lists of stolen and missing objects (INTERPOL's, the Carabinieri's, Lost Art...),
//! loaded through the API, each name in versions kept for good, and matched on photos as
//! much as on text.
//!
//! - **Loading.** A watch-list editor (or the admin) uploads the list's photos as any
//!   object photo (`POST /api/v1/photos`), then posts the list: name, source, the date it
//!   is as of, and its entries described with Object ID fields and the photos' hashes.
//!   Each post of a name is its next version; the latest is in force; the earlier stay
//!   readable. Every listed photo's perceptual fingerprint is computed once, at loading.
//! - **Text.** The lists in force are handed to the rule plugins with the operator's
//!   reference data, so today's `watch-list` plugin matches titles and makers (and exact
//!   photo hashes) in them as in the file's lists.
//! - **Photos.** At issuance and at every verification, each photo of the certificate is
//!   compared by fingerprint with every listed photo. A likeness within
//!   [`MATCH_DISTANCE`] bits is a *referral*: the verification's `photo_watch` check is not
//!   checked (INDETERMINATE, "compare"), never a refusal and never a silent VALID; the
//!   verdict names the entry and both photos, which the officer's page shows side by side.
//!   Issuance is not refused: the answer and the audit log carry the referral.
//!
//! Stored as artifacts: `watch-lists/index` (name → latest version, swapped atomically,
//! so two editors posting at once get two versions), `watch-lists/<name>/<version>` (the
//! version as loaded), and `photo-print/<sha256>` (a certificate photo's fingerprint,
//! computed at its first comparison).

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use cartouche_image::fingerprint::{Fingerprint, HASH_BITS, MATCH_DISTANCE, hash_from_hex};
use cartouche_model::reference::{ReferenceData, WatchEntry, WatchList};
use cartouche_model::verdict::Referral;
use cartouche_model::{Actor, Role};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::audit::{self, AuditAction, Outcome};
use crate::{Caller, Core, CoreError};

const INDEX_KEY: &str = "watch-lists/index";
/// Most entries in one version of a list.
pub const MAX_ENTRIES: usize = 20_000;
/// Most photos of one entry.
pub const MAX_PHOTOS_PER_ENTRY: usize = 10;
const PRINT_CACHE: usize = 4096;

/// One entry of an uploaded list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryUpload {
    /// The entry's reference in its list (unique in the version).
    pub reference: String,
    /// What the object is, as the list describes it.
    pub description: String,
    /// Object ID: title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Object ID: maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<String>,
    /// Object ID: type of object, broad then narrow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_type: Vec<String>,
    /// Object ID: materials and techniques.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials_techniques: Vec<String>,
    /// Object ID: date or period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dating: Option<String>,
    /// Object ID: inscriptions and markings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inscriptions: Option<String>,
    /// The SHA-256 of each photo, uploaded first with `POST /api/v1/photos`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
}

/// `POST /api/v1/watch-lists`: a list, as its editor loads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchListUpload {
    /// The list's name (`ITALY-TPC`): each upload of a name is its next version.
    pub name: String,
    /// Who publishes it, where it comes from.
    pub source: String,
    /// The date the list is as of.
    #[serde(with = "cartouche_model::iso_date")]
    pub as_of: Date,
    /// Its entries.
    pub entries: Vec<EntryUpload>,
}

/// A listed photo with its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPhoto {
    /// SHA-256 of the photo (in the photo store).
    pub sha256: String,
    /// Its perceptual hashes, 16 hex digits each: the whole photo, then its centre at 90%
    /// and 80% ([`Fingerprint::listed`]).
    pub hashes: Vec<String>,
}

/// An entry as stored: the upload's fields, its photos with their fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// The entry's reference.
    pub reference: String,
    /// Description.
    pub description: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<String>,
    /// Type of object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_type: Vec<String>,
    /// Materials and techniques.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials_techniques: Vec<String>,
    /// Date or period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dating: Option<String>,
    /// Inscriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inscriptions: Option<String>,
    /// Photos.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<ListedPhoto>,
}

/// One version of a list, as stored and as `GET /api/v1/watch-lists/{name}` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchListVersion {
    /// Name.
    pub name: String,
    /// Version, from 1.
    pub version: u64,
    /// Source.
    pub source: String,
    /// As of.
    #[serde(with = "cartouche_model::iso_date")]
    pub as_of: Date,
    /// When it was loaded.
    #[serde(with = "time::serde::rfc3339")]
    pub loaded_at: OffsetDateTime,
    /// Who loaded it.
    pub loaded_by: Actor,
    /// Entries.
    pub entries: Vec<StoredEntry>,
}

/// A list version without its entries (listings, the answer to a load).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchListSummary {
    /// Name.
    pub name: String,
    /// Version.
    pub version: u64,
    /// Source.
    pub source: String,
    /// As of.
    #[serde(with = "cartouche_model::iso_date")]
    pub as_of: Date,
    /// When it was loaded.
    #[serde(with = "time::serde::rfc3339")]
    pub loaded_at: OffsetDateTime,
    /// Entries.
    pub entries: usize,
    /// Listed photos.
    pub photos: usize,
    /// Where to read it.
    pub url: String,
}

impl WatchListVersion {
    /// Its summary.
    pub fn summary(&self) -> WatchListSummary {
        WatchListSummary {
            name: self.name.clone(),
            version: self.version,
            source: self.source.clone(),
            as_of: self.as_of,
            loaded_at: self.loaded_at,
            entries: self.entries.len(),
            photos: self.entries.iter().map(|entry| entry.photos.len()).sum(),
            url: format!("/api/v1/watch-lists/{}?version={}", self.name, self.version),
        }
    }
}

/// The lists in force, as matching uses them.
#[derive(Debug, Default)]
struct InForce {
    /// The index as read (to see whether another node changed it).
    index: Vec<u8>,
    lists: Vec<Arc<WatchListVersion>>,
    /// (list index, entry index, photo sha256, hashes) for every listed photo.
    photos: Vec<(usize, usize, String, Vec<u64>)>,
}

/// This node's copy of the lists in force and of certificate photos' fingerprints.
#[derive(Default)]
pub(crate) struct WatchState {
    in_force: RwLock<Arc<InForce>>,
    /// The operator's reference data before any list was merged in.
    base: OnceLock<ReferenceData>,
    prints: Mutex<Option<lru::LruCache<String, Fingerprint>>>,
}

impl std::fmt::Debug for WatchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchState").finish_non_exhaustive()
    }
}

fn is_list_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

fn text(field: &str, value: &str, most: usize) -> Result<(), CoreError> {
    if value.trim().is_empty() || value.chars().count() > most {
        return Err(CoreError::invalid(
            "invalid_watch_list",
            format!("{field} must be 1 to {most} characters (not blank)"),
        ));
    }
    Ok(())
}

fn check_upload(upload: &WatchListUpload) -> Result<(), CoreError> {
    if !is_list_name(&upload.name) {
        return Err(CoreError::invalid(
            "invalid_watch_list",
            "name must be 1 to 64 of A-Z 0-9 _ . - starting with a letter or digit (e.g. ITALY-TPC)",
        ));
    }
    text("source", &upload.source, 500)?;
    if upload.entries.len() > MAX_ENTRIES {
        return Err(CoreError::invalid(
            "invalid_watch_list",
            format!("a list version has at most {MAX_ENTRIES} entries; this one has {}", upload.entries.len()),
        ));
    }
    let mut references = std::collections::HashSet::new();
    for (index, entry) in upload.entries.iter().enumerate() {
        let at = |field: &str| format!("entries[{index}].{field}");
        text(&at("reference"), &entry.reference, 100)?;
        text(&at("description"), &entry.description, 4000)?;
        for (field, value) in [
            ("title", &entry.title),
            ("maker", &entry.maker),
            ("dating", &entry.dating),
            ("inscriptions", &entry.inscriptions),
        ] {
            if let Some(value) = value {
                text(&at(field), value, if field == "inscriptions" { 2000 } else { 300 })?;
            }
        }
        for value in entry.object_type.iter().chain(&entry.materials_techniques) {
            text(&at("object_type / materials_techniques"), value, 100)?;
        }
        if entry.photos.len() > MAX_PHOTOS_PER_ENTRY {
            return Err(CoreError::invalid(
                "invalid_watch_list",
                format!("{} lists {} photos; at most {MAX_PHOTOS_PER_ENTRY}", at("photos"), entry.photos.len()),
            ));
        }
        if let Some(bad) = entry.photos.iter().find(|sha| !crate::photos::is_photo_hash(sha)) {
            return Err(CoreError::invalid(
                "invalid_photo_hash",
                format!("{}: {bad:?} is not a photo's lower-case hex SHA-256", at("photos")),
            ));
        }
        if !references.insert(entry.reference.as_str()) {
            return Err(CoreError::invalid(
                "invalid_watch_list",
                format!("{}: {:?} appears twice; references are unique in a list", at("reference"), entry.reference),
            ));
        }
    }
    Ok(())
}

/// Reads a list upload: JSON, then the schema (`Requests_watch_list_upload`: every
/// problem with its path, `validation_failed`), then the types.
pub fn parse_upload(bytes: &[u8]) -> Result<WatchListUpload, CoreError> {
    let value: serde_json::Value = crate::parse_json(bytes)?;
    cartouche_model::validate::check_schema(cartouche_model::validate::SchemaKind::WatchListUpload, &value)?;
    serde_json::from_value(value).map_err(|error| CoreError::invalid("invalid_watch_list", error.to_string()))
}

fn version_key(name: &str, version: u64) -> String {
    format!("watch-lists/{name}/{version}")
}

fn parse_index(bytes: Option<&[u8]>) -> Result<BTreeMap<String, u64>, CoreError> {
    match bytes {
        None => Ok(BTreeMap::new()),
        Some(bytes) => serde_json::from_slice(bytes)
            .map_err(|error| CoreError::internal(format!("the stored watch-list index does not parse: {error}"))),
    }
}

impl Core {
    /// Loads a list version (watch-list editors and the admin). Every photo it names must
    /// have been uploaded; each one's fingerprint is computed now.
    pub fn load_watch_list(&self, caller: &Caller, upload: WatchListUpload) -> Result<WatchListSummary, CoreError> {
        self.check_watch_list_editor(caller)?;
        check_upload(&upload)?;
        let mut entries = Vec::with_capacity(upload.entries.len());
        for entry in upload.entries {
            let mut photos = Vec::with_capacity(entry.photos.len());
            for sha in entry.photos {
                let jpeg = self.photo_bytes(&sha)?.ok_or_else(|| {
                    CoreError::unprocessable(
                        "unknown_photo",
                        format!(
                            "entry {:?} names photo {sha}, which has not been uploaded: upload it first with POST /api/v1/photos",
                            entry.reference
                        ),
                    )
                })?;
                let hashes = Fingerprint::listed_of_bytes(&jpeg)
                    .map_err(|error| CoreError::internal(format!("stored photo {sha} does not decode: {error}")))?;
                photos.push(ListedPhoto {
                    sha256: sha,
                    hashes: hashes.iter().map(|hash| format!("{hash:016x}")).collect(),
                });
            }
            entries.push(StoredEntry {
                reference: entry.reference,
                description: entry.description,
                title: entry.title,
                maker: entry.maker,
                object_type: entry.object_type,
                materials_techniques: entry.materials_techniques,
                dating: entry.dating,
                inscriptions: entry.inscriptions,
                photos,
            });
        }
        let now = self.now();
        // The version: the next one free. Each version is written only where none is
        // (compare-and-swap on an absent key), so two loads at once never share one, and
        // a load that died before raising the index leaves its number taken, not reused.
        let latest = parse_index(self.store.artifact(INDEX_KEY)?.as_deref())?.get(&upload.name).copied().unwrap_or(0);
        let mut stored = None;
        for version in latest + 1..=latest + 64 {
            let candidate = WatchListVersion {
                name: upload.name.clone(),
                version,
                source: upload.source.clone(),
                as_of: upload.as_of,
                loaded_at: now,
                loaded_by: caller.actor(),
                entries: entries.clone(),
            };
            let bytes = serde_json::to_vec(&candidate).map_err(|error| CoreError::internal(error.to_string()))?;
            if self.store.swap_artifact(&version_key(&upload.name, version), None, &bytes)? {
                stored = Some(candidate);
                break;
            }
        }
        let Some(stored) = stored else {
            return Err(CoreError::conflict(
                "watch_list_busy",
                "the watch lists are being changed by others: try again",
            ));
        };
        // Then the index names it (unless a later version got there first).
        for _ in 0..16 {
            let current = self.store.artifact(INDEX_KEY)?;
            let mut index = parse_index(current.as_deref())?;
            let named = index.get(&upload.name).is_some_and(|&named| named >= stored.version);
            index.insert(upload.name.clone(), stored.version);
            let next = serde_json::to_vec(&index).map_err(|error| CoreError::internal(error.to_string()))?;
            if named || self.store.swap_artifact(INDEX_KEY, current.as_deref(), &next)? {
                let summary = stored.summary();
                self.store.append_audit(audit::entry(
                    now,
                    Some(&caller.actor()),
                    AuditAction::WatchListLoad,
                    &format!("{} v{}", upload.name, stored.version),
                    Outcome::Ok,
                    &format!("{} entries, {} photos, as of {}", summary.entries, summary.photos, summary.as_of),
                ))?;
                tracing::info!(list = %upload.name, version = stored.version, entries = summary.entries, "watch list loaded");
                self.reload_watch_lists()?;
                return Ok(summary);
            }
        }
        Err(CoreError::conflict("watch_list_busy", "the watch lists are being changed by others: try again"))
    }

    /// Refuses a caller who may not load watch lists (faces call it before reading the
    /// upload).
    pub fn check_watch_list_editor(&self, caller: &Caller) -> Result<(), CoreError> {
        if matches!(caller.role, Role::WatchListEditor | Role::Admin) {
            return Ok(());
        }
        Err(crate::authz::Refusal {
            code: "forbidden",
            message: format!(
                "a {} token may not load watch lists (a watch_list_editor or admin token may)",
                caller.role.as_str()
            ),
        }
        .into())
    }

    /// The lists in force (their latest versions), without entries.
    pub fn watch_lists(&self) -> Vec<WatchListSummary> {
        self.watch.in_force.read().unwrap_or_else(|p| p.into_inner()).lists.iter().map(|list| list.summary()).collect()
    }

    /// One version of a list (the latest without `version`).
    pub fn watch_list(&self, name: &str, version: Option<u64>) -> Result<WatchListVersion, CoreError> {
        let unknown = || CoreError::not_found(format!("no watch list {name:?} has been loaded"));
        if !is_list_name(name) {
            return Err(unknown());
        }
        let index = parse_index(self.store.artifact(INDEX_KEY)?.as_deref())?;
        let latest = *index.get(name).ok_or_else(unknown)?;
        let version = version.unwrap_or(latest);
        if version == 0 || version > latest {
            return Err(CoreError::not_found(format!("watch list {name} has versions 1 to {latest}, not {version}")));
        }
        let bytes = self.store.artifact(&version_key(name, version))?.ok_or_else(|| {
            CoreError::internal(format!("watch list {name} version {version} is missing from the store"))
        })?;
        serde_json::from_slice(&bytes).map_err(|error| {
            CoreError::internal(format!("watch list {name} version {version} does not parse: {error}"))
        })
    }

    /// Reads the lists in force from the store (at start, after a load, and when another
    /// node changed them), and hands them to the rule plugins with the reference data.
    /// Returns whether they changed.
    pub fn reload_watch_lists(&self) -> Result<bool, CoreError> {
        let index_bytes = self.store.artifact(INDEX_KEY)?.unwrap_or_default();
        if self.watch.in_force.read().unwrap_or_else(|p| p.into_inner()).index == index_bytes {
            return Ok(false);
        }
        let index = parse_index((!index_bytes.is_empty()).then_some(index_bytes.as_slice()))?;
        let mut lists = Vec::new();
        for (name, version) in &index {
            lists.push(Arc::new(self.watch_list(name, Some(*version))?));
        }
        let mut photos = Vec::new();
        for (list_index, list) in lists.iter().enumerate() {
            for (entry_index, entry) in list.entries.iter().enumerate() {
                for photo in &entry.photos {
                    let hashes: Vec<u64> = photo.hashes.iter().filter_map(|hex| hash_from_hex(hex)).collect();
                    if !hashes.is_empty() {
                        photos.push((list_index, entry_index, photo.sha256.clone(), hashes));
                    }
                }
            }
        }
        if let Some(rules) = self.rules.plugins() {
            let base = self.watch.base.get_or_init(|| (*rules.reference()).clone());
            let mut reference = base.clone();
            reference.watch_lists.extend(lists.iter().map(|list| {
                WatchList {
                    name: list.name.clone(),
                    entries: list
                        .entries
                        .iter()
                        .map(|entry| WatchEntry {
                            reference: entry.reference.clone(),
                            description: entry.description.clone(),
                            title: entry.title.clone(),
                            maker: entry.maker.clone(),
                            photo_sha256: entry.photos.iter().map(|photo| photo.sha256.clone()).collect(),
                        })
                        .collect(),
                }
            }));
            rules.set_reference(reference);
        }
        *self.watch.in_force.write().unwrap_or_else(|p| p.into_inner()) =
            Arc::new(InForce { index: index_bytes, lists, photos });
        Ok(true)
    }

    /// Whether any listed photo is in force (no comparison is made otherwise).
    pub fn watching_photos(&self) -> bool {
        !self.watch.in_force.read().unwrap_or_else(|p| p.into_inner()).photos.is_empty()
    }

    /// A photo's bytes, from the store or (a peer's certificate photo) from that peer;
    /// `None` when there is no such photo.
    fn photo_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, CoreError> {
        match self.photo(sha256, false) {
            Ok(jpeg) => Ok(Some(jpeg)),
            Err(error) if error.kind == crate::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A certificate photo's fingerprint: remembered, or read from the store, or computed
    /// from the photo (and kept). `None` when there is no such photo.
    fn fingerprint(&self, sha256: &str) -> Result<Option<Fingerprint>, CoreError> {
        {
            let mut cache = self.watch.prints.lock().unwrap_or_else(|p| p.into_inner());
            let cache =
                cache.get_or_insert_with(|| lru::LruCache::new(NonZeroUsize::new(PRINT_CACHE).expect("non-zero")));
            if let Some(print) = cache.get(sha256) {
                return Ok(Some(*print));
            }
        }
        let key = format!("photo-print/{sha256}");
        let print =
            match self.store.artifact(&key)?.and_then(|bytes| Fingerprint::from_hex(std::str::from_utf8(&bytes).ok()?))
            {
                Some(print) => print,
                None => {
                    let Some(jpeg) = self.photo_bytes(sha256)? else { return Ok(None) };
                    let print = Fingerprint::of_bytes(&jpeg).map_err(|error| {
                        CoreError::internal(format!("stored photo {sha256} does not decode: {error}"))
                    })?;
                    self.store.put_artifact(&key, print.to_hex().as_bytes())?;
                    print
                }
            };
        let mut cache = self.watch.prints.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get_or_insert_with(|| lru::LruCache::new(NonZeroUsize::new(PRINT_CACHE).expect("non-zero")))
            .put(sha256.to_owned(), print);
        Ok(Some(print))
    }

    /// Compares photos (`(object index, sha256)`) with every listed photo.
    /// Answers the referrals, nearest first, and the photos that could not be compared.
    pub fn photo_referrals(&self, photos: &[(usize, String)]) -> (Vec<Referral>, Vec<String>) {
        let in_force = Arc::clone(&self.watch.in_force.read().unwrap_or_else(|p| p.into_inner()));
        let mut referrals = Vec::new();
        let mut unavailable = Vec::new();
        if in_force.photos.is_empty() {
            return (referrals, unavailable);
        }
        for (object, sha) in photos {
            let print = match self.fingerprint(sha) {
                Ok(Some(print)) => print,
                Ok(None) => {
                    unavailable.push(sha.clone());
                    continue;
                }
                Err(error) => {
                    tracing::warn!(photo = %sha, error = %error, "a certificate photo could not be compared with the watch lists");
                    unavailable.push(sha.clone());
                    continue;
                }
            };
            for (list_index, entry_index, listed_sha, hashes) in &in_force.photos {
                let distance = print.distance_to_any(hashes);
                if distance <= MATCH_DISTANCE {
                    let list = &in_force.lists[*list_index];
                    let entry = &list.entries[*entry_index];
                    referrals.push(Referral {
                        list: list.name.clone(),
                        version: list.version,
                        as_of: list.as_of,
                        source: list.source.clone(),
                        reference: entry.reference.clone(),
                        description: entry.description.clone(),
                        object: *object,
                        photo: sha.clone(),
                        listed_photo: listed_sha.clone(),
                        distance,
                        bits: HASH_BITS,
                    });
                }
            }
        }
        referrals.sort_by(|a, b| a.distance.cmp(&b.distance).then_with(|| a.reference.cmp(&b.reference)));
        referrals.dedup_by(|a, b| a.photo == b.photo && a.list == b.list && a.reference == b.reference);
        (referrals, unavailable)
    }

    /// How many photos of how many lists are in force, for a check's wording.
    pub(crate) fn watch_extent(&self) -> (usize, usize) {
        let in_force = self.watch.in_force.read().unwrap_or_else(|p| p.into_inner());
        (in_force.photos.len(), in_force.lists.len())
    }

    /// Records the referrals an issuance raised in the audit log.
    pub(crate) fn audit_referrals(&self, caller: &Caller, number: &str, referrals: &[Referral]) {
        if referrals.is_empty() {
            return;
        }
        let detail = referrals
            .iter()
            .map(|r| {
                format!(
                    "object {} photo {} ~ {} entry {} ({} bits)",
                    r.object + 1,
                    &r.photo[..12],
                    r.list,
                    r.reference,
                    r.distance
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        tracing::warn!(number = %number, referrals = referrals.len(), "issued with a possible watch-list match: compare the photos");
        if let Err(error) = self.store.append_audit(audit::entry(
            self.now(),
            Some(&caller.actor()),
            AuditAction::WatchListReferral,
            number,
            Outcome::Ok,
            &detail,
        )) {
            tracing::error!(error = %error, "could not record a watch-list referral in the audit log");
        }
    }
}

/// The photos of a certificate's objects, as `(object index, sha256)`.
pub fn certificate_photos(objects: &[cartouche_model::CulturalObject]) -> Vec<(usize, String)> {
    objects
        .iter()
        .enumerate()
        .flat_map(|(o, object)| object.photos.iter().map(move |photo| (o, photo.sha256.clone())))
        .collect()
}
