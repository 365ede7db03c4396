//! The printable certificate over HTTP: document.pdf for a painting with a real photo and
//! for a thirteen-object application, read back with poppler's `pdftotext` and
//! `pdftoppm` as someone printing it would, the QR code on page 1 scanned from the
//! rendered page and verified, and who may download it.
//!
//! poppler-utils must be installed (`apt-get install -y poppler-utils`); without it these
//! tests fail, they do not skip.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Server, agent, assert_error, example};

/// Runs a poppler tool, failing loudly when it is not installed.
fn poppler(tool: &str, args: &[&str], dir: &Path) -> Vec<u8> {
    let output = Command::new(tool).args(args).current_dir(dir).output().unwrap_or_else(|error| {
        panic!(
            "{tool} could not be run ({error}): install poppler-utils (`apt-get install -y poppler-utils`); \
             the document tests read the PDF with it"
        )
    });
    assert!(output.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// The text of each page, in reading order.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("document.pdf"), pdf).unwrap();
    let text = String::from_utf8(poppler("pdftotext", &["-enc", "UTF-8", "document.pdf", "-"], dir.path())).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    // pdftotext ends every page with a form feed, the last one included.
    if pages.last().is_some_and(|page| page.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Page 1 rendered at 150 dpi, as a PNG.
fn page_one_png(pdf: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("document.pdf"), pdf).unwrap();
    poppler(
        "pdftoppm",
        &["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", "document.pdf", "page"],
        dir.path(),
    );
    std::fs::read(dir.path().join("page.png")).unwrap()
}

/// Downloads the document: status, content type, content disposition, body.
fn download(server: &Server, number: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let mut response = agent()
        .get(&format!("{}/api/v1/certificates/{number}/document.pdf", server.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let header =
        |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status().as_u16();
    let body = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec().unwrap();
    (status, content_type, disposition, body)
}

/// A photo of a painting as a camera would give it: a landscape JPEG.
fn painting_jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let sky = y < 700;
        let temple = (600..1000).contains(&x) && (350..800).contains(&y) && (x / 40) % 2 == 0;
        match (temple, sky) {
            (true, _) => image::Rgb([214, 200, 170]),
            (false, true) => image::Rgb([(150 + y / 10) as u8, (170 + y / 12) as u8, 220]),
            (false, false) => image::Rgb([60, (90 + (x / 20) % 40) as u8, 70]),
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
    out.into_inner()
}

fn upload(server: &Server, token: &str, jpeg: &[u8]) -> String {
    let (status, text) =
        server.raw("POST", "/api/v1/photos", Some(token), Some(jpeg), &[("Content-Type", "image/jpeg")]);
    assert_eq!(status, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["sha256"].as_str().unwrap().to_owned()
}

/// Every page carries the number and "page N / M".
fn assert_numbered(pages: &[String], number: &str) {
    let total = pages.len();
    for (index, page) in pages.iter().enumerate() {
        assert!(page.contains(number), "page {} lacks the number {number}:\n{page}", index + 1);
        let marker = format!("page {} / {total}", index + 1);
        assert!(page.contains(&marker), "page {} lacks {marker:?}:\n{page}", index + 1);
    }
}

#[test]
fn the_painting_prints_with_its_photo_and_a_qr_code_that_verifies() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let sha = upload(&server, &issuer, &painting_jpeg());
    let mut application = example("fr-painting-to-us.json");
    application["objects"][0]["photos"][0]["sha256"] = sha.clone().into();
    let record = server.issue(&issuer, &application);
    let number = record["certificate"]["number"].as_str().unwrap().to_owned();

    let (status, content_type, disposition, pdf) = download(&server, &number, &issuer);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(content_type, "application/pdf");
    assert_eq!(disposition, format!("inline; filename=\"{number}.pdf\""));
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF: {:?}", &pdf[..pdf.len().min(16)]);
    assert!(pdf.windows(9).any(|w| w == b"DCTDecode"), "the uploaded photo is embedded as a JPEG");

    let pages = pages_text(&pdf);
    assert!(!pages.is_empty());
    assert_numbered(&pages, &number);
    let all = pages.join("\n");
    for expected in [
        "Export certificate for cultural objects",
        "Certificat d'exportation de biens culturels",
        "Applicant",
        "Demandeur",
        "Consignee",
        "Destinataire",
        "Issuing authority",
        "Autorité de délivrance",
        "Representative",
        "Représentant",
        "Measurements",
        "Dimensions",
        "Dating",
        "Datation",
        "Photographs",
        "Photographies",
        "Number of pages",
        "Nombre de pages",
        "Scan to verify / Scanner pour vérifier",
        // The certificate itself, accents intact.
        "Ruines d'un temple au bord d'un fleuve",
        "Hubert Robert",
        "Ministère de la Culture",
        "Étienne Delorme",
        // The two photos never uploaded are empty frames with their hashes.
        "Photo not uploaded / Photo non téléversée",
        "4e6f6df17053b49b0bb9cb591b87efc02f9d94d650e11d5edde4e2913fa9a0cb",
        sha.as_str(),
    ] {
        assert!(all.contains(expected), "{expected:?} is missing from the document text:\n{all}");
    }
    assert!(
        !all.contains("Richiedente") && !all.contains("Antragsteller"),
        "a French certificate is in English and French"
    );

    // Print, scan: the QR code on the rendered first page is the record's, and verifies.
    let png = page_one_png(&pdf);
    let scanned = cartouche_seal::scan::decode_qr(&png).unwrap_or_else(|e| panic!("no QR code read on page 1: {e}"));
    assert_eq!(scanned, record["qr_text"].as_str().unwrap());
    let verdict = server.verify(&scanned);
    assert_eq!(verdict["verdict"], "VALID", "{verdict:#}");
    assert_eq!(verdict["certificate"]["number"], number.as_str());
}

#[test]
fn thirteen_objects_continue_on_numbered_pages_and_only_readers_may_download() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let mut application = example("it-archaeology-temporary-ch.json");
    let object = application["objects"][0].clone();
    let objects = application["objects"].as_array_mut().unwrap();
    objects.truncate(1);
    objects.extend(std::iter::repeat_n(object, 12));
    let record = server.issue(&issuer, &application);
    let number = record["certificate"]["number"].as_str().unwrap().to_owned();

    let officer = server.token("officer", Some("FR"));
    let (status, content_type, _, pdf) = download(&server, &number, &officer);
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"), "{}", String::from_utf8_lossy(&pdf));
    let pages = pages_text(&pdf);
    assert!(pages.len() >= 5, "13 objects need continuation pages; got {}", pages.len());
    assert_numbered(&pages, &number);
    let all = pages.join("\n");
    for expected in ["Object / Objet / Oggetto 1 / 13", "Object / Objet / Oggetto 13 / 13", "Richiedente", "Demandeur"]
    {
        assert!(all.contains(expected), "{expected:?} is missing from the document text:\n{all}");
    }
    let last = pages.last().unwrap();
    assert!(last.contains("Nombre de pages") && last.contains(&pages.len().to_string()), "box 25:\n{last}");

    let (status, _, _, body) = download(&server, &number, &server.admin);
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF-"));
    let path = format!("/api/v1/certificates/{number}/document.pdf");
    let other = server.token("issuer", Some("FR"));
    let (status, body) = server.call("GET", &path, Some(&other), None);
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.call("GET", &path, None, None);
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = server.call("GET", "/api/v1/certificates/IT-2026-999999/document.pdf", Some(&issuer), None);
    assert_error(status, &body, 404, "not_found");
    let (status, body) = server.call("GET", "/api/v1/certificates/nonsense/document.pdf", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_number");
}
