//! The HTTP face of Cartouche: the axum router, authentication and authorization, the
//! JSON API of DESIGN.md, the OpenAPI document, metrics and the first-start bootstrap.
//!
//! This is the only crate that knows HTTP. It reaches storage only through the
//! [`cartouche_store::Store`] trait, always on a blocking thread (sled blocks), and rules
//! only through the [`RulesHook`] trait.

pub mod auth;
pub mod bootstrap;
mod certificates;
mod document;
pub mod error;
mod extract;
mod keys;
pub mod openapi;
mod ops;
mod photos;
mod plugins;
mod verify;
pub mod web;

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cartouche_model::{Algorithm, Application, Certificate, RuleEvaluation};
use cartouche_store::{Store, StoreError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use time::{Date, OffsetDateTime};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use crate::certificates::seal_record;
use crate::error::{ApiError, code_for_status, error_body};
pub use crate::keys::KeyMaterial;

/// Largest request body on any route (an application with 100 objects is about 400 KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Largest JSON body of a verification request (a QR payload is under 3 KiB).
pub const MAX_VERIFY_BODY_BYTES: usize = 16 * 1024;

/// Largest multipart body of a verification request: the image plus the form's overhead.
pub const MAX_VERIFY_UPLOAD_BYTES: usize = cartouche_seal::scan::MAX_IMAGE_BYTES + 64 * 1024;

/// Photos decoded at once; more wait (decoding a 12-megapixel photo is CPU-bound).
const IMAGE_DECODERS: usize = 2;

/// Default verification requests per minute per client address. A border post behind
/// one address scanning continuously stays far below it; a scraper does not.
pub const DEFAULT_VERIFY_RATE_PER_MINUTE: u32 = 600;

type VerifyLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

/// Country rules, run at issuance and at verification. The rule-plugin host
/// ([`cartouche_rules::Rules`]) implements it; [`NoRules`] runs nothing.
pub trait RulesHook: Send + Sync + 'static {
    /// The issuing country's export rules on an application about to be issued.
    fn issuance(&self, application: &Application, today: Date) -> Vec<RuleEvaluation>;
    /// The exit-check rules on an issued certificate, at a checkpoint.
    fn exit_check(
        &self,
        certificate: &Certificate,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation>;
    /// The destination's import rules on an issued certificate.
    fn import_check(
        &self,
        _certificate: &Certificate,
        _today: Date,
        _checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        Vec::new()
    }
    /// The plugin service, when rules come from published plugins (for the plugin routes).
    fn plugins(&self) -> Option<&cartouche_rules::Rules> {
        None
    }
}

fn rule_subject(certificate: &Certificate) -> cartouche_model::plugin::RuleSubject {
    cartouche_model::plugin::RuleSubject {
        number: Some(certificate.number.clone()),
        issue_date: certificate.issue_date,
        issued_at: Some(certificate.issued_at),
        application: certificate.application.clone(),
        rule_evaluations: certificate.rule_evaluations.clone(),
    }
}

impl RulesHook for cartouche_rules::Rules {
    fn issuance(&self, application: &Application, today: Date) -> Vec<RuleEvaluation> {
        let subject = cartouche_model::plugin::RuleSubject {
            number: None,
            issue_date: today,
            issued_at: None,
            application: application.clone(),
            rule_evaluations: Vec::new(),
        };
        let country = application.issuing_authority.country.clone();
        self.evaluate(&subject, cartouche_model::RulePhase::Issuance, &country, today, None)
    }

    fn exit_check(
        &self,
        certificate: &Certificate,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        let country = certificate.application.issuing_authority.country.clone();
        self.evaluate(
            &rule_subject(certificate),
            cartouche_model::RulePhase::ExitCheck,
            &country,
            today,
            checkpoint_country,
        )
    }

    fn import_check(
        &self,
        certificate: &Certificate,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        let country = certificate.application.destination_country.clone();
        self.evaluate(
            &rule_subject(certificate),
            cartouche_model::RulePhase::ImportCheck,
            &country,
            today,
            checkpoint_country,
        )
    }

    fn plugins(&self) -> Option<&cartouche_rules::Rules> {
        Some(self)
    }
}

/// No rules published: nothing runs, nothing is found.
pub struct NoRules;

impl RulesHook for NoRules {
    fn issuance(&self, _: &Application, _: Date) -> Vec<RuleEvaluation> {
        Vec::new()
    }
    fn exit_check(&self, _: &Certificate, _: Date, _: Option<&str>) -> Vec<RuleEvaluation> {
        Vec::new()
    }
}

/// A source of the current time (a fixed or shifted clock in tests).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Server settings.
#[derive(Clone)]
pub struct ServerConfig {
    /// Base URL the QR codes point at (`https://cartouche.example.org`).
    pub public_url: String,
    /// Algorithm of keys generated by rotation when none is asked for.
    pub default_alg: Algorithm,
    /// How long a key verifies what it signed.
    pub key_lifetime: time::Duration,
    /// The clock.
    pub clock: Clock,
    /// Verification requests allowed per minute and client address (`None`: unlimited).
    pub verify_rate_per_minute: Option<std::num::NonZeroU32>,
}

impl ServerConfig {
    /// Defaults for `public_url`, with the system clock.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            default_alg: Algorithm::EdDSA,
            key_lifetime: time::Duration::days(10 * 365),
            clock: Arc::new(OffsetDateTime::now_utc),
            verify_rate_per_minute: std::num::NonZeroU32::new(DEFAULT_VERIFY_RATE_PER_MINUTE),
        }
    }
}

struct Inner {
    store: Arc<dyn Store>,
    config: ServerConfig,
    keys: RwLock<Arc<KeyMaterial>>,
    rules: Arc<dyn RulesHook>,
    metrics: PrometheusHandle,
    verify_limiter: Option<VerifyLimiter>,
    image_permits: tokio::sync::Semaphore,
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// Builds the state, loading and validating every key in the store.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig, rules: Arc<dyn RulesHook>) -> Result<Self, StoreError> {
        let now = (config.clock)();
        let keys = KeyMaterial::load(&*store, now)?;
        let verify_limiter = config.verify_rate_per_minute.map(|per_minute| {
            let burst = std::num::NonZeroU32::new((per_minute.get() / 10).max(1)).unwrap_or(per_minute);
            governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute).allow_burst(burst))
        });
        Ok(Self(Arc::new(Inner {
            store,
            config,
            keys: RwLock::new(Arc::new(keys)),
            rules,
            metrics: metrics_handle(),
            verify_limiter,
            image_permits: tokio::sync::Semaphore::new(IMAGE_DECODERS),
        })))
    }

    /// Now, truncated to the second.
    pub fn now(&self) -> OffsetDateTime {
        let now = (self.0.config.clock)();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The current keys.
    pub fn keys(&self) -> Arc<KeyMaterial> {
        Arc::clone(&self.0.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Reloads the keys from the store (after a rotation).
    pub async fn reload_keys(&self) -> Result<(), ApiError> {
        let now = self.now();
        let material = self.run_store(move |store| KeyMaterial::load(store, now)).await?;
        *self.0.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(material);
        Ok(())
    }

    /// Waits (up to 10 s) for a turn to decode a photo.
    pub async fn image_permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(StdDuration::from_secs(10), self.0.image_permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many photos are being decoded; retry in a few seconds",
            )),
        }
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.0.store)
    }

    /// The rules.
    pub fn rules(&self) -> Arc<dyn RulesHook> {
        Arc::clone(&self.0.rules)
    }

    /// Runs a store call on a blocking thread.
    pub async fn run_store<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.0.store);
        match tokio::task::spawn_blocking(move || call(&*store)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(join_error) => Err(ApiError::internal(format!("store task failed: {join_error}"))),
        }
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
        .route("/api/v1/photos/{sha256}", get(photos::photo))
        .route("/api/v1/photos/{sha256}/thumbnail", get(photos::thumbnail))
        .route("/api/v1/trust-list", get(keys::trust_list))
        .route("/.well-known/jwks.json", get(keys::jwks))
        .route("/api/v1/countries/{country}/keys", post(keys::rotate))
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
        .layer(DefaultBodyLimit::max(plugins::MAX_PUBLISH_BYTES))
        .layer(RequestBodyLimitLayer::new(plugins::MAX_PUBLISH_BYTES));
    let uploads = Router::new()
        .route("/api/v1/photos", post(photos::upload))
        .layer(DefaultBodyLimit::max(cartouche_image::MAX_PHOTO_BYTES))
        .layer(RequestBodyLimitLayer::new(cartouche_image::MAX_PHOTO_BYTES));
    harden(api.merge(verification).merge(uploads).merge(plugin_routes).merge(web::routes())).with_state(state)
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
            .map(|info| info.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
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
async fn json_errors_and_metrics(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
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
    if (status.is_client_error() || status.is_server_error()) && !is_json_or_page {
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
    let labels = [("method", method), ("route", route), ("status", status.as_u16().to_string())];
    metrics::counter!("cartouche_http_requests_total", &labels).increment(1);
    metrics::histogram!("cartouche_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}
