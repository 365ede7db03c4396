//! Several server processes on one database: each follows what the others write. Every
//! request reads certificates, events, tokens and the log from the store itself, so a
//! revocation or an exit recorded at one node is seen by the next request at any other.
//! What a node keeps in memory is kept current here, by [`Core::follow_store`], which
//! the server runs every second when its store is shared:
//! - the keys (a rotation, a retirement, an import at another node): reloaded when any
//!   key's id, validity or custody differs from what this node loaded;
//! - the rule plugins (a publication at another node): the stored versions this node
//!   does not have are compiled (or their compiled code read from the store) and put in
//!   service, which also forgets the remembered rule evaluations.

use cartouche_store::KeyRecord;

use crate::{Core, CoreError};

/// What this node last saw of the shared state.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    keys: String,
    plugins: Option<usize>,
}

/// What [`Core::follow_store`] found changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    /// The keys were reloaded.
    pub keys: bool,
    /// Plugin versions put in service.
    pub plugins: usize,
    /// The watch lists in force changed.
    pub watch_lists: bool,
}

pub(crate) fn key_fingerprint(keys: &[KeyRecord]) -> String {
    let mut lines: Vec<String> = keys
        .iter()
        .map(|key| format!("{} {:?} {} {}", key.kid, key.retired_at, key.expires_at, key.custody.kind()))
        .collect();
    lines.sort();
    lines.join("\n")
}

impl Core {
    /// Brings this node's keys and plugins up to what the store holds (written by another
    /// node on the same database). Cheap when nothing changed: one read of the key
    /// records, one count of the plugin versions.
    pub fn follow_store(&self) -> Result<Followed, CoreError> {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut followed = Followed::default();
        // The first call also reloads: a change made between this node's start and now is
        // not missed.
        let fingerprint = key_fingerprint(&self.store.keys()?);
        if seen.keys != fingerprint {
            self.reload_keys()?;
            followed.keys = true;
            if !seen.keys.is_empty() {
                tracing::info!("the keys in the store changed (another node): reloaded");
            }
            seen.keys = fingerprint;
        }
        if let Some(rules) = self.rules.plugins() {
            let count = self.store.plugin_count()?;
            if seen.plugins != Some(count) {
                followed.plugins = crate::plugins::load_published(&*self.store, rules)?;
                if followed.plugins > 0 {
                    tracing::info!(
                        plugins = followed.plugins,
                        "plugin versions published at another node put in service"
                    );
                }
                seen.plugins = Some(count);
            }
        }
        if self.reload_watch_lists()? {
            followed.watch_lists = true;
        }
        Ok(followed)
    }
}
