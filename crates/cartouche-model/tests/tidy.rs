//! Repository rules that run as a test, so they are never forgotten (rust-analyzer's
//! `tidy.rs`): every Rust file starts with a `//!` paragraph saying what it is for, no test
//! is disabled or expected to panic, and nothing names a machine path.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_is_documented_and_no_test_is_disabled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "tests", "plugins"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let banned = [
        concat!("#[", "ignore"),
        concat!("#[", "should_panic"),
        concat!("```", "ignore"),
        concat!("/wo", "rk/"),
        concat!("/t", "mp/"),
    ];
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if !text.starts_with("//!") {
            problems.push(format!("{}: does not start with a //! doc paragraph", file.display()));
        }
        for word in banned {
            if text.contains(word) {
                problems.push(format!("{}: contains {word:?}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The only files allowed to turn off `unsafe_code = "deny"`: the generated component
/// bindings of the SDK and its export macro, and the host's loading of its own compiled
/// plugins (`Component::deserialize`). Anything else needs a review and a line here.
const UNSAFE_ALLOWED: [&str; 2] = ["crates/cartouche-rules-sdk/src/lib.rs", "crates/cartouche-rules/src/engine.rs"];

#[test]
fn unsafe_code_is_allowed_only_where_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "tests", "plugins"] {
        rust_files(&root.join(dir), &mut files);
    }
    let marker = concat!("allow(", "unsafe_code");
    let mut allowed_seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if text.contains(marker) {
            assert!(UNSAFE_ALLOWED.contains(&relative.as_str()), "{relative} allows unsafe code; see UNSAFE_ALLOWED");
            allowed_seen += 1;
        }
    }
    assert_eq!(allowed_seen, UNSAFE_ALLOWED.len(), "a listed file no longer needs unsafe: remove it from the list");
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(workspace.contains("unsafe_code = \"deny\""), "the workspace denies unsafe code");
}

/// The `[dependencies]` of a manifest (not dev- or build-dependencies): each name.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or("").trim().trim_matches('"');
            names.push(name.to_owned());
        }
    }
    names
}

/// The layers, as Cargo manifests state them: each workspace crate and the crates it may
/// depend on among the workspace's, and the few outside crates that belong to one layer
/// only (HTTP in the server, sled and PostgreSQL in the store, wasmtime in the rules host, printpdf in
/// the printable document). ARCHITECTURE.md draws the same arrows.
#[test]
fn dependency_arrows_are_the_allowed_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut manifests = vec![("cartouche".to_owned(), root.join("Cargo.toml"))];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let path = entry.unwrap().path();
        if path.join("Cargo.toml").is_file() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            manifests.push((name, path.join("Cargo.toml")));
        }
    }
    // Workspace crates each crate may use. Anything not listed may use none.
    let allowed: &[(&str, &[&str])] = &[
        ("cartouche-model", &[]),
        ("cartouche-image", &["cartouche-model"]),
        ("cartouche-seal", &["cartouche-model", "cartouche-image"]),
        ("cartouche-document", &["cartouche-model", "cartouche-i18n"]),
        ("cartouche-i18n", &[]),
        ("cartouche-log", &["cartouche-model"]),
        ("cartouche-hsm", &[]),
        ("cartouche-store", &["cartouche-model", "cartouche-log"]),
        ("cartouche-rules-sdk", &["cartouche-model"]),
        ("cartouche-rules", &["cartouche-model"]),
        ("cartouche-plugins", &[]),
        (
            "cartouche-core",
            &[
                "cartouche-model",
                "cartouche-seal",
                "cartouche-store",
                "cartouche-image",
                "cartouche-rules",
                "cartouche-log",
                "cartouche-hsm",
            ],
        ),
        (
            "cartouche-server",
            &[
                "cartouche-core",
                "cartouche-model",
                "cartouche-seal",
                "cartouche-image",
                "cartouche-document",
                "cartouche-i18n",
            ],
        ),
        (
            "cartouche",
            &[
                "cartouche-core",
                "cartouche-server",
                "cartouche-model",
                "cartouche-seal",
                "cartouche-store",
                "cartouche-rules",
                "cartouche-plugins",
                "cartouche-log",
                "cartouche-hsm",
            ],
        ),
    ];
    // Outside crates that only one layer may use.
    let owned: &[(&str, &[&str])] = &[
        ("axum", &["cartouche-server"]),
        ("tower", &["cartouche-server"]),
        ("tower-http", &["cartouche-server"]),
        ("maud", &["cartouche-server"]),
        ("utoipa", &["cartouche-server"]),
        ("governor", &["cartouche-server"]),
        ("metrics-exporter-prometheus", &["cartouche-server"]),
        ("sled", &["cartouche-store"]),
        ("postgres", &["cartouche-store"]),
        ("r2d2_postgres", &["cartouche-store"]),
        ("refinery", &["cartouche-store"]),
        ("wasmtime", &["cartouche-rules"]),
        ("printpdf", &["cartouche-document"]),
        ("cryptoki", &["cartouche-hsm"]),
        ("chacha20poly1305", &["cartouche-seal"]),
    ];
    let mut problems = Vec::new();
    for (name, path) in &manifests {
        let text = std::fs::read_to_string(path).unwrap();
        for dependency in dependencies(&text) {
            if dependency.starts_with("cartouche") {
                let may = allowed.iter().find(|(crate_name, _)| crate_name == name).map(|(_, may)| *may);
                match may {
                    Some(may) if may.contains(&dependency.as_str()) => {}
                    Some(_) => problems.push(format!("{name} depends on {dependency}, which is not one of its layers")),
                    None => problems.push(format!("{name} is not in the layer list of tidy.rs")),
                }
            }
            if let Some((_, owners)) = owned.iter().find(|(outside, _)| *outside == dependency) {
                if !owners.contains(&name.as_str()) {
                    problems.push(format!("{name} depends on {dependency}, which belongs to {}", owners.join(" / ")));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The modules of each crate (the top-level modules under `src/`, a folder counting as
/// one) reference one another without a cycle: `a` uses `crate::b` and `b` uses
/// `crate::a` is a cycle (the pages and the verification API once were). The crate root
/// (`lib.rs`, `main.rs`), which declares and re-exports them, is not a node.
#[test]
fn no_cycle_between_the_modules_of_a_crate() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources: Vec<PathBuf> = vec![root.join("crates/cartouche")];
    for dir in ["crates", "plugins"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path().join("src");
            if path.is_dir() {
                sources.push(path);
            }
        }
    }
    let mut problems = Vec::new();
    for source in sources {
        let mut files = Vec::new();
        rust_files(&source, &mut files);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut modules = BTreeSet::new();
        for file in &files {
            let relative = file.strip_prefix(&source).unwrap();
            let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
            let module = first.trim_end_matches(".rs").to_owned();
            if relative.components().count() == 1 && matches!(module.as_str(), "lib" | "main") {
                continue;
            }
            modules.insert(module.clone());
            let text = std::fs::read_to_string(file).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find("crate::") {
                let after = &rest[at + 7..];
                let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name != module {
                    edges.entry(module.clone()).or_default().insert(name);
                }
                rest = after;
            }
        }
        // Keep only edges between modules of this crate, then look for a cycle.
        for targets in edges.values_mut() {
            targets.retain(|target| modules.contains(target));
        }
        fn visit(
            node: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|n| n == node) {
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_owned());
            for next in edges.get(node).into_iter().flatten() {
                if let Some(cycle) = visit(next, edges, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            done.insert(node.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        for module in &modules {
            if let Some(cycle) = visit(module, &edges, &mut Vec::new(), &mut done) {
                let crate_dir = source.strip_prefix(&root).unwrap_or(&source).display().to_string();
                problems.push(format!("{crate_dir}: {}", cycle.join(" -> ")));
                break;
            }
        }
    }
    assert!(problems.is_empty(), "module cycles:\n{}", problems.join("\n"));
}
