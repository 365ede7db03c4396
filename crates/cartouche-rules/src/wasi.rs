//! The deterministic WASI layer: what the toolchains of interpreted languages
//! (componentize-py, componentize-js) import whatever the plugin does, satisfied without
//! giving a capability.
//!
//! - the wall clock is the evaluation instant (midnight UTC of the evaluation date), the
//!   monotonic clock a constant, both fixed for the call; waiting on either is ready at
//!   once (a `sleep` neither blocks the host nor tells time);
//! - random (secure and insecure) is a ChaCha stream seeded from the input's SHA-256;
//! - environment, arguments, preopened directories and standard input are empty;
//! - standard output and error are captured into the call's diagnostics, bounded: a
//!   plugin that prints past the bound is stopped ([`PrintLimitHit`]);
//! - sockets cannot be created (every address refused, no name lookup) and no file can be
//!   opened (there is no directory to open it in).
//!
//! So the same input gives the same findings with the same fuel, as for plugins that
//! import nothing; publication proves it by running each case twice. A plugin built for
//! wasm32-unknown-unknown imports none of this and gets none of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rand::SeedableRng as _;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{DynPollable, OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView};

/// The WASI packages a plugin may import (version 0.2.x): each one is provided by this
/// layer. Anything else (wasi:http, wasi:keyvalue...) is refused at publication.
pub const WASI_PACKAGES: [&str; 6] =
    ["wasi:cli/", "wasi:clocks/", "wasi:filesystem/", "wasi:io/", "wasi:random/", "wasi:sockets/"];

/// Whether `import` (an interface name such as `wasi:clocks/wall-clock@0.2.0`) is one this
/// layer provides.
pub fn is_wasi_import(import: &str) -> bool {
    WASI_PACKAGES.iter().any(|package| import.starts_with(package))
        && import.rsplit_once('@').is_some_and(|(_, version)| version.starts_with("0.2."))
}

/// A plugin printed more than the bound.
#[derive(Debug, thiserror::Error)]
#[error("printed more than {limit} bytes to standard output and error")]
pub struct PrintLimitHit {
    /// The bound.
    pub limit: usize,
}

/// What a call printed, bounded.
#[derive(Clone)]
pub struct Captured {
    buffer: Arc<Mutex<Vec<u8>>>,
    limit: usize,
}

impl Captured {
    fn new(limit: usize) -> Self {
        Self { buffer: Arc::new(Mutex::new(Vec::new())), limit }
    }

    /// The text printed so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())).into_owned()
    }
}

impl IsTerminal for Captured {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Captured {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Captured {
    async fn ready(&mut self) {}
}

impl OutputStream for Captured {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buffer.len() + bytes.len() > self.limit {
            return Err(StreamError::Trap(PrintLimitHit { limit: self.limit }.into()));
        }
        buffer.extend_from_slice(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

impl tokio::io::AsyncWrite for Captured {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buffer.len() + buf.len() > self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::other(PrintLimitHit { limit: self.limit })));
        }
        buffer.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// The wall clock: always the evaluation instant.
struct FixedWallClock(Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock: always the same reading.
struct FixedMonotonicClock;

/// What the monotonic clock reads (an arbitrary constant, as the clock's origin is).
pub const MONOTONIC_READING: u64 = 1_000_000_000;

impl HostMonotonicClock for FixedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        MONOTONIC_READING
    }
}

/// A call's WASI state.
pub struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
    output: Captured,
}

impl WasiState {
    /// For a call evaluated at `instant` (seconds since the Unix epoch, at least 0) on input
    /// whose SHA-256 is `seed`, printing at most `print_limit` bytes.
    pub fn new(instant: u64, seed: [u8; 32], print_limit: usize) -> Self {
        let output = Captured::new(print_limit);
        let mut builder = WasiCtxBuilder::new();
        builder
            .stdout(output.clone())
            .stderr(output.clone())
            .wall_clock(FixedWallClock(Duration::from_secs(instant)))
            .monotonic_clock(FixedMonotonicClock)
            .secure_random(rand::rngs::StdRng::from_seed(seed))
            .insecure_random(rand::rngs::StdRng::from_seed(derive(seed, 1)))
            .insecure_random_seed(u128::from_le_bytes(derive(seed, 2)[..16].try_into().unwrap_or([0; 16])))
            .max_random_size(64 << 10)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
        Self { ctx: builder.build(), table: ResourceTable::new(), output }
    }

    /// What the call printed.
    pub fn printed(&self) -> String {
        self.output.text()
    }

    /// The WASI view of this state.
    pub fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }

    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

fn derive(seed: [u8; 32], label: u8) -> [u8; 32] {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(seed);
    hasher.update([label]);
    hasher.finalize().into()
}

/// A wait that is over at once: sleeping tells the plugin nothing and costs the host no time.
struct Ready;

#[wasmtime_wasi::async_trait]
impl Pollable for Ready {
    async fn ready(&mut self) {}
}

fn ready_pollable(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let ready = table.push(Ready)?;
    wasmtime_wasi::p2::subscribe(table, ready)
}

/// Adds the WASI 0.2 interfaces to `linker`, with the monotonic clock's waits replaced by
/// [`Ready`] ones. `state` finds the call's [`WasiState`].
pub fn add_to_linker<T: wasmtime_wasi::WasiView + 'static>(
    linker: &mut Linker<T>,
    state: fn(&mut T) -> &mut WasiState,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("subscribe-duration", move |mut store, (_,): (u64,)| {
        Ok((ready_pollable(state(store.data_mut()).table())?,))
    })?;
    clock.func_wrap("subscribe-instant", move |mut store, (_,): (u64,)| {
        Ok((ready_pollable(state(store.data_mut()).table())?,))
    })?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The monotonic clock's interface as wasmtime-wasi 48 provides it (plugins importing an
/// older 0.2.x are linked to it by semver).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";
