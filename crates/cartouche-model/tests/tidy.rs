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
