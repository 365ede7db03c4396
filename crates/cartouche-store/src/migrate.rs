//! Moving a registry from the embedded store to PostgreSQL (`cartouche store migrate`):
//! every record is copied byte for byte (both stores frame records the same way), in one
//! transaction, into an empty database; then the copy is checked: the same number of
//! records in each table and the same SHA-256 over all of them, in key order, on both
//! sides, and every copied record's own checksum.

use sha2::{Digest, Sha256};

use crate::envelope::open_raw;
use crate::{PgStore, PluginRecord, SledStore, StoreError};

/// What was copied, table by table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// (table, records copied, SHA-256 of its records in key order, hex), in copy order.
    pub tables: Vec<(&'static str, u64, String)>,
    /// Records whose checksum the database copy passed.
    pub checked: usize,
}

impl MigrationReport {
    /// Records copied in all.
    pub fn records(&self) -> u64 {
        self.tables.iter().map(|(_, count, _)| count).sum()
    }
}

/// The sled trees copied, with their tables (sled's `meta` is not: the database has its
/// own format marker).
pub(crate) const TREES: [(&str, &str); 13] = [
    ("certificates", "certificates"),
    ("counters", "counters"),
    ("idempotency", "idempotency"),
    ("keys", "signing_keys"),
    ("tokens", "tokens"),
    ("audit", "audit"),
    ("photos", "photos"),
    ("plugins", "plugins"),
    ("artifacts", "artifacts"),
    ("log", "log_leaves"),
    ("log_meta", "log_checkpoint"),
    ("service_keys", "service_keys"),
    ("witness", "witness"),
];

pub(crate) fn digest_add(digest: &mut Sha256, key: &[u8], body: &[u8]) {
    digest.update((key.len() as u64).to_be_bytes());
    digest.update(key);
    digest.update((body.len() as u64).to_be_bytes());
    digest.update(body);
}

fn text(tree: &'static str, key: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(key.to_vec()).map_err(|_| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: "a key that is not text".into(),
    })
}

fn big_endian(tree: &'static str, key: &[u8]) -> Result<i64, StoreError> {
    <[u8; 8]>::try_from(key).ok().and_then(|bytes| i64::try_from(u64::from_be_bytes(bytes)).ok()).ok_or_else(|| {
        StoreError::Corrupt { tree, key: crate::envelope::display_key(key), reason: "not an index".into() }
    })
}

/// Copies the registry in `from` into the empty database of `to`, then checks the copy.
/// Refuses a database that already holds a registry (certificates, keys, tokens or log).
pub fn sled_to_postgres(from: &SledStore, to: &PgStore) -> Result<MigrationReport, StoreError> {
    let tables = to.copy_in(|table, sink| {
        let tree = TREES.iter().find(|(_, t)| *t == table).map(|(tree, _)| *tree).unwrap_or(table);
        let mut digest = Sha256::new();
        let mut count = 0u64;
        for item in from.raw_tree(tree)? {
            let (key, body) = item?;
            match table {
                "log_leaves" => sink.log_leaf(big_endian("log", &key)?, &body)?,
                "log_checkpoint" => {
                    let note = open_raw("log_meta", &key, &body)?;
                    sink.checkpoint(&note, &body)?
                }
                "audit" => sink.audit(&body)?,
                "plugins" => {
                    let name = text("plugins", &key)?;
                    let (id, seq) = name.split_once('\u{0}').ok_or_else(|| StoreError::Corrupt {
                        tree: "plugins",
                        key: name.clone(),
                        reason: "a key without its sequence".into(),
                    })?;
                    let seq: i32 = seq.parse().map_err(|_| StoreError::Corrupt {
                        tree: "plugins",
                        key: name.clone(),
                        reason: "a sequence that is not a number".into(),
                    })?;
                    let record: PluginRecord = crate::envelope::open("plugins", &key, &body)?;
                    sink.plugin(id, seq, &record.manifest.version, &body)?
                }
                _ => sink.keyed(table, &text(tree, &key)?, &body)?,
            }
            // Audit entries are keyed by position: sled's ids are not copied, their order is.
            digest_add(&mut digest, if table == "audit" { &[] } else { &key }, &body);
            count += 1;
        }
        Ok((count, cartouche_model::canonical::hex(&digest.finalize())))
    })?;
    // Read everything back from the database and compare.
    for (table, count, digest) in &tables {
        let (copied, copied_digest) = to.digest_table(table)?;
        if (copied, &copied_digest) != (*count, digest) {
            return Err(StoreError::Backend(format!(
                "the copy of {table} does not match: {count} records copied, {copied} read back (digests {digest} and {copied_digest}); the database holds a partial copy: drop it and run the migration again"
            )));
        }
    }
    let checked = crate::Store::verify_integrity(to)?;
    Ok(MigrationReport { tables, checked })
}
