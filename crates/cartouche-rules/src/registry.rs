//! The published plugins and their use: publication checks (manifest, ownership of the id,
//! component, cases run twice), putting stored publications in service (with their
//! compiled artifacts, which the caller keeps, keyed by component hash and engine),
//! selection of the version active at a date, and evaluation of every plugin that applies
//! to a certificate in a phase. This crate stores nothing: the caller persists what
//! [`Rules::check`] and [`Rules::load`] hand back, then calls [`Rules::install`].
//!
//! A plugin id belongs to the jurisdiction of its first publication: a later version must
//! carry the same jurisdiction ([`PublishError::IdTaken`]), stored versions of another
//! jurisdiction are not loaded, and evaluation selects versions by id and jurisdiction, so
//! one jurisdiction's code can never supersede another's.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use cartouche_model::plugin::{
    CaseFile, ExpectedFinding, PluginManifest, PublishedPlugin, RequestedLimits, RuleSubject, comparable,
    is_jurisdiction, is_plugin_id, jurisdiction_covers,
};
use cartouche_model::reference::ReferenceData;
use cartouche_model::{Actor, Finding, RuleEvaluation, RuleOutcome, RulePhase, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::engine::{
    CallContext, Compiled, ComponentError, Description, FailureKind, Host, PluginLimits, Run, RunFailure,
};

/// Why a publication was refused. Nothing may be stored when it is.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The manifest is not valid.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// The component was refused.
    #[error(transparent)]
    Component(#[from] ComponentError),
    /// `describe` does not match the manifest, or failed.
    #[error("the component's describe() does not match the manifest: {0}")]
    DescribeMismatch(String),
    /// The case file is not valid.
    #[error("invalid case file: {0}")]
    Cases(String),
    /// Some cases failed, or ran differently twice.
    #[error("{failed} of {total} cases failed; the plugin is not published")]
    CasesFailed {
        /// How many failed.
        failed: usize,
        /// Of how many.
        total: usize,
        /// Every case's result.
        report: Box<CasesReport>,
    },
    /// The id belongs to another jurisdiction (that of its first publication).
    #[error("plugin id {id} belongs to jurisdiction {owner}; publish your rules under an id of your own")]
    IdTaken {
        /// The id.
        id: String,
        /// The jurisdiction it belongs to.
        owner: String,
        /// The jurisdiction the refused manifest declared.
        jurisdiction: String,
    },
    /// A check hit the wall-clock deadline twice (the second time with
    /// [`crate::Limits::retry_deadline`]): the machine is too busy to judge the plugin,
    /// which says nothing about the plugin. Retry later.
    #[error(
        "the machine is too busy to check the plugin: {0} did not finish within the deadline, even on a second, longer attempt; this says nothing about the plugin (its fuel is bounded): retry later"
    )]
    Busy(String),
    /// [`Rules::install`] was given a record that is not the checked publication.
    #[error("the stored record {0} is not the checked publication")]
    NotTheChecked(String),
}

/// One case run twice through the production engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    /// The case.
    pub name: String,
    /// Whether it found what was expected, the same way twice.
    pub passed: bool,
    /// What it expected.
    pub expected: Vec<ExpectedFinding>,
    /// What the plugin found (first run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<Vec<ExpectedFinding>>,
    /// Why it did not run, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Fuel of the first run.
    pub fuel: u64,
    /// Its fuel budget (the base plus the per-byte allowance for its input).
    pub fuel_budget: u64,
    /// Whether the second run gave the same findings with the same fuel.
    pub deterministic: bool,
    /// Peak linear memory, bytes.
    pub peak_memory: usize,
    /// Bytes of findings returned.
    pub output_bytes: usize,
    /// Bytes of certificate JSON it ran on (the budgets grow with it).
    pub input_bytes: usize,
    /// What the first run printed to standard output and error (WASI plugins), bounded.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub printed: String,
    /// Whether a run hit the wall-clock deadline even on the retry: the machine's problem,
    /// not a verdict on the plugin.
    #[serde(skip)]
    pub timed_out: bool,
}

/// The result of a case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CasesReport {
    /// Each case.
    pub cases: Vec<CaseResult>,
    /// The base fuel limit (each case's budget adds an allowance per input byte).
    pub fuel_limit: u64,
    /// The memory limit.
    pub memory_limit: usize,
    /// The wall-clock deadline of a call, in milliseconds.
    pub deadline_ms: u64,
    /// The output limit.
    pub output_limit: usize,
}

impl CasesReport {
    /// How many cases failed.
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|case| !case.passed).count()
    }

    /// The cases that hit the deadline even on the retry (the machine was too busy to
    /// judge them).
    pub fn timed_out(&self) -> Vec<&str> {
        self.cases.iter().filter(|case| case.timed_out).map(|case| case.name.as_str()).collect()
    }
}

/// Compiled code of a component, for the caller to store and hand back to
/// [`Rules::load`]: only ever bytes this host's own compiler produced.
#[derive(Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `{component sha256}-{engine compatibility key}`.
    pub key: String,
    /// The compiled code.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact").field("key", &self.key).field("bytes", &self.bytes.len()).finish()
    }
}

/// A publication that passed every check: what to store ([`Checked::record`] and
/// [`Checked::artifact`]), then put in service with [`Rules::install`].
pub struct Checked {
    /// The manifest.
    pub manifest: PluginManifest,
    /// SHA-256 of the component.
    pub sha256: String,
    /// The component.
    pub component: Vec<u8>,
    /// The case file it passed (JSON).
    pub cases: String,
    /// The cases' results.
    pub report: CasesReport,
    /// The compiled code, to store (absent if the engine could not serialize it: the
    /// plugin is then compiled again at the next start).
    pub artifact: Option<Artifact>,
    compiled: Compiled,
}

impl Checked {
    /// The record to store, published by `actor` at `at`.
    pub fn record(&self, actor: Actor, at: OffsetDateTime) -> PublishedPlugin {
        PublishedPlugin {
            manifest: self.manifest.clone(),
            sha256: self.sha256.clone(),
            component: self.component.clone(),
            cases: self.cases.clone(),
            published_by: actor,
            published_at: at,
        }
    }
}

/// What [`Rules::load`] did.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Versions put in service.
    pub loaded: usize,
    /// Artifacts compiled because the lookup had none: the caller stores them.
    pub compiled: Vec<Artifact>,
}

/// A plugin in service.
pub struct LoadedPlugin {
    /// The manifest.
    pub manifest: PluginManifest,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Size of the component.
    pub size: usize,
    /// When it was published.
    pub published_at: OffsetDateTime,
    version: semver::Version,
    compiled: Compiled,
    usage: Usage,
}

/// What a plugin's calls in service used since the process started.
#[derive(Debug, Default)]
struct Usage {
    calls: std::sync::atomic::AtomicU64,
    most_fuel: std::sync::atomic::AtomicU64,
    peak_memory: std::sync::atomic::AtomicU64,
}

impl Usage {
    fn record(&self, result: &Result<Run, RunFailure>) {
        use std::sync::atomic::Ordering::Relaxed;
        self.calls.fetch_add(1, Relaxed);
        let (fuel, memory) = match result {
            Ok(run) => (run.fuel, run.peak_memory as u64),
            Err(failure) => (failure.fuel, 0),
        };
        self.most_fuel.fetch_max(fuel, Relaxed);
        self.peak_memory.fetch_max(memory, Relaxed);
    }

    fn seen(&self) -> UsageView {
        use std::sync::atomic::Ordering::Relaxed;
        UsageView {
            calls: self.calls.load(Relaxed),
            most_fuel: self.most_fuel.load(Relaxed),
            peak_memory: self.peak_memory.load(Relaxed),
        }
    }
}

/// What a plugin's calls in service used since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsageView {
    /// Calls (evaluations) made.
    pub calls: u64,
    /// The most fuel one call used.
    pub most_fuel: u64,
    /// The largest linear memory one call reached, in bytes.
    pub peak_memory: u64,
}

/// A plugin version as `GET /api/v1/plugins` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// Id.
    pub id: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Version.
    pub version: String,
    /// Phases.
    pub phases: Vec<RulePhase>,
    /// SHA-256 of the component.
    pub sha256: String,
    /// Component size in bytes.
    pub size: usize,
    /// Descriptions by language.
    pub descriptions: BTreeMap<String, String>,
    /// Legal source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// First day it is used.
    #[serde(with = "cartouche_model::iso_date")]
    pub active_from: Date,
    /// Day a later version takes over (exclusive), if one is published.
    #[serde(with = "cartouche_model::iso_date_option", skip_serializing_if = "Option::is_none")]
    pub active_until: Option<Date>,
    /// `active`, `scheduled` (valid-from in the future) or `superseded`.
    pub status: &'static str,
    /// When it was published.
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    /// Whether it imports WASI (an interpreter's toolchain built it): served by the
    /// deterministic layer.
    pub wasi: bool,
    /// The limits its manifest asked for (absent ones are the defaults).
    pub asked: RequestedLimits,
    /// The limits its calls run under.
    pub limits: PluginLimits,
    /// What its calls used since the process started.
    pub used: UsageView,
}

/// How many evaluations of certificates [`Rules::evaluate_certificate`] remembers (each a
/// few KB at most: the findings of the plugins that ran).
pub const MEMO_ENTRIES: usize = 4096;

/// What an evaluation of a certificate is a pure function of, besides the plugins in
/// service and the reference data (the memo's generation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MemoKey {
    certificate_sha256: String,
    phase: RulePhase,
    country: String,
    date: Date,
    checkpoint_country: Option<String>,
}

/// Remembered evaluations, all of one generation of the plugins and reference data.
struct Memo {
    generation: u64,
    entries: lru::LruCache<MemoKey, Arc<Vec<RuleEvaluation>>>,
}

/// The rules service: the host, the plugins in service, the operator's reference data.
pub struct Rules {
    host: Host,
    /// In publication order: the first version of an id names its jurisdiction.
    plugins: RwLock<Arc<Vec<Arc<LoadedPlugin>>>>,
    reference: RwLock<Arc<ReferenceData>>,
    publishing: Mutex<()>,
    /// Bumped by every change of the plugins in service or of the reference data: a
    /// remembered evaluation of an older generation is never used.
    generation: AtomicU64,
    memo: Mutex<Memo>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    cartouche_model::canonical::hex(&Sha256::digest(bytes))
}

fn check_manifest(manifest: &PluginManifest) -> Result<semver::Version, PublishError> {
    let bad = |message: String| PublishError::Manifest(message);
    if !is_plugin_id(&manifest.id) {
        return Err(bad(format!("id {:?} must be 3-64 of a-z, 0-9 and -, starting with a letter", manifest.id)));
    }
    if !is_jurisdiction(&manifest.jurisdiction) {
        return Err(bad(format!(
            "jurisdiction {:?} must be an ISO 3166-1 alpha-2 code, EU or INT",
            manifest.jurisdiction
        )));
    }
    let version = semver::Version::parse(&manifest.version)
        .map_err(|error| bad(format!("version {:?} is not a semantic version: {error}", manifest.version)))?;
    if manifest.phases.is_empty() {
        return Err(bad("phases is empty: name at least one of issuance, exit_check, import_check".into()));
    }
    if (1..manifest.phases.len()).any(|i| manifest.phases[..i].contains(&manifest.phases[i])) {
        return Err(bad("phases lists a phase twice".into()));
    }
    if !manifest.descriptions.contains_key("en") {
        return Err(bad("descriptions must include English (\"en\")".into()));
    }
    if manifest.descriptions.values().any(|text| text.trim().is_empty() || text.chars().count() > 2000) {
        return Err(bad("each description must be 1 to 2000 characters".into()));
    }
    Ok(version)
}

fn outcome_of(findings: &[Finding]) -> RuleOutcome {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Error) => RuleOutcome::Fail,
        Some(Severity::Warning) => RuleOutcome::Warning,
        _ => RuleOutcome::Pass,
    }
}

fn comparable_findings(findings: &[Finding]) -> Vec<ExpectedFinding> {
    comparable(findings.iter().map(|f| ExpectedFinding {
        code: f.code.clone(),
        severity: f.severity,
        field: f.field.clone(),
    }))
}

impl Rules {
    /// A rules service on `host` with no plugins and no reference data.
    pub fn new(host: Host) -> Self {
        Self {
            host,
            plugins: RwLock::new(Arc::new(Vec::new())),
            reference: RwLock::new(Arc::new(ReferenceData::default())),
            publishing: Mutex::new(()),
            generation: AtomicU64::new(0),
            memo: Mutex::new(Memo {
                generation: 0,
                entries: lru::LruCache::new(NonZeroUsize::new(MEMO_ENTRIES).unwrap_or(NonZeroUsize::MIN)),
            }),
        }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Replaces the operator's reference data (rates, watch lists).
    pub fn set_reference(&self, reference: ReferenceData) {
        let mut guard = self.reference.write().unwrap_or_else(|p| p.into_inner());
        *guard = Arc::new(reference);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The operator's reference data.
    pub fn reference(&self) -> Arc<ReferenceData> {
        Arc::clone(&self.reference.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn snapshot(&self) -> Arc<Vec<Arc<LoadedPlugin>>> {
        Arc::clone(&self.plugins.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The key of a component's compiled code for this engine.
    pub fn artifact_key(&self, sha256: &str) -> String {
        format!("{sha256}-{}", self.host.compatibility_key())
    }

    /// The jurisdiction plugin `id` belongs to (its first publication's), if in service.
    pub fn owner(&self, id: &str) -> Option<String> {
        owner_in(&self.snapshot(), id).map(str::to_owned)
    }

    /// Refuses a manifest whose id belongs to another jurisdiction.
    pub fn check_owner(&self, manifest: &PluginManifest) -> Result<(), PublishError> {
        check_owner_in(&self.snapshot(), manifest)
    }

    /// Serializes publications: hold it from [`Rules::check_owner`] through storing to
    /// [`Rules::install`], so that two first publications of an id cannot both pass.
    pub fn lock_publications(&self) -> MutexGuard<'_, ()> {
        self.publishing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, plugin: LoadedPlugin) -> Result<(), PublishError> {
        let mut guard = self.plugins.write().unwrap_or_else(|p| p.into_inner());
        check_owner_in(&guard, &plugin.manifest)?;
        let mut next: Vec<Arc<LoadedPlugin>> = guard.iter().cloned().collect();
        next.push(Arc::new(plugin));
        // Calls in flight keep the Arc of the list they started with.
        *guard = Arc::new(next);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Puts every stored publication in service (`plugins` as the store lists them: by id,
    /// then in publication order), with its compiled code from `artifact` (looked up by
    /// [`Rules::artifact_key`]; it must return only bytes that this service's host
    /// compiled, [`Checked::artifact`] or [`Loaded::compiled`], read back from the
    /// checksummed store) or, when there is none, compiled again: those new artifacts are
    /// returned for the caller to store. A version whose jurisdiction is not its id's
    /// (that of the id's first publication), or that no longer compiles, is logged and left
    /// out.
    pub fn load<E>(
        &self,
        plugins: Vec<PublishedPlugin>,
        mut artifact: impl FnMut(&str) -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Loaded, E> {
        let mut done = Loaded::default();
        let mut owners: BTreeMap<String, String> = BTreeMap::new();
        for record in plugins {
            let owner = owners.entry(record.manifest.id.clone()).or_insert_with(|| {
                owner_in(&self.snapshot(), &record.manifest.id).unwrap_or(&record.manifest.jurisdiction).to_owned()
            });
            if *owner != record.manifest.jurisdiction {
                tracing::error!(plugin = %record.manifest.id, version = %record.manifest.version, jurisdiction = %record.manifest.jurisdiction, owner = %owner, "a stored plugin version claims an id that belongs to another jurisdiction; it is not used");
                continue;
            }
            let Ok(version) = semver::Version::parse(&record.manifest.version) else { continue };
            let key = self.artifact_key(&record.sha256);
            let cached = match artifact(&key)? {
                Some(bytes) => self.host.load_artifact(&bytes, &record.manifest.limits).ok(),
                None => None,
            };
            let compiled = match cached {
                Some(compiled) => compiled,
                None => match self.host.compile_with(&record.component, &record.manifest.limits) {
                    Ok(compiled) => {
                        if let Ok(bytes) = compiled.artifact() {
                            done.compiled.push(Artifact { key, bytes });
                        }
                        compiled
                    }
                    Err(error) => {
                        tracing::error!(plugin = %record.manifest.id, version = %record.manifest.version, %error, "a published plugin no longer compiles; it is not used");
                        continue;
                    }
                },
            };
            let plugin = LoadedPlugin {
                size: record.component.len(),
                manifest: record.manifest,
                sha256: record.sha256,
                published_at: record.published_at,
                version,
                compiled,
                usage: Usage::default(),
            };
            match self.add(plugin) {
                Ok(()) => done.loaded += 1,
                Err(error) => tracing::error!(%error, "a stored plugin version is not used"),
            }
        }
        Ok(done)
    }

    /// Runs every check of a publication: manifest, component (size, imports, exports),
    /// describe() against the manifest, and the cases, each twice.
    pub fn check(&self, manifest_json: &[u8], component: &[u8], cases_json: &[u8]) -> Result<Checked, PublishError> {
        let manifest: PluginManifest =
            serde_json::from_slice(manifest_json).map_err(|error| PublishError::Manifest(error.to_string()))?;
        check_manifest(&manifest)?;
        self.check_owner(&manifest)?;
        let sha256 = sha256_hex(component);
        if let Some(pinned) = &manifest.sha256
            && !pinned.eq_ignore_ascii_case(&sha256)
        {
            return Err(PublishError::Manifest(format!(
                "the manifest pins sha256 {pinned} but the component's is {sha256}"
            )));
        }
        let compiled = self.host.compile_with(component, &manifest.limits)?;
        let described = self.describe(&compiled)?;
        let mut mismatches = Vec::new();
        for (what, declared, said) in [
            ("id", &manifest.id, &described.id),
            ("jurisdiction", &manifest.jurisdiction, &described.jurisdiction),
            ("version", &manifest.version, &described.version),
        ] {
            if declared != said {
                mismatches.push(format!("{what}: manifest {declared:?}, component {said:?}"));
            }
        }
        let mut declared_phases = manifest.phases.clone();
        let mut said_phases = described.phases.clone();
        declared_phases.sort_by_key(|p| *p as u8);
        said_phases.sort_by_key(|p| *p as u8);
        if declared_phases != said_phases {
            mismatches.push(format!("phases: manifest {:?}, component {:?}", manifest.phases, described.phases));
        }
        if !mismatches.is_empty() {
            return Err(PublishError::DescribeMismatch(mismatches.join("; ")));
        }
        let cases_text = std::str::from_utf8(cases_json).map_err(|_| PublishError::Cases("not UTF-8".into()))?;
        let file: CaseFile =
            serde_json::from_str(cases_text).map_err(|error| PublishError::Cases(error.to_string()))?;
        if file.plugin != manifest.id {
            return Err(PublishError::Cases(format!("the case file is for {:?}, not {:?}", file.plugin, manifest.id)));
        }
        if file.cases.is_empty() {
            return Err(PublishError::Cases("there are no cases: a plugin is published with at least one".into()));
        }
        if let Some(case) = file.cases.iter().find(|case| !manifest.phases.contains(&case.phase)) {
            return Err(PublishError::Cases(format!(
                "case {:?} runs in a phase the manifest does not declare",
                case.name
            )));
        }
        check_case_dates(&file, &manifest, &self.snapshot())?;
        file.reference.check().map_err(|error| PublishError::Cases(format!("reference data: {error}")))?;
        let report = self.run_cases(&compiled, &file);
        let timed_out = report.timed_out();
        if !timed_out.is_empty() {
            return Err(PublishError::Busy(format!("case {:?}", timed_out[0])));
        }
        let failed = report.failed();
        if failed > 0 {
            return Err(PublishError::CasesFailed { failed, total: report.cases.len(), report: Box::new(report) });
        }
        let artifact = compiled.artifact().ok().map(|bytes| Artifact { key: self.artifact_key(&sha256), bytes });
        Ok(Checked {
            manifest,
            sha256,
            component: component.to_vec(),
            cases: cases_text.to_owned(),
            report,
            artifact,
            compiled,
        })
    }

    /// `describe()` as the publication checks call it: again with the retry deadline if it
    /// hit the first; [`PublishError::Busy`] if it hits that too.
    pub fn describe(&self, compiled: &Compiled) -> Result<Description, PublishError> {
        let mut result = self.host.describe(compiled);
        if matches!(&result, Err(failure) if failure.kind == FailureKind::Timeout) {
            tracing::warn!("describe() hit the deadline during a publication check; retrying with the longer deadline");
            result = self.host.describe_within(compiled, self.host.retry_deadline_of(compiled));
        }
        result.map_err(|failure| match failure.kind {
            FailureKind::Timeout => PublishError::Busy("describe()".into()),
            _ => PublishError::DescribeMismatch(failure.message),
        })
    }

    /// One run (a publication check or an evaluation): again with the retry deadline if it
    /// hit the first (fuel still bounds the work), so that a busy machine does not turn a
    /// rule's answer into INDETERMINATE. A second timeout stays a timeout: the caller
    /// reports it as the machine's problem.
    fn run_patiently(
        &self,
        compiled: &Compiled,
        json: &str,
        context: &CallContext,
        reference: &Arc<ReferenceData>,
    ) -> Result<Run, RunFailure> {
        let first = self.host.evaluate(compiled, json, context, Arc::clone(reference));
        match first {
            Err(failure) if failure.kind == FailureKind::Timeout => {
                tracing::warn!(
                    fuel = failure.fuel,
                    "a plugin call hit the deadline; retrying with the longer deadline"
                );
                let retry: Duration = self.host.retry_deadline_of(compiled);
                self.host.evaluate_within(compiled, json, context, Arc::clone(reference), retry)
            }
            other => other,
        }
    }

    /// Runs each case twice in fresh instances: it passes when the findings are those
    /// expected and both runs agree on findings (messages included) and fuel. A run that
    /// hits the wall-clock deadline is retried once with [`crate::Limits::retry_deadline`];
    /// a case that times out even then is marked [`CaseResult::timed_out`] (failed, but
    /// the machine's problem: [`Rules::check`] reports [`PublishError::Busy`]).
    pub fn run_cases(&self, compiled: &Compiled, file: &CaseFile) -> CasesReport {
        let reference = Arc::new(file.reference.clone());
        let cases = file
            .cases
            .iter()
            .map(|case| {
                let expected = comparable(case.expect.iter().cloned());
                let mut result = CaseResult {
                    name: case.name.clone(),
                    passed: false,
                    expected,
                    found: None,
                    error: None,
                    fuel: 0,
                    fuel_budget: 0,
                    deterministic: false,
                    peak_memory: 0,
                    output_bytes: 0,
                    input_bytes: 0,
                    printed: String::new(),
                    timed_out: false,
                };
                let subject = match case.subject(file) {
                    Ok(subject) => subject,
                    Err(error) => {
                        result.error = Some(error.to_string());
                        return result;
                    }
                };
                let json = match cartouche_model::canonical::to_canonical_json(&subject) {
                    Ok(bytes) => String::from_utf8(bytes).unwrap_or_default(),
                    Err(error) => {
                        result.error = Some(error.to_string());
                        return result;
                    }
                };
                result.fuel_budget = self.host.fuel_of(compiled, json.len());
                result.input_bytes = json.len();
                let context = CallContext {
                    phase: case.phase,
                    date: case.date,
                    checkpoint_country: case.checkpoint_country.clone(),
                    parameters: case.parameters.clone(),
                };
                let first = self.run_patiently(compiled, &json, &context, &reference);
                let second = self.run_patiently(compiled, &json, &context, &reference);
                match (&first, &second) {
                    (Ok(a), Ok(b)) => {
                        result.printed = a.printed.clone();
                        result.fuel = a.fuel;
                        result.peak_memory = a.peak_memory;
                        result.output_bytes = a.output_bytes;
                        result.deterministic = a.findings == b.findings && a.fuel == b.fuel;
                        let found = comparable_findings(&a.findings);
                        result.passed = result.deterministic && found == result.expected;
                        result.found = Some(found);
                        if !result.deterministic {
                            result.error = Some(format!("two runs differ: fuel {} then {}", a.fuel, b.fuel));
                        }
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        // Failing the same way twice is deterministic (and still a failure).
                        result.deterministic =
                            matches!((&first, &second), (Err(a), Err(b)) if a.kind == b.kind && a.fuel == b.fuel);
                        result.fuel = failure.fuel;
                        result.printed = failure.printed.clone();
                        result.timed_out = failure.kind == FailureKind::Timeout;
                        result.error = Some(format!("{}: {}", failure.kind.code(), failure.message));
                    }
                }
                result
            })
            .collect();
        let limits = compiled.limits();
        CasesReport {
            cases,
            fuel_limit: limits.fuel,
            memory_limit: limits.memory_bytes,
            deadline_ms: limits.deadline.as_millis() as u64,
            output_limit: self.host.limits().output_bytes,
        }
    }

    /// Puts a checked publication in service (from its valid-from date), once the caller
    /// has stored `published` (its [`Checked::record`]) and the artifact. Refused if the id
    /// now belongs to another jurisdiction (hold [`Rules::lock_publications`] from the
    /// ownership check through storing, and this cannot happen).
    pub fn install(&self, published: &PublishedPlugin, checked: Checked) -> Result<(), PublishError> {
        if published.sha256 != checked.sha256 || published.manifest != checked.manifest {
            return Err(PublishError::NotTheChecked(format!(
                "{}@{}",
                published.manifest.id, published.manifest.version
            )));
        }
        let version =
            semver::Version::parse(&published.manifest.version).map_err(|e| PublishError::Manifest(e.to_string()))?;
        self.add(LoadedPlugin {
            manifest: checked.manifest,
            sha256: checked.sha256,
            size: checked.component.len(),
            published_at: published.published_at,
            version,
            compiled: checked.compiled,
            usage: Usage::default(),
        })?;
        tracing::info!(plugin = %published.manifest.id, version = %published.manifest.version, jurisdiction = %published.manifest.jurisdiction, sha256 = %published.sha256, "plugin in service");
        Ok(())
    }

    /// Whether this id and version are in service.
    pub fn has(&self, id: &str, version: &str) -> bool {
        self.snapshot().iter().any(|p| p.manifest.id == id && p.manifest.version == version)
    }

    /// Every version in service with its active range at `today`, by id then valid-from.
    pub fn list(&self, today: Date) -> Vec<Listing> {
        let plugins = self.snapshot();
        let mut listings = Vec::new();
        let mut keys: Vec<(&str, &str)> = plugins.iter().map(key_of).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let mut versions: Vec<&Arc<LoadedPlugin>> = plugins.iter().filter(|p| key_of(p) == key).collect();
            versions.sort_by(|a, b| (a.manifest.valid_from, &a.version).cmp(&(b.manifest.valid_from, &b.version)));
            let active = active_version(&versions, today).map(|p| p.sha256.clone());
            for (index, plugin) in versions.iter().enumerate() {
                let next = versions[index + 1..].iter().map(|p| p.manifest.valid_from).next();
                let status = if active.as_deref() == Some(plugin.sha256.as_str()) {
                    "active"
                } else if plugin.manifest.valid_from > today {
                    "scheduled"
                } else {
                    "superseded"
                };
                listings.push(Listing {
                    id: plugin.manifest.id.clone(),
                    jurisdiction: plugin.manifest.jurisdiction.clone(),
                    version: plugin.manifest.version.clone(),
                    phases: plugin.manifest.phases.clone(),
                    sha256: plugin.sha256.clone(),
                    size: plugin.size,
                    descriptions: plugin.manifest.descriptions.clone(),
                    source: plugin.manifest.source.clone(),
                    active_from: plugin.manifest.valid_from,
                    active_until: next,
                    status,
                    published_at: plugin.published_at,
                    wasi: plugin.compiled.uses_wasi(),
                    asked: plugin.manifest.limits,
                    limits: plugin.compiled.limits(),
                    used: plugin.usage.seen(),
                });
            }
        }
        listings
    }

    /// Runs every plugin that applies: jurisdiction covering `country`, declaring `phase`,
    /// in the version active on `date`. A plugin that fails gives an INDETERMINATE
    /// evaluation with the reason; the others still run.
    pub fn evaluate(
        &self,
        subject: &RuleSubject,
        phase: RulePhase,
        country: &str,
        date: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        let plugins = self.snapshot();
        let mut keys: Vec<(&str, &str)> = plugins
            .iter()
            .filter(|p| jurisdiction_covers(&p.manifest.jurisdiction, country) && p.manifest.phases.contains(&phase))
            .map(key_of)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() {
            return Vec::new();
        }
        let json = match cartouche_model::canonical::to_canonical_json(subject) {
            Ok(bytes) => String::from_utf8(bytes).unwrap_or_default(),
            Err(error) => {
                tracing::error!(%error, "cannot serialize a certificate for the rules");
                return Vec::new();
            }
        };
        let reference = self.reference();
        let context = CallContext {
            phase,
            date,
            checkpoint_country: checkpoint_country.map(str::to_owned),
            parameters: BTreeMap::new(),
        };
        let mut evaluations = Vec::new();
        // By id AND jurisdiction: a version of another jurisdiction never supersedes.
        for key in keys {
            let versions: Vec<&Arc<LoadedPlugin>> = plugins.iter().filter(|p| key_of(p) == key).collect();
            let Some(plugin) = active_version(&versions, date) else { continue };
            if !plugin.manifest.phases.contains(&phase) {
                continue;
            }
            let result = self.run_patiently(&plugin.compiled, &json, &context, &reference);
            plugin.usage.record(&result);
            evaluations.push(evaluation(plugin, phase, result));
        }
        evaluations
    }

    /// [`Rules::evaluate`] on the subject made from a certificate (exit and import checks),
    /// remembered: the answer is a pure function of the certificate (named by its
    /// canonical SHA-256), the phase, the country, the date, the checkpoint country, the
    /// plugins in service and the reference data. A publication or new reference data
    /// forgets everything remembered; an evaluation in which a plugin could not give a
    /// definite answer (INDETERMINATE) is not remembered. At most [`MEMO_ENTRIES`],
    /// least recently used first out. `subject` is only called on a miss.
    pub fn evaluate_certificate(
        &self,
        certificate_sha256: &str,
        subject: impl FnOnce() -> RuleSubject,
        phase: RulePhase,
        country: &str,
        date: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        // Read before the plugins and the reference data are: an evaluation that races a
        // publication is filed under the older generation, and never used.
        let generation = self.generation.load(Ordering::SeqCst);
        let key = MemoKey {
            certificate_sha256: certificate_sha256.to_owned(),
            phase,
            country: country.to_owned(),
            date,
            checkpoint_country: checkpoint_country.map(str::to_owned),
        };
        {
            let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
            if memo.generation == generation {
                if let Some(found) = memo.entries.get(&key) {
                    let found = Arc::clone(found);
                    drop(memo);
                    return found.as_ref().clone();
                }
            }
        }
        let evaluations = self.evaluate(&subject(), phase, country, date, checkpoint_country);
        if evaluations.iter().all(|e| e.outcome != RuleOutcome::Indeterminate) {
            let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
            if memo.generation < generation {
                memo.entries.clear();
                memo.generation = generation;
            }
            if memo.generation == generation {
                memo.entries.put(key, Arc::new(evaluations.clone()));
            }
        }
        evaluations
    }

    /// How many evaluations [`Rules::evaluate_certificate`] remembers now.
    pub fn remembered_evaluations(&self) -> usize {
        self.memo.lock().unwrap_or_else(|p| p.into_inner()).entries.len()
    }
}

/// What versions are grouped by: id and jurisdiction.
fn key_of(plugin: &Arc<LoadedPlugin>) -> (&str, &str) {
    (plugin.manifest.id.as_str(), plugin.manifest.jurisdiction.as_str())
}

/// Refuses a case dated outside the window in which the registry would run this version:
/// from its `valid_from` until the `valid_from` of a later version already in service. A
/// case outside it tests a date the plugin never serves (test such dates in the plugin's
/// own tests).
fn check_case_dates(
    file: &CaseFile,
    manifest: &PluginManifest,
    plugins: &[Arc<LoadedPlugin>],
) -> Result<(), PublishError> {
    let until = plugins
        .iter()
        .filter(|p| p.manifest.id == manifest.id && p.manifest.valid_from > manifest.valid_from)
        .map(|p| (p.manifest.valid_from, p.manifest.version.as_str()))
        .min();
    for case in &file.cases {
        if case.date < manifest.valid_from {
            return Err(PublishError::Cases(format!(
                "case {:?} is evaluated on {}, before the plugin's valid_from {}: the registry never runs this version on that date; date it on or after {}, or test that date in the plugin's own tests",
                case.name, case.date, manifest.valid_from, manifest.valid_from
            )));
        }
        if let Some((next, version)) = until.filter(|(next, _)| case.date >= *next) {
            return Err(PublishError::Cases(format!(
                "case {:?} is evaluated on {}, when version {version} (valid from {next}) is in use instead of this one: date it before {next}",
                case.name, case.date
            )));
        }
    }
    Ok(())
}

/// The jurisdiction of the first version of `id` in `plugins` (publication order).
fn owner_in<'a>(plugins: &'a [Arc<LoadedPlugin>], id: &str) -> Option<&'a str> {
    plugins.iter().find(|p| p.manifest.id == id).map(|p| p.manifest.jurisdiction.as_str())
}

fn check_owner_in(plugins: &[Arc<LoadedPlugin>], manifest: &PluginManifest) -> Result<(), PublishError> {
    match owner_in(plugins, &manifest.id) {
        Some(owner) if owner != manifest.jurisdiction => Err(PublishError::IdTaken {
            id: manifest.id.clone(),
            owner: owner.to_owned(),
            jurisdiction: manifest.jurisdiction.clone(),
        }),
        _ => Ok(()),
    }
}

/// The version in use on `date`: the latest valid-from on or before it (the higher version
/// when two share a date).
fn active_version<'a>(versions: &[&'a Arc<LoadedPlugin>], date: Date) -> Option<&'a Arc<LoadedPlugin>> {
    pick_active(versions, date, |p| (p.manifest.valid_from, &p.version)).copied()
}

fn pick_active<T>(items: &[T], date: Date, key: impl Fn(&T) -> (Date, &semver::Version)) -> Option<&T> {
    items.iter().filter(|item| key(item).0 <= date).max_by(|a, b| key(a).cmp(&key(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_active_version_is_the_latest_valid_from_not_after_the_date() {
        let v = |text: &str| semver::Version::parse(text).unwrap();
        let versions = [
            (date!(2026 - 01 - 01), v("1.0.0")),
            (date!(2026 - 07 - 01), v("1.1.0")),
            (date!(2026 - 07 - 01), v("1.0.1")),
            (date!(2027 - 01 - 01), v("2.0.0")),
        ];
        let at =
            |day: Date| pick_active(&versions, day, |(from, version)| (*from, version)).map(|(_, v)| v.to_string());
        assert_eq!(at(date!(2025 - 12 - 31)), None, "nothing before the first valid-from");
        assert_eq!(at(date!(2026 - 01 - 01)).as_deref(), Some("1.0.0"));
        assert_eq!(at(date!(2026 - 06 - 30)).as_deref(), Some("1.0.0"));
        assert_eq!(at(date!(2026 - 07 - 01)).as_deref(), Some("1.1.0"), "the higher version of the same day");
        assert_eq!(at(date!(2026 - 12 - 31)).as_deref(), Some("1.1.0"));
        assert_eq!(at(date!(2027 - 01 - 01)).as_deref(), Some("2.0.0"), "scheduled versions take over on their day");
    }
}

fn evaluation(plugin: &LoadedPlugin, phase: RulePhase, result: Result<Run, RunFailure>) -> RuleEvaluation {
    let (outcome, findings) = match result {
        Ok(run) => {
            tracing::debug!(plugin = %plugin.manifest.id, version = %plugin.manifest.version, fuel = run.fuel, findings = run.findings.len(), "rule evaluated");
            (outcome_of(&run.findings), run.findings)
        }
        Err(failure) => {
            tracing::warn!(plugin = %plugin.manifest.id, version = %plugin.manifest.version, sha256 = %plugin.sha256, kind = failure.kind.code(), fuel = failure.fuel, "rule could not be evaluated");
            (
                RuleOutcome::Indeterminate,
                vec![Finding {
                    code: failure.kind.code().to_owned(),
                    severity: Severity::Warning,
                    message: format!(
                        "plugin {} {} could not be evaluated: {}",
                        plugin.manifest.id, plugin.manifest.version, failure.message
                    ),
                    field: None,
                    translations: BTreeMap::new(),
                }],
            )
        }
    };
    RuleEvaluation {
        plugin: plugin.manifest.id.clone(),
        version: plugin.manifest.version.clone(),
        sha256: plugin.sha256.clone(),
        phase,
        outcome,
        findings,
    }
}
