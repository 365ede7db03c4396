//! `cartouche watch-list load|list|show`: watch lists of stolen and missing objects from
//! JSON or CSV files, their photos uploaded first, then the list posted as its next
//! version.
//!
//! JSON: `{"name", "source", "as_of", "entries": [{"reference", "description", "title"?,
//! "maker"?, "object_type"?: [..], "materials_techniques"?: [..], "dating"?,
//! "inscriptions"?, "photos"?: ["photo-file.jpg" or a SHA-256 already uploaded]}]}`;
//! `--name`, `--source` and `--as-of` override the file's.
//!
//! CSV: a header row naming the columns `reference`, `description` (required), `title`,
//! `maker`, `object_type`, `materials_techniques`, `dating`, `inscriptions`, `photos`
//! (lists separated by `;`); `--name`, `--source` and `--as-of` are required. Photo file
//! names are relative to the list file.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use crate::ClientArgs;

/// What `load` was told besides the file.
pub struct LoadArgs {
    /// The list file (.json or .csv).
    pub file: PathBuf,
    /// The list's name.
    pub name: Option<String>,
    /// Its source.
    pub source: Option<String>,
    /// The date it is as of.
    pub as_of: Option<String>,
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn split_list(text: &str) -> Vec<Value> {
    text.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_owned())).collect()
}

/// The entries of a CSV file, as the JSON upload's (photos still file names).
fn csv_entries(path: &Path) -> anyhow::Result<Vec<Value>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader.headers()?.iter().map(|h| h.to_ascii_lowercase()).collect();
    const KNOWN: [&str; 9] = [
        "reference",
        "description",
        "title",
        "maker",
        "object_type",
        "materials_techniques",
        "dating",
        "inscriptions",
        "photos",
    ];
    if let Some(unknown) = headers.iter().find(|h| !KNOWN.contains(&h.as_str())) {
        bail!("{}: unknown column {unknown:?}; the columns are {}", path.display(), KNOWN.join(", "));
    }
    for required in ["reference", "description"] {
        if !headers.iter().any(|h| h == required) {
            bail!("{}: the header row has no {required:?} column", path.display());
        }
    }
    let mut entries = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {} cannot be read", path.display(), row + 2))?;
        let mut entry = serde_json::Map::new();
        for (header, value) in headers.iter().zip(record.iter()) {
            if value.is_empty() {
                continue;
            }
            let value = match header.as_str() {
                "object_type" | "materials_techniques" | "photos" => Value::Array(split_list(value)),
                _ => Value::String(value.to_owned()),
            };
            entry.insert(header.clone(), value);
        }
        entries.push(Value::Object(entry));
    }
    Ok(entries)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        _ => "image/jpeg",
    }
}

/// `cartouche watch-list load`.
pub fn load(client: &ClientArgs, args: LoadArgs) -> anyhow::Result<ExitCode> {
    let base = args.file.parent().map(Path::to_path_buf).unwrap_or_default();
    let is_csv = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut upload = if is_csv {
        json!({ "entries": csv_entries(&args.file)? })
    } else {
        let text = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
        serde_json::from_slice::<Value>(&text).with_context(|| format!("{} is not JSON", args.file.display()))?
    };
    let object = upload.as_object_mut().ok_or_else(|| anyhow!("{} must hold a JSON object", args.file.display()))?;
    for (field, value) in [("name", args.name), ("source", args.source), ("as_of", args.as_of)] {
        if let Some(value) = value {
            object.insert(field.to_owned(), Value::String(value));
        }
        if !object.contains_key(field) {
            bail!("the list has no {field}: give --{}", field.replace('_', "-"));
        }
    }
    // Each photo file uploaded once, replaced by its SHA-256.
    let mut uploaded: HashMap<PathBuf, String> = HashMap::new();
    let mut count = 0usize;
    for entry in object.get_mut("entries").and_then(Value::as_array_mut).into_iter().flatten() {
        let reference = entry["reference"].as_str().unwrap_or("?").to_owned();
        let Some(photos) = entry.get_mut("photos").and_then(Value::as_array_mut) else { continue };
        for photo in photos.iter_mut() {
            let Some(name) = photo.as_str() else { continue };
            let path = base.join(name);
            if is_sha256(name) && !path.exists() {
                continue;
            }
            let sha = match uploaded.get(&path) {
                Some(sha) => sha.clone(),
                None => {
                    let bytes = std::fs::read(&path)
                        .with_context(|| format!("entry {reference}: cannot read photo {}", path.display()))?;
                    let answer = crate::client::post_bytes(client, "/api/v1/photos", &bytes, content_type(&path))
                        .with_context(|| format!("entry {reference}: uploading {}", path.display()))?;
                    let sha =
                        answer["sha256"].as_str().ok_or_else(|| anyhow!("the server named no sha256"))?.to_owned();
                    count += 1;
                    uploaded.insert(path, sha.clone());
                    sha
                }
            };
            *photo = Value::String(sha);
        }
    }
    let answer = crate::client::post_json(client, "/api/v1/watch-lists", &upload)?;
    println!(
        "Loaded {} version {}: {} entries, {} photos ({count} uploaded), as of {}",
        answer["name"].as_str().unwrap_or("?"),
        answer["version"],
        answer["entries"],
        answer["photos"],
        answer["as_of"].as_str().unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}

/// `cartouche watch-list list`.
pub fn list(client: &ClientArgs) -> anyhow::Result<ExitCode> {
    let value = crate::client::get_json_auth(client, "/api/v1/watch-lists")?;
    let mut out = std::io::stdout().lock();
    for list in value["lists"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "{:<24} v{:<4} as of {}  {:>6} entries {:>6} photos  {}",
            list["name"].as_str().unwrap_or(""),
            list["version"],
            list["as_of"].as_str().unwrap_or(""),
            list["entries"],
            list["photos"],
            list["source"].as_str().unwrap_or("")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `cartouche watch-list show`.
pub fn show(client: &ClientArgs, name: &str, version: Option<u64>) -> anyhow::Result<ExitCode> {
    let path = match version {
        Some(version) => format!("/api/v1/watch-lists/{name}?version={version}"),
        None => format!("/api/v1/watch-lists/{name}"),
    };
    let value = crate::client::get_json_auth(client, &path)?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}
