//! QR codes over HTTP: the seal as PNG and SVG, the round trip QR → photo → verify for
//! every example, and hostile or useless images refused with a clear 422.

use serde_json::Value;

use crate::support::{Server, assert_error, example};

const EXAMPLES: [(&str, &str); 7] = [
    ("fr-painting-to-us.json", "FR"),
    ("it-archaeology-temporary-ch.json", "IT"),
    ("de-manuscript.json", "DE"),
    ("gb-sculpture.json", "GB"),
    ("ch-watch-collection.json", "CH"),
    ("us-photograph-archive.json", "US"),
    ("fr-violin-bow-cites-jp.json", "FR"),
];

fn bytes(server: &Server, path: &str, token: &str) -> (u16, Vec<u8>, String) {
    let mut response = crate::support::agent()
        .get(&format!("{}{path}", server.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.body_mut().with_config().limit(32 * 1024 * 1024).read_to_vec().unwrap();
    (status, body, content_type)
}

/// Posts `image` as the multipart field `image` to /api/v1/verify.
fn verify_image(server: &Server, image: &[u8], content_type: &str) -> (u16, Value) {
    let boundary = "cartouche-test-boundary-7d3f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"scan\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, text) = server.raw(
        "POST",
        "/api/v1/verify",
        None,
        Some(&body),
        &[("Content-Type", &format!("multipart/form-data; boundary={boundary}"))],
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn every_example_round_trips_qr_png_to_a_valid_verdict() {
    let server = Server::start();
    for (file, country) in EXAMPLES {
        let issuer = server.token("issuer", Some(country));
        let record = server.issue(&issuer, &example(file));
        let number = record["certificate"]["number"].as_str().unwrap();
        let (status, png, content_type) =
            bytes(&server, &format!("/api/v1/certificates/{number}/qr.png?size=800"), &issuer);
        assert_eq!((status, content_type.as_str()), (200, "image/png"), "{file}");
        let decoded = cartouche_seal::scan::decode_qr(&png).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(decoded, record["qr_text"].as_str().unwrap(), "{file}");
        // The officer photographs the code and uploads the photo.
        let (status, verdict) = verify_image(&server, &png, "image/png");
        assert_eq!(status, 200, "{file}: {verdict}");
        assert_eq!(verdict["verdict"], "VALID", "{file}: {verdict:#}");
        assert_eq!(verdict["certificate"]["number"], number);
    }
}

#[test]
fn the_qr_routes_render_svg_check_options_and_authorization() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("GB"));
    let officer = server.token("officer", Some("FR"));
    let other = server.token("issuer", Some("DE"));
    let number =
        server.issue(&issuer, &example("gb-sculpture.json"))["certificate"]["number"].as_str().unwrap().to_owned();
    let (status, svg, content_type) = bytes(&server, &format!("/api/v1/certificates/{number}/qr.svg?ec=Q"), &officer);
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"));
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let (status, _, _) = bytes(&server, &format!("/api/v1/certificates/{number}/qr.png"), &other);
    assert_eq!(status, 403);
    let (status, body) = server.call("GET", &format!("/api/v1/certificates/{number}/qr.png?ec=Z"), Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_ec_level");
    let (status, body) =
        server.call("GET", &format!("/api/v1/certificates/{number}/qr.png?size=20"), Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_size");
    let (status, body) = server.call("GET", &format!("/api/v1/certificates/{number}/qr.png"), None, None);
    assert_error(status, &body, 401, "unauthorized");
}

fn png(image: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG whose IHDR claims `width` × `height`, followed by a token IDAT and IEND.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &miniz_oxide::deflate::compress_to_vec_zlib(&[0; 64], 6));
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn useless_and_hostile_images_get_a_clear_422_and_the_server_stays_up() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let number =
        server.issue(&issuer, &example("fr-painting-to-us.json"))["certificate"]["number"].as_str().unwrap().to_owned();
    let (_, real, _) = bytes(&server, &format!("/api/v1/certificates/{number}/qr.png"), &issuer);

    let (status, body) =
        verify_image(&server, &png(&image::GrayImage::from_pixel(800, 600, image::Luma([255]))), "image/png");
    assert_error(status, &body, 422, "no_qr_code");
    let (status, body) = verify_image(&server, &png_header(30_000, 30_000), "image/png");
    assert_error(status, &body, 422, "image_too_large");
    // A decompression bomb: a valid 9000 × 9000 PNG (81 megapixels) of a few hundred kilobytes.
    let bomb = png(&image::GrayImage::new(9000, 9000));
    assert!(bomb.len() < 1_000_000, "{}", bomb.len());
    let (status, body) = verify_image(&server, &bomb, "image/png");
    assert_error(status, &body, 422, "image_too_large");
    let (status, body) = verify_image(&server, &real[..real.len() / 2], "image/png");
    assert_error(status, &body, 422, "image_unreadable");
    let (status, body) = verify_image(&server, b"%PDF-1.7 not an image", "application/pdf");
    assert_error(status, &body, 422, "unsupported_image");
    // Over the upload limit: refused before it is read.
    let head = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        64 * 1024 * 1024
    );
    let (status, body) = server.raw_head(&head);
    assert_error(status, &body, 413, "payload_too_large");
    // A form without the image field.
    let (status, text) = server.raw(
        "POST",
        "/api/v1/verify",
        None,
        Some(b"--b\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nx\r\n--b--\r\n"),
        &[("Content-Type", "multipart/form-data; boundary=b")],
    );
    assert_error(status, &serde_json::from_str(&text).unwrap(), 400, "invalid_upload");
    // Still healthy, and a real photo still verifies.
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
    let (status, verdict) = verify_image(&server, &real, "image/png");
    assert_eq!((status, verdict["verdict"].as_str()), (200, Some("VALID")), "{verdict}");
}
