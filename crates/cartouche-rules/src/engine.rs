//! The sandbox: one wasmtime [`Engine`] (Cranelift, fuel, epochs, pooling allocator) and
//! a [`Linker`] that offers the read-only reference data and, for plugins whose toolchain
//! imports WASI (Python, JavaScript), the deterministic WASI layer of [`crate::wasi`]. Every
//! call gets a fresh [`Store`] from the plugin's cached [`PluginPre`], its own fuel,
//! deadline and memory cap (the defaults, or what its manifest asked within the operator's
//! ceilings), and is dropped afterwards: nothing survives from one call to the next.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cartouche_model::plugin::RequestedLimits;
use cartouche_model::reference::{ReferenceData, WatchQuery};
use cartouche_model::{Finding, RulePhase, Severity};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap};

mod bindings {
    wasmtime::component::bindgen!({
        world: "plugin",
        path: "wit",
    });
}

use bindings::cartouche::rules::types as wit;
use bindings::{Plugin, PluginPre};

use crate::wasi::{PrintLimitHit, WasiState, is_wasi_import};

/// The Cartouche interfaces a plugin may import (and, besides them, the WASI 0.2 interfaces
/// of [`crate::wasi::WASI_PACKAGES`], which give no capability).
pub const ALLOWED_IMPORTS: [&str; 2] = ["cartouche:rules/reference-data@1.0.0", "cartouche:rules/types@1.0.0"];

/// The limits every call runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Instructions (wasmtime fuel) per call: the deterministic limit.
    pub fuel: u64,
    /// More fuel per byte of certificate JSON, so that a large certificate can be parsed
    /// (a one-object certificate takes about 60 fuel per byte to parse and evaluate).
    pub fuel_per_input_byte: u64,
    /// Wall-clock deadline per call, a backstop only (fuel decides first); one more epoch
    /// tick (10 ms) is allowed per 64 KiB of certificate JSON. Zero interrupts every call
    /// at once (tests use it to exercise [`Limits::retry_deadline`]).
    pub deadline: Duration,
    /// Deadline of the second attempt when a publication check (describe, a case) or an
    /// evaluation hit `deadline`: on a loaded machine a correct plugin can be slow, and
    /// fuel, not the clock, proves it terminates. A call that times out again is the
    /// machine's problem (reported as such), never the plugin's failure.
    pub retry_deadline: Duration,
    /// Linear memory per call, in bytes.
    pub memory_bytes: usize,
    /// Largest certificate JSON handed to a plugin (the largest request body: an
    /// application of 100 objects is about 400 KiB).
    pub input_bytes: usize,
    /// Most findings a call may return, plus one per KiB of certificate JSON (a 100-object
    /// certificate may well get a finding per object).
    pub max_findings: usize,
    /// Largest total of the returned strings, in bytes, plus 256 per KiB of input.
    pub output_bytes: usize,
    /// Largest component accepted at publish (an interpreter's component is about 18 MB).
    pub component_bytes: usize,
    /// Calls running at once (the pool's size); more wait their turn.
    pub concurrency: u32,
    /// The most memory a manifest may ask for, in bytes (the operator's ceiling).
    pub max_memory_bytes: usize,
    /// The most fuel a manifest may ask for (the operator's ceiling).
    pub max_fuel: u64,
    /// The most fuel per input byte a manifest may ask for (the operator's ceiling).
    pub max_fuel_per_input_byte: u64,
    /// The longest deadline a manifest may ask for (the operator's ceiling).
    pub max_deadline: Duration,
    /// Bytes a call may print to standard output and error (WASI plugins), kept as the
    /// call's diagnostics; printing more stops the call.
    pub print_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            fuel_per_input_byte: 100,
            deadline: Duration::from_millis(50),
            retry_deadline: Duration::from_secs(10),
            memory_bytes: 16 << 20,
            input_bytes: 1 << 20,
            max_findings: 64,
            output_bytes: 16 << 10,
            component_bytes: 32 << 20,
            concurrency: 32,
            max_memory_bytes: 128 << 20,
            max_fuel: 4_000_000_000,
            max_fuel_per_input_byte: 10_000,
            max_deadline: Duration::from_secs(2),
            print_bytes: 16 << 10,
        }
    }
}

/// The limits one plugin runs under: the host's defaults, or what its manifest asked for
/// within the ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PluginLimits {
    /// Linear memory per call, in bytes.
    pub memory_bytes: usize,
    /// Fuel per call, before the allowance per input byte.
    pub fuel: u64,
    /// Fuel allowed per byte of certificate JSON, on top.
    pub fuel_per_input_byte: u64,
    /// Wall-clock deadline per call (in JSON: `deadline_ms`).
    #[serde(rename = "deadline_ms", serialize_with = "millis")]
    pub deadline: Duration,
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_millis() as u64)
}

/// Epoch tick: the deadline is counted in these.
const TICK: Duration = Duration::from_millis(10);

/// Why a call did not produce findings. Each maps to an INDETERMINATE rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The certificate JSON is over the input cap.
    InputTooLarge,
    /// Ran out of fuel (instructions).
    OutOfFuel,
    /// Passed the wall-clock deadline.
    Timeout,
    /// Tried to grow memory past the cap.
    MemoryLimit,
    /// Trapped (panic, unreachable, out-of-bounds access, stack overflow).
    Trap,
    /// Returned more findings or text than allowed.
    OutputTooLarge,
    /// Returned a finding that is not well-formed (code, message or field).
    Malformed,
    /// Printed more than the bound to standard output and error.
    PrintTooLarge,
    /// The plugin said it could not evaluate (its `evaluate` returned an error).
    PluginError,
    /// The host could not run it (instantiation failed).
    HostError,
}

impl FailureKind {
    /// The finding code reported for it.
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::InputTooLarge => "HOST.INPUT_TOO_LARGE",
            FailureKind::OutOfFuel => "HOST.OUT_OF_FUEL",
            FailureKind::Timeout => "HOST.TIMEOUT",
            FailureKind::MemoryLimit => "HOST.MEMORY_LIMIT",
            FailureKind::Trap => "HOST.TRAP",
            FailureKind::OutputTooLarge => "HOST.OUTPUT_TOO_LARGE",
            FailureKind::Malformed => "HOST.MALFORMED_OUTPUT",
            FailureKind::PrintTooLarge => "HOST.PRINT_TOO_LARGE",
            FailureKind::PluginError => "HOST.PLUGIN_ERROR",
            FailureKind::HostError => "HOST.ERROR",
        }
    }
}

/// A call that did not produce findings, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunFailure {
    /// The kind.
    pub kind: FailureKind,
    /// For a person.
    pub message: String,
    /// Fuel used before it stopped.
    pub fuel: u64,
    /// What it printed (WASI plugins: an interpreter's traceback, say), bounded.
    pub printed: String,
}

/// A call's findings and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The findings.
    pub findings: Vec<Finding>,
    /// Fuel used (deterministic for the same input).
    pub fuel: u64,
    /// Largest linear memory the call reached, in bytes.
    pub peak_memory: usize,
    /// Bytes of text returned.
    pub output_bytes: usize,
    /// What it printed to standard output and error (WASI plugins), bounded: diagnostics
    /// for the plugin's author, never shown in a verdict.
    pub printed: String,
}

/// What the plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Id.
    pub id: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Version.
    pub version: String,
    /// Phases.
    pub phases: Vec<RulePhase>,
    /// Descriptions by language.
    pub descriptions: BTreeMap<String, String>,
}

/// Why a component was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    /// Over the size cap.
    #[error("the component is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// Not a valid component.
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// Imports something the host does not offer.
    #[error(
        "the component imports {0}, which Cartouche does not provide: a plugin may import cartouche:rules/reference-data@1.0.0 and, for interpreters' toolchains, the WASI 0.2 interfaces of cli, clocks, filesystem, io, random and sockets (given no capability: a fixed clock, seeded random, no files, no network). Build Rust plugins for wasm32-unknown-unknown"
    )]
    ForbiddenImport(String),
    /// The manifest asks for more than the operator allows.
    #[error("the manifest asks for {0}")]
    LimitsTooHigh(String),
    /// Does not export the rule interface with the right types.
    #[error("the component does not export cartouche:rules/rule@1.0.0 with the expected functions: {0}")]
    WrongExports(String),
}

/// A compiled, linked plugin, ready to instantiate.
#[derive(Clone)]
pub struct Compiled {
    component: Component,
    pre: PluginPre<CallState>,
    limits: PluginLimits,
    wasi: bool,
}

impl Compiled {
    /// The limits its calls run under.
    pub fn limits(&self) -> PluginLimits {
        self.limits
    }

    /// Whether it imports WASI (built by an interpreter's toolchain).
    pub fn uses_wasi(&self) -> bool {
        self.wasi
    }

    /// The compiled artifact, for the cache (load it back with [`Host::load_artifact`]).
    pub fn artifact(&self) -> Result<Vec<u8>, ComponentError> {
        self.component.serialize().map_err(|error| ComponentError::Invalid(format!("{error:#}")))
    }
}

/// Per-call state: the reference data, the memory accounting and, for WASI plugins, the
/// deterministic WASI context.
pub struct CallState {
    reference: Arc<ReferenceData>,
    limiter: MemoryLimiter,
    fuel: u64,
    deadline: Duration,
    wasi: Option<WasiState>,
}

impl CallState {
    fn wasi(&mut self) -> &mut WasiState {
        // Only WASI plugins call WASI functions, and their calls have a state; an empty one
        // (epoch clock, zero seed, nothing printed) otherwise.
        self.wasi.get_or_insert_with(|| WasiState::new(0, [0; 32], 0))
    }

    fn printed(&self) -> String {
        self.wasi.as_ref().map(WasiState::printed).unwrap_or_default()
    }
}

impl wasmtime_wasi::WasiView for CallState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.wasi().view()
    }
}

/// The memory cap of one call, recording the peak.
struct MemoryLimiter {
    cap: usize,
    peak: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("memory limit: the plugin tried to grow its memory to {desired} bytes; the limit is {cap} bytes")]
struct MemoryLimitHit {
    desired: usize,
    cap: usize,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.cap {
            return Err(MemoryLimitHit { desired, cap: self.cap }.into());
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }

    fn instances(&self) -> usize {
        16
    }
    fn tables(&self) -> usize {
        16
    }
    fn memories(&self) -> usize {
        4
    }
}

impl wit::Host for CallState {}

impl bindings::cartouche::rules::reference_data::Host for CallState {
    fn convert(&mut self, amount_cents: i64, from_currency: String, to_currency: String) -> Option<i64> {
        self.reference.convert(amount_cents, &from_currency, &to_currency)
    }

    fn rates_date(&mut self) -> String {
        self.reference.rates_date()
    }

    fn watch_list_search(&mut self, query: wit::WatchQuery) -> Vec<wit::WatchHit> {
        let query = WatchQuery {
            photo_sha256: query.photo_sha256,
            title: query.title,
            maker: query.maker,
            inscriptions: query.inscriptions,
        };
        self.reference
            .search(&query)
            .into_iter()
            .map(|hit| wit::WatchHit {
                list_name: hit.list_name,
                reference: hit.reference,
                matched_on: hit.matched_on,
                description: hit.description,
            })
            .collect()
    }
}

/// A counting semaphore: calls wait for a pool slot instead of failing.
struct Slots {
    free: Mutex<u32>,
    released: Condvar,
}

struct SlotGuard<'a>(&'a Slots);

impl Slots {
    fn take(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        self.0.released.notify_one();
    }
}

/// Stops the epoch ticker when the host goes away.
struct Ticker(Arc<AtomicBool>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The sandbox host.
pub struct Host {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Limits,
    slots: Slots,
    compatibility: String,
    /// A directory of compiled code shared by hosts of the same compatibility key
    /// ([`Host::with_compile_cache`]).
    compile_cache: Option<std::path::PathBuf>,
    _ticker: Ticker,
}

fn engine_config(limits: &Limits, pooling: bool) -> Config {
    let mut config = Config::new();
    config.strategy(wasmtime::Strategy::Cranelift);
    config.wasm_component_model(true);
    config.consume_fuel(true);
    config.epoch_interruption(true);
    // Determinism: NaNs canonicalized, no relaxed SIMD (its results may vary by CPU).
    config.cranelift_nan_canonicalization(true);
    config.wasm_relaxed_simd(false);
    config.max_wasm_stack(512 << 10);
    if pooling {
        let slots = limits.concurrency;
        let mut pool = PoolingAllocationConfig::default();
        // Enough for every slot to run an interpreter's component (a dozen core instances
        // and tables each); slots are address space reserved, not memory used.
        pool.total_component_instances(slots)
            .total_core_instances(slots * 32)
            .total_memories(slots * 4)
            .total_tables(slots * 32)
            .max_memory_size(limits.max_memory_bytes.max(limits.memory_bytes))
            // An interpreter's component links a dozen core modules (libc, the interpreter,
            // the WASI adapter, shims), each with its table.
            .max_memories_per_component(4)
            .max_tables_per_component(32)
            .max_core_instances_per_component(32)
            // Reset the first 256 KiB of a slot by zeroing instead of returning the pages
            // to the kernel: a typical call touches about 200 KiB, and page faults on
            // every call cost more than the memset (measured in BENCHMARKS.md).
            .linear_memory_keep_resident(256 << 10)
            .table_keep_resident(64 << 10)
            // On Linux 6.7 and later, reset only the pages the call wrote (the kernel's
            // PAGEMAP_SCAN), not the whole kept region; elsewhere, as above. Measured:
            // the fixed cost of a call 21.9 -> 17.8 us, an exit check 3-10% faster.
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

impl Host {
    /// A host with `limits`. Uses the pooling allocator; if the machine refuses to reserve
    /// its address space, falls back to on-demand allocation (slower, same limits).
    pub fn new(limits: Limits) -> Result<Self, String> {
        let engine = match Engine::new(&engine_config(&limits, true)) {
            Ok(engine) => engine,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "pooling allocator unavailable; plugins run on on-demand allocation");
                Engine::new(&engine_config(&limits, false)).map_err(|error| format!("{error:#}"))?
            }
        };
        let mut linker = Linker::new(&engine);
        Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state).map_err(|error| format!("{error:#}"))?;
        crate::wasi::add_to_linker(&mut linker, CallState::wasi).map_err(|error| format!("{error:#}"))?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let compatibility = format!("{:016x}", hasher.finish());
        let stop = Arc::new(AtomicBool::new(false));
        let ticking = Arc::clone(&stop);
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !ticking.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|error| format!("cannot start the epoch ticker: {error}"))?;
        Ok(Self {
            slots: Slots { free: Mutex::new(limits.concurrency.max(1)), released: Condvar::new() },
            engine,
            linker,
            limits,
            compatibility,
            compile_cache: None,
            _ticker: Ticker(stop),
        })
    }

    /// Keeps the code this host compiles in `dir` and reads it from there before compiling
    /// again: servers of one machine (several data directories, the test suite) compile a
    /// component once. Each file is named by the component's SHA-256 and this engine's
    /// compatibility key and holds the SHA-256 of the code after it, checked before the
    /// code is used; a missing, damaged or incompatible file is compiled again. The
    /// directory must be writable only by the service's user, as the data directory.
    pub fn with_compile_cache(mut self, dir: std::path::PathBuf) -> Self {
        self.compile_cache = Some(dir);
        self
    }

    fn cached_path(&self, bytes: &[u8]) -> Option<std::path::PathBuf> {
        use sha2::Digest;
        let dir = self.compile_cache.as_ref()?;
        let sha = sha2::Sha256::digest(bytes);
        let name: String = sha.iter().map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{name}-{}.cwasm", self.compatibility)))
    }

    fn cached_component(&self, path: &std::path::Path) -> Option<Component> {
        use sha2::Digest;
        let file = std::fs::read(path).ok()?;
        let (code, sum) = file.split_at_checked(file.len().checked_sub(32)?)?;
        if sha2::Sha256::digest(code).as_slice() != sum {
            tracing::warn!(path = %path.display(), "a compiled plugin in the cache is damaged: compiled again");
            return None;
        }
        // SAFETY: `Component::deserialize` trusts its input to be wasmtime's own output.
        // The file is named by the component's hash and this engine's compatibility key,
        // was written by `store_component` below from `Component::serialize` of such an
        // engine, and its checksum matched; the directory is the operator's, writable only
        // by the service (documented with `--plugin-cache`).
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(&self.engine, code) }.ok()?;
        Some(component)
    }

    fn store_component(path: &std::path::Path, component: &Component) {
        use sha2::Digest;
        let Ok(mut code) = component.serialize() else { return };
        let sum = sha2::Sha256::digest(&code);
        code.extend_from_slice(&sum);
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::create_dir_all(path.parent().unwrap_or(path))
            .and_then(|()| std::fs::write(&temporary, &code))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            tracing::warn!(path = %path.display(), %error, "cannot keep a compiled plugin in the cache");
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Identifies this engine's compiled code: artifacts are cached under
    /// `{component sha256}-{this}` and recompiled when it changes.
    pub fn compatibility_key(&self) -> &str {
        &self.compatibility
    }

    /// The limits of a plugin whose manifest asks for `requested`: each value asked for
    /// (or the default), refused when over the operator's ceiling.
    pub fn limits_for(&self, requested: &RequestedLimits) -> Result<PluginLimits, ComponentError> {
        let defaults = &self.limits;
        let memory_bytes = requested.memory_mib.map_or(defaults.memory_bytes, |mib| (mib as usize) << 20);
        let fuel = requested.fuel.unwrap_or(defaults.fuel);
        let fuel_per_input_byte = requested.fuel_per_input_byte.unwrap_or(defaults.fuel_per_input_byte);
        let deadline = requested.deadline_ms.map_or(defaults.deadline, Duration::from_millis);
        let mut over = Vec::new();
        if memory_bytes > defaults.max_memory_bytes.max(defaults.memory_bytes) {
            over.push(format!(
                "{} MiB of memory; this registry allows at most {} MiB",
                memory_bytes >> 20,
                defaults.max_memory_bytes >> 20
            ));
        }
        if fuel > defaults.max_fuel.max(defaults.fuel) {
            over.push(format!("{fuel} fuel; this registry allows at most {}", defaults.max_fuel));
        }
        if fuel_per_input_byte > defaults.max_fuel_per_input_byte.max(defaults.fuel_per_input_byte) {
            over.push(format!(
                "{fuel_per_input_byte} fuel per input byte; this registry allows at most {}",
                defaults.max_fuel_per_input_byte
            ));
        }
        if deadline > defaults.max_deadline.max(defaults.deadline) {
            over.push(format!(
                "a deadline of {} ms; this registry allows at most {} ms",
                deadline.as_millis(),
                defaults.max_deadline.as_millis()
            ));
        }
        if !over.is_empty() {
            return Err(ComponentError::LimitsTooHigh(format!(
                "{} (ask less in the manifest's \"limits\", or ask the operator to raise the ceiling)",
                over.join(", ")
            )));
        }
        Ok(PluginLimits { memory_bytes, fuel, fuel_per_input_byte, deadline })
    }

    /// Compiles `bytes` and checks it: size, validity, imports (the reference data and the
    /// WASI layer only), exports (the rule interface with its exact types); its calls run
    /// under the default limits.
    pub fn compile(&self, bytes: &[u8]) -> Result<Compiled, ComponentError> {
        self.compile_with(bytes, &RequestedLimits::default())
    }

    /// [`Host::compile`] for a plugin whose manifest asks for `requested` limits.
    pub fn compile_with(&self, bytes: &[u8], requested: &RequestedLimits) -> Result<Compiled, ComponentError> {
        if bytes.len() > self.limits.component_bytes {
            return Err(ComponentError::TooLarge { size: bytes.len(), limit: self.limits.component_bytes });
        }
        let limits = self.limits_for(requested)?;
        let cached = self.cached_path(bytes);
        if let Some(component) = cached.as_deref().and_then(|path| self.cached_component(path)) {
            return self.link(component, limits);
        }
        let component =
            Component::new(&self.engine, bytes).map_err(|error| ComponentError::Invalid(format!("{error:#}")))?;
        if let Some(path) = &cached {
            Self::store_component(path, &component);
        }
        self.link(component, limits)
    }

    /// Loads an artifact this host compiled before ([`Compiled::artifact`]), read back from
    /// the store (checksummed), for a plugin whose manifest asks for `requested` limits.
    /// Never give it bytes from anywhere else.
    pub fn load_artifact(&self, artifact: &[u8], requested: &RequestedLimits) -> Result<Compiled, ComponentError> {
        let limits = self.limits_for(requested)?;
        // SAFETY: `Component::deserialize` trusts its input to be wasmtime's own output. The
        // only caller (`Rules::load`) passes what its caller's lookup returns for a key this
        // host made (`{sha256}-{compatibility key}`): artifacts that this service compiled
        // with an engine of the same compatibility key (`Checked::artifact`,
        // `Loaded::compiled`) and stored in its own store, whose records are checksummed on
        // read; user-supplied bytes always go through `compile`.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(&self.engine, artifact) }
            .map_err(|error| ComponentError::Invalid(format!("{error:#}")))?;
        self.link(component, limits)
    }

    fn link(&self, component: Component, limits: PluginLimits) -> Result<Compiled, ComponentError> {
        let ty = component.component_type();
        let mut wasi = false;
        for (name, _) in ty.imports(&self.engine) {
            if is_wasi_import(name) {
                wasi = true;
            } else if !ALLOWED_IMPORTS.contains(&name) {
                return Err(ComponentError::ForbiddenImport(name.to_owned()));
            }
        }
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|error| ComponentError::ForbiddenImport(format!("{error:#}")))?;
        let pre = PluginPre::new(instance_pre).map_err(|error| ComponentError::WrongExports(format!("{error:#}")))?;
        Ok(Compiled { component, pre, limits, wasi })
    }

    /// The fuel budget of a call on `input_bytes` of certificate JSON, under the default
    /// limits.
    pub fn fuel_for(&self, input_bytes: usize) -> u64 {
        fuel_budget(self.limits.fuel, self.limits.fuel_per_input_byte, input_bytes)
    }

    /// The fuel budget of a call of `compiled` on `input_bytes` of certificate JSON.
    pub fn fuel_of(&self, compiled: &Compiled, input_bytes: usize) -> u64 {
        fuel_budget(compiled.limits.fuel, compiled.limits.fuel_per_input_byte, input_bytes)
    }

    /// The longer deadline of a second attempt of `compiled`'s calls.
    pub fn retry_deadline_of(&self, compiled: &Compiled) -> Duration {
        self.limits.retry_deadline.max(compiled.limits.deadline * 4)
    }

    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        compiled: &Compiled,
        reference: Arc<ReferenceData>,
        fuel: u64,
        input_bytes: usize,
        deadline: Duration,
        instant: u64,
        seed: [u8; 32],
    ) -> Store<CallState> {
        let wasi = compiled.wasi.then(|| WasiState::new(instant, seed, self.limits.print_bytes));
        let mut store = Store::new(
            &self.engine,
            CallState {
                reference,
                limiter: MemoryLimiter { cap: compiled.limits.memory_bytes, peak: 0 },
                fuel,
                deadline,
                wasi,
            },
        );
        store.limiter(|state| &mut state.limiter);
        // Fuel was enabled in the config, so this cannot fail.
        let _ = store.set_fuel(fuel);
        store.set_epoch_deadline(deadline_ticks(deadline, input_bytes));
        store
    }

    fn failure(&self, store: &Store<CallState>, error: wasmtime::Error) -> RunFailure {
        let budget = store.data().fuel;
        let fuel = budget - store.get_fuel().unwrap_or(0);
        let (kind, message) = if let Some(hit) = error.downcast_ref::<MemoryLimitHit>() {
            (FailureKind::MemoryLimit, hit.to_string())
        } else if let Some(hit) = error.downcast_ref::<PrintLimitHit>() {
            (FailureKind::PrintTooLarge, hit.to_string())
        } else if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
            (FailureKind::Trap, format!("called exit({}) instead of returning", exit.0))
        } else {
            match error.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => {
                    (FailureKind::OutOfFuel, format!("ran out of fuel: used the whole budget of {budget} instructions"))
                }
                Some(Trap::Interrupt) => {
                    (FailureKind::Timeout, format!("did not finish within {} ms", store.data().deadline.as_millis()))
                }
                Some(Trap::StackOverflow) => (FailureKind::Trap, "trapped: stack overflow".to_owned()),
                Some(trap) => (FailureKind::Trap, format!("trapped: {trap}")),
                None if format!("{error:#}").contains("memory") && format!("{error:#}").contains("limit") => {
                    (FailureKind::MemoryLimit, format!("memory limit: {error:#}"))
                }
                None => (FailureKind::Trap, format!("failed: {error:#}")),
            }
        };
        RunFailure { kind, message, fuel, printed: store.data().printed() }
    }

    /// Calls `describe`.
    pub fn describe(&self, compiled: &Compiled) -> Result<Description, RunFailure> {
        self.describe_within(compiled, compiled.limits.deadline)
    }

    /// Calls `describe` with another wall-clock deadline (the publication retry).
    pub fn describe_within(&self, compiled: &Compiled, deadline: Duration) -> Result<Description, RunFailure> {
        let _slot = self.slots.take();
        let mut store =
            self.store(compiled, Arc::new(ReferenceData::default()), compiled.limits.fuel, 0, deadline, 0, [0; 32]);
        let plugin = compiled.pre.instantiate(&mut store).map_err(|error| self.failure(&store, error))?;
        let info =
            plugin.cartouche_rules_rule().call_describe(&mut store).map_err(|error| self.failure(&store, error))?;
        Ok(Description {
            id: info.id,
            jurisdiction: info.jurisdiction,
            version: info.version,
            phases: info.phases.into_iter().map(phase_from_wit).collect(),
            descriptions: info.descriptions.into_iter().map(|l| (l.lang, l.text)).collect(),
        })
    }

    /// Calls `evaluate` on `certificate_json` in a fresh instance under every limit.
    pub fn evaluate(
        &self,
        compiled: &Compiled,
        certificate_json: &str,
        context: &CallContext,
        reference: Arc<ReferenceData>,
    ) -> Result<Run, RunFailure> {
        self.evaluate_within(compiled, certificate_json, context, reference, compiled.limits.deadline)
    }

    /// [`Host::evaluate`] with another wall-clock deadline (the publication retry); every
    /// other limit, fuel first, is the same.
    pub fn evaluate_within(
        &self,
        compiled: &Compiled,
        certificate_json: &str,
        context: &CallContext,
        reference: Arc<ReferenceData>,
        deadline: Duration,
    ) -> Result<Run, RunFailure> {
        if certificate_json.len() > self.limits.input_bytes {
            return Err(RunFailure {
                kind: FailureKind::InputTooLarge,
                message: format!(
                    "the certificate is {} bytes of JSON; plugins take at most {} bytes",
                    certificate_json.len(),
                    self.limits.input_bytes
                ),
                fuel: 0,
                printed: String::new(),
            });
        }
        let _slot = self.slots.take();
        let budget = self.fuel_of(compiled, certificate_json.len());
        let (instant, seed) = if compiled.wasi { wasi_inputs(certificate_json, context) } else { (0, [0; 32]) };
        let mut store = self.store(compiled, reference, budget, certificate_json.len(), deadline, instant, seed);
        let plugin = compiled.pre.instantiate(&mut store).map_err(|error| self.failure(&store, error))?;
        let wit_context = wit::Context {
            phase: phase_to_wit(context.phase),
            evaluation_date: context.date.to_string(),
            checkpoint_country: context.checkpoint_country.clone(),
            parameters: context.parameters.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        let result = plugin
            .cartouche_rules_rule()
            .call_evaluate(&mut store, certificate_json, &wit_context)
            .map_err(|error| self.failure(&store, error))?;
        let fuel = budget - store.get_fuel().unwrap_or(0);
        let peak_memory = store.data().limiter.peak;
        let printed = store.data().printed();
        let findings = match result {
            Ok(findings) => findings,
            Err(message) => {
                return Err(RunFailure {
                    kind: FailureKind::PluginError,
                    message: format!("the plugin could not evaluate the certificate: {}", truncate(&message, 500)),
                    fuel,
                    printed,
                });
            }
        };
        let (findings, output_bytes) = match self.check_output(findings, certificate_json.len()) {
            Ok(checked) => checked,
            Err((kind, message)) => return Err(RunFailure { kind, message, fuel, printed }),
        };
        Ok(Run { findings, fuel, peak_memory, output_bytes, printed })
    }

    /// The output caps of a call on `input_bytes` of certificate JSON: (findings, bytes).
    pub fn output_limits_for(&self, input_bytes: usize) -> (usize, usize) {
        let kib = input_bytes / 1024;
        (self.limits.max_findings + kib, self.limits.output_bytes + 256 * kib)
    }

    fn check_output(
        &self,
        findings: Vec<wit::Finding>,
        input_bytes: usize,
    ) -> Result<(Vec<Finding>, usize), (FailureKind, String)> {
        let (max_findings, max_bytes) = self.output_limits_for(input_bytes);
        if findings.len() > max_findings {
            return Err((
                FailureKind::OutputTooLarge,
                format!("returned {} findings; the limit is {max_findings}", findings.len()),
            ));
        }
        let bytes: usize = findings
            .iter()
            .map(|f| {
                f.code.len()
                    + f.message.len()
                    + f.field.as_ref().map_or(0, String::len)
                    + f.translations.iter().map(|t| t.lang.len() + t.text.len()).sum::<usize>()
            })
            .sum();
        if bytes > max_bytes {
            return Err((
                FailureKind::OutputTooLarge,
                format!("returned {bytes} bytes of findings; the limit is {max_bytes} bytes"),
            ));
        }
        let mut checked = Vec::with_capacity(findings.len());
        for finding in findings {
            let problem = if !is_code(&finding.code) {
                Some(format!("finding code {:?} is not [A-Z0-9_.-]{{1,64}}", truncate(&finding.code, 80)))
            } else if finding.message.trim().is_empty() || finding.message.chars().count() > 1000 {
                Some(format!("finding {} has an empty message or one over 1000 characters", finding.code))
            } else if finding.field.as_deref().is_some_and(|field| !is_pointer(field)) {
                Some(format!("finding {} names a field that is not a JSON pointer", finding.code))
            } else if finding
                .translations
                .iter()
                .any(|t| !is_language(&t.lang) || t.text.trim().is_empty() || t.text.chars().count() > 1000)
            {
                Some(format!("finding {} has a malformed translation", finding.code))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err((FailureKind::Malformed, problem));
            }
            checked.push(Finding {
                code: finding.code,
                severity: match finding.severity {
                    wit::Severity::Info => Severity::Info,
                    wit::Severity::Warning => Severity::Warning,
                    wit::Severity::Error => Severity::Error,
                },
                message: finding.message,
                field: finding.field,
                translations: finding.translations.into_iter().map(|t| (t.lang, t.text)).collect(),
            });
        }
        Ok((checked, bytes))
    }
}

/// What a WASI plugin's clock and random stream are made of: the evaluation instant
/// (midnight UTC of the evaluation date, in seconds since the Unix epoch, 0 before it) and
/// the SHA-256 of the input (the certificate and the context).
fn wasi_inputs(certificate_json: &str, context: &CallContext) -> (u64, [u8; 32]) {
    use sha2::Digest as _;
    let instant = context.date.midnight().assume_utc().unix_timestamp().max(0) as u64;
    let mut hasher = sha2::Sha256::new();
    hasher.update(certificate_json.as_bytes());
    hasher.update([0]);
    hasher.update(context.date.to_string().as_bytes());
    hasher.update([0, context.phase as u8]);
    hasher.update(context.checkpoint_country.as_deref().unwrap_or("").as_bytes());
    for (name, value) in &context.parameters {
        hasher.update([0]);
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
    }
    (instant, hasher.finalize().into())
}

fn fuel_budget(base: u64, per_byte: u64, input_bytes: usize) -> u64 {
    base.saturating_add(per_byte.saturating_mul(input_bytes as u64))
}

/// The epoch ticks of a call's deadline: whole ticks (at least one), one more per 64 KiB of
/// input; none for a zero deadline, which interrupts the call at its first instruction.
fn deadline_ticks(deadline: Duration, input_bytes: usize) -> u64 {
    if deadline.is_zero() {
        return 0;
    }
    (deadline.as_millis() / TICK.as_millis()).max(1) as u64 + (input_bytes as u64 >> 16)
}

/// The context of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// Phase.
    pub phase: RulePhase,
    /// Evaluation date.
    pub date: time::Date,
    /// Checkpoint country.
    pub checkpoint_country: Option<String>,
    /// Parameters.
    pub parameters: BTreeMap<String, String>,
}

fn phase_to_wit(phase: RulePhase) -> wit::Phase {
    match phase {
        RulePhase::Issuance => wit::Phase::Issuance,
        RulePhase::ExitCheck => wit::Phase::ExitCheck,
        RulePhase::ImportCheck => wit::Phase::ImportCheck,
    }
}

fn phase_from_wit(phase: wit::Phase) -> RulePhase {
    match phase {
        wit::Phase::Issuance => RulePhase::Issuance,
        wit::Phase::ExitCheck => RulePhase::ExitCheck,
        wit::Phase::ImportCheck => RulePhase::ImportCheck,
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// A finding code: `[A-Z0-9_.-]{1,64}` (the certificate schema's pattern).
pub fn is_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// An RFC 6901 JSON pointer: empty, or `/`-separated with `~` only as `~0`/`~1`.
pub fn is_pointer(field: &str) -> bool {
    (field.is_empty() || field.starts_with('/')) && {
        let bytes = field.as_bytes();
        bytes.iter().enumerate().all(|(i, b)| *b != b'~' || matches!(bytes.get(i + 1), Some(b'0' | b'1')))
    }
}

fn is_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}
