//! The OpenAPI 3.1 document, built with utoipa's builders from one table of routes.
//!
//! Its component schemas are the files in `schemas/` (OpenAPI 3.1 schemas are JSON
//! Schema 2020-12), so the document cannot drift from the contract the service validates
//! against. Each file's `$defs` become components of their own (`Application_country`)
//! and every `$ref` is rewritten to point inside the document: a file's `$id` and its
//! internal `#/$defs/...` references mean nothing once it is embedded. Parameters and
//! request bodies are declared as strictly as the server checks them (certificate
//! numbers, hashes, country codes, JSON bodies), so that a generated request the
//! document allows is one the server accepts. A snapshot test shows every API change in
//! review; `crates/cartouche-server/tests/openapi.rs` checks that every `$ref` resolves
//! and that the document and the router list the same routes; `scripts/api-fuzz` runs
//! schemathesis against the binary.

use cartouche_model::validate::sources;
use serde_json::{Map, Value};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, Content, InfoBuilder, OpenApiBuilder, Paths, Ref, Required};

/// `schemas/requests.schema.json`: request bodies and parameters.
const REQUESTS: &str = include_str!("../../../schemas/requests.schema.json");

/// Who may call a route.
#[derive(Clone, Copy)]
enum Auth {
    /// Anyone, without a token.
    None,
    /// A bearer token with one of the roles described.
    Required(&'static str),
    /// Without a token, a smaller answer; with one, the roles described.
    Optional(&'static str),
}

/// A route's request body.
#[derive(Clone, Copy)]
enum Body {
    None,
    /// A JSON document of the named component; `true` when it is required.
    Json(&'static str, bool),
    /// The image itself (`image/jpeg` or `image/png`).
    Image,
    /// `multipart/form-data` with the fields of the named component.
    Multipart(&'static str),
    /// Either a JSON document or a `multipart/form-data` upload.
    JsonOrMultipart(&'static str, &'static str),
    /// Plain text (the witness protocol) described by the named component.
    Text(&'static str),
}

/// A path, query or header parameter whose schema is the named component.
struct Param {
    name: &'static str,
    location: ParameterIn,
    schema: &'static str,
    required: bool,
}

const fn path(name: &'static str, schema: &'static str) -> Param {
    Param { name, location: ParameterIn::Path, schema, required: true }
}

const fn query(name: &'static str, schema: &'static str) -> Param {
    Param { name, location: ParameterIn::Query, schema, required: false }
}

/// Media types of an answer, each with the component describing it (if any).
type Media = &'static [(&'static str, Option<&'static str>)];

/// One documented answer: status, description, media types.
type Answer = (&'static str, &'static str, Media);

const JSON: Media = &[("application/json", None)];
const ERROR_JSON: Media = &[("application/json", Some("Error"))];
const TEXT: Media = &[("text/plain", None)];

const ERRORS: Answer = (
    "4XX",
    "Error: `{\"error\": {\"code\", \"message\", \"details\"}}` with a stable code (401 without or with an unknown token, 403 forbidden, 404, 405, 408, 413, 415, ...)",
    ERROR_JSON,
);

const NUMBER: Param = path("number", "Certificate_certificate_number");
const SHA256: Param = path("sha256", "Application_sha256");

struct Route {
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
    params: &'static [Param],
    body: Body,
    responses: &'static [Answer],
}

const ROUTES: &[Route] = &[
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates",
        id: "issue_certificate",
        tag: "certificates",
        summary: "Issue a certificate (issuer of the application's issuing country). Supports Idempotency-Key. Besides the schema, the cross-field rules (dating order, dates relative to the day of issue) and the issuing country's rules apply.",
        auth: Auth::Required("issuer"),
        params: &[Param {
            name: "Idempotency-Key",
            location: ParameterIn::Header,
            schema: "Requests_idempotency_key",
            required: false,
        }],
        body: Body::Json("Application", true),
        responses: &[
            ("201", "Issued: the certificate record (certificate, token, kid, qr_text, status, links)", JSON),
            ("200", "Replay of an earlier request with the same Idempotency-Key", JSON),
            ("400", "invalid_json, validation_failed (details.errors[].path), invalid_idempotency_key", ERROR_JSON),
            ("403", "country_mismatch or forbidden", ERROR_JSON),
            ("409", "idempotency_key_reused, no_signing_key, issuance_failed", ERROR_JSON),
            ("413", "payload_too_large", ERROR_JSON),
            (
                "422",
                "rules_refused (a rule found an error) or rules_indeterminate (a rule could not be evaluated); details.rule_evaluations",
                ERROR_JSON,
            ),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates",
        id: "list_certificates",
        tag: "certificates",
        summary: "List and search certificates in number order. Unknown query parameters are refused.",
        auth: Auth::Required("issuer (own country), officer, admin"),
        params: &[
            query("country", "Application_country"),
            query("status", "Requests_certificate_status"),
            query("q", "Requests_search_text"),
            query("after", "Certificate_certificate_number"),
            query("limit", "Requests_list_limit"),
        ],
        body: Body::None,
        responses: &[("200", "{items: [...], next_after}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}",
        id: "get_certificate",
        tag: "certificates",
        summary: "The full record (issuer of its country, officer, admin) or, without a token, its status only.",
        auth: Auth::Optional("issuer (own country), officer, admin for the full record"),
        params: &[NUMBER],
        body: Body::None,
        responses: &[("200", "The record, or {number, issuing_country, status} without a token", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/qr.png",
        id: "certificate_qr_png",
        tag: "certificates",
        summary: "The seal's QR code as PNG, with a 4-module quiet zone.",
        auth: Auth::Required("issuer (own country), officer, admin"),
        params: &[NUMBER, query("size", "Requests_qr_size"), query("ec", "Requests_qr_error_correction")],
        body: Body::None,
        responses: &[("200", "The QR code", &[("image/png", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/qr.svg",
        id: "certificate_qr_svg",
        tag: "certificates",
        summary: "The seal's QR code as SVG (same query as qr.png).",
        auth: Auth::Required("issuer (own country), officer, admin"),
        params: &[NUMBER, query("size", "Requests_qr_size"), query("ec", "Requests_qr_error_correction")],
        body: Body::None,
        responses: &[("200", "The QR code", &[("image/svg+xml", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/document.pdf",
        id: "certificate_document_pdf",
        tag: "certificates",
        summary: "The printable certificate: A4 PDF in the order of the model form and the EU licence (boxes 1-25, labels in English and French, plus Italian, German or Spanish for certificates in those languages), with the seal's QR code on page 1, the photos, and the number and page count on every page.",
        auth: Auth::Required("issuer (own country), officer, admin"),
        params: &[NUMBER],
        body: Body::None,
        responses: &[
            ("200", "The PDF (Content-Disposition: inline; filename=\"{number}.pdf\")", &[("application/pdf", None)]),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/revoke",
        id: "revoke_certificate",
        tag: "certificates",
        summary: "Revoke, with a reason (final).",
        auth: Auth::Required("issuer (own country), admin"),
        params: &[NUMBER],
        body: Body::Json("Requests_status_change", true),
        responses: &[("200", "The updated record", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/suspend",
        id: "suspend_certificate",
        tag: "certificates",
        summary: "Suspend, with a reason.",
        auth: Auth::Required("issuer (own country), admin"),
        params: &[NUMBER],
        body: Body::Json("Requests_status_change", true),
        responses: &[("200", "The updated record", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/reinstate",
        id: "reinstate_certificate",
        tag: "certificates",
        summary: "Lift a suspension, with a reason.",
        auth: Auth::Required("issuer (own country), admin"),
        params: &[NUMBER],
        body: Body::Json("Requests_status_change", true),
        responses: &[("200", "The updated record", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/certificates/{number}/events",
        id: "record_event",
        tag: "certificates",
        summary: "Record an exit or a return. For a certificate of a country a pinned peer registry speaks for, the event is signed with this node's federation key, kept in its outbox and forwarded to that registry: 200 once it recorded it, 202 while it cannot be reached (delivered when it answers), 409 event_conflict when it refuses it.",
        auth: Auth::Required("officer"),
        params: &[NUMBER],
        body: Body::Json("Requests_officer_event", true),
        responses: &[
            ("200", "The updated record, or the forwarded event as delivered", JSON),
            ("202", "Forwarded event queued: the issuing registry cannot be reached", JSON),
            ("409", "already_exited, already_out, not_out, certificate_revoked, event_conflict, ...", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/federation/certificate",
        id: "certificate_for_peer",
        tag: "federation",
        summary: "A certificate's full text for a node this registry pins (--peer URL=KEY), so that it runs the exit-check rules on it: a compact JWS of typ cartouche-request+jwt signed with the node's federation key, payload {number, iat, origin}, at most five minutes from this registry's clock.",
        auth: Auth::None,
        params: &[],
        body: Body::Text("Requests_forwarded_event"),
        responses: &[
            ("200", "{certificate}", JSON),
            ("403", "unknown_peer, bad_signature, stale_request", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/plugins/{id}/{version}/publication.json",
        id: "plugin_publication",
        tag: "plugins",
        summary: "A published plugin's manifest and case file, which a peer node runs through its own publication checks before it runs the plugin.",
        auth: Auth::None,
        params: &[path("id", "Requests_plugin_id"), path("version", "Requests_plugin_version")],
        body: Body::None,
        responses: &[("200", "{manifest, cases}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/federation/events",
        id: "forwarded_event",
        tag: "federation",
        summary: "An exit or a return recorded at a node this registry pins as a peer (--peer URL=KEY): a compact JWS of typ cartouche-event+jwt signed with that node's federation key. Applied once per event id; one that contradicts the record is refused (409) and audited.",
        auth: Auth::None,
        params: &[],
        body: Body::Text("Requests_forwarded_event"),
        responses: &[
            ("200", "The updated record", JSON),
            ("403", "unknown_peer, bad_signature", ERROR_JSON),
            ("409", "already_exited, already_out, ...", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/certificates/{number}/proof",
        id: "certificate_log_proof",
        tag: "log",
        summary: "A c2sp.org/tlog-proof@v1 that the certificate's issuance entry is in the registry's log: the index, the inclusion proof and the latest checkpoint with its cosignatures (the extra line is the certificate number). Check it with the log's vkey.",
        auth: Auth::None,
        params: &[NUMBER],
        body: Body::None,
        responses: &[
            ("200", "The proof (text)", TEXT),
            ("400", "invalid_number", ERROR_JSON),
            ("404", "No such certificate", ERROR_JSON),
            ("409", "not_logged: the registry holds no log entry for it", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/log/checkpoint",
        id: "log_checkpoint",
        tag: "log",
        summary: "The log's latest checkpoint (C2SP tlog-checkpoint): origin, size and root hash, signed by the log key, with witness cosignatures. Not cached.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The signed checkpoint note", TEXT), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/log/vkey",
        id: "log_vkey",
        tag: "log",
        summary: "The checkpoint verifier key, <origin>+<key id>+<base64 key>.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The verifier key and a newline", TEXT), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/log/tile/{path}",
        id: "log_tile",
        tag: "log",
        summary: "A tile of the latest checkpoint's tree (C2SP tlog-tiles): <L>/<N>[.p/<W>] for hashes, entries/<N>[.p/<W>] for entry bundles. Full tiles are immutable.",
        auth: Auth::None,
        params: &[path("path", "Requests_tile_path")],
        body: Body::None,
        responses: &[
            ("200", "The tile bytes", &[("application/octet-stream", None)]),
            ("400", "invalid_tile_path", ERROR_JSON),
            ("404", "tile_not_found: past the latest checkpoint", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/witness/vkey",
        id: "witness_vkey",
        tag: "log",
        summary: "This registry's witness key (Ed25519 cosignature/v1, type 0x04), to configure it as a witness elsewhere.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The verifier key and a newline", TEXT), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/witness/add-checkpoint",
        id: "witness_add_checkpoint",
        tag: "log",
        summary: "C2SP tlog-witness add-checkpoint for a log this registry witnesses (serve --witness-log): `old <size>`, the consistency proof lines, a blank line, the signed checkpoint. Answers the cosignature line.",
        auth: Auth::None,
        params: &[],
        body: Body::Text("Requests_witness_request"),
        responses: &[
            ("200", "The cosignature line", TEXT),
            ("400", "A malformed request, or an old size above the checkpoint's", TEXT),
            ("403", "Not signed by the log's key", TEXT),
            ("404", "A log this registry does not witness", TEXT),
            ("409", "The old size is not the last cosigned size; the body is that size", &[("text/x.tlog.size", None)]),
            ("422", "The consistency proof does not verify", TEXT),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/verify",
        id: "verify",
        tag: "verification",
        summary: "Verify a seal: a JSON request, or multipart/form-data with a photo of the QR code in the field `image` (PNG or JPEG, at most 15 MiB). A seal, even a damaged one, is answered with a verdict; a code that is not a Cartouche seal at all (a web address, a product code, a health certificate, other text) is 422 not_a_certificate, with details.kind (web_address, product_code, health_certificate, text) and details.read (its first 200 characters). Rate-limited per client address.",
        auth: Auth::None,
        params: &[],
        body: Body::JsonOrMultipart("Requests_verify_request", "Requests_verify_upload"),
        responses: &[
            ("200", "The verdict", &[("application/json", Some("Verdict"))]),
            (
                "422",
                "not_a_certificate (details.kind); no_qr_code, unsupported_image, image_unreadable, image_too_large (uploads)",
                ERROR_JSON,
            ),
            ("429", "rate_limited, with Retry-After", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/v/{token}",
        id: "verify_link",
        tag: "verification",
        summary: "The URL in the QR code: the officer's verdict screen for browsers (HTML rendered on the server, in English, French, Italian, German or Spanish), the JSON verdict with Accept: application/json (which ignores the query). Rate-limited with verification.",
        auth: Auth::None,
        params: &[
            path("token", "Requests_token"),
            query("lang", "Requests_page_language"),
            query("checkpoint_country", "Requests_page_checkpoint_country"),
            query("import_check", "Requests_page_flag"),
        ],
        body: Body::None,
        responses: &[
            ("200", "The verdict", &[("text/html", None), ("application/json", Some("Verdict"))]),
            (
                "422",
                "The verification page with the error (checkpoint_country is not a country code), or \"this is not an export certificate\" (a page; the JSON error not_a_certificate with Accept: application/json)",
                &[("text/html", None), ("application/json", Some("Error"))],
            ),
            (
                "429",
                "rate_limited, with Retry-After: a page for browsers, the JSON error otherwise",
                &[("text/html", None), ("application/json", Some("Error"))],
            ),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/scan",
        id: "scan",
        tag: "verification",
        summary: "Read the QR code in a photo or camera frame without verifying it: the body is the JPEG or PNG itself (at most 15 MiB). The officer page's camera sends frames here, then opens /verify?qr= with the text. Rate-limited with verification.",
        auth: Auth::None,
        params: &[],
        body: Body::Image,
        responses: &[
            ("200", "{qr: the text of the QR code}", JSON),
            ("415", "unsupported_media_type", ERROR_JSON),
            ("422", "no_qr_code, unsupported_image, image_unreadable, image_too_large", ERROR_JSON),
            ("429", "rate_limited, with Retry-After", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/plugins",
        id: "publish_plugin",
        tag: "plugins",
        summary: "Publish a rule plugin. The component may import only cartouche:rules/reference-data@1.0.0; its describe() must match the manifest; every case must pass twice with identical findings and fuel. Published versions are immutable; a version is used from its valid_from date.",
        auth: Auth::Required("plugin_publisher of the jurisdiction; admin for EU and INT"),
        params: &[],
        body: Body::Multipart("Requests_plugin_upload"),
        responses: &[
            (
                "201",
                "{plugin: {id, jurisdiction, version, phases, sha256, active_from, active_until?, status}, cases: [...]}",
                JSON,
            ),
            ("400", "invalid_upload", ERROR_JSON),
            (
                "403",
                "country_mismatch, forbidden, or plugin_id_taken (the id belongs to another jurisdiction)",
                ERROR_JSON,
            ),
            ("404", "plugins_disabled: the server runs without rule plugins", ERROR_JSON),
            ("409", "version_exists", ERROR_JSON),
            ("413", "payload_too_large, component_too_large", ERROR_JSON),
            (
                "422",
                "invalid_manifest, invalid_component, forbidden_import, limits_too_high, wrong_exports, describe_mismatch, invalid_cases, cases_failed (details.cases)",
                ERROR_JSON,
            ),
            (
                "503",
                "busy: the checks could not finish in time on a loaded machine (not the plugin's failure); retry",
                ERROR_JSON,
            ),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/plugins",
        id: "list_plugins",
        tag: "plugins",
        summary: "Every published plugin version: id, jurisdiction, version, phases, sha256, size, descriptions, source, active_from, active_until, status (active, scheduled, superseded), wasi (built by an interpreter's toolchain), asked (the manifest's limits), limits (memory_bytes, fuel, deadline_ms its calls run under) and used (calls, most_fuel, peak_memory since the server started).",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "{items: [...]}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/watch-lists",
        id: "load_watch_list",
        tag: "watch lists",
        summary: "Load a version of a watch list of stolen or missing objects (Object ID fields and photo hashes; the photos are uploaded first with POST /api/v1/photos, which watch-list editors may use). Each upload of a name is its next version, in force at once at issuance and at verification: every certificate photo is compared with every listed photo by perceptual hash, and a likeness is a referral (check photo_watch not checked, INDETERMINATE; verdict.referrals), never a refusal. The lists' titles and makers also reach the rule plugins with the reference data.",
        auth: Auth::Required("watch_list_editor or admin"),
        params: &[],
        body: Body::Json("Requests_watch_list_upload", true),
        responses: &[
            ("201", "{name, version, source, as_of, loaded_at, entries, photos, url}", JSON),
            (
                "400",
                "invalid_json, validation_failed (details.errors[].path), invalid_watch_list (blank text, a reference twice)",
                ERROR_JSON,
            ),
            ("403", "forbidden", ERROR_JSON),
            ("409", "watch_list_busy", ERROR_JSON),
            ("413", "payload_too_large (32 MiB)", ERROR_JSON),
            ("422", "unknown_photo (a listed photo was not uploaded)", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/watch-lists",
        id: "list_watch_lists",
        tag: "watch lists",
        summary: "The watch lists in force (latest versions): {lists: [{name, version, source, as_of, loaded_at, entries, photos, url}]}.",
        auth: Auth::Required("any API token"),
        params: &[],
        body: Body::None,
        responses: &[("200", "{lists: [...]}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/watch-lists/{name}",
        id: "get_watch_list",
        tag: "watch lists",
        summary: "One version of a watch list with its entries and each listed photo's perceptual hash: {name, version, source, as_of, loaded_at, loaded_by, entries: [{reference, description, title?, maker?, ..., photos: [{sha256, hash}]}]}.",
        auth: Auth::Required("any API token"),
        params: &[path("name", "Requests_watch_list_name"), query("version", "Requests_watch_list_version")],
        body: Body::None,
        responses: &[("200", "The version", JSON), ("404", "not_found: no such list or version", ERROR_JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/photos",
        id: "upload_photo",
        tag: "photos",
        summary: "Upload an object photo: the body is the JPEG or PNG itself (at most 15 MiB). It is re-encoded without metadata (EXIF, GPS) and stored under the SHA-256 of the clean JPEG, which applications reference.",
        auth: Auth::Required("issuer or watch_list_editor"),
        params: &[],
        body: Body::Image,
        responses: &[
            ("201", "{sha256, media_type, width, height, url, thumbnail_url}", JSON),
            ("200", "Already stored (same clean bytes)", JSON),
            ("415", "unsupported_media_type", ERROR_JSON),
            ("422", "unsupported_image, image_too_large, image_too_small, image_unreadable", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/photos/{sha256}",
        id: "photo",
        tag: "photos",
        summary: "A photo by the SHA-256 of its bytes (immutable).",
        auth: Auth::None,
        params: &[SHA256],
        body: Body::None,
        responses: &[("200", "The photo", &[("image/jpeg", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/photos/{sha256}/thumbnail",
        id: "photo_thumbnail",
        tag: "photos",
        summary: "Its thumbnail (at most 320 px a side).",
        auth: Auth::None,
        params: &[SHA256],
        body: Body::None,
        responses: &[("200", "The thumbnail", &[("image/jpeg", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/.well-known/cartouche-registry.json",
        id: "registry_description",
        tag: "federation",
        summary: "The registry's description: the countries it issues for, whether it is a verifier node, its federation key (what a peer pins with --peer URL=KEY) and the URLs of its documents.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The description", &[("application/json", Some("RegistryDescription"))]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/status-list",
        id: "status_list",
        tag: "federation",
        summary: "The IETF Token Status List of every certificate issued here (typ statuslist+jwt, 4 bits per entry, ZLIB), signed with the federation key; its payload is RegistryDescription's $defs/status_list. A seal points at its entry with status.status_list.idx.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The signed status list (compact JWS)", &[("application/statuslist+jwt", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/bundle",
        id: "bundle",
        tag: "federation",
        summary: "Everything a peer registry or an offline verifier needs, signed with the federation key (typ cartouche-bundle+jwt): countries, keys, status list, log checkpoint, plugins, reference-data version, iat, exp (72 h) and a growing sequence. Its payload is RegistryDescription's $defs/bundle.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The signed bundle (compact JWS)", &[("application/cartouche-bundle+jwt", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/plugins/{id}/{version}/component.wasm",
        id: "plugin_component",
        tag: "plugins",
        summary: "A published plugin's WebAssembly component, as the bundle lists it (check it against the bundle's sha256).",
        auth: Auth::None,
        params: &[path("id", "Requests_plugin_id"), path("version", "Requests_plugin_version")],
        body: Body::None,
        responses: &[("200", "The component", &[("application/wasm", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/trust-list",
        id: "trust_list",
        tag: "keys",
        summary: "Every country's public keys with their validity, for online and offline verifiers.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "The trust list", &[("application/json", Some("TrustList"))]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/.well-known/jwks.json",
        id: "jwks",
        tag: "keys",
        summary: "The same public keys as a JWK Set.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "{keys: [JWK with kid, alg, use]}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/countries/{country}/keys",
        id: "rotate_key",
        tag: "keys",
        summary: "Rotate a country's signing key. The old key keeps verifying until it expires. Only for a country this registry serves (--countries); any other is 404 country_not_served.",
        auth: Auth::Required("admin"),
        params: &[path("country", "Application_country")],
        body: Body::Json("Requests_key_rotation", false),
        responses: &[
            ("201", "{kid, country, alg, created_at, retired}", JSON),
            ("404", "country_not_served", ERROR_JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/keys",
        id: "list_keys",
        tag: "keys",
        summary: "Every signing key: validity, status and where its secret half lives (sealed in the store under the KEK, or in an HSM), never the secret.",
        auth: Auth::Required("admin"),
        params: &[],
        body: Body::None,
        responses: &[
            (
                "200",
                "{items: [{kid, country, alg, status, created_at, sign_until, verify_until, custody, signs_here, public_key_jwk}]}",
                JSON,
            ),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/keys",
        id: "import_key",
        tag: "keys",
        summary: "Import a key from a key ceremony (cartouche keys generate): its proof of possession must verify and this server's HSM must hold it. It becomes the country's current key.",
        auth: Auth::Required("admin"),
        params: &[],
        body: Body::Json("Requests_key_import", true),
        responses: &[("201", "{kid, country, alg, created_at, retired}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/keys/{kid}/retire",
        id: "retire_key",
        tag: "keys",
        summary: "A key stops signing (at sign_until, default now) and, optionally, what it signed stops verifying (verify_until: only earlier than before).",
        auth: Auth::Required("admin"),
        params: &[path("kid", "Requests_kid")],
        body: Body::Json("Requests_key_retirement", false),
        responses: &[("200", "The key as GET /api/v1/keys shows it", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Post,
        path: "/api/v1/tokens",
        id: "create_token",
        tag: "admin",
        summary: "Create an API token. The secret is returned once.",
        auth: Auth::Required("admin"),
        params: &[],
        body: Body::Json("Requests_token_request", true),
        responses: &[("201", "{id, token, role, country, label}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/audit",
        id: "audit",
        tag: "admin",
        summary: "The latest audit entries, newest first.",
        auth: Auth::Required("admin"),
        params: &[query("limit", "Requests_audit_limit")],
        body: Body::None,
        responses: &[("200", "{items: [...]}", JSON), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/healthz",
        id: "healthz",
        tag: "operations",
        summary: "Liveness and store health.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[
            (
                "200",
                "{status: ok or degraded, store: ok, keys, peers?, forwarding?, database?: {kind, target, schema_version, connections, idle_connections}}",
                JSON,
            ),
            ("503", "The store is unavailable (store: database_unavailable while no PostgreSQL primary answers)", JSON),
            ERRORS,
        ],
    },
    Route {
        method: HttpMethod::Get,
        path: "/metrics",
        id: "metrics",
        tag: "operations",
        summary: "Prometheus metrics.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "Prometheus text format 0.0.4", &[("text/plain", None)]), ERRORS],
    },
    Route {
        method: HttpMethod::Get,
        path: "/api/v1/openapi.json",
        id: "openapi",
        tag: "operations",
        summary: "This document.",
        auth: Auth::None,
        params: &[],
        body: Body::None,
        responses: &[("200", "OpenAPI 3.1", JSON), ERRORS],
    },
];

fn schema_ref(component: &str) -> Ref {
    Ref::from_schema_name(component)
}

fn content(component: Option<&str>) -> Content {
    match component {
        Some(component) => Content::new(Some(schema_ref(component))),
        None => Content::default(),
    }
}

/// The OpenAPI document as JSON.
pub fn document() -> Value {
    let mut paths = Paths::new();
    for route in ROUTES {
        let description = match route.auth {
            Auth::None => "Authorization: none.".to_owned(),
            Auth::Required(roles) => format!("Authorization: bearer token of {roles}."),
            Auth::Optional(roles) => format!("Authorization: optional; {roles}."),
        };
        let mut operation = OperationBuilder::new()
            .operation_id(Some(route.id))
            .tag(route.tag)
            .summary(Some(route.summary))
            .description(Some(description));
        for param in route.params {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(param.name)
                    .parameter_in(param.location.clone())
                    .required(if param.required { Required::True } else { Required::False })
                    .schema(Some(schema_ref(param.schema))),
            );
        }
        let body = match route.body {
            Body::None => None,
            Body::Json(schema, required) => Some(
                RequestBodyBuilder::new()
                    .content("application/json", content(Some(schema)))
                    .required(Some(if required { Required::True } else { Required::False })),
            ),
            Body::Image => Some(
                RequestBodyBuilder::new()
                    .content("image/jpeg", Content::default())
                    .content("image/png", Content::default())
                    .required(Some(Required::True)),
            ),
            Body::Multipart(schema) => Some(
                RequestBodyBuilder::new()
                    .content("multipart/form-data", content(Some(schema)))
                    .required(Some(Required::True)),
            ),
            Body::Text(schema) => Some(
                RequestBodyBuilder::new().content("text/plain", content(Some(schema))).required(Some(Required::True)),
            ),
            Body::JsonOrMultipart(json, form) => Some(
                RequestBodyBuilder::new()
                    .content("application/json", content(Some(json)))
                    .content("multipart/form-data", content(Some(form)))
                    .required(Some(Required::True)),
            ),
        };
        if let Some(body) = body {
            operation = operation.request_body(Some(body.build()));
        }
        for (status, description, media) in route.responses {
            let mut response = ResponseBuilder::new().description(*description);
            for (media_type, schema) in *media {
                response = response.content(*media_type, content(*schema));
            }
            operation = operation.response(*status, response.build());
        }
        match route.auth {
            Auth::None => {}
            Auth::Required(_) => {
                operation = operation.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            }
            Auth::Optional(_) => {
                operation = operation
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .security(SecurityRequirement::default());
            }
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
    let schemas = &mut value["components"]["schemas"];
    for (name, schema) in embedded_schemas() {
        schemas[name] = schema;
    }
    value
}

/// The schema files as components: each file under its name (unless it only holds
/// definitions), each of its `$defs` as `{Name}_{definition}`, every `$ref` rewritten to
/// `#/components/schemas/...`, and the `$id`s and `$schema`s dropped (an `$id` would
/// make the references inside the component resolve against it).
fn embedded_schemas() -> Vec<(String, Value)> {
    let files: Vec<(&str, &str)> = sources::ALL.iter().copied().chain([("Requests", REQUESTS)]).collect();
    let parsed: Vec<(&str, Value)> =
        files.iter().map(|(name, text)| (*name, serde_json::from_str(text).unwrap_or_default())).collect();
    let ids: Vec<(String, &str)> = parsed
        .iter()
        .filter_map(|(name, schema)| schema.get("$id").and_then(Value::as_str).map(|id| (id.to_owned(), *name)))
        .collect();
    let mut out = Vec::new();
    for (name, schema) in parsed {
        let Value::Object(mut root) = schema else { continue };
        root.remove("$id");
        root.remove("$schema");
        let defs = match root.remove("$defs") {
            Some(Value::Object(defs)) => defs,
            _ => Map::new(),
        };
        let only_definitions = root.keys().all(|key| matches!(key.as_str(), "title" | "description"));
        if !only_definitions {
            let mut root = Value::Object(root);
            rewrite_refs(&mut root, name, &ids);
            out.push((name.to_owned(), root));
        }
        for (definition, mut schema) in defs {
            rewrite_refs(&mut schema, name, &ids);
            out.push((format!("{name}_{definition}"), schema));
        }
    }
    out
}

/// Rewrites every `$ref` in `schema` (a part of the component `name`) to point inside
/// the OpenAPI document.
fn rewrite_refs(schema: &mut Value, name: &str, ids: &[(String, &str)]) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(reference) if key == "$ref" => {
                        if let Some(rewritten) = rewrite_ref(reference, name, ids) {
                            *reference = rewritten;
                        }
                    }
                    _ => rewrite_refs(value, name, ids),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite_refs(item, name, ids)),
        _ => {}
    }
}

fn rewrite_ref(reference: &str, name: &str, ids: &[(String, &str)]) -> Option<String> {
    let (resource, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    let component = if resource.is_empty() {
        name
    } else {
        ids.iter().find(|(id, _)| id == resource).map(|(_, component)| *component)?
    };
    let target = match fragment.strip_prefix("/$defs/") {
        Some(rest) => {
            let (definition, tail) = rest.split_once('/').map_or((rest, ""), |(d, t)| (d, t));
            let tail = if tail.is_empty() { String::new() } else { format!("/{tail}") };
            format!("{component}_{definition}{tail}")
        }
        None => format!("{component}{fragment}"),
    };
    Some(format!("#/components/schemas/{target}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_rewritten_into_the_document() {
        let ids = vec![("urn:cartouche:schema:application".to_owned(), "Application")];
        assert_eq!(rewrite_ref("#/$defs/country", "Verdict", &ids).unwrap(), "#/components/schemas/Verdict_country");
        assert_eq!(
            rewrite_ref("urn:cartouche:schema:application#/$defs/finding/properties/code", "Verdict", &ids).unwrap(),
            "#/components/schemas/Application_finding/properties/code"
        );
        assert_eq!(
            rewrite_ref("urn:cartouche:schema:application#/properties/id", "X", &ids).unwrap(),
            "#/components/schemas/Application/properties/id"
        );
        assert_eq!(
            rewrite_ref("urn:cartouche:schema:application", "X", &ids).unwrap(),
            "#/components/schemas/Application"
        );
        assert_eq!(rewrite_ref("urn:elsewhere", "X", &ids), None);
    }
}
