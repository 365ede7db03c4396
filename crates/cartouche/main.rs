//! `cartouche`: the server and the command line.
//!
//! `serve` runs the service on an embedded sled store; the other commands are clients of
//! a running server (`--server`, with a token from `--token`, `--token-file` or
//! `CARTOUCHE_TOKEN`), except `verify --trust-list FILE`, which checks a seal offline.
//! This is the only crate that uses `anyhow`; the libraries have typed errors.

mod bundle;
mod client;
mod keys;
mod monitor;
mod plugin;
mod scaffold;
mod serve;
mod store;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Signed export certificates for cultural objects.
#[derive(Parser)]
#[command(name = "cartouche", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct ClientArgs {
    /// Base URL of the Cartouche server.
    #[arg(long, env = "CARTOUCHE_SERVER", default_value = "http://127.0.0.1:8080", global = true)]
    server: String,
    /// API token (`ct_…`). Prefer CARTOUCHE_TOKEN or --token-file: arguments show in `ps`.
    #[arg(long, env = "CARTOUCHE_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// File holding the API token (such as `<data-dir>/admin.token`).
    #[arg(long, global = true)]
    token_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creates the store, demo keys and an admin token on first start).
    Serve(serve::ServeArgs),
    /// Move a registry's store (offline: the server stopped).
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Watch lists of stolen and missing objects: load from JSON or CSV, list, show.
    #[command(name = "watch-list")]
    WatchList {
        #[command(subcommand)]
        command: WatchListCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Issue a certificate from an application JSON file.
    Issue {
        /// The application (see schemas/application.schema.json and schemas/examples/).
        file: PathBuf,
        /// Makes a retry return the same certificate instead of a second one.
        #[arg(long)]
        idempotency_key: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Verify a seal: the QR text (URL) or the bare token. Exit status 0 VALID, 2 INVALID,
    /// 3 INDETERMINATE, 1 for errors.
    Verify {
        /// QR text or token; `-` reads it from standard input. Omit it with --image.
        #[arg(required_unless_present = "image")]
        seal: Option<String>,
        /// Read the seal from a photo of its QR code (PNG or JPEG) instead.
        #[arg(long, conflicts_with = "seal")]
        image: Option<PathBuf>,
        /// Verify offline against this trust list (from `cartouche trust-list`); the
        /// registry status cannot be checked, so the best answer is INDETERMINATE.
        #[arg(long, conflicts_with = "bundle")]
        trust_list: Option<PathBuf>,
        /// Verify offline with the registries' bundles in FILE (from `cartouche bundle
        /// fetch`): signature, key validity and status as of the bundle. VALID while the
        /// bundle's status is within --max-status-age, INDETERMINATE past it.
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// With --bundle: seconds a bundle's status data is trusted for.
        #[arg(long, default_value_t = 86_400, requires = "bundle")]
        max_status_age: i64,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Download a certificate's QR code as PNG or SVG (issuer of its country, officer).
    Qr {
        /// Certificate number.
        number: String,
        /// Where to write the image.
        #[arg(long)]
        out: PathBuf,
        /// png or svg.
        #[arg(long, default_value = "png")]
        format: String,
        /// Error correction: L, M, Q or H.
        #[arg(long, default_value = "M")]
        ec: String,
        /// Side in pixels.
        #[arg(long, default_value_t = 600)]
        size: u32,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Registries' signed bundles, for verification with no network.
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// Download the trust list (for offline verification) to standard output.
    TrustList {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Write, build, test and publish rule plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Check a registry's public issuance log (for monitors, other countries' customs,
    /// journalists).
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum WatchListCommand {
    /// Load a list from a JSON or CSV file (its photos uploaded first) as the list's next
    /// version (a watch_list_editor or admin token).
    Load {
        /// The list: .json (as POST /api/v1/watch-lists, photos as file names) or .csv
        /// (header row: reference, description, title, maker, object_type,
        /// materials_techniques, dating, inscriptions, photos; lists separated by ";").
        file: PathBuf,
        /// The list's name (e.g. ITALY-TPC); overrides the file's.
        #[arg(long)]
        name: Option<String>,
        /// Who publishes it; overrides the file's.
        #[arg(long)]
        source: Option<String>,
        /// The date it is as of (YYYY-MM-DD); overrides the file's.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// The lists in force.
    List,
    /// One list with its entries (the latest version, or --version N).
    Show {
        /// The list's name.
        name: String,
        /// A version (default: the latest).
        #[arg(long)]
        version: Option<u64>,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy a whole registry (certificates and their events, keys, tokens, audit, photos,
    /// plugins, the issuance log) from the embedded store into an empty PostgreSQL
    /// database in one transaction, then check the copy (record counts and checksums).
    /// Stop the server first.
    Migrate {
        /// The source: sled:DIR, where DIR is the server's --data-dir.
        #[arg(long)]
        from: String,
        /// The target: a PostgreSQL connection string (an empty database).
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Fetch registries' bundles into one file for `cartouche verify --bundle FILE`.
    Fetch {
        /// A registry's URL, or URL=KEY to pin its federation key (without KEY, the key
        /// its /.well-known/cartouche-registry.json gives is trusted on first use).
        /// Repeatable.
        #[arg(long, required = true)]
        server: Vec<String>,
        /// Where to write the bundle file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Download the log, recompute its tree, check the checkpoint's signature, its
    /// consistency with the last run's, and each certificate's public status. Exit codes:
    /// 0 good, 1 unreadable, 2 bad signature, 3 entries or tiles not matching the
    /// checkpoint, 4 history rewritten or rolled back since the saved checkpoint, 5 the
    /// registry's public status contradicts the log.
    Verify {
        /// The registry's public URL, or its log's (`https://registry.example/log`).
        #[arg(long)]
        url: String,
        /// The checkpoint of the last run, checked against and then replaced (created if
        /// missing); it also pins the log key.
        #[arg(long)]
        state: Option<PathBuf>,
        /// The log's verifier key, obtained out of band (the trust list, the ministry's
        /// publication); without it and without a state file, the key the registry serves
        /// is trusted on first use.
        #[arg(long)]
        vkey: Option<String>,
        /// Skip the comparison with the registry's public status pages.
        #[arg(long)]
        no_reconcile: bool,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Scaffold a plugin: a Rust crate (in plugins/ID of this Cartouche checkout, or --dir),
    /// or a Python or JavaScript module (in plugins/ID of a checkout, else ./ID, or --dir)
    /// with its manifest, sample cases and README.
    New {
        /// Plugin id, e.g. ch-export.
        id: String,
        /// ISO 3166-1 alpha-2 code, EU or INT.
        #[arg(long)]
        jurisdiction: String,
        /// Where to create it.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The language: rust (wasm32-unknown-unknown with the rules SDK), python
        /// (componentize-py) or javascript (componentize-js).
        #[arg(long, value_enum, default_value = "rust")]
        lang: scaffold::Lang,
    },
    /// Build the component with the plugin's toolchain (Rust: wasm32-unknown-unknown, then
    /// wit-component; Python: componentize-py; JavaScript: componentize-js); prints its path.
    Build {
        /// The plugin's directory (Cargo.toml, app.py or plugin.js).
        dir: PathBuf,
        /// Where to write the component (default: target/plugins/ID.wasm for Rust, ID.wasm
        /// in the plugin's directory for Python and JavaScript).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run a case file through the production engine, each case twice, reporting fuel,
    /// memory and output against the limits. Exit status 0 when every case passes.
    Test {
        /// The component (.wasm).
        component: PathBuf,
        /// The case file (cases.json).
        cases: PathBuf,
        /// Also run the publication checks against this manifest.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish to a server: the directory's manifest.json and cases.json with the component.
    Publish {
        /// The plugin crate's directory (manifest.json, cases.json).
        dir: PathBuf,
        /// The component (from `cartouche plugin build`).
        #[arg(long)]
        component: PathBuf,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List the plugins published on a server.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token (admin); prints the secret once.
    Create {
        /// admin, issuer, officer, plugin_publisher or watch_list_editor.
        #[arg(long)]
        role: String,
        /// ISO 3166-1 alpha-2 country (all roles but admin).
        #[arg(long)]
        country: Option<String>,
        /// Who holds it.
        #[arg(long)]
        label: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Give a country a new current signing key (admin). The old one keeps verifying.
    Rotate {
        /// ISO 3166-1 alpha-2 country.
        #[arg(long)]
        country: String,
        /// EdDSA (default) or ES256.
        #[arg(long)]
        alg: Option<String>,
    },
    /// Every key: status, validity and where it lives (admin).
    List,
    /// Key ceremony, offline (no server): make a key pair in the HSM and write only its
    /// public half with a proof of possession, for `keys import`.
    Generate {
        /// The HSM, as a PKCS#11 URI (pkcs11:token=...?module-path=...&pin-source=file:...);
        /// the PIN may come from CARTOUCHE_HSM_PIN.
        #[arg(long = "keys", env = "CARTOUCHE_KEYS")]
        keys: String,
        /// ISO 3166-1 alpha-2 country the key will sign for.
        #[arg(long)]
        country: String,
        /// EdDSA (default) or ES256.
        #[arg(long)]
        alg: Option<String>,
        /// Where to write the key file (never overwritten); standard output without it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import a key file from `keys generate`: it becomes its country's current key (admin).
    Import {
        /// The key file.
        file: PathBuf,
    },
    /// A key stops signing (now, or at --sign-until) and, with --verify-until, what it
    /// signed stops verifying then (a compromised key: now). Admin.
    Retire {
        /// The key id.
        #[arg(long)]
        kid: String,
        /// RFC 3339 instant; default now.
        #[arg(long)]
        sign_until: Option<String>,
        /// RFC 3339 instant, no later than the key's expiry; default unchanged.
        #[arg(long)]
        verify_until: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Store { command: StoreCommand::Migrate { from, to } } => store::migrate(&from, &to),
        Command::Token { command: TokenCommand::Create { role, country, label }, client } => {
            client::create_token(&client, &role, country, label)
        }
        Command::Issue { file, idempotency_key, client } => client::issue(&client, &file, idempotency_key),
        Command::Verify { seal, image, trust_list, bundle, max_status_age, json, client } => {
            let offline = match (trust_list, bundle) {
                (Some(path), _) => client::Offline::TrustList(path),
                (None, Some(path)) => client::Offline::Bundle(path, max_status_age),
                (None, None) => client::Offline::No,
            };
            client::verify(&client, seal.as_deref(), image.as_deref(), &offline, json)
        }
        Command::Bundle { command: BundleCommand::Fetch { server, out } } => bundle::fetch(&server, &out),
        Command::Qr { number, out, format, ec, size, client } => client::qr(&client, &number, &out, &format, &ec, size),
        Command::Keys { command, client } => match command {
            KeysCommand::Rotate { country, alg } => client::rotate(&client, &country, alg),
            KeysCommand::List => client::list_keys(&client),
            KeysCommand::Generate { keys, country, alg, out } => {
                keys::generate(&keys, &country, alg.as_deref(), out.as_deref())
            }
            KeysCommand::Import { file } => client::import_key(&client, &file),
            KeysCommand::Retire { kid, sign_until, verify_until } => {
                client::retire_key(&client, &kid, sign_until, verify_until)
            }
        },
        Command::TrustList { client } => client::trust_list(&client),
        Command::Log { command: LogCommand::Verify { url, state, vkey, no_reconcile } } => {
            monitor::verify(&url, state.as_deref(), vkey.as_deref(), !no_reconcile)
        }
        Command::WatchList { command, client } => match command {
            WatchListCommand::Load { file, name, source, as_of } => {
                watch::load(&client, watch::LoadArgs { file, name, source, as_of })
            }
            WatchListCommand::List => watch::list(&client),
            WatchListCommand::Show { name, version } => watch::show(&client, &name, version),
        },
        Command::Plugin { command } => match command {
            PluginCommand::New { id, jurisdiction, dir, lang } => plugin::new(&id, &jurisdiction, dir, lang),
            PluginCommand::Build { dir, out } => plugin::build(&dir, out),
            PluginCommand::Test { component, cases, manifest, json } => {
                plugin::test(&component, &cases, manifest.as_deref(), json)
            }
            PluginCommand::Publish { dir, component, client } => plugin::publish(&client, &dir, &component),
            PluginCommand::List { client } => plugin::list(&client),
        },
    };
    match result {
        Ok(code) => code,
        Err(error)
            if error.chain().any(|cause| {
                cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            // The reader went away (`| head`): not an error.
            ExitCode::SUCCESS
        }
        Err(error) => {
            // Messages may quote a server or a seal: escape each line for the terminal.
            let text = format!("{error:#}");
            let lines: Vec<_> = text.split('\n').map(cartouche_seal::printable).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::from(1)
        }
    }
}
