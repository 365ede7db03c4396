//! The pages' static files, compiled into the binary: no request leaves the server and
//! nothing is fetched from elsewhere (the Content-Security-Policy allows only `'self'`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::i18n::{self, Lang};

/// The stylesheet of every page.
pub const APP_CSS: &str = include_str!("assets/app.css");
/// The officer page's script: camera scanning, the officer token, exit/return buttons.
pub const VERIFY_JS: &str = include_str!("assets/verify.js");
/// The ministry console (a script over the JSON API).
pub const CONSOLE_JS: &str = include_str!("assets/console.js");
/// The icon.
pub const ICON_SVG: &str = include_str!("assets/icon.svg");

/// The example applications of schemas/examples, offered by the console as templates.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("ch-watch-collection", include_str!("../../../../schemas/examples/ch-watch-collection.json")),
    ("de-manuscript", include_str!("../../../../schemas/examples/de-manuscript.json")),
    ("fr-painting-to-us", include_str!("../../../../schemas/examples/fr-painting-to-us.json")),
    ("fr-violin-bow-cites-jp", include_str!("../../../../schemas/examples/fr-violin-bow-cites-jp.json")),
    ("gb-sculpture", include_str!("../../../../schemas/examples/gb-sculpture.json")),
    ("it-archaeology-temporary-ch", include_str!("../../../../schemas/examples/it-archaeology-temporary-ch.json")),
    ("us-photograph-archive", include_str!("../../../../schemas/examples/us-photograph-archive.json")),
];

/// A file of the web pages by its path under `/assets/`, with its media type.
pub fn lookup(path: &str) -> Option<(&'static str, String)> {
    let text = |body: &str| {
        // For whoever edits the scripts and styles: `CARTOUCHE_DEV_ASSETS=DIR` serves
        // app.css, verify.js and console.js from DIR on every request (no rebuild).
        if let Some(dir) = std::env::var_os("CARTOUCHE_DEV_ASSETS") {
            if matches!(path, "app.css" | "verify.js" | "console.js") {
                if let Ok(fresh) = std::fs::read_to_string(std::path::Path::new(&dir).join(path)) {
                    return fresh;
                }
            }
        }
        body.to_owned()
    };
    Some(match path {
        "app.css" => ("text/css; charset=utf-8", text(APP_CSS)),
        "verify.js" => ("text/javascript; charset=utf-8", text(VERIFY_JS)),
        "console.js" => ("text/javascript; charset=utf-8", text(CONSOLE_JS)),
        "icon.svg" => ("image/svg+xml", text(ICON_SVG)),
        "application.schema.json" => ("application/json", text(cartouche_model::validate::sources::APPLICATION)),
        "examples/index.json" => (
            "application/json",
            serde_json::to_string(&EXAMPLES.iter().map(|(name, _)| *name).collect::<Vec<_>>()).unwrap_or_default(),
        ),
        _ => {
            if let Some(lang) = path.strip_prefix("i18n/").and_then(|rest| rest.strip_suffix(".json")) {
                let lang = Lang::ALL.into_iter().find(|candidate| candidate.code() == lang)?;
                return Some(("application/json", i18n::json_for(lang)));
            }
            let name = path.strip_prefix("examples/")?.strip_suffix(".json")?;
            let (_, body) = EXAMPLES.iter().find(|(candidate, _)| *candidate == name)?;
            ("application/json", text(body))
        }
    })
}

/// `GET /assets/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    let Some((content_type, body)) = lookup(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Short: a deployment's new assets reach browsers within minutes, without
    // fingerprinted names.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
