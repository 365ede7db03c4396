//! The web pages, served by the same binary as the API: the officer's `/verify` and the
//! verdict screen of `/v/{token}`, the public status page `/c/{number}`, and the
//! ministry's `/console`.
//!
//! Pages are rendered on the server (maud, every value escaped) so that verification
//! works without JavaScript; scripts only add the camera, the officer's buttons and the
//! console, and call the same JSON API as every other client. Every text comes from one
//! translation table ([`i18n`]). Every page carries a strict Content-Security-Policy:
//! scripts, styles, images and fetches from this server only, no inline script or style.

pub mod assets;
pub mod i18n;
mod pages;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub(crate) use pages::{rate_limited_page, scan, verdict_page, verify_form_post, verify_page};

use crate::AppState;
use i18n::Lang;

/// The policy of every page. `blob:` images are the console's QR code and photo
/// previews, fetched with the caller's token; `mediastream:` is the camera.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob:; media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The pages that need no rate limit or upload allowance (the verification pages are
/// routed with the verification routes, under their limits).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/c/{number}", get(pages::status_page))
        .route("/console", get(pages::console))
        .route("/assets/{*path}", get(assets::asset))
}

/// The language of a request: `?lang=`, else the browser's `Accept-Language`, else English.
pub(crate) fn language(query: &BTreeMap<String, String>, headers: &HeaderMap) -> Lang {
    query
        .get("lang")
        .and_then(|lang| Lang::from_tag(lang))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::En)
}

/// The query of a page, whatever it holds (unknown parameters are ignored).
pub(crate) type PageQuery = Query<BTreeMap<String, String>>;

/// An HTML response with the page headers.
pub(crate) fn html(status: axum::http::StatusCode, markup: maud::Markup) -> Response {
    let mut response = (status, axum::response::Html(markup.into_string())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // The camera for this origin's pages only; nothing else.
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
    response
}
