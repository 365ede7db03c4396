//! The pages themselves. One verdict renderer serves `/v/{token}`, `GET /verify?qr=` and
//! the photo upload `POST /verify`, so the answer is the same however the QR arrived.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cartouche_core::CertificateRecord;
use cartouche_core::VerifyRequest;
use cartouche_model::{CheckOutcome, EventKind, Verdict, VerdictKind};
use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, t};
use super::{PageQuery, html, language};
use crate::AppState;
use crate::error::ApiError;

/// The frame of every page: header with navigation and the language switch, the
/// content, the scripts.
fn layout(lang: Lang, uri: &axum::http::Uri, title: &str, body: Markup, script: Option<&str>) -> Markup {
    let here = uri.path();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                title { (title) " · " (t(lang, "app.name")) }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                @if let Some(script) = script {
                    script src=(format!("/assets/{script}")) defer {}
                }
            }
            body data-lang=(lang.code()) {
                a.skip href="#main" { (t(lang, "nav.skip")) }
                header.site {
                    a.brand href=(with_lang("/verify", lang)) {
                        img src="/assets/icon.svg" alt="" width="28" height="28";
                        span { (t(lang, "app.name")) }
                    }
                    nav aria-label=(t(lang, "app.name")) {
                        a href=(with_lang("/verify", lang)) aria-current=[(here.starts_with("/verify") || here.starts_with("/v/")).then_some("page")] { (t(lang, "nav.verify")) }
                        a href=(with_lang("/console", lang)) aria-current=[here.starts_with("/console").then_some("page")] { (t(lang, "nav.console")) }
                    }
                    nav.lang aria-label=(t(lang, "nav.language")) {
                        @for other in Lang::ALL {
                            a href=(switch_language(uri, other)) hreflang=(other.code()) lang=(other.code())
                                title=(t(other, &format!("lang.{}", other.code())))
                                aria-current=[(other == lang).then_some("true")] {
                                span aria-hidden="true" { (other.code().to_ascii_uppercase()) }
                                span.visually-hidden { (t(other, &format!("lang.{}", other.code()))) }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                // Where the scripts announce what happened (a verdict, a code from a desk
                // scanner) to screen readers.
                div #live .visually-hidden aria-live="assertive" aria-atomic="true" {}
                footer.site { p { (t(lang, "app.tagline")) } }
            }
        }
    }
}

fn with_lang(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", lang.code())
}

/// The current address with `lang` replaced (other parameters kept, except a pasted QR
/// text, which is not worth keeping in a link).
fn switch_language(uri: &axum::http::Uri, lang: Lang) -> String {
    let mut pairs: Vec<(String, String)> = uri
        .query()
        .map(|query| {
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (key != "lang").then(|| (key.to_owned(), value.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    pairs.push(("lang".into(), lang.code().into()));
    let query = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    format!("{}?{query}", uri.path())
}

/// `GET /`: the officer page.
pub(crate) async fn home(query: PageQuery, headers: HeaderMap) -> Redirect {
    Redirect::to(&with_lang("/verify", language(&query, &headers)))
}

// ------------------------------------------------------------------ /verify

/// The options an officer may set on the verification page.
struct Options {
    checkpoint_country: Option<String>,
    import_check: bool,
}

impl Options {
    /// As the page's query gives them (kept as typed, to show them back in the form).
    fn from_query(query: &std::collections::BTreeMap<String, String>) -> Self {
        Options {
            checkpoint_country: query.get("checkpoint_country").map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
            import_check: crate::extract::flag(query.get("import_check").map(String::as_str)),
        }
    }
}

fn verify_form(lang: Lang, options: &Options, error: Option<&str>, pasted: &str) -> Markup {
    html! {
        h1 { (t(lang, "verify.title")) }
        p.lead { (t(lang, "verify.intro")) }
        @if let Some(error) = error {
            div.alert role="alert" {
                h2 { (t(lang, "verify.error.heading")) }
                p #verify-error { (error) }
            }
        }
        section.card #scan aria-labelledby="scan-heading" {
            h2 #scan-heading { (t(lang, "verify.scan.heading")) }
            p.js-only-hint #scan-needs-js { (t(lang, "verify.scan.needs_js")) }
            div.scanner hidden {
                video #scan-video playsinline muted aria-label=(t(lang, "verify.scan.heading")) {}
                p #scan-status role="status" aria-live="polite" {}
                div.actions {
                    button.primary #scan-start type="button" { (t(lang, "verify.scan.start")) }
                    button #scan-stop type="button" hidden { (t(lang, "verify.scan.stop")) }
                    button #scan-torch type="button" aria-pressed="false" hidden { (t(lang, "verify.scan.torch")) }
                    button #scan-switch type="button" hidden { (t(lang, "verify.scan.switch")) }
                }
            }
        }
        section.card aria-labelledby="upload-heading" {
            h2 #upload-heading { (t(lang, "verify.upload.heading")) }
            form method="post" action=(with_lang("/verify", lang)) enctype="multipart/form-data" {
                label for="upload-image" { (t(lang, "verify.upload.label")) }
                input #upload-image type="file" name="image" accept="image/jpeg,image/png" capture="environment" required;
                (option_fields(lang, options, "upload"))
                button.primary type="submit" { (t(lang, "verify.upload.submit")) }
            }
        }
        section.card aria-labelledby="paste-heading" {
            h2 #paste-heading { (t(lang, "verify.paste.heading")) }
            form method="get" action="/verify" {
                input type="hidden" name="lang" value=(lang.code());
                p.small #wedge-hint { (t(lang, "verify.wedge.hint")) }
                label for="paste-qr" { (t(lang, "verify.paste.label")) }
                input #paste-qr type="text" name="qr" required spellcheck="false" autocapitalize="off" autocomplete="off"
                    enterkeyhint="go" value=(pasted);
                (option_fields(lang, options, "paste"))
                button.primary type="submit" { (t(lang, "verify.paste.submit")) }
            }
        }
        section.card #officer aria-labelledby="officer-heading" hidden {
            h2 #officer-heading { (t(lang, "officer.heading")) }
            form #officer-form {
                label for="officer-token" { (t(lang, "officer.token")) }
                input #officer-token type="password" autocomplete="off" spellcheck="false";
                div.actions {
                    button #officer-save type="submit" { (t(lang, "officer.sign_in")) }
                    button #officer-forget type="button" hidden { (t(lang, "officer.sign_out")) }
                }
                p #officer-state role="status" aria-live="polite" {}
            }
        }
    }
}

fn option_fields(lang: Lang, options: &Options, prefix: &str) -> Markup {
    html! {
        details.options open[options.checkpoint_country.is_some() || options.import_check] {
            summary { (t(lang, "verify.options.heading")) }
            label for=(format!("{prefix}-checkpoint")) { (t(lang, "verify.options.checkpoint")) }
            input id=(format!("{prefix}-checkpoint")) .checkpoint type="text" name="checkpoint_country" maxlength="2"
                pattern="[A-Za-z]{2}" autocapitalize="characters" value=[options.checkpoint_country.as_deref()];
            label.check {
                input .import-check type="checkbox" name="import_check" value="1" checked[options.import_check];
                " " (t(lang, "verify.options.import"))
            }
        }
    }
}

/// `GET /verify`: the officer page; with `?qr=`, the verdict on the pasted text.
pub(crate) async fn verify_page(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    query: PageQuery,
    headers: HeaderMap,
) -> Response {
    let lang = language(&query, &headers);
    let options = Options::from_query(&query);
    match query.get("qr").map(|qr| qr.trim()) {
        None => html(
            StatusCode::OK,
            layout(lang, &uri, t(lang, "verify.title"), verify_form(lang, &options, None, ""), Some("verify.js")),
        ),
        Some("") => verify_failed(lang, &uri, &options, t(lang, "verify.error.empty"), ""),
        Some(qr) => {
            let token = cartouche_seal::token_from_qr_text(qr).to_owned();
            render_verdict_for(&state, lang, &uri, &token, options).await
        }
    }
}

fn verify_failed(lang: Lang, uri: &axum::http::Uri, options: &Options, message: &str, pasted: &str) -> Response {
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        layout(
            lang,
            uri,
            t(lang, "verify.error.heading"),
            verify_form(lang, options, Some(message), pasted),
            Some("verify.js"),
        ),
    )
}

/// The answer to a code that is not a Cartouche seal at all (`not_a_certificate`): said
/// in those words, with what the code looks like and what was read, and the way back to
/// scanning. Never a verdict: a web address is not a forged certificate.
fn not_a_certificate_page(lang: Lang, uri: &axum::http::Uri, error: &ApiError) -> Response {
    let kind = error.details.as_ref().and_then(|d| d["kind"].as_str()).unwrap_or("text");
    let read = error.details.as_ref().and_then(|d| d["read"].as_str()).filter(|read| !read.is_empty());
    let kind_key = format!("notcert.kind.{kind}");
    let title = t(lang, "notcert.title");
    let body = html! {
        h1.visually-hidden { (t(lang, "verdict.title")) }
        div.banner.notcert #verdict role="status" data-verdict="NOT_A_CERTIFICATE" data-code=(error.code) data-kind=(kind) {
            span.icon aria-hidden="true" { "⊘" }
            div {
                p.word { (title) }
                p.explain {
                    @if super::i18n::has(&kind_key) { (t(lang, &kind_key)) " " }
                    (t(lang, "notcert.explain"))
                }
            }
        }
        @if let Some(read) = read {
            section.card aria-labelledby="read-heading" {
                h2 #read-heading { (t(lang, "notcert.read")) }
                // Shown as text (it may be anything), cut short by the core.
                p.read-text { code { (read) } }
            }
        }
        p.next { a.button.primary #scan-next href=(format!("/verify?lang={}&scan=1", lang.code())) { (t(lang, "notcert.again")) } }
    };
    html(StatusCode::UNPROCESSABLE_ENTITY, layout(lang, uri, title, body, Some("verify.js")))
}

/// `POST /verify`: the photo upload of the officer page (works without JavaScript).
pub(crate) async fn verify_form_post(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    query: PageQuery,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let lang = language(&query, &headers);
    match crate::extract::verify_upload(&state, request).await {
        Ok(request) => render_verdict(&state, lang, &uri, request).await,
        Err(error) if error.code == "not_a_certificate" => not_a_certificate_page(lang, &uri, &error),
        Err(error) => verify_failed(lang, &uri, &Options::from_query(&query), &error.message, ""),
    }
}

/// `POST /api/v1/scan`: decodes the QR code in a photo or camera frame (the body is the
/// JPEG or PNG itself) and answers `{"qr": text}`, without verifying anything. The
/// officer page's camera sends frames here, then opens `/v/{token}`.
pub async fn scan(State(state): State<AppState>, request: axum::extract::Request) -> Result<Response, ApiError> {
    let bytes = crate::extract::read_image_body(request, cartouche_seal::scan::MAX_IMAGE_BYTES, "image").await?;
    let qr = state.run_image(move |core| core.scan(&bytes)).await?;
    Ok(Json(Scanned { qr }).into_response())
}

/// The answer of `POST /api/v1/scan`.
#[derive(serde::Serialize)]
struct Scanned {
    qr: String,
}

// ------------------------------------------------------------------ verdict

/// `GET /v/{token}` for a browser.
pub(crate) async fn verdict_page(
    state: &AppState,
    uri: &axum::http::Uri,
    query: &std::collections::BTreeMap<String, String>,
    headers: &HeaderMap,
    token: &str,
) -> Response {
    let lang = language(query, headers);
    render_verdict_for(state, lang, uri, token, Options::from_query(query)).await
}

/// The verdict page of a QR text with the officer's options, or the form with the
/// error when the options are not acceptable.
async fn render_verdict_for(
    state: &AppState,
    lang: Lang,
    uri: &axum::http::Uri,
    qr: &str,
    options: Options,
) -> Response {
    match VerifyRequest::new(qr, options.checkpoint_country.as_deref(), options.import_check) {
        Ok(request) => render_verdict(state, lang, uri, request).await,
        Err(error) if error.code == "not_a_certificate" => not_a_certificate_page(lang, uri, &error.into()),
        Err(_) => verify_failed(
            lang,
            uri,
            &Options { checkpoint_country: None, ..options },
            t(lang, "verify.error.checkpoint"),
            qr,
        ),
    }
}

async fn render_verdict(state: &AppState, lang: Lang, uri: &axum::http::Uri, request: VerifyRequest) -> Response {
    // With the registry's full record when the seal matched it: the officer compares the
    // object with the whole description, not only the sealed summary.
    let answer = state
        .run_verification(move |core| {
            let verification = core.verify(&request)?;
            let photos = core.photos_on_file(&verification.verdict);
            Ok((verification, photos))
        })
        .await;
    let (verification, photos_on_file) = match answer {
        Ok(answer) => answer,
        Err(error) => return error_page(lang, uri, error),
    };
    let verdict = verification.verdict;
    let title = t(lang, &format!("verdict.{}", verdict.verdict.as_str()));
    html(
        StatusCode::OK,
        layout(
            lang,
            uri,
            title,
            verdict_body(lang, &verdict, verification.record.as_ref(), &photos_on_file),
            Some("verify.js"),
        ),
    )
}

fn verdict_class(kind: VerdictKind) -> (&'static str, &'static str) {
    match kind {
        VerdictKind::Valid => ("valid", "✔"),
        VerdictKind::Invalid => ("invalid", "✖"),
        VerdictKind::Indeterminate => ("indeterminate", "?"),
    }
}

fn outcome_mark(outcome: CheckOutcome) -> (&'static str, &'static str, &'static str) {
    match outcome {
        CheckOutcome::Pass => ("pass", "✔", "outcome.pass"),
        CheckOutcome::Fail => ("fail", "✖", "outcome.fail"),
        CheckOutcome::NotChecked => ("not-checked", "?", "outcome.not_checked"),
    }
}

fn outcome_name(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::Pass => "pass",
        CheckOutcome::Fail => "fail",
        CheckOutcome::NotChecked => "not_checked",
    }
}

fn event_key(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Issued => "event.issued",
        EventKind::Revoked => "event.revoked",
        EventKind::Suspended => "event.suspended",
        EventKind::Reinstated => "event.reinstated",
        EventKind::Exited => "event.exited",
        EventKind::Returned => "event.returned",
    }
}

fn date_time(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

/// How many objects the first screen of a verdict shows, each with its first certified
/// photo; the others are in the objects section below.
const GLANCE_OBJECTS: usize = 3;

/// The verdict page. On a phone's first screen (390 × 844): the decision (with the failed
/// checks in plain words when it is not VALID), then the number, the issuing country, the
/// export type and destination, and the first certified photo of each object with its
/// title and dimensions. The rest (full facts, objects, reasons, history) follows in
/// sections that open on demand. Printed, it is a one-page record of the check.
fn verdict_body(
    lang: Lang,
    verdict: &Verdict,
    record: Option<&CertificateRecord>,
    photos_on_file: &[String],
) -> Markup {
    let (class, icon) = verdict_class(verdict.verdict);
    let word = t(lang, &format!("verdict.{}", verdict.verdict.as_str()));
    // Failures first: they are what the officer must read.
    let mut checks: Vec<_> = verdict.checks.iter().collect();
    checks.sort_by_key(|c| match c.outcome {
        CheckOutcome::Fail => 0,
        CheckOutcome::NotChecked => 1,
        CheckOutcome::Pass => 2,
    });
    let not_passed: Vec<_> = checks.iter().filter(|c| c.outcome != CheckOutcome::Pass).collect();
    let announce = match &verdict.certificate {
        Some(summary) => t(lang, "verdict.announce").replace("{verdict}", word).replace("{number}", &summary.number),
        None => t(lang, "verdict.announce_plain").replace("{verdict}", word),
    };
    let checked_line = html! {
        p.small.checked {
            (t(lang, "verdict.checked_at")) " " (date_time(verdict.checked_at))
            @if let Some(key) = &verdict.key { " · " (t(lang, "verdict.signed_by")) " " code { (key.kid) } " (" (key.alg.as_str()) ")" }
        }
    };
    html! {
        h1.visually-hidden { (t(lang, "verdict.title")) }
        div.banner.(class) #verdict role="status" data-verdict=(verdict.verdict.as_str()) data-announce=(announce) {
            span.icon aria-hidden="true" { (icon) }
            div {
                p.word { (word) }
                @if not_passed.is_empty() {
                    p.explain { (t(lang, &format!("verdict.{}.explain", verdict.verdict.as_str()))) }
                } @else {
                    p.explain { (t(lang, &format!("verdict.{}.explain", verdict.verdict.as_str()))) }
                    ul.why {
                        @for check in not_passed.iter().take(3) {
                            @let plain = format!("reason.{}.{}", check.name, outcome_name(check.outcome));
                            li { @if super::i18n::has(&plain) { (t(lang, &plain)) } @else { (t(lang, &check_key(check.name))) } }
                        }
                    }
                }
            }
        }
        @if !verdict.referrals.is_empty() {
            section.card.referrals #referrals aria-labelledby="referrals-heading" {
                h2 #referrals-heading { (t(lang, "referral.heading")) }
                p.small { (t(lang, "referral.explain")) }
                @for referral in &verdict.referrals {
                    article.referral data-list=(referral.list) data-reference=(referral.reference) {
                        div.pair {
                            figure {
                                a href=(format!("/api/v1/photos/{}", referral.photo)) {
                                    img src=(format!("/api/v1/photos/{}/thumbnail", referral.photo)) alt=(t(lang, "referral.certificate_photo")) width="240" loading="lazy";
                                }
                                figcaption { (t(lang, "referral.certificate_photo_of").replace("{n}", &(referral.object + 1).to_string())) }
                            }
                            figure {
                                a href=(format!("/api/v1/photos/{}", referral.listed_photo)) {
                                    img src=(format!("/api/v1/photos/{}/thumbnail", referral.listed_photo)) alt=(t(lang, "referral.listed_photo")) width="240" loading="lazy";
                                }
                                figcaption { (t(lang, "referral.listed_photo")) " · " (referral.list) " " (referral.reference) }
                            }
                        }
                        p.small {
                            strong { (referral.list) " " (referral.reference) } " (" (referral.source) ", v" (referral.version) ", " (referral.as_of) ") · "
                            (t(lang, "referral.distance").replace("{d}", &referral.distance.to_string()).replace("{bits}", &referral.bits.to_string()))
                        }
                        p.description { (referral.description) }
                    }
                }
            }
        }
        @if let Some(summary) = &verdict.certificate {
            section.card.glance #certificate aria-label=(t(lang, "cert.number")) data-number=(summary.number)
                data-export-type=(export_type_name(summary.export_type))
                data-state=[verdict.status.as_ref().map(|s| s.state.as_str())] {
                p.number-line { span.label { (t(lang, "cert.number")) } " " strong.number { (summary.number) } }
                dl.glance-facts {
                    div { dt { (t(lang, "cert.issuing_country")) } dd #glance-country { (summary.issuing_country) } }
                    div {
                        dt { (t(lang, "cert.export_type")) }
                        dd #glance-export {
                            (t(lang, &format!("export_type.{}", export_type_name(summary.export_type))))
                            " → " (summary.destination_country)
                            @if let Some(due) = summary.reimport_due_date { " · " (t(lang, "cert.reimport_due")) " " (due) }
                        }
                    }
                    @if let Some(status) = &verdict.status {
                        div { dt { (t(lang, "cert.status")) } dd #glance-status { (t(lang, &format!("state.{}", status.state.as_str()))) } }
                    }
                }
                ul.glance-objects {
                    @for (index, object) in summary.objects.iter().enumerate().take(GLANCE_OBJECTS) {
                        li.glance-object {
                            @match object.photos.iter().find(|sha| photos_on_file.contains(sha)) {
                                Some(sha) => {
                                    a href=(format!("/api/v1/photos/{sha}")) {
                                        img src=(format!("/api/v1/photos/{sha}/thumbnail"))
                                            alt=(format!("{} {}", t(lang, "verdict.photo_alt"), index + 1)) width="112" height="112";
                                    }
                                }
                                None => { p.missing-photo { (t(lang, "verdict.no_photo")) } }
                            }
                            p.title { (object.title.as_deref().unwrap_or(&object.object_type)) }
                            p.dimensions { (object.dimensions) }
                        }
                    }
                }
                @if summary.objects.len() > GLANCE_OBJECTS {
                    p.small { (t(lang, "verdict.more_objects").replace("{count}", &(summary.objects.len() - GLANCE_OBJECTS).to_string())) }
                }
            }
        }
        (checked_line)
        @if let Some(summary) = &verdict.certificate {
            @if verdict.status.is_some() {
                section.card #officer-actions hidden aria-labelledby="actions-heading" data-number=(summary.number) {
                    h2 #actions-heading { (t(lang, "officer.heading")) }
                    form #event-form {
                        label for="event-office" { (t(lang, "officer.office")) }
                        input #event-office type="text" required maxlength="200" autocomplete="on" name="office";
                        label for="event-declaration" { (t(lang, "officer.declaration")) }
                        input #event-declaration type="text" maxlength="200" name="declaration_ref";
                        div.actions {
                            button.primary #record-exit type="submit" value="exited" { (t(lang, "officer.record_exit")) }
                            @if summary.export_type == cartouche_model::ExportType::Temporary {
                                button #record-return type="submit" value="returned" { (t(lang, "officer.record_return")) }
                            }
                        }
                        p #event-result role="status" aria-live="polite" {}
                    }
                }
                p.small #officer-hint hidden { (t(lang, "officer.needs_token")) }
            }
            details.section #details-certificate {
                summary { h2 { (t(lang, "verdict.details")) } }
                dl.facts {
                    dt { (t(lang, "cert.status")) }
                    dd #status {
                        @if let Some(status) = &verdict.status {
                            strong { (t(lang, &format!("state.{}", status.state.as_str()))) }
                            @if let Some(since) = status.since { " (" (t(lang, "cert.since")) " " (date_time(since)) ")" }
                            @if let Some(reason) = &status.reason { br; (t(lang, "cert.reason")) (t(lang, "punct.colon")) (reason) }
                        } @else { "—" }
                    }
                    dt { (t(lang, "cert.issuing_country")) } dd { (summary.issuing_country) }
                    dt { (t(lang, "cert.export_type")) } dd { (t(lang, &format!("export_type.{}", export_type_name(summary.export_type)))) }
                    dt { (t(lang, "cert.destination")) } dd { (summary.destination_country) }
                    @if let Some(due) = summary.reimport_due_date { dt { (t(lang, "cert.reimport_due")) } dd { (due) } }
                    dt { (t(lang, "cert.issued_at")) } dd { (date_time(summary.issued_at)) }
                    dt { (t(lang, "cert.valid_until")) } dd { (summary.valid_until) }
                }
            }
            details.section #details-objects {
                summary { h2 { (t(lang, "verdict.objects_heading").replace("{count}", &summary.objects.len().to_string())) } }
                p.small { (t(lang, "verdict.compare")) }
                @for (index, object) in summary.objects.iter().enumerate() {
                    @let full = record.and_then(|r| r.certificate.application.objects.get(index));
                    article.object {
                        div.photos {
                            @for sha in &object.photos {
                                @if photos_on_file.contains(sha) {
                                    a href=(format!("/api/v1/photos/{sha}")) {
                                        img src=(format!("/api/v1/photos/{sha}/thumbnail")) alt=(format!("{} {}", t(lang, "verdict.photo_alt"), index + 1)) width="240" loading="lazy";
                                    }
                                } @else {
                                    p.missing-photo { (t(lang, "verdict.no_photo")) " " code { (&sha[..sha.len().min(12)]) } }
                                }
                            }
                        }
                        div.about {
                            h3 { (object.title.as_deref().unwrap_or(&object.object_type)) }
                            dl.facts {
                                @if object.title.is_some() { dt { (t(lang, "cert.object_type")) } dd { (object.object_type) } }
                                dt { (t(lang, "cert.maker")) } dd { (object.maker.as_deref().unwrap_or(t(lang, "cert.maker_unknown"))) }
                                dt { (t(lang, "cert.dating")) } dd { (object.dating) }
                                dt { (t(lang, "cert.dimensions")) } dd { (object.dimensions) }
                                dt { (t(lang, "cert.quantity")) } dd { (object.quantity) }
                                @if let Some(full) = full {
                                    @if !full.materials_techniques.is_empty() { dt { (t(lang, "cert.materials")) } dd { (full.materials_techniques.join(", ")) } }
                                    @if let Some(marks) = &full.inscriptions { dt { (t(lang, "cert.inscriptions")) } dd { (marks) } }
                                    @if let Some(features) = &full.distinguishing_features { dt { (t(lang, "cert.features")) } dd { (features) } }
                                }
                            }
                            @if let Some(full) = full { p.description { strong { (t(lang, "cert.description")) (t(lang, "punct.colon")) } (full.description) } }
                        }
                    }
                }
            }
        }
        details.section #details-reasons open[verdict.verdict != VerdictKind::Valid] {
            summary { h2 #reasons-heading { (t(lang, "verdict.reasons")) } }
            ul.checks {
                @for check in &checks {
                    @let (class, mark, word) = outcome_mark(check.outcome);
                    li.(class) data-check=(check.name.as_str()) {
                        span.mark aria-hidden="true" { (mark) }
                        div {
                            strong { (t(lang, &check_key(check.name))) } " — " span.outcome { (t(lang, word)) }
                            @let plain = format!("reason.{}.{}", check.name, outcome_name(check.outcome));
                            @if super::i18n::has(&plain) {
                                p.plain { (t(lang, &plain)) }
                                p.detail { span.visually-hidden { (t(lang, "verdict.technical")) (t(lang, "punct.colon")) } (check.detail) }
                            } @else {
                                p.detail { (check.detail) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(status) = verdict.status.as_ref().filter(|s| !s.events.is_empty()) {
            details.section #details-history {
                summary { h2 #history-heading { (t(lang, "cert.history")) } }
                ol.history {
                    @for event in &status.events {
                        li {
                            time datetime=(event.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()) { (date_time(event.at)) }
                            " — " strong { (t(lang, event_key(event.kind))) }
                            @if let Some(office) = &event.office { " · " (t(lang, "cert.office")) " " (office) @if let Some(c) = &event.country { " (" (c) ")" } }
                            @if let Some(reason) = &event.reason { " · " (reason) }
                        }
                    }
                }
            }
        }
        // The printed record: every check on one line (the sections above are not printed).
        section.print-only #print-record aria-hidden="true" {
            h2 { (t(lang, "verdict.record")) }
            ul {
                @for check in &checks {
                    @let (class, mark, word) = outcome_mark(check.outcome);
                    li.(class) { (mark) " " (t(lang, &check_key(check.name))) " — " (t(lang, word)) }
                }
            }
        }
        p.next {
            a.button.primary #scan-next href=(format!("/verify?lang={}&scan=1", lang.code())) { (t(lang, "verdict.scan_next")) }
            button #print-check type="button" hidden { (t(lang, "verdict.print")) }
        }
    }
}

fn export_type_name(export_type: cartouche_model::ExportType) -> &'static str {
    match export_type {
        cartouche_model::ExportType::Definitive => "definitive",
        cartouche_model::ExportType::Temporary => "temporary",
    }
}

/// The title of a check (every check has one: `tests::every_check_has_a_title_and_plain_words`).
fn check_key(name: cartouche_model::CheckName) -> String {
    format!("check.{name}")
}

// ------------------------------------------------------------------ errors

fn error_page(lang: Lang, uri: &axum::http::Uri, error: ApiError) -> Response {
    let body = html! {
        div.alert role="alert" {
            h1 { (t(lang, "error.title")) }
            p { (error.message) }
            p.small { code { (error.code) } }
        }
        p { a.button href=(with_lang("/verify", lang)) { (t(lang, "error.back")) } }
    };
    html(error.status, layout(lang, uri, t(lang, "error.title"), body, None))
}

/// The 429 of the verification rate limit, as a page for a browser on `/verify` or
/// `/v/{token}` (the API routes answer the JSON error).
pub(crate) fn rate_limited_page(uri: &axum::http::Uri, headers: &HeaderMap, seconds: u64) -> Response {
    let query = axum::extract::Query::<std::collections::BTreeMap<String, String>>::try_from_uri(uri)
        .map(|query| query.0)
        .unwrap_or_default();
    let lang = language(&query, headers);
    let message = t(lang, "error.rate_limited").replace("{seconds}", &seconds.to_string());
    let mut response = error_page(lang, uri, ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message));
    if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

// ------------------------------------------------------------------ /c/{number}

/// `GET /c/{number}`: the public status of a certificate (the same facts as the
/// unauthenticated `GET /api/v1/certificates/{number}`).
pub(crate) async fn status_page(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    query: PageQuery,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let lang = language(&query, &headers);
    let title = t(lang, "status.title");
    if number.parse::<cartouche_model::CertificateNumber>().is_err() {
        let body = html! { h1 { (title) } div.alert role="alert" { p { (t(lang, "status.bad_number")) } } };
        return html(StatusCode::NOT_FOUND, layout(lang, &uri, title, body, None));
    }
    let lookup = number.clone();
    let status = match state.run(move |core| core.public_status(&lookup)).await {
        Ok(status) => status,
        Err(error) if error.code == "not_found" => {
            let body = html! { h1 { (title) } div.alert role="alert" { p { (t(lang, "status.not_found")) " " code { (number) } } } };
            return html(StatusCode::NOT_FOUND, layout(lang, &uri, title, body, None));
        }
        Err(error) => return error_page(lang, &uri, error),
    };
    let state_name = status.status.state.as_str();
    let body = html! {
        h1 { (title) }
        p.lead { (t(lang, "status.intro")) }
        section.card #public-status data-state=(state_name) {
            dl.facts {
                dt { (t(lang, "cert.number")) } dd.number { (status.number) }
                dt { (t(lang, "cert.issuing_country")) } dd { (status.issuing_country) }
                dt { (t(lang, "cert.status")) }
                dd {
                    strong.(format!("state-{state_name}")) { (t(lang, &format!("state.{state_name}"))) }
                    @if let Some(since) = status.status.since { " (" (t(lang, "cert.since")) " " (date_time(since)) ")" }
                }
            }
        }
        p { a.button.primary href=(with_lang("/verify", lang)) { (t(lang, "nav.verify")) } }
    };
    html(StatusCode::OK, layout(lang, &uri, title, body, None))
}

// ------------------------------------------------------------------ /console

/// `GET /console`: the ministry console. The page is a frame; `console.js` signs in
/// with an issuer token (kept in the tab's sessionStorage) and drives the JSON API.
pub(crate) async fn console(OriginalUri(uri): OriginalUri, query: PageQuery, headers: HeaderMap) -> Response {
    let lang = language(&query, &headers);
    let body = html! {
        h1 #console-title { (t(lang, "console.title")) }
        div #console { noscript { div.alert { p { (t(lang, "console.needs_js")) } } } }
    };
    html(StatusCode::OK, layout(lang, &uri, t(lang, "console.title"), body, Some("console.js")))
}

#[cfg(test)]
mod tests {
    use super::super::i18n::has;

    #[test]
    fn every_check_has_a_title_and_plain_words() {
        for name in cartouche_model::CheckName::ALL {
            for key in [format!("check.{name}"), format!("reason.{name}.pass"), format!("reason.{name}.fail")] {
                assert!(has(&key), "messages.json lacks {key}");
            }
        }
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        let source = include_str!("pages.rs");
        let mut rest = source;
        while let Some(start) = rest.find("t(lang, \"") {
            let after = &rest[start + 9..];
            let end = after.find('"').unwrap();
            let key = &after[..end];
            assert!(has(key), "pages.rs uses the key {key:?}, which is not in messages.json");
            rest = &after[end..];
        }
    }
}
