//! `cartouche log verify`: a monitor of a registry's issuance log, for anyone (another
//! country's customs, a journalist, the ministry's auditors).
//!
//! It downloads the checkpoint and every entry bundle and hash tile, recomputes the tree
//! from the entries, checks the checkpoint's signature, checks that the log only grew
//! since the checkpoint saved by the last run (then saves the new one), and compares
//! each certificate's history in the log with what the registry's public status says.
//! Exit codes: 0 all good; 1 the log could not be read; 2 the checkpoint's signature
//! does not verify; 3 the tiles or entries do not match the checkpoint; 4 the log is not
//! consistent with the saved checkpoint (history rewritten or rolled back); 5 entries
//! that the registry's public status contradicts.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cartouche_log::entry::Event;
use cartouche_log::note::{LogVerifier, open_checkpoint};
use cartouche_log::tiles::{TILE_WIDTH, TileKind, TilePath, unbundle};
use cartouche_log::tree::{MemoryTree, stored_hash_index};
use cartouche_log::{Hash, LogEntry};
use cartouche_model::EventKind;
use serde::{Deserialize, Serialize};

/// What the monitor remembers between runs.
#[derive(Serialize, Deserialize)]
struct State {
    origin: String,
    vkey: String,
    size: u64,
    root: String,
    checked_at: String,
}

fn get(agent: &ureq::Agent, url: &str, limit: u64) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut response = agent.get(url).call().with_context(|| format!("cannot reach {url}"))?;
    let status = response.status().as_u16();
    let body =
        response.body_mut().with_config().limit(limit).read_to_vec().with_context(|| format!("cannot read {url}"))?;
    Ok((status, body))
}

fn get_ok(agent: &ureq::Agent, url: &str, limit: u64) -> anyhow::Result<Vec<u8>> {
    let (status, body) = get(agent, url, limit)?;
    if status != 200 {
        bail!("{url} answered {status}");
    }
    Ok(body)
}

/// What the log says a certificate's state should be, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    InForce,
    Suspended,
    Revoked,
    Exited,
}

fn family_of_state(state: &str) -> Option<Family> {
    Some(match state {
        "active" | "expired" => Family::InForce,
        "suspended" => Family::Suspended,
        "revoked" => Family::Revoked,
        "used" | "exported_temporarily" | "overdue" => Family::Exited,
        _ => return None,
    })
}

fn describe(family: Family) -> &'static str {
    match family {
        Family::InForce => "in force (active or expired)",
        Family::Suspended => "suspended",
        Family::Revoked => "revoked",
        Family::Exited => "exited (used, out or overdue)",
    }
}

/// Runs the monitor.
pub fn verify(url: &str, state_path: Option<&Path>, vkey: Option<&str>, reconcile: bool) -> anyhow::Result<ExitCode> {
    let base = url.trim_end_matches('/');
    let (registry, log) = match base.strip_suffix("/log") {
        Some(registry) => (registry.to_owned(), base.to_owned()),
        None => (base.to_owned(), format!("{base}/log")),
    };
    let agent = crate::client::agent();
    let saved: Option<State> = match state_path {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a monitor state file", path.display()))?,
            )
        }
        _ => None,
    };
    let vkey = match (vkey, &saved) {
        (Some(given), Some(saved)) if given.trim() != saved.vkey => {
            eprintln!(
                "FAIL: the key given ({}) is not the one pinned in the state file ({})",
                given.trim(),
                saved.vkey
            );
            return Ok(ExitCode::from(2));
        }
        (Some(given), _) => given.trim().to_owned(),
        (None, Some(saved)) => saved.vkey.clone(),
        (None, None) => {
            let fetched = String::from_utf8(get_ok(&agent, &format!("{log}/vkey"), 4096)?)
                .context("the log's vkey is not text")?
                .trim()
                .to_owned();
            eprintln!("note: trusting the log key served by the registry on first use: {fetched}");
            eprintln!("      (pass --vkey with a key obtained out of band, or keep --state to pin it)");
            fetched
        }
    };
    let verifier = LogVerifier::from_vkey(&vkey).context("the log key")?;

    // The checkpoint.
    let fetched_at = time::OffsetDateTime::now_utc();
    let note = get_ok(&agent, &format!("{log}/checkpoint"), 1 << 20)?;
    let opened = match open_checkpoint(&note, &verifier, &[]) {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!("FAIL: the checkpoint does not verify with {vkey}: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let size = opened.checkpoint.size();
    let root = *opened.checkpoint.hash();
    println!("checkpoint: {} entries, root {root}, origin {}", size, opened.checkpoint.origin());

    // Every entry bundle, and the tree recomputed from the entries.
    let mut tree = MemoryTree::new();
    let mut entries: Vec<LogEntry> = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
    let mut problems = Vec::new();
    let bundles = size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let path = TilePath { kind: TileKind::Entries, index: n, width }.to_path();
        let bytes = get_ok(&agent, &format!("{log}/{path}"), 256 * 70_000)?;
        let items = match unbundle(&bytes) {
            Ok(items) if items.len() == usize::from(width) => items,
            Ok(items) => {
                eprintln!("FAIL: {path} holds {} entries, not {width}", items.len());
                return Ok(ExitCode::from(3));
            }
            Err(error) => {
                eprintln!("FAIL: {path}: {error}");
                return Ok(ExitCode::from(3));
            }
        };
        for (offset, item) in items.into_iter().enumerate() {
            let index = n * TILE_WIDTH + offset as u64;
            match LogEntry::from_bytes(item) {
                Ok(entry) => entries.push(entry),
                Err(error) => problems.push(format!("entry {index} is not a valid entry: {error}")),
            }
            tree.push(item).map_err(|error| anyhow::anyhow!("{error}"))?;
        }
    }
    let recomputed = tree.root_at(size).map_err(|error| anyhow::anyhow!("{error}"))?;
    if recomputed != root {
        eprintln!(
            "FAIL: the log's entries hash to {recomputed}, not to the checkpoint's root {root}: entries were altered"
        );
        return Ok(ExitCode::from(3));
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("FAIL: {problem}");
        }
        return Ok(ExitCode::from(3));
    }
    // The hash tiles (what clients use for proofs) agree with the entries.
    let mut level = 0u8;
    while size >> (8 * u32::from(level)) > 0 && level < 8 {
        let nodes = size >> (8 * u32::from(level));
        for n in 0..nodes.div_ceil(TILE_WIDTH) {
            let width = (nodes - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
            let tile = TilePath { kind: TileKind::Hashes { level }, index: n, width };
            let bytes = get_ok(&agent, &format!("{log}/{}", tile.to_path()), 256 * 32)?;
            let expected: Vec<u8> = (0..u64::from(width))
                .flat_map(|i| tree.stored(stored_hash_index(8 * level, n * TILE_WIDTH + i)).unwrap_or_default().0)
                .collect();
            if bytes != expected {
                eprintln!("FAIL: the hash tile {} does not match the entries", tile.to_path());
                return Ok(ExitCode::from(3));
            }
        }
        level += 1;
    }
    println!("entries: {size} downloaded, the tree recomputed from them has the checkpoint's root; hash tiles agree");

    // Consistency with the last run.
    if let Some(saved) = &saved {
        let saved_root = STANDARD
            .decode(&saved.root)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
            .map(Hash)
            .context("the state file's root is not a base64 hash")?;
        if saved.size > size {
            eprintln!(
                "FAIL: the log has {size} entries, fewer than the {} of the checkpoint saved on {}: it was rolled back",
                saved.size, saved.checked_at
            );
            return Ok(ExitCode::from(4));
        }
        if tree.root_at(saved.size).map_err(|error| anyhow::anyhow!("{error}"))? != saved_root {
            eprintln!(
                "FAIL: the first {} entries no longer hash to the root saved on {}: the log's history was rewritten",
                saved.size, saved.checked_at
            );
            return Ok(ExitCode::from(4));
        }
        println!("consistent with the checkpoint of {} entries saved on {}", saved.size, saved.checked_at);
    }

    // Reconciliation with the registry's public status.
    let mut mismatches = Vec::new();
    if reconcile {
        let mut last: BTreeMap<String, Family> = BTreeMap::new();
        for entry in &entries {
            match &entry.event {
                Event::Issued { number, .. } => {
                    last.insert(number.clone(), Family::InForce);
                }
                Event::Status { number, kind } => {
                    let family = match kind {
                        EventKind::Revoked => Family::Revoked,
                        EventKind::Suspended => Family::Suspended,
                        EventKind::Reinstated | EventKind::Issued => Family::InForce,
                        EventKind::Exited | EventKind::Returned => Family::Exited,
                    };
                    if last.insert(number.clone(), family).is_none() {
                        mismatches.push(format!("{number}: a {kind:?} event before any issuance entry"));
                    }
                }
                Event::Key { .. } | Event::Plugin { .. } => {}
            }
        }
        for (number, family) in &last {
            let (status, body) = get(&agent, &format!("{registry}/api/v1/certificates/{number}"), 1 << 20)?;
            if status == 404 {
                mismatches.push(format!("{number}: issued in the log, unknown to the registry"));
                continue;
            }
            if status != 200 {
                bail!("the registry answered {status} for {number}");
            }
            let value: serde_json::Value = serde_json::from_slice(&body).context("the public status is not JSON")?;
            let state = value["status"]["state"].as_str().unwrap_or_default();
            let since = value["status"]["since"].as_str().and_then(|text| {
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
            });
            match family_of_state(state) {
                Some(shown) if shown == *family => {}
                _ if since.is_some_and(|since| since > fetched_at - time::Duration::seconds(10)) => {
                    println!("note: {number} changed after the checkpoint was read ({state}); the next run checks it");
                }
                _ => mismatches
                    .push(format!("{number}: the registry shows {state:?}, the log says {}", describe(*family))),
            }
        }
        println!("reconciled {} certificates with the registry's public status", last.len());
    }

    if let Some(path) = state_path {
        let state = State {
            origin: opened.checkpoint.origin().to_owned(),
            vkey: vkey.clone(),
            size,
            root: STANDARD.encode(root.0),
            checked_at: fetched_at.format(&time::format_description::well_known::Rfc3339)?,
        };
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(&state)?)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))?;
        println!("saved the checkpoint of {size} entries to {}", path.display());
    }
    if !mismatches.is_empty() {
        for mismatch in &mismatches {
            eprintln!("FAIL: {mismatch}");
        }
        return Ok(ExitCode::from(5));
    }
    println!("OK");
    Ok(ExitCode::SUCCESS)
}
