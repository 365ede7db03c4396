//! The OpenAPI document is a faithful contract: every `$ref` in the served document
//! resolves inside it, every operation it lists is routed (not the router's 404 fallback
//! nor a 405), and every API route registered in the server's sources is in it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cartouche_core::{Core, CoreConfig, NoRules};
use cartouche_server::error::code_for_status;
use cartouche_server::{AppState, ServerOptions, app};
use cartouche_store::SledStore;
use serde_json::Value;
use tower::ServiceExt;

/// Path prefixes of the API: routes under them must be in the document. The web pages
/// (`/`, `/c/...`, `/console`, `/verify`, `/assets/...`) are not part of the API.
const API_PREFIXES: [&str; 5] = ["/api/", "/v/", "/.well-known/", "/healthz", "/metrics"];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn router() -> (axum::Router, tempfile::TempDir) {
    cartouche_seal::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let core = Core::new(store, CoreConfig::new("https://cartouche.test"), Arc::new(NoRules)).unwrap();
    let state = AppState::new(Arc::new(core), ServerOptions::default());
    (app(state), dir)
}

async fn send(router: &axum::Router, method: &str, uri: &str) -> (StatusCode, String) {
    let request = Request::builder().method(method.to_ascii_uppercase().as_str()).uri(uri).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn served_document(router: &axum::Router) -> Value {
    let (status, body) = send(router, "get", "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_str(&body).unwrap()
}

/// The operations of the document: (method, path template).
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|key| METHODS.contains(&key.as_str())) {
            out.push((method.clone(), path.clone()));
        }
    }
    out
}

/// A valid value for each path parameter of the document.
fn fill(template: &str) -> String {
    template
        .replace("{number}", "FR-2026-000001")
        .replace("{sha256}", &"ab".repeat(32))
        .replace("{country}", "FR")
        .replace("{token}", "aGVhZGVy.cGF5bG9hZA.c2ln")
        .replace("{path}", "0/000.p/1")
        .replace("{kid}", "AAAAAAAAAAA")
        .replace("{id}", "eu-export")
        .replace("{version}", "1.0.0")
        .replace("{name}", "ITALY-TPC")
}

#[tokio::test]
async fn every_operation_of_the_document_is_routed() {
    let (router, _dir) = router().await;
    let document = served_document(&router).await;
    let operations = operations(&document);
    assert!(operations.len() >= 25, "{operations:?}");
    let fallback = code_for_status(StatusCode::NOT_FOUND).1;
    for (method, template) in operations {
        let uri = fill(&template);
        assert!(!uri.contains('{'), "{template} has a path parameter this test does not know");
        let (status, body) = send(&router, &method, &uri).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}: {body}");
        assert!(
            !(status == StatusCode::NOT_FOUND && body.contains(fallback)),
            "{method} {uri} fell through to the router's fallback: {body}"
        );
    }
}

#[tokio::test]
async fn an_unknown_route_is_told_apart_from_a_routed_one() {
    // The test above relies on the fallback's message: check that it is recognisable.
    let (router, _dir) = router().await;
    let (status, body) = send(&router, "get", "/api/v1/no-such-route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains(code_for_status(StatusCode::NOT_FOUND).1), "{body}");
    let (status, _) = send(&router, "delete", "/api/v1/trust-list").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The arguments of the call whose `(` is at `open`, up to the matching `)`.
fn call_arguments(text: &str, open: usize) -> &str {
    let mut depth = 0usize;
    for (offset, byte) in text.as_bytes()[open..].iter().enumerate() {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + offset];
                }
            }
            _ => {}
        }
    }
    &text[open + 1..]
}

/// Every `.route("path", get(..).post(..))` in the server crate's sources: (method, path).
fn registered_routes() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut routes = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices(".route(") {
            let arguments = call_arguments(&text, at + ".route".len());
            let Some(rest) = arguments.trim_start().strip_prefix('"') else { continue };
            let Some((path, handlers)) = rest.split_once('"') else { continue };
            let mut methods = Vec::new();
            for method in METHODS {
                for (position, _) in handlers.match_indices(&format!("{method}(")) {
                    let before = handlers[..position].chars().next_back();
                    if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) || before == Some('.') {
                        methods.push(method.to_owned());
                    }
                }
            }
            assert!(!methods.is_empty(), "{}: no method found in .route(\"{path}\", {handlers})", file.display());
            for method in methods {
                routes.push((method, path.to_owned()));
            }
        }
    }
    routes.sort();
    routes.dedup();
    routes
}

#[tokio::test]
async fn every_api_route_in_the_sources_is_in_the_document() {
    let routes = registered_routes();
    assert!(routes.iter().any(|(m, p)| m == "post" && p == "/api/v1/certificates"), "parser found {routes:?}");
    let (router, _dir) = router().await;
    let documented = operations(&served_document(&router).await);
    let mut missing = Vec::new();
    for (method, path) in &routes {
        if !API_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            continue;
        }
        if !documented.iter().any(|(m, p)| m == method && p == path) {
            missing.push(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    assert!(missing.is_empty(), "routes missing from the OpenAPI document: {missing:?}");
}

/// Resolves a local reference (`#/a/b~1c`) in `document`.
fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(reference) if key == "$ref" => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_resolves_inside_the_document() {
    let (router, _dir) = router().await;
    let document = served_document(&router).await;
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(refs.len() > 50, "{refs:?}");
    let broken: Vec<&String> = refs.iter().filter(|r| resolve(&document, r).is_none_or(|t| !t.is_object())).collect();
    assert!(broken.is_empty(), "references that do not resolve: {broken:?}");
    // No component keeps an `$id`: references inside it would resolve against it.
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        assert!(schema.get("$id").is_none() && schema.get("$defs").is_none(), "{name} keeps $id or $defs");
    }
    for name in ["Application", "Certificate", "Verdict", "TrustList", "Error", "Application_country"] {
        assert!(document["components"]["schemas"][name].is_object(), "{name} missing");
    }
}
