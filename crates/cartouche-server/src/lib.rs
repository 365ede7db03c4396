//! The HTTP face of Cartouche: the axum router, extractors that turn requests into the
//! core's inputs, the mapping of core errors to HTTP statuses, the OpenAPI document,
//! metrics, the per-address rate limit of the verification routes and the web pages.
//!
//! This is the only crate that knows HTTP. Every use-case is a call into
//! [`cartouche_core::Core`], run on a blocking thread (storage, rules and image decoding
//! block); handlers extract, call, and serialize the typed view the core returns.

pub mod auth;
mod certificates;
mod document;
pub mod error;
mod extract;
mod federation;
mod keys;
mod listen;
mod log;
pub mod openapi;
mod ops;
mod photos;
mod plugins;
mod verify;
mod watch;
pub mod web;

use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cartouche_core::{Core, CoreError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::{ApiError, code_for_status, error_body};

/// Largest request body on any route (an application with 100 objects is about 400 KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Largest JSON body of a verification request (a QR payload is under 3 KiB).
pub const MAX_VERIFY_BODY_BYTES: usize = 16 * 1024;

/// Largest multipart body of a verification request: the image plus the form's overhead.
pub const MAX_VERIFY_UPLOAD_BYTES: usize = cartouche_seal::scan::MAX_IMAGE_BYTES + 64 * 1024;

/// Photos decoded (and documents rendered) at once; more wait: it is CPU-bound.
const IMAGE_DECODERS: usize = 2;

/// Default verification requests per minute per client address. A border post behind
/// one address scanning continuously stays far below it; a scraper does not.
pub const DEFAULT_VERIFY_RATE_PER_MINUTE: u32 = 600;

type VerifyLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// Settings of the HTTP face (the use-cases have theirs in [`cartouche_core::CoreConfig`]).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Verification requests allowed per minute and client address (`None`: unlimited).
    pub verify_rate_per_minute: Option<std::num::NonZeroU32>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { verify_rate_per_minute: std::num::NonZeroU32::new(DEFAULT_VERIFY_RATE_PER_MINUTE) }
    }
}

struct Inner {
    core: Arc<Core>,
    metrics: PrometheusHandle,
    verify_limiter: Option<VerifyLimiter>,
    image_permits: tokio::sync::Semaphore,
    verification_permits: tokio::sync::Semaphore,
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// The face over `core`.
    pub fn new(core: Arc<Core>, options: ServerOptions) -> Self {
        let verify_limiter = options.verify_rate_per_minute.map(|per_minute| {
            let burst = std::num::NonZeroU32::new((per_minute.get() / 10).max(1)).unwrap_or(per_minute);
            governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute).allow_burst(burst))
        });
        Self(Arc::new(Inner {
            core,
            metrics: metrics_handle(),
            verify_limiter,
            image_permits: tokio::sync::Semaphore::new(IMAGE_DECODERS),
            verification_permits: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4),
            ),
        }))
    }

    /// The use-cases.
    pub fn core(&self) -> &Arc<Core> {
        &self.0.core
    }

    /// Runs a use-case on a blocking thread.
    pub async fn run<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T, CoreError> + Send + 'static,
    {
        let core = Arc::clone(&self.0.core);
        match tokio::task::spawn_blocking(move || call(&core)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(join_error) => Err(ApiError::internal(format!("core task failed: {join_error}"))),
        }
    }

    /// As [`AppState::run`], for a verification: at most two per core run at once, the
    /// others wait their turn here. Verification is CPU work; without the bound, every
    /// request in flight got its own blocking thread and they took turns on the cores
    /// (BENCHMARKS.md: 1.2x the warm verification rate and a lower p99 with the bound).
    pub async fn run_verification<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T, CoreError> + Send + 'static,
    {
        // The semaphore is never closed: acquiring fails only if it were.
        let _permit = self.0.verification_permits.acquire().await;
        self.run(call).await
    }

    /// As [`AppState::run`], after waiting (up to 10 s) for a turn to decode a photo or
    /// render a document.
    pub async fn run_image<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Core) -> Result<T, CoreError> + Send + 'static,
    {
        let _permit = match tokio::time::timeout(StdDuration::from_secs(10), self.0.image_permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "too many photos are being decoded; retry in a few seconds",
                ));
            }
        };
        self.run(call).await
    }
}

fn metrics_handle() -> PrometheusHandle {
    // The recorder is process-global: install it once, share its handle.
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; metrics then go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Serves `router` on `listener` until `shutdown` completes (with each connection's
/// address available to the rate limit).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve_with_limits(listener, router, shutdown, ConnectionLimits::default()).await
}

pub use listen::{ConnectionLimits, DEFAULT_CONNECTIONS, DEFAULT_CONNECTIONS_PER_ADDRESS, serve_with_limits};

/// The key of a client address in the rate limit: an IPv4 address as it is (and an
/// IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address by its /64, since one
/// subscriber usually holds a whole /64.
pub fn rate_limit_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The method as a metrics label: the methods the API knows, anything else `other`, so
/// that invented methods cannot grow the metrics.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/certificates", post(certificates::issue).get(certificates::list))
        .route("/api/v1/certificates/{number}", get(certificates::get_one))
        .route("/api/v1/certificates/{number}/qr.png", get(certificates::qr_png))
        .route("/api/v1/certificates/{number}/qr.svg", get(certificates::qr_svg))
        .route("/api/v1/certificates/{number}/document.pdf", get(document::document_pdf))
        .route("/api/v1/certificates/{number}/revoke", post(certificates::revoke))
        .route("/api/v1/certificates/{number}/suspend", post(certificates::suspend))
        .route("/api/v1/certificates/{number}/reinstate", post(certificates::reinstate))
        .route("/api/v1/certificates/{number}/events", post(certificates::record_event))
        .route("/api/v1/certificates/{number}/proof", get(log::proof))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/vkey", get(log::vkey))
        .route("/log/tile/{*path}", get(log::tile))
        .route("/witness/vkey", get(log::witness_vkey))
        .route("/api/v1/photos/{sha256}", get(photos::photo))
        .route("/api/v1/photos/{sha256}/thumbnail", get(photos::thumbnail))
        .route("/api/v1/trust-list", get(keys::trust_list))
        .route("/.well-known/jwks.json", get(keys::jwks))
        .route("/.well-known/cartouche-registry.json", get(federation::description))
        .route("/api/v1/status-list", get(federation::status_list))
        .route("/api/v1/bundle", get(federation::bundle))
        .route("/api/v1/plugins/{id}/{version}/component.wasm", get(federation::component))
        .route("/api/v1/plugins/{id}/{version}/publication.json", get(federation::publication))
        .route("/api/v1/countries/{country}/keys", post(keys::rotate))
        .route("/api/v1/keys", get(keys::list).post(keys::import))
        .route("/api/v1/keys/{kid}/retire", post(keys::retire))
        .route("/api/v1/tokens", post(keys::create_token))
        .route("/api/v1/audit", get(ops::audit))
        .route("/api/v1/openapi.json", get(ops::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Refuses a declared Content-Length over the limit before reading any of it.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let verification = Router::new()
        .route("/api/v1/verify", post(verify::verify))
        .route("/v/{token}", get(verify::verify_link))
        .route("/verify", get(web::verify_page).post(web::verify_form_post))
        .route("/api/v1/scan", post(web::scan))
        .layer(DefaultBodyLimit::max(MAX_VERIFY_UPLOAD_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_VERIFY_UPLOAD_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit_verification));
    let plugin_routes = Router::new()
        .route("/api/v1/plugins", post(plugins::publish).get(plugins::list))
        .layer(DefaultBodyLimit::max(cartouche_core::plugins::MAX_PUBLISH_BYTES))
        .layer(RequestBodyLimitLayer::new(cartouche_core::plugins::MAX_PUBLISH_BYTES));
    let witness = Router::new()
        .route("/witness/add-checkpoint", post(log::add_checkpoint))
        .layer(DefaultBodyLimit::max(cartouche_core::log::MAX_WITNESS_REQUEST_BYTES))
        .layer(RequestBodyLimitLayer::new(cartouche_core::log::MAX_WITNESS_REQUEST_BYTES));
    let nodes = Router::new()
        .route("/api/v1/federation/events", post(federation::forwarded_event))
        .route("/api/v1/federation/certificate", post(federation::certificate_for_peer))
        .layer(DefaultBodyLimit::max(federation::MAX_NODE_DOCUMENT_BYTES))
        .layer(RequestBodyLimitLayer::new(federation::MAX_NODE_DOCUMENT_BYTES));
    let watch_lists = Router::new()
        .route("/api/v1/watch-lists", post(watch::load).get(watch::list))
        .route("/api/v1/watch-lists/{name}", get(watch::one))
        .layer(DefaultBodyLimit::max(watch::MAX_WATCH_LIST_BYTES))
        .layer(RequestBodyLimitLayer::new(watch::MAX_WATCH_LIST_BYTES));
    let uploads = Router::new()
        .route("/api/v1/photos", post(photos::upload))
        .layer(DefaultBodyLimit::max(cartouche_image::MAX_PHOTO_BYTES))
        .layer(RequestBodyLimitLayer::new(cartouche_image::MAX_PHOTO_BYTES));
    harden(
        api.merge(verification)
            .merge(uploads)
            .merge(plugin_routes)
            .merge(witness)
            .merge(nodes)
            .merge(watch_lists)
            .merge(web::routes()),
    )
    .with_state(state)
}

/// The layers every route runs under: JSON errors for bare statuses (404 fallback, 405,
/// 413, 408), security headers and metrics, a 30 s timeout, and panics turned into a
/// 500 that leaks nothing.
pub fn harden(router: Router<AppState>) -> Router<AppState> {
    router
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn(json_errors_and_metrics))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, StdDuration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| {
            // The payload may hold request data: log that a panic happened, not its text.
            tracing::error!("a handler panicked; answered 500");
            let body = error_body("internal", "an internal error occurred; it has been logged", None);
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }))
}

/// Refuses a client address that exceeds the verification rate with 429 and
/// `Retry-After`. The address comes from the connection (`ConnectInfo`); behind a reverse
/// proxy every client shares the proxy's address, so raise the limit there.
async fn rate_limit_verification(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &state.0.verify_limiter {
        let address = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| rate_limit_key(info.0.ip()))
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        if let Err(not_until) = limiter.check_key(&address) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let seconds = wait.as_secs() + 1;
            metrics::counter!("cartouche_rate_limited_total").increment(1);
            let wants_page = !request.uri().path().starts_with("/api/")
                && request
                    .headers()
                    .get(header::ACCEPT)
                    .and_then(|value| value.to_str().ok())
                    .is_some_and(|accept| accept.contains("text/html"));
            if wants_page {
                return web::rate_limited_page(request.uri(), request.headers(), seconds);
            }
            let body = error_body(
                "rate_limited",
                &format!("too many verification requests from this address; retry in {seconds} s"),
                None,
            );
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
    }
    next.run(request).await
}

/// Gives every error produced outside a handler (routing 404/405, body limit 413,
/// timeout 408) the JSON error shape, adds security headers, and records metrics.
/// Marks an answer of a text protocol with its own error bodies (the witness's 409 body is
/// a tree size), which the JSON error layer must leave as it is.
#[derive(Clone, Copy)]
pub(crate) struct ProtocolAnswer;

async fn json_errors_and_metrics(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let mut response = next.run(request).await;
    let status = response.status();
    let is_json_or_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json") || value.starts_with("text/html"));
    let protocol_answer = response.extensions().get::<ProtocolAnswer>().is_some();
    if (status.is_client_error() || status.is_server_error()) && !is_json_or_page && !protocol_answer {
        let (code, message) = code_for_status(status);
        let body = error_body(code, message, None);
        let mut replaced = (status, axum::Json(body)).into_response();
        for name in [header::WWW_AUTHENTICATE, header::ALLOW] {
            if let Some(value) = response.headers().get(&name) {
                replaced.headers_mut().insert(name, value.clone());
            }
        }
        response = replaced;
    }
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    let labels = [("method", method.to_owned()), ("route", route), ("status", status.as_u16().to_string())];
    metrics::counter!("cartouche_http_requests_total", &labels).increment(1);
    metrics::histogram!("cartouche_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:fffe".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(rate_limit_key(a), rate_limit_key(b));
        assert_ne!(rate_limit_key(a), rate_limit_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(rate_limit_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(rate_limit_key(v4), v4);
    }

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"FOOBAR").unwrap()), "other");
        assert_eq!(method_label(&Method::CONNECT), "other");
    }
}
