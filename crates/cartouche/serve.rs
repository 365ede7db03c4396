//! `cartouche serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use cartouche_core::bootstrap::{DEMO_COUNTRIES, bootstrap};
use cartouche_core::{Core, CoreConfig};
use cartouche_server::{AppState, ServerOptions, app};
use cartouche_store::{ReopeningStore, Store};
use time::OffsetDateTime;

/// Arguments of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the store lives (created on first start).
    #[arg(long, env = "CARTOUCHE_DATA_DIR", default_value = "cartouche-data")]
    data_dir: PathBuf,
    /// The store: absent, the embedded sled store in <data-dir>/store (no set-up); or a
    /// PostgreSQL connection string (`postgres://user@host1:5432,host2:5432/cartouche?target_session_attrs=read-write`),
    /// shared by every node of the registry. The data directory still holds this node's
    /// admin token file and, by default, the KEK (every node needs the same KEK).
    #[arg(long, env = "CARTOUCHE_STORE")]
    store: Option<String>,
    /// Most connections this node opens to PostgreSQL.
    #[arg(long, env = "CARTOUCHE_STORE_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    store_pool_size: u32,
    /// Seconds to wait for a PostgreSQL connection (connecting, or from the pool) before
    /// answering 503 database_unavailable.
    #[arg(long, env = "CARTOUCHE_STORE_CONNECT_TIMEOUT", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    store_connect_timeout: u64,
    /// Seconds a PostgreSQL statement may run before the server cancels it.
    #[arg(long, env = "CARTOUCHE_STORE_STATEMENT_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    store_statement_timeout: u64,
    /// Address to listen on.
    #[arg(long, env = "CARTOUCHE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Public base URL put in QR codes (default: http://<listen>).
    #[arg(long, env = "CARTOUCHE_PUBLIC_URL")]
    public_url: Option<String>,
    /// The countries this registry issues for (each gets a signing key on first start);
    /// issuing or managing keys for any other is refused (422 country_not_served). Its
    /// bundle speaks for these countries only.
    #[arg(long, env = "CARTOUCHE_COUNTRIES", value_delimiter = ',', default_values_t = DEMO_COUNTRIES.map(String::from))]
    countries: Vec<String>,
    /// Run a verifier node: no signing key, no issuance; it verifies every pinned peer's
    /// seals from their bundles (a border post's local node, or more verification capacity).
    #[arg(long, env = "CARTOUCHE_VERIFIER", conflicts_with = "countries")]
    verifier: bool,
    /// A peer registry whose seals this node verifies, as URL=KEY: its public URL and its
    /// federation key (`federation_key` in its /.well-known/cartouche-registry.json).
    /// Repeatable; in the environment, separated by spaces.
    #[arg(long = "peer", env = "CARTOUCHE_PEERS", value_delimiter = ' ')]
    peers: Vec<String>,
    /// Seconds between two pulls of each peer's bundle.
    #[arg(long, env = "CARTOUCHE_PEER_SYNC", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    peer_sync: u64,
    /// Seconds a peer's status data (or an offline bundle's) is used for; past it, a
    /// foreign seal's status is "not checked" and the verdict INDETERMINATE, never VALID.
    #[arg(long, env = "CARTOUCHE_MAX_STATUS_AGE", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=30 * 86_400))]
    max_status_age: u64,
    /// Seconds between two attempts to deliver officer events waiting for the registries
    /// that issued the certificates (recorded here while they could not be reached).
    #[arg(long, env = "CARTOUCHE_FORWARD_RETRY", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    forward_retry: u64,
    /// Hours this registry's bundle is valid for after it is signed.
    #[arg(long, env = "CARTOUCHE_BUNDLE_LIFETIME_HOURS", default_value_t = 72, value_parser = clap::value_parser!(u64).range(1..=30 * 24))]
    bundle_lifetime_hours: u64,
    /// Verification requests allowed per minute and client address on /api/v1/verify and
    /// /v/{token}; 0 turns the limit off (for load tests, or behind a limiting proxy).
    #[arg(long, env = "CARTOUCHE_VERIFY_RATE_LIMIT", default_value_t = cartouche_server::DEFAULT_VERIFY_RATE_PER_MINUTE)]
    verify_rate_limit: u32,
    /// Reference data for rule plugins: a JSON file with the currency rates table
    /// (`rates`: units per EUR) and watch lists of stolen objects (`watch_lists`); see
    /// plugins/reference-data.example.json. Without it, plugins can convert no currency
    /// and search no list.
    #[arg(long, env = "CARTOUCHE_REFERENCE_DATA")]
    reference_data: Option<PathBuf>,
    /// Where new signing keys are made: `store` (the default: sealed in the store under
    /// the key-encryption key) or an HSM, as an RFC 7512 PKCS#11 URI:
    /// `pkcs11:token=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin`
    /// (or the PIN in CARTOUCHE_HSM_PIN). Keys recorded in the HSM sign through it.
    #[arg(long = "keys", env = "CARTOUCHE_KEYS", default_value = "store")]
    keys: String,
    /// The key-encryption key's file (32 bytes, base64), created with mode 0600 on first
    /// start [default: <data-dir>/kek.key]. CARTOUCHE_KEK (the key itself) or a systemd
    /// credential named cartouche-kek take precedence. Keep a backup apart from the data:
    /// without it the keys in the store cannot be used.
    #[arg(long, env = "CARTOUCHE_KEK_FILE")]
    kek_file: Option<PathBuf>,
    /// Do not publish the bundled rule plugins (plugins/) on start.
    #[arg(long, env = "CARTOUCHE_NO_BUNDLED_PLUGINS")]
    no_bundled_plugins: bool,
    /// A directory where compiled plugin code is kept and shared by the servers of this
    /// machine (several data directories, nodes, test runs): a first start then compiles
    /// no plugin another start here compiled before. Each file is checksummed and named by
    /// the component's hash and the engine's; it must be writable only by the service's
    /// user, like the data directory. Default: none (each store keeps its own).
    #[arg(long, env = "CARTOUCHE_PLUGIN_CACHE")]
    plugin_cache: Option<PathBuf>,
    /// A witness asked to cosign this registry's log checkpoints, as URL=VKEY: its
    /// submission prefix (`https://other.example/witness`) and its key (`GET
    /// /witness/vkey` there). Repeatable; in the environment, separated by spaces.
    #[arg(long = "witness", env = "CARTOUCHE_WITNESSES", value_delimiter = ' ')]
    witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned the checkpoint that covers an
    /// issuance for the verdict's `log` check to pass (0: the log's own signature suffices).
    #[arg(long, env = "CARTOUCHE_WITNESS_QUORUM", default_value_t = 0)]
    witness_quorum: usize,
    /// Another registry's log that this one witnesses: its verifier key (`GET /log/vkey`
    /// there). Repeatable; in the environment, separated by spaces.
    #[arg(long = "witness-log", env = "CARTOUCHE_WITNESS_LOGS", value_delimiter = ' ')]
    witness_logs: Vec<String>,
    /// Seconds between checks for new log entries; a new checkpoint is signed (and sent to
    /// the witnesses) at most this long after an event.
    #[arg(long, env = "CARTOUCHE_LOG_INTERVAL", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    log_interval: u64,
    /// Open connections allowed per client address (IPv6 clients by their /64); one more
    /// gets `503 too_many_connections`.
    #[arg(long, env = "CARTOUCHE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = cartouche_server::DEFAULT_CONNECTIONS_PER_ADDRESS as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections_per_address: u64,
    /// Open connections allowed in all.
    #[arg(long, env = "CARTOUCHE_MAX_CONNECTIONS", default_value_t = cartouche_server::DEFAULT_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// The most linear memory a plugin's manifest may ask for, in MiB (the default for
    /// plugins that ask nothing is 16 MiB; a Python or JavaScript plugin asks 48 to 64).
    #[arg(long, env = "CARTOUCHE_PLUGIN_MAX_MEMORY_MIB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(16..=4096))]
    plugin_max_memory_mib: u64,
    /// The most fuel (instructions per call) a plugin's manifest may ask for.
    #[arg(long, env = "CARTOUCHE_PLUGIN_MAX_FUEL", default_value_t = 4_000_000_000, value_parser = clap::value_parser!(u64).range(10_000_000..))]
    plugin_max_fuel: u64,
    /// The most fuel per byte of certificate JSON a plugin's manifest may ask for (the
    /// default is 100; an interpreter parses JSON at about 300 a byte).
    #[arg(long, env = "CARTOUCHE_PLUGIN_MAX_FUEL_PER_INPUT_BYTE", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    plugin_max_fuel_per_input_byte: u64,
    /// The longest wall-clock deadline per call a plugin's manifest may ask for, in ms.
    #[arg(long, env = "CARTOUCHE_PLUGIN_MAX_DEADLINE_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    plugin_max_deadline_ms: u64,
    /// The largest component accepted at publication, in MiB (an interpreter's is about
    /// 18 MB; at most 32, the publication body limit).
    #[arg(long, env = "CARTOUCHE_PLUGIN_MAX_COMPONENT_MIB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=32))]
    plugin_max_component_mib: u64,
    /// Seconds a client has to send a request's head; past it the connection is closed.
    #[arg(long, env = "CARTOUCHE_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    header_timeout: u64,
    /// Seconds a connection may wait on the client, for a byte of a request or for taking
    /// a byte of an answer (also the keep-alive idle time); past it the connection is closed.
    #[arg(long, env = "CARTOUCHE_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
    /// Testing only: run with the clock set to this RFC 3339 instant (moving forward from
    /// it). Never use in production: seals would be judged at the wrong time.
    #[arg(long, env = "CARTOUCHE_UNSAFE_FAKE_CLOCK", hide = true)]
    unsafe_fake_clock: Option<String>,
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("cannot create the data directory {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict the data directory {}", path.display()))?;
    }
    Ok(())
}

/// Writes `secret` to `path` with mode 0600, replacing any stale file atomically (write
/// to a temporary file beside it, fsync, rename).
pub(crate) fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let temporary = path.with_file_name(name);
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary).with_context(|| format!("cannot create {}", temporary.display()))?;
    writeln!(file, "{secret}")?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Where the key-encryption key came from, for messages.
fn kek(args: &ServeArgs, store: &dyn Store) -> anyhow::Result<cartouche_seal::Kek> {
    use cartouche_seal::Kek;
    let sealed = cartouche_core::vault::sealing_keks(store).map_err(|error| {
        anyhow::anyhow!("cannot read the store's keys: {}", error.internal.as_deref().unwrap_or(&error.message))
    })?;
    let credential = std::env::var_os("CREDENTIALS_DIRECTORY").map(|dir| PathBuf::from(dir).join("cartouche-kek"));
    let (kek, source) = if let Ok(text) = std::env::var("CARTOUCHE_KEK") {
        (Kek::parse(&text).context("CARTOUCHE_KEK")?, "CARTOUCHE_KEK".to_owned())
    } else if let Some(path) = credential.filter(|path| path.exists()) {
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read the credential {}", path.display()))?;
        (
            Kek::parse(&text).context("the systemd credential cartouche-kek")?,
            "the systemd credential cartouche-kek".to_owned(),
        )
    } else {
        let path = args.kek_file.clone().unwrap_or_else(|| args.data_dir.join("kek.key"));
        if path.exists() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    bail!(
                        "the key-encryption key {} can be read by others (mode {:o}): `chmod 600 {}`, then start again",
                        path.display(),
                        mode & 0o777,
                        path.display()
                    );
                }
            }
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            (Kek::parse(&text).with_context(|| format!("{}", path.display()))?, path.display().to_string())
        } else if sealed.is_empty() {
            let kek = Kek::generate()?;
            write_secret(&path, &kek.encode())?;
            eprintln!(
                "First start: a key-encryption key (KEK) was written to {} (mode 0600). Keep a copy apart from the data \
                 directory: without it the signing keys in the store cannot be used (see README, Keys).",
                path.display()
            );
            (kek, path.display().to_string())
        } else {
            bail!(
                "the store's signing keys are sealed under the key-encryption key {}, and {} does not exist: restore the \
                 KEK from its backup (the file, CARTOUCHE_KEK or the systemd credential cartouche-kek). Without it no key \
                 in this store can sign (see README, Keys).",
                sealed.join(", "),
                path.display()
            );
        }
    };
    if let Some(other) = sealed.iter().find(|id| id.as_str() != kek.id()) {
        bail!(
            "the store's keys are sealed under the key-encryption key {other}, and the KEK from {source} is {}: start with the \
             KEK this store was sealed with",
            kek.id()
        );
    }
    tracing::info!(kek = %kek.id(), %source, "key-encryption key loaded");
    Ok(kek)
}

/// The KEK, and the HSM of `--keys pkcs11:...`.
fn vault(args: &ServeArgs, store: &dyn Store) -> anyhow::Result<cartouche_core::vault::KeyVault> {
    let vault = cartouche_core::vault::KeyVault::new(kek(args, store)?);
    match args.keys.as_str() {
        "store" => Ok(vault),
        uri if uri.starts_with("pkcs11:") => {
            let hsm = crate::keys::open_hsm(uri)?;
            tracing::info!(token = %hsm.info().token_label, slot = hsm.info().slot, model = %hsm.info().model, "new signing keys are made in the HSM");
            Ok(vault.with_hsm(Arc::new(hsm)))
        }
        other => bail!("--keys {other:?}: give `store` (keys sealed in the store) or a PKCS#11 URI starting pkcs11:"),
    }
}

fn clock(fake: Option<&str>) -> anyhow::Result<cartouche_core::Clock> {
    let Some(text) = fake else {
        return Ok(Arc::new(OffsetDateTime::now_utc));
    };
    let start = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("CARTOUCHE_UNSAFE_FAKE_CLOCK {text:?} is not an RFC 3339 instant"))?;
    let offset = start - OffsetDateTime::now_utc();
    tracing::warn!(clock = %text, "running with a FAKE CLOCK: for tests only, never in production");
    Ok(Arc::new(move || OffsetDateTime::now_utc() + offset))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CARTOUCHE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    cartouche_seal::install_crypto_provider();
    // A panic's message may quote request data: log where it happened, not what it said.
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(%location, "panic (message withheld)");
    }));
    let countries: Vec<String> = if args.verifier { Vec::new() } else { args.countries.clone() };
    for country in &countries {
        if !cartouche_model::is_country_code(country) {
            bail!("--countries: {country:?} is not an ISO 3166-1 alpha-2 code such as FR");
        }
    }
    let mut peers = Vec::new();
    for text in args.peers.iter().filter(|text| !text.trim().is_empty()) {
        let peer = cartouche_core::federation::parse_peer(text).map_err(|error| anyhow::anyhow!("--peer {error}"))?;
        if peers.iter().any(|(url, _): &(String, [u8; 32])| url == &peer.0) {
            bail!("--peer {}: pinned twice", peer.0);
        }
        peers.push(peer);
    }
    let clock = clock(args.unsafe_fake_clock.as_deref())?;
    // Bind first: a port already in use must not leave a half-initialised data directory.
    let listener =
        std::net::TcpListener::bind(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    create_private_dir(&args.data_dir)?;
    let store_dir = args.data_dir.join("store");
    let store: Arc<dyn Store> = match args.store.as_deref().map(str::trim) {
        None | Some("") => Arc::new(
            ReopeningStore::open(&store_dir)
                .with_context(|| format!("cannot open the store in {}", store_dir.display()))?,
        ),
        Some(url) if cartouche_store::PgStore::is_url(url) => {
            let options = cartouche_store::PgOptions {
                pool_size: args.store_pool_size,
                connect_timeout: std::time::Duration::from_secs(args.store_connect_timeout),
                statement_timeout: std::time::Duration::from_secs(args.store_statement_timeout),
            };
            let store = cartouche_store::PgStore::open(url, &options).context("cannot open the PostgreSQL store")?;
            tracing::info!(database = %store.target(), schema = cartouche_store::SCHEMA_VERSION, "PostgreSQL store open");
            Arc::new(store)
        }
        Some(_) => bail!(
            "--store: give a PostgreSQL connection string (postgres://user@host:5432/database), or leave it out for the embedded store in {}",
            store_dir.display()
        ),
    };
    // Nodes of a shared store started at once set it up one after the other: the first
    // makes the keys and the admin token, the next find them (and need the same KEK).
    let set_up = store.set_up_guard().context("cannot take the store's set-up lock")?;
    let vault = Arc::new(vault(&args, &*store)?);

    let mut config = CoreConfig::new(args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen)));
    config.clock = clock;
    config.vault = Arc::clone(&vault);
    config.federation = cartouche_core::federation::FederationSettings {
        countries: countries.clone(),
        verifier: args.verifier,
        bundle_lifetime: time::Duration::hours(args.bundle_lifetime_hours as i64),
        max_status_age: time::Duration::seconds(args.max_status_age as i64),
        peers,
        forwarder: Some(Arc::new(crate::bundle::HttpForwarder::new())),
    };
    config.log = cartouche_core::log::LogSettings::parse(&args.witnesses, args.witness_quorum, &args.witness_logs)
        .map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let admin_path = args.data_dir.join("admin.token");
    let mut persist = |secret: &str| write_secret(&admin_path, secret).map_err(|error| format!("{error:#}"));
    let now = (config.clock)().replace_nanosecond(0).unwrap_or_else(|_| (config.clock)());
    let sealed = cartouche_core::vault::seal_stored_secrets(&*store, &vault, now).map_err(|error| {
        anyhow::anyhow!("cannot seal the keys kept in clear: {}", error.internal.as_deref().unwrap_or(&error.message))
    })?;
    if sealed > 0 {
        tracing::warn!(keys = sealed, kek = %vault.kek_id(), "sealed the keys this store kept in clear under the KEK");
        eprintln!(
            "Migration: {sealed} key(s) this store kept in clear are now sealed under the key-encryption key {}. \
             Copies of the store made before today still hold them in clear: rotate the keys (cartouche keys rotate) if such copies are out of your hands.",
            vault.kek_id()
        );
    }
    let done = bootstrap(&*store, &countries, config.default_alg, config.key_lifetime, now, &vault, &mut persist)
        .map_err(|error| {
            anyhow::anyhow!("first-start set-up failed: {}", error.internal.as_deref().unwrap_or(&error.message))
        })?;
    if !done.new_keys.is_empty() {
        tracing::info!(countries = %done.new_keys.join(","), "created signing keys");
    }
    if done.admin_token_created {
        eprintln!("First start: an admin API token was written to {} (mode 0600). Keep it safe.", admin_path.display());
    }
    let started = std::time::Instant::now();
    let mut limits = crate::plugin::host_limits()?;
    limits.max_memory_bytes = (args.plugin_max_memory_mib as usize) << 20;
    limits.max_fuel = args.plugin_max_fuel;
    limits.max_fuel_per_input_byte = args.plugin_max_fuel_per_input_byte;
    limits.max_deadline = std::time::Duration::from_millis(args.plugin_max_deadline_ms);
    limits.component_bytes = (args.plugin_max_component_mib as usize) << 20;
    let (rules, loaded) = rules(&*store, args.reference_data.as_deref(), limits, args.plugin_cache.clone())?;
    let public_url = config.public_url.clone();
    let core = Core::new(store, config, rules).map_err(|error| {
        anyhow::anyhow!("cannot load the signing keys: {}", error.internal.as_deref().unwrap_or(&error.message))
    })?;
    let health = core.check_log().map_err(|error| {
        let (place, backup) = match core.database() {
            Some(database) => (database.target, "the database"),
            None => (store_dir.display().to_string(), "the data directory"),
        };
        anyhow::anyhow!(
            "the issuance log in {place} is damaged, refusing to start: {} (restore {backup} from a backup; the log's witnesses and monitors hold its signed checkpoints)",
            error.internal.as_deref().unwrap_or(&error.message)
        )
    })?;
    tracing::info!(entries = health.size, checkpoint = health.checkpoint_size, origin = %core.log_origin(), "issuance log checked");
    let published = if args.no_bundled_plugins { 0 } else { publish_bundled(&core)? };
    drop(set_up);
    core.sign_checkpoint().map_err(|error| {
        anyhow::anyhow!("cannot sign the log's checkpoint: {}", error.internal.as_deref().unwrap_or(&error.message))
    })?;
    let core = Arc::new(core);
    tracing::info!(loaded, published, elapsed_ms = started.elapsed().as_millis() as u64, "rule plugins ready");
    let options = ServerOptions { verify_rate_per_minute: std::num::NonZeroU32::new(args.verify_rate_limit) };
    let router = app(AppState::new(Arc::clone(&core), options));
    let log_interval = std::time::Duration::from_secs(args.log_interval);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let address = listener.local_addr()?;
        tracing::info!(%address, public_url = %public_url, data_dir = %args.data_dir.display(), "Cartouche is listening");
        eprintln!("Cartouche listening on http://{address} (QR codes point at {public_url})");
        for url in core.peer_urls() {
            let (core, agent) = (Arc::clone(&core), agent(15));
            tokio::spawn(every(std::time::Duration::from_secs(args.peer_sync), move || sync_peer(&core, &agent, &url)));
        }
        let outbox = Arc::clone(&core);
        tokio::spawn(every(std::time::Duration::from_secs(args.forward_retry), move || retry_forwarded(&outbox)));
        let witnesses = agent(10);
        if core.database().is_some() {
            // Another node's key rotation or plugin publication is in service here within
            // about a second (plus a compilation).
            let follower = Arc::clone(&core);
            tokio::spawn(every(std::time::Duration::from_secs(1), move || {
                if let Err(error) = follower.follow_store() {
                    tracing::warn!(error = %error.internal.as_deref().unwrap_or(&error.message), "cannot follow the shared store");
                }
            }));
        }
        tokio::spawn(every(log_interval, move || checkpoint(&core, &witnesses)));
        let limits = cartouche_server::ConnectionLimits {
            per_address: args.max_connections_per_address as usize,
            total: args.max_connections as usize,
            header_timeout: std::time::Duration::from_secs(args.header_timeout),
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        };
        cartouche_server::serve_with_limits(listener, router, shutdown(), limits).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// The rule-plugin service: the operator's reference data and every published plugin
/// (compiled artifacts from the store), with how many were loaded.
fn rules(
    store: &dyn Store,
    reference: Option<&Path>,
    limits: cartouche_rules::Limits,
    compile_cache: Option<PathBuf>,
) -> anyhow::Result<(Arc<cartouche_rules::Rules>, usize)> {
    let mut host =
        cartouche_rules::Host::new(limits).map_err(|error| anyhow::anyhow!("cannot start the plugin host: {error}"))?;
    if let Some(dir) = compile_cache {
        host = host.with_compile_cache(dir);
    }
    let rules = cartouche_rules::Rules::new(host);
    if let Some(path) = reference {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the reference data {}", path.display()))?;
        let data: cartouche_model::reference::ReferenceData = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid reference data (rates, watch_lists)", path.display()))?;
        data.check().with_context(|| format!("{}: bad rates table", path.display()))?;
        tracing::info!(
            rates_date = %data.rates_date(),
            watch_lists = data.watch_lists.len(),
            "loaded reference data for rule plugins"
        );
        rules.set_reference(data);
    }
    let loaded = cartouche_core::plugins::load_published(store, &rules)
        .map_err(|error| anyhow::anyhow!("cannot load the published plugins: {}", error.message))?;
    Ok((Arc::new(rules), loaded))
}

/// Publishes the bundled plugins (on first start, or when a new bundled version
/// appears), through the same checks as any publication.
fn publish_bundled(core: &Core) -> anyhow::Result<usize> {
    let bundled: Vec<_> = cartouche_plugins::BUNDLED
        .iter()
        .map(|plugin| cartouche_core::plugins::Bundled {
            id: plugin.id,
            manifest: plugin.manifest,
            component: plugin.component,
            cases: plugin.cases,
        })
        .collect();
    let published = core.publish_bundled(&bundled).map_err(|error| {
        let hint = match error.code {
            "plugin_id_taken" => {
                " (a stored publication took a bundled plugin's id; start with --no-bundled-plugins to run without it)"
            }
            _ => "",
        };
        let cause = error.internal.as_deref().map(|cause| format!(" ({cause})")).unwrap_or_default();
        anyhow::anyhow!("cannot publish the bundled plugins: {}{cause}{hint}", error.message)
    })?;
    Ok(published)
}

/// Runs `work` on a blocking thread now and every `interval` (a tick missed while it ran
/// is not made up), one run at a time.
async fn every(interval: std::time::Duration, work: impl Fn() + Clone + Send + 'static) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let _ = tokio::task::spawn_blocking(work.clone()).await;
    }
}

fn agent(timeout_seconds: u64) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(timeout_seconds)))
        .build()
        .into()
}

/// Signs a checkpoint whenever the log grew, and asks the witnesses to cosign it.
/// Failures are logged and retried at the next run.
fn checkpoint(core: &Core, agent: &ureq::Agent) {
    if let Err(error) = core.sign_checkpoint() {
        tracing::error!(code = error.code, error = %error.message, cause = ?error.internal, "cannot sign a log checkpoint");
        return;
    }
    let post = |url: &str, body: Vec<u8>| -> Result<(u16, Vec<u8>), String> {
        let mut response =
            agent.post(url).header("content-type", "text/plain").send(&body[..]).map_err(|error| error.to_string())?;
        let status = response.status().as_u16();
        let body =
            response.body_mut().with_config().limit(64 * 1024).read_to_vec().map_err(|error| error.to_string())?;
        Ok((status, body))
    };
    if let Err(error) = core.collect_cosignatures(&post) {
        tracing::error!(code = error.code, error = %error.message, "cannot collect cosignatures");
    }
}

/// Pulls `url`'s bundle (each peer on its own task, so that one that hangs delays no
/// other); a failure or a refusal keeps the last good bundle. Then puts in service the
/// exit-check plugins it lists that this node lacks.
fn sync_peer(core: &Core, agent: &ureq::Agent, url: &str) {
    let fetched = crate::bundle::fetch_text(agent, &format!("{url}/api/v1/bundle"));
    let log = |target: &str| crate::bundle::fetch_bytes(agent, target, 256 * 70_000);
    if core.accept_peer_bundle(url, fetched, &log).is_ok() {
        crate::bundle::install_peer_plugins(core, agent, url);
    }
}

/// Delivers the officer events waiting in the outbox.
fn retry_forwarded(core: &Core) {
    if let Err(error) = core.retry_forwarded() {
        tracing::error!(code = error.code, error = %error.message, cause = ?error.internal, "cannot read the outbox");
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
