//! The web pages: served with a strict Content-Security-Policy, in five languages,
//! verification without JavaScript (paste, upload, `/v/{token}`), "not an export
//! certificate" on every path, desk scanners on foreign keyboard layouts, the public
//! status page, the scan endpoint of the camera; then the browser run (Chromium driven
//! by playwright-core, tests/browser/run.mjs and officer.mjs): camera, upload, tampered
//! token, officer, French, the officer in the field, axe-core, and the ministry console.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Server, agent, assert_error, example, repo};

/// The policy the server promises on every page.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
     media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct Page {
    status: u16,
    content_type: String,
    csp: String,
    body: String,
}

fn get_page(server: &Server, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut request = agent().get(&format!("{}{path}", server.base)).header("Accept", "text/html");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    page_of(request.call().unwrap())
}

fn page_of(mut response: ureq::http::Response<ureq::Body>) -> Page {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (content_type, csp) = (header("content-type"), header("content-security-policy"));
    Page {
        status: response.status().as_u16(),
        content_type,
        csp,
        body: response.body_mut().with_config().limit(8 * 1024 * 1024).read_to_string().unwrap(),
    }
}

fn multipart(fields: &[(&str, &[u8], Option<&str>)]) -> (String, Vec<u8>) {
    let boundary = "cartouche-web-boundary-51c2";
    let mut body = Vec::new();
    for (name, bytes, content_type) in fields {
        match content_type {
            Some(content_type) => body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"photo\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn post_page(server: &Server, path: &str, content_type: &str, body: &[u8]) -> Page {
    page_of(
        agent()
            .post(&format!("{}{path}", server.base))
            .header("Accept", "text/html")
            .header("Content-Type", content_type)
            .send(body)
            .unwrap(),
    )
}

fn qr_png(server: &Server, number: &str, token: &str, size: u32) -> Vec<u8> {
    let mut response = agent()
        .get(&format!("{}/api/v1/certificates/{number}/qr.png?size={size}", server.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.body_mut().with_config().limit(8 * 1024 * 1024).read_to_vec().unwrap()
}

/// The data-verdict attribute of a rendered verdict.
fn verdict_of(page: &Page) -> &str {
    let at = page.body.find("data-verdict=\"").unwrap_or_else(|| panic!("no verdict in the page: {}", page.body));
    let rest = &page.body[at + 14..];
    &rest[..rest.find('"').unwrap()]
}

/// A token with one character of its signature changed.
fn tampered(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = chars.len() - 5;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// A photo of an object (a synthetic picture large enough for the photo rules).
fn object_photo() -> Vec<u8> {
    object_photo_variant(0)
}

/// Distinct photos, one per `variant`.
fn object_photo_variant(variant: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(1200, 900, |x, y| {
        let r = ((x * 255 / 1200 + variant * 90) % 256) as u8;
        let g = ((y * 255 / 900 + variant * 40) % 256) as u8;
        let ring = ((x as i32 - 600).pow(2) + (y as i32 - 450).pow(2)) as f64;
        let b = if (ring.sqrt() as i32 / 40) % 2 == 0 { 200 } else { 60 };
        image::Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Issues the Italian temporary-export example with a real photo uploaded first.
/// A certificate of three objects, each with its own certified photo (the verdict's first
/// screen shows all three).
fn issue_three_objects(server: &Server, issuer: &str) -> Value {
    let mut application = example("ch-watch-collection.json");
    let objects = application["objects"].as_array_mut().unwrap();
    let mut third = objects[1].clone();
    third["title"] = "Pendule de voyage, laiton doré".into();
    objects.push(third);
    for (index, object) in objects.iter_mut().enumerate() {
        let (status, text) = server.raw(
            "POST",
            "/api/v1/photos",
            Some(issuer),
            Some(&object_photo_variant(index as u32 + 1)),
            &[("Content-Type", "image/png")],
        );
        assert_eq!(status, 201, "{text}");
        let photo: Value = serde_json::from_str(&text).unwrap();
        object["photos"] = json!([{ "sha256": photo["sha256"] }]);
    }
    server.issue(issuer, &application)
}

fn issue_with_photo(server: &Server, issuer: &str) -> Value {
    let (status, text) =
        server.raw("POST", "/api/v1/photos", Some(issuer), Some(&object_photo()), &[("Content-Type", "image/png")]);
    assert_eq!(status, 201, "{text}");
    let photo: Value = serde_json::from_str(&text).unwrap();
    let mut application = example("it-archaeology-temporary-ch.json");
    application["objects"][0]["photos"][0]["sha256"] = photo["sha256"].clone();
    server.issue(issuer, &application)
}

#[test]
fn pages_carry_a_strict_policy_and_speak_five_languages() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let record = issue_with_photo(&server, &issuer);
    let number = record["certificate"]["number"].as_str().unwrap();
    let token = record["token"].as_str().unwrap();
    for path in ["/verify", &format!("/v/{token}"), &format!("/c/{number}"), "/console"] {
        let page = get_page(&server, path, &[]);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_eq!(page.content_type, "text/html; charset=utf-8", "{path}");
        assert_eq!(page.csp, POLICY, "{path}");
        assert!(page.body.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{path}");
        // Nothing inline for the policy to refuse, nothing from elsewhere.
        assert!(!page.body.contains(" style="), "{path}: inline style");
        assert!(!page.body.contains("<style"), "{path}: style element");
        assert!(!has_inline_handler(&page.body), "{path}: an inline event handler");
        assert_eq!(page.body.matches("<script").count(), page.body.matches("<script src=\"/assets/").count(), "{path}");
        assert!(!page.body.contains("https://") && !page.body.contains("//cdn"), "{path}: an outside address");
    }
    // French by ?lang=, and by the browser's language.
    let french = get_page(&server, "/verify?lang=fr", &[]);
    assert!(
        french.body.contains("<html lang=\"fr\">") && french.body.contains("Vérifier un certificat"),
        "{}",
        french.body
    );
    let by_header = get_page(&server, "/verify", &[("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.5")]);
    assert!(by_header.body.contains("<html lang=\"fr\">"));
    let english = get_page(&server, "/verify?lang=en", &[("Accept-Language", "fr")]);
    assert!(english.body.contains("Verify an export certificate"), "?lang= wins over the header");
    // German, Italian and Spanish too, by ?lang= and by the header; a language the pages
    // do not speak falls back to the next one the browser accepts.
    for (lang, title) in [
        ("de", "Ausfuhrbescheinigung prüfen"),
        ("it", "Verifica un certificato di esportazione"),
        ("es", "Verificar un certificado de exportación"),
    ] {
        let page = get_page(&server, &format!("/verify?lang={lang}"), &[]);
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")) && page.body.contains(title),
            "{lang}: {}",
            page.body
        );
        let texts: Value =
            serde_json::from_str(&get_page(&server, &format!("/assets/i18n/{lang}.json"), &[]).body).unwrap();
        assert!(texts["notcert.title"].as_str().is_some_and(|t| !t.is_empty()), "{lang}");
    }
    let by_header = get_page(&server, "/verify", &[("Accept-Language", "pt-PT, es;q=0.8, en;q=0.5")]);
    assert!(by_header.body.contains("<html lang=\"es\">"));
    // The language switch keeps the page.
    let verdict_fr = get_page(&server, &format!("/v/{token}?lang=fr"), &[]);
    assert!(verdict_fr.body.contains(&format!("href=\"/v/{token}?lang=en\"")), "{}", verdict_fr.body);
    assert!(verdict_fr.body.contains(">VALIDE<"));

    // The assets, with their types; the translation table for the scripts.
    for (path, content_type) in [
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/verify.js", "text/javascript; charset=utf-8"),
        ("/assets/console.js", "text/javascript; charset=utf-8"),
        ("/assets/icon.svg", "image/svg+xml"),
        ("/assets/i18n/fr.json", "application/json"),
        ("/assets/application.schema.json", "application/json"),
        ("/assets/examples/index.json", "application/json"),
        ("/assets/examples/fr-painting-to-us.json", "application/json"),
    ] {
        let page = get_page(&server, path, &[]);
        assert_eq!((page.status, page.content_type.as_str()), (200, content_type), "{path}");
    }
    let texts: Value = serde_json::from_str(&get_page(&server, "/assets/i18n/fr.json", &[]).body).unwrap();
    assert_eq!(texts["verdict.VALID"], "VALIDE");
    let example_served: Value =
        serde_json::from_str(&get_page(&server, "/assets/examples/fr-painting-to-us.json", &[]).body).unwrap();
    assert_eq!(example_served, example("fr-painting-to-us.json"));
    for missing in
        ["/assets/nope.js", "/assets/i18n/pt.json", "/assets/i18n/de-CH.json", "/assets/examples/../../Cargo.toml"]
    {
        let (status, body) = server.call("GET", missing, None, None);
        assert_error(status, &body, 404, "not_found");
    }
    // `/` leads to the officer page; JSON clients of /v/ still get JSON.
    let home = get_page(&server, "/", &[]);
    assert!(home.body.contains("Verify an export certificate"));
    let (status, verdict) =
        server.call_with("GET", &format!("/v/{token}"), None, None, &[("Accept", "application/json")]);
    assert_eq!((status, verdict["verdict"].as_str()), (200, Some("VALID")));
}

#[test]
fn verification_works_without_javascript() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let record = issue_with_photo(&server, &issuer);
    let number = record["certificate"]["number"].as_str().unwrap();
    let token = record["token"].as_str().unwrap();
    let qr_text = record["qr_text"].as_str().unwrap();

    // The verdict screen: banner, the object with its certified photo, reasons, history.
    let page = get_page(&server, &format!("/v/{token}"), &[]);
    assert_eq!(verdict_of(&page), "VALID");
    let photo = record["certificate"]["objects"][0]["photos"][0]["sha256"].as_str().unwrap();
    assert!(page.body.contains(&format!("src=\"/api/v1/photos/{photo}/thumbnail\"")), "the certified photo");
    let missing = record["certificate"]["objects"][0]["photos"][1]["sha256"].as_str().unwrap();
    assert!(page.body.contains(&missing[..12]) && page.body.contains("not on file"), "a photo not on file is said so");
    let description = record["certificate"]["objects"][0]["description"].as_str().unwrap();
    assert!(page.body.contains(&description[..40].replace('\'', "&#39;")) || page.body.contains(&description[..40]));
    for text in [
        "Temporary",
        "Due back by",
        "CH",
        "Status history",
        "Issued",
        "Signature authentic",
        "Scan the next certificate",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }

    // Pasted text (a GET form) and a photo upload (a multipart POST form).
    let pasted = get_page(&server, &format!("/verify?lang=en&qr={}", urlencode(qr_text)), &[]);
    assert_eq!(verdict_of(&pasted), "VALID");
    let png = qr_png(&server, number, &issuer, 600);
    let (content_type, body) = multipart(&[("image", &png, Some("image/png")), ("checkpoint_country", b"it", None)]);
    let uploaded = post_page(&server, "/verify?lang=fr", &content_type, &body);
    assert_eq!((uploaded.status, verdict_of(&uploaded)), (200, "VALID"));
    assert!(uploaded.body.contains("VALIDE") && uploaded.body.contains("La signature est authentique"));

    // A tampered token, an empty paste, a photo without a code, a bad checkpoint.
    let forged = get_page(&server, &format!("/v/{}", tampered(token)), &[]);
    assert_eq!(verdict_of(&forged), "INVALID");
    assert!(forged.body.contains("class=\"fail\" data-check=\"signature\""), "{}", forged.body);
    assert!(forged.body.contains("The signature does not match: the seal was altered or forged."));
    let empty = get_page(&server, "/verify?qr=+", &[]);
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("role=\"alert\"") && empty.body.contains("Paste the text of the QR code"));
    let blank = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::GrayImage::from_pixel(400, 300, image::Luma([255])).write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let (content_type, body) = multipart(&[("image", &blank, Some("image/png"))]);
    let no_code = post_page(&server, "/verify", &content_type, &body);
    assert_eq!(no_code.status, 422);
    assert!(no_code.body.contains("verify-error") && no_code.body.contains("QR"), "{}", no_code.body);
    let (content_type, body) = multipart(&[("photo", &blank, Some("image/png"))]);
    let wrong_field = post_page(&server, "/verify", &content_type, &body);
    assert_eq!(wrong_field.status, 422);
    assert!(wrong_field.body.contains("unknown form field"));
    let bad_checkpoint = get_page(&server, &format!("/v/{token}?checkpoint_country=France"), &[]);
    assert_eq!(bad_checkpoint.status, 422);
    assert!(bad_checkpoint.body.contains("ISO 3166-1 code, such as FR"), "{}", bad_checkpoint.body);
    // Values from the request are escaped, never markup.
    let hostile = get_page(&server, "/verify?qr=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &[]);
    assert!(!hostile.body.contains("<script>alert") && hostile.body.contains("&lt;script&gt;alert(1)"));
    assert_eq!(verdict_of(&hostile), "NOT_A_CERTIFICATE");
}

#[test]
fn a_desk_scanner_typing_through_a_foreign_keyboard_layout_still_verifies() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let printed = record["qr_text"].as_str().unwrap();
    // A scanner in US mode on a German (QWERTZ) and a French (AZERTY) computer.
    const AZERTY_ROW: [char; 10] = ['à', '&', 'é', '"', '\'', '(', '-', 'è', '_', 'ç'];
    let qwertz: String = printed
        .chars()
        .map(|c| match c {
            ':' => 'Ö',
            '/' => '-',
            other => other,
        })
        .collect();
    let azerty: String = printed
        .chars()
        .map(|c| match c {
            ':' => 'M',
            '/' => '!',
            d if d.is_ascii_digit() => AZERTY_ROW[d.to_digit(10).unwrap() as usize],
            other => other,
        })
        .collect();
    for typed in [qwertz, azerty] {
        let page = get_page(&server, &format!("/verify?lang=en&qr={}", urlencode(&typed)), &[]);
        assert_eq!((page.status, verdict_of(&page)), (200, "VALID"), "{typed:.60}");
        assert_eq!(server.verify(&typed)["verdict"], "VALID");
    }
}

#[test]
fn a_code_that_is_not_a_certificate_is_named_so_in_every_path() {
    let server = Server::start();
    // Pasted or typed (a desk scanner), in the officer's language: never a verdict.
    let page = get_page(&server, "/verify?lang=de&qr=https%3A%2F%2Fshop.example%2Fp%2F42", &[]);
    assert_eq!(page.status, 422);
    assert_eq!(verdict_of(&page), "NOT_A_CERTIFICATE");
    assert!(page.body.contains("data-kind=\"web_address\""), "{}", page.body);
    assert!(page.body.contains("Dies ist keine Ausfuhrbescheinigung"), "{}", page.body);
    assert!(!page.body.contains("Signatur") && !page.body.contains("abgelaufen"), "{}", page.body);
    // A photo of another QR code (a health certificate's), uploaded.
    let png = cartouche_seal::qr::render_png(
        "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH",
        cartouche_seal::qr::parse_ec_level("M").unwrap(),
        300,
    )
    .unwrap();
    let (content_type, body) = multipart(&[("image", &png, Some("image/png"))]);
    let uploaded = post_page(&server, "/verify?lang=en", &content_type, &body);
    assert_eq!((uploaded.status, verdict_of(&uploaded)), (422, "NOT_A_CERTIFICATE"));
    assert!(
        uploaded.body.contains("This is not an export certificate") && uploaded.body.contains("health certificate")
    );
    assert!(uploaded.body.contains("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH"), "what the photo's code says is shown");
    // The same through the API: its own error code, with what the code looks like.
    let (status, body) = server.call("POST", "/api/v1/verify", None, Some(&json!({ "qr": "4006381333931" })));
    assert_error(status, &body, 422, "not_a_certificate");
    assert_eq!(body["error"]["details"]["kind"], "product_code");
    assert_eq!(body["error"]["details"]["read"], "4006381333931");
    let (content_type, body) = multipart(&[("image", &png, Some("image/png"))]);
    let mut response = agent()
        .post(&format!("{}/api/v1/verify", server.base))
        .header("Content-Type", &content_type)
        .send(&body[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.body_mut().read_to_string().unwrap().contains("\"health_certificate\""));
    // And the QR link asked for JSON.
    let (status, text) = server.raw("GET", "/v/hello", None, None, &[("Accept", "application/json")]);
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("\"not_a_certificate\""), "{text}");
}

/// ` onclick="…"` and the like.
fn has_inline_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(at, _)| {
        let rest = &html[at + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].starts_with("=")
    })
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[test]
fn scan_endpoint_decodes_frames_for_the_camera() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let number = record["certificate"]["number"].as_str().unwrap();
    let png = qr_png(&server, number, &issuer, 480);
    let (status, text) = server.raw("POST", "/api/v1/scan", None, Some(&png), &[("Content-Type", "image/png")]);
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body, json!({ "qr": record["qr_text"] }));
    let blank = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::GrayImage::from_pixel(640, 480, image::Luma([200])).write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let (status, text) = server.raw("POST", "/api/v1/scan", None, Some(&blank), &[("Content-Type", "image/png")]);
    assert_error(status, &serde_json::from_str(&text).unwrap(), 422, "no_qr_code");
    let (status, text) = server.raw("POST", "/api/v1/scan", None, Some(b"hello"), &[("Content-Type", "text/plain")]);
    assert_error(status, &serde_json::from_str(&text).unwrap(), 415, "unsupported_media_type");
    let (status, text) = server.raw("POST", "/api/v1/scan", None, Some(b"not a png"), &[("Content-Type", "image/png")]);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 422, "{body}");
    // An announced body over the limit is refused before it is read.
    let (status, body) = server.raw_head(
        "POST /api/v1/scan HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/jpeg\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n",
    );
    assert_error(status, &body, 413, "payload_too_large");
}

#[test]
fn public_status_page_follows_the_registry() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let number = record["certificate"]["number"].as_str().unwrap();
    let page = get_page(&server, &format!("/c/{number}"), &[]);
    assert!(page.body.contains("data-state=\"active\"") && page.body.contains(">Active<"), "{}", page.body);
    // Public: nothing about the object, the parties or the value.
    let application = &record["certificate"];
    for private in [&application["applicant"]["name"], &application["objects"][0]["description"]] {
        assert!(!page.body.contains(private.as_str().unwrap()), "{private} is not public");
    }
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/certificates/{number}/revoke"),
        Some(&issuer),
        Some(&json!({"reason": "stolen"})),
    );
    assert_eq!(status, 200, "{body}");
    let page = get_page(&server, &format!("/c/{number}?lang=fr"), &[]);
    assert!(page.body.contains("data-state=\"revoked\"") && page.body.contains(">Révoqué<"), "{}", page.body);
    let unknown = get_page(&server, "/c/IT-2026-999999", &[]);
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("No certificate has this number"));
    let bad = get_page(&server, "/c/not-a-number", &[]);
    assert_eq!(bad.status, 404);
    assert!(bad.body.contains("FR-2026-000001"));
}

/// Writes a Y4M video (what Chromium's fake camera plays) of `png` centred on a white
/// 640×480 frame, in grey (4:2:0 with neutral chroma).
fn y4m_of(png: &[u8], path: &Path) {
    let qr = image::load_from_memory(png).unwrap().to_luma8();
    let (width, height) = (640u32, 480u32);
    let mut luma = vec![255u8; (width * height) as usize];
    let (left, top) = ((width - qr.width()) / 2, (height - qr.height()) / 2);
    for (x, y, pixel) in qr.enumerate_pixels() {
        luma[((top + y) * width + left + x) as usize] = pixel.0[0];
    }
    let chroma = vec![128u8; (width * height / 4) as usize];
    let mut video = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
        video.extend_from_slice(&chroma);
    }
    std::fs::write(path, video).unwrap();
}

/// Where the browser run saves its screenshots: `CARTOUCHE_SCREENSHOTS` (the README's
/// pictures are made with `CARTOUCHE_SCREENSHOTS=docs/screenshots`), else target/.
fn screenshots_dir() -> PathBuf {
    match std::env::var_os("CARTOUCHE_SCREENSHOTS") {
        Some(dir) => repo().join(dir),
        None => repo().join("target/screenshots"),
    }
}

#[test]
fn browser_camera_upload_tampered_officer_french_and_console() {
    let browser_dir = repo().join("tests/browser");
    let chromium = std::env::var("CARTOUCHE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists()
            && browser_dir.join("node_modules/playwright-core").exists()
            && browser_dir.join("node_modules/axe-core").exists(),
        "the browser tests need Chromium ({chromium}), playwright-core and axe-core (tests/browser/node_modules): \
         run scripts/test, which installs them (or apt-get install chromium; npm ci --prefix tests/browser)"
    );
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let officer = server.token("officer", Some("IT"));
    let record = issue_with_photo(&server, &issuer);
    let number = record["certificate"]["number"].as_str().unwrap();
    let token = record["token"].as_str().unwrap();
    let three = issue_three_objects(&server, &server.token("issuer", Some("CH")));
    let work = tempfile::tempdir().unwrap();
    let png = qr_png(&server, number, &issuer, 440);
    let qr_path = work.path().join("qr.png");
    std::fs::write(&qr_path, &png).unwrap();
    let y4m = work.path().join("qr.y4m");
    y4m_of(&png, &y4m);
    let config = json!({
        "base": server.base,
        "chromium": chromium,
        "issuer_token": issuer,
        "officer_token": officer,
        "number": number,
        "token": token,
        "tampered": tampered(token),
        "qr_text": record["qr_text"],
        "three": { "number": three["certificate"]["number"], "token": three["token"], "qr_text": three["qr_text"] },
        "qr_png": qr_path,
        "y4m": y4m,
        "shots": screenshots_dir(),
    });
    let config_path = work.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let output = Command::new("node")
        .arg(browser_dir.join("run.mjs"))
        .arg(&config_path)
        .current_dir(&browser_dir)
        .output()
        .expect("node (Node.js) runs the browser tests; install it");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "browser run failed:\n{stdout}\n{stderr}\n--- server log ---\n{}",
        server.log_text()
    );
    assert!(stdout.contains("all browser scenarios passed"), "{stdout}");
    // The scan-to-verdict times (BENCHMARKS.md), for whoever runs this with --nocapture.
    for line in stdout.lines().filter(|line| line.contains("time to verdict")) {
        println!("{line}");
    }
}
