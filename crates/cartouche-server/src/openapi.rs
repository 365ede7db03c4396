//! The OpenAPI 3.1 document, built with utoipa's builders from one table of routes.
//!
//! Its component schemas are the files in `schemas/` verbatim (OpenAPI 3.1 schemas are
//! JSON Schema 2020-12), so the document cannot drift from the contract the service
//! validates against. A snapshot test shows every API change in review.

use cartouche_model::validate::sources;
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, Content, InfoBuilder, OpenApiBuilder, Paths, Ref, Required};

struct Route {
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: &'static str,
    request: Option<&'static str>,
    responses: &'static [(&'static str, &'static str, Option<&'static str>)],
}

const ERRORS: (&str, &str, Option<&str>) =
    ("4XX", "Error: `{\"error\": {\"code\", \"message\", \"details\"}}` with a stable code", Some("Error"));

const ROUTES: &[Route] = &[
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates",
        id: "issue_certificate",
        tag: "certificates",
        summary: "Issue a certificate (issuer of the application's issuing country). Supports Idempotency-Key.",
        auth: "issuer",
        request: Some("Application"),
        responses: &[
            ("201", "Issued: the certificate record (certificate, token, qr_text, status, links)", None),
            ("200", "Replay of an earlier request with the same Idempotency-Key", None),
            ("400", "invalid_json, validation_failed (details.errors[].path), invalid_idempotency_key", Some("Error")),
            ("403", "country_mismatch or forbidden", Some("Error")),
            ("409", "idempotency_key_reused, no_signing_key, issuance_failed", Some("Error")),
            ("413", "payload_too_large", Some("Error")),
            (
                "422",
                "rules_refused (a rule found an error) or rules_indeterminate (a rule could not be evaluated); details.rule_evaluations",
                Some("Error"),
            ),
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates",
        id: "list_certificates",
        tag: "certificates",
        summary: "List and search certificates in number order (query: country, status, q, after, limit).",
        auth: "issuer (own country), officer, admin",
        request: None,
        responses: &[("200", "{items: [...], next_after}", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}",
        id: "get_certificate",
        tag: "certificates",
        summary: "The full record (issuer of its country, officer, admin) or, without a token, its status only.",
        auth: "optional",
        request: None,
        responses: &[("200", "The record, or {number, issuing_country, status} without a token", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/qr.png",
        id: "certificate_qr_png",
        tag: "certificates",
        summary: "The seal's QR code as PNG (query: size 100-4000 px, default 600; ec L|M|Q|H, default M), with a 4-module quiet zone.",
        auth: "issuer (own country), officer, admin",
        request: None,
        responses: &[("200", "image/png", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/qr.svg",
        id: "certificate_qr_svg",
        tag: "certificates",
        summary: "The seal's QR code as SVG (same query as qr.png).",
        auth: "issuer (own country), officer, admin",
        request: None,
        responses: &[("200", "image/svg+xml", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/document.pdf",
        id: "certificate_document_pdf",
        tag: "certificates",
        summary: "The printable certificate: A4 PDF in the order of the model form and the EU licence (boxes 1-25, labels in English and French, plus Italian or German for certificates in those languages), with the seal's QR code on page 1, the photos, and the number and page count on every page.",
        auth: "issuer (own country), officer, admin",
        request: None,
        responses: &[("200", "application/pdf (Content-Disposition: inline; filename=\"{number}.pdf\")", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/revoke",
        id: "revoke_certificate",
        tag: "certificates",
        summary: "Revoke, with a reason {\"reason\": \"...\"} (final).",
        auth: "issuer (own country), admin",
        request: None,
        responses: &[("200", "The updated record", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/suspend",
        id: "suspend_certificate",
        tag: "certificates",
        summary: "Suspend, with a reason.",
        auth: "issuer (own country), admin",
        request: None,
        responses: &[("200", "The updated record", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/reinstate",
        id: "reinstate_certificate",
        tag: "certificates",
        summary: "Lift a suspension, with a reason.",
        auth: "issuer (own country), admin",
        request: None,
        responses: &[("200", "The updated record", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/events",
        id: "record_event",
        tag: "certificates",
        summary: "Record an exit or a return: {\"kind\": \"exited\"|\"returned\", \"office\", \"declaration_ref\"?}.",
        auth: "officer",
        request: None,
        responses: &[
            ("200", "The updated record", None),
            ("409", "already_exited, already_out, not_out, certificate_revoked, ...", Some("Error")),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/verify",
        id: "verify",
        tag: "verification",
        summary: "Verify a seal: JSON {\"qr\": \"<QR text or bare token>\", \"checkpoint_country\"?, \"import_check\"?: true to also run the destination's import rules}, or multipart/form-data with a photo of the QR code in the field `image` (PNG or JPEG, at most 15 MiB). Rate-limited per client address.",
        auth: "none",
        request: None,
        responses: &[
            ("200", "The verdict", Some("Verdict")),
            ("429", "rate_limited, with Retry-After", Some("Error")),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/v/{token}",
        id: "verify_link",
        tag: "verification",
        summary: "The URL in the QR code: the officer's verdict screen for browsers (rendered on the server; ?lang=en|fr, ?checkpoint_country=, ?import_check=1), the JSON verdict with Accept: application/json.",
        auth: "none",
        request: None,
        responses: &[("200", "The verdict", Some("Verdict"))],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/scan",
        id: "scan",
        tag: "verification",
        summary: "Read the QR code in a photo or camera frame without verifying it: the body is the JPEG or PNG itself (at most 15 MiB); the answer is {\"qr\": \"<QR text>\"}. The officer page's camera sends frames here, then opens /v/{token}. Rate-limited with verification.",
        auth: "none",
        request: None,
        responses: &[
            ("200", "{qr: the text of the QR code}", None),
            ("415", "unsupported_media_type", Some("Error")),
            ("422", "no_qr_code, unsupported_image, image_unreadable, image_too_large", Some("Error")),
            ("429", "rate_limited, with Retry-After", Some("Error")),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/plugins",
        id: "publish_plugin",
        tag: "plugins",
        summary: "Publish a rule plugin: multipart/form-data with `manifest` (PluginManifest JSON), `component` (the WebAssembly component, at most 1 MiB) and `cases` (PluginCases JSON). The component may import only cartouche:rules/reference-data@1.0.0; its describe() must match the manifest; every case must pass twice with identical findings and fuel. Published versions are immutable; a version is used from its valid_from date.",
        auth: "plugin_publisher of the jurisdiction; admin for EU and INT",
        request: None,
        responses: &[
            (
                "201",
                "{plugin: {id, jurisdiction, version, phases, sha256, active_from, active_until?, status}, cases: [...]}",
                None,
            ),
            ("400", "invalid_upload", Some("Error")),
            (
                "403",
                "country_mismatch, forbidden, or plugin_id_taken (the id belongs to another jurisdiction)",
                Some("Error"),
            ),
            ("409", "version_exists", Some("Error")),
            ("413", "payload_too_large, component_too_large", Some("Error")),
            (
                "422",
                "invalid_manifest, invalid_component, forbidden_import, wrong_exports, describe_mismatch, invalid_cases, cases_failed (details.cases)",
                Some("Error"),
            ),
            (
                "503",
                "busy: the checks could not finish in time on a loaded machine (not the plugin's failure); retry",
                Some("Error"),
            ),
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/plugins",
        id: "list_plugins",
        tag: "plugins",
        summary: "Every published plugin version: id, jurisdiction, version, phases, sha256, size, descriptions, source, active_from, active_until, status (active, scheduled, superseded).",
        auth: "none",
        request: None,
        responses: &[("200", "{items: [...]}", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/photos",
        id: "upload_photo",
        tag: "photos",
        summary: "Upload an object photo: the body is the JPEG or PNG itself (at most 15 MiB). It is re-encoded without metadata (EXIF, GPS) and stored under the SHA-256 of the clean JPEG, which applications reference.",
        auth: "issuer",
        request: None,
        responses: &[
            ("201", "{sha256, media_type, width, height, url, thumbnail_url}", None),
            ("200", "Already stored (same clean bytes)", None),
            ("422", "unsupported_image, image_too_large, image_too_small, image_unreadable", Some("Error")),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/photos/{sha256}",
        id: "photo",
        tag: "photos",
        summary: "A photo by the SHA-256 of its bytes (image/jpeg, immutable).",
        auth: "none",
        request: None,
        responses: &[("200", "image/jpeg", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/photos/{sha256}/thumbnail",
        id: "photo_thumbnail",
        tag: "photos",
        summary: "Its thumbnail (image/jpeg, at most 320 px a side).",
        auth: "none",
        request: None,
        responses: &[("200", "image/jpeg", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/trust-list",
        id: "trust_list",
        tag: "keys",
        summary: "Every country's public keys with their validity, for online and offline verifiers.",
        auth: "none",
        request: None,
        responses: &[("200", "The trust list", Some("TrustList"))],
    },
    Route {
        method: HttpMethod::Get,
        path: "/.well-known/jwks.json",
        id: "jwks",
        tag: "keys",
        summary: "The same public keys as a JWK Set.",
        auth: "none",
        request: None,
        responses: &[("200", "{keys: [JWK with kid, alg, use]}", None)],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/countries/{country}/keys",
        id: "rotate_key",
        tag: "keys",
        summary: "Rotate a country's signing key: {\"alg\"?: \"EdDSA\"|\"ES256\"}. The old key keeps verifying until it expires.",
        auth: "admin",
        request: None,
        responses: &[("201", "{kid, country, alg, created_at, retired}", None), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/tokens",
        id: "create_token",
        tag: "admin",
        summary: "Create an API token: {\"role\", \"country\"?, \"label\"?}. The secret is returned once.",
        auth: "admin",
        request: None,
        responses: &[("201", "{id, token, role, country, label}", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/audit",
        id: "audit",
        tag: "admin",
        summary: "The latest audit entries, newest first (query: limit).",
        auth: "admin",
        request: None,
        responses: &[("200", "{items: [...]}", None), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/healthz",
        id: "healthz",
        tag: "operations",
        summary: "Liveness and store health.",
        auth: "none",
        request: None,
        responses: &[("200", "{status: ok}", None), ("503", "The store is unavailable", None)],
    },
    Route {
        method: HttpMethod::Get,
        path: "/metrics",
        id: "metrics",
        tag: "operations",
        summary: "Prometheus metrics.",
        auth: "none",
        request: None,
        responses: &[("200", "Prometheus text format", None)],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/openapi.json",
        id: "openapi",
        tag: "operations",
        summary: "This document.",
        auth: "none",
        request: None,
        responses: &[("200", "OpenAPI 3.1", None)],
    },
];

/// The OpenAPI document as JSON.
pub fn document() -> Value {
    let mut paths = Paths::new();
    for route in ROUTES {
        let mut operation = OperationBuilder::new()
            .operation_id(Some(route.id))
            .tag(route.tag)
            .summary(Some(route.summary))
            .description(Some(format!("Authorization: {}.", route.auth)));
        for name in path_parameters(route.path) {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        if let Some(schema) = route.request {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", Content::new(Some(Ref::from_schema_name(schema))))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        for (status, description, schema) in route.responses {
            let mut response = ResponseBuilder::new().description(*description);
            if let Some(schema) = schema {
                response = response.content("application/json", Content::new(Some(Ref::from_schema_name(*schema))));
            }
            operation = operation.response(*status, response.build());
        }
        if route.auth != "none" {
            operation = operation.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        paths.add_path_operation(route.path, vec![route.method.clone()], operation.build());
    }
    let components = ComponentsBuilder::new()
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        .build();
    let api = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Cartouche")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Signed export certificates for cultural objects (UNESCO-WCO Model Export Certificate).",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build();
    let mut value = serde_json::to_value(&api).unwrap_or_default();
    value["openapi"] = Value::from("3.1.0");
    for (name, text) in sources::ALL {
        let schema: Value = serde_json::from_str(text).unwrap_or_default();
        value["components"]["schemas"][name] = schema;
    }
    value
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}
