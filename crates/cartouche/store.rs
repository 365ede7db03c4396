//! `cartouche store migrate`: a registry moved from the embedded store to PostgreSQL.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use cartouche_store::{PgOptions, PgStore, SledStore, StoreError};

/// Copies the registry of `from` (`sled:DIR`) into the empty database `to`, checks the
/// copy, and prints what was copied.
pub fn migrate(from: &str, to: &str) -> anyhow::Result<ExitCode> {
    let Some(dir) = from.strip_prefix("sled:") else {
        bail!("--from {from:?}: give sled:DIR, where DIR is a server's --data-dir (or its store directory)");
    };
    let dir = PathBuf::from(dir);
    let store_dir = if dir.join("conf").exists() {
        dir.clone()
    } else if dir.join("store").join("conf").exists() {
        dir.join("store")
    } else {
        bail!(
            "--from: {} holds no Cartouche store (a server started with --data-dir {} keeps it in {}/store)",
            dir.display(),
            dir.display(),
            dir.display()
        );
    };
    if !PgStore::is_url(to) {
        bail!("--to: give a PostgreSQL connection string, postgres://user@host:5432/database");
    }
    let source = SledStore::open(&store_dir).map_err(|error| match error {
        StoreError::Locked(_) => anyhow::anyhow!(
            "{} is in use by a running server: stop it first (the copy must see a registry that does not change)",
            store_dir.display()
        ),
        other => anyhow::anyhow!("cannot open {}: {other}", store_dir.display()),
    })?;
    let target = PgStore::open(to, &PgOptions::default()).context("cannot open the PostgreSQL database")?;
    let started = std::time::Instant::now();
    let report = cartouche_store::migrate::sled_to_postgres(&source, &target)
        .with_context(|| format!("the migration into {} failed; nothing was committed", target.target()))?;
    for (table, count, digest) in &report.tables {
        println!("{table:<16} {count:>10} records  sha256 {}", &digest[..16]);
    }
    println!(
        "Copied {} records from {} into {} in {:.1} s; read back, the same in every table, and {} record checksums verified.",
        report.records(),
        store_dir.display(),
        target.target(),
        started.elapsed().as_secs_f64(),
        report.checked
    );
    println!(
        "Start the servers with --store '{}' and the same key-encryption key as before (copy {}/kek.key into each node's --data-dir, or set CARTOUCHE_KEK).",
        target.target(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
