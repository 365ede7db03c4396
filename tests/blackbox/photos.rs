//! Object photos: uploaded by a ministry, cleaned of metadata, stored by hash, referenced
//! by the application, sealed, and shown to the officer from the verdict.

use sha2::{Digest, Sha256};

use crate::support::{Server, assert_error, example};

/// A camera-like JPEG: a gradient with an EXIF segment carrying GPS coordinates.
pub(crate) fn camera_jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(1200, 900, |x, y| image::Rgb([(x / 5 % 256) as u8, (y / 4 % 256) as u8, 120]));
    let mut plain = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 92).encode_image(&image).unwrap();
    let plain = plain.into_inner();
    let payload = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 41.9028 N; GPSLongitude 12.4964 E; Make PhoneCam";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&plain[2..]);
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn get_bytes(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let mut response = crate::support::agent().get(&format!("{}{path}", server.base)).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().with_config().limit(32 * 1024 * 1024).read_to_vec().unwrap())
}

#[test]
fn a_photo_is_cleaned_stored_by_hash_sealed_and_shown_to_the_officer() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let upload = camera_jpeg();
    let (status, text) =
        server.raw("POST", "/api/v1/photos", Some(&issuer), Some(&upload), &[("Content-Type", "image/jpeg")]);
    assert_eq!(status, 201, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sha = answer["sha256"].as_str().unwrap().to_owned();
    assert_eq!((answer["width"].as_u64(), answer["height"].as_u64()), (Some(1200), Some(900)));

    let (status, stored) = get_bytes(&server, &format!("/api/v1/photos/{sha}"));
    assert_eq!(status, 200);
    assert_eq!(hex(&Sha256::digest(&stored)), sha, "the name is the hash of the served bytes");
    assert!(!stored.windows(4).any(|w| w == b"Exif") && !stored.windows(3).any(|w| w == b"GPS"), "metadata stripped");
    let (status, thumbnail) = get_bytes(&server, &format!("/api/v1/photos/{sha}/thumbnail"));
    assert_eq!(status, 200);
    assert!(thumbnail.len() < stored.len() / 2);

    // The same upload again is the same photo.
    let (status, text) =
        server.raw("POST", "/api/v1/photos", Some(&issuer), Some(&upload), &[("Content-Type", "image/jpeg")]);
    assert_eq!(status, 200, "{text}");

    // The application references it; the seal carries it; the verdict names it.
    let mut application = example("it-archaeology-temporary-ch.json");
    application["objects"][0]["photos"][0]["sha256"] = sha.clone().into();
    let record = server.issue(&issuer, &application);
    let verdict = server.verify(record["qr_text"].as_str().unwrap());
    assert_eq!(verdict["verdict"], "VALID");
    assert_eq!(verdict["certificate"]["objects"][0]["photos"][0], sha.as_str());
    let (status, shown) = get_bytes(
        &server,
        &format!("/api/v1/photos/{}", verdict["certificate"]["objects"][0]["photos"][0].as_str().unwrap()),
    );
    assert_eq!((status, shown.len()), (200, stored.len()));
    // The page a phone opens from the QR code shows the certified photo.
    let link = record["qr_text"].as_str().unwrap();
    let path = &link[link.find("/v/").unwrap()..];
    let (status, html) = server.raw("GET", path, None, None, &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    assert!(html.contains("VALID") && html.contains(&format!("/api/v1/photos/{sha}/thumbnail")), "{html}");
}

#[test]
fn bad_uploads_are_refused_with_a_clear_code() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let officer = server.token("officer", Some("FR"));
    let upload = camera_jpeg();
    let post = |token: Option<&str>, body: &[u8], content_type: &str| {
        let (status, text) = server.raw("POST", "/api/v1/photos", token, Some(body), &[("Content-Type", content_type)]);
        (status, serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default())
    };
    let (status, body) = post(Some(&officer), &upload, "image/jpeg");
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = post(None, &upload, "image/jpeg");
    assert_error(status, &body, 401, "unauthorized");
    let (status, body) = post(Some(&issuer), b"hello", "text/plain");
    assert_error(status, &body, 415, "unsupported_media_type");
    let (status, body) = post(Some(&issuer), &upload[..upload.len() / 2], "image/jpeg");
    assert_error(status, &body, 422, "image_unreadable");
    let (status, body) = post(Some(&issuer), b"GIF89a\x01\x00\x01\x00", "image/png");
    assert_error(status, &body, 422, "unsupported_image");
    let head = format!(
        "POST /api/v1/photos HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {issuer}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        64 * 1024 * 1024
    );
    let (status, body) = server.raw_head(&head);
    assert_error(status, &body, 413, "payload_too_large");
    let (status, body) = server.call("GET", "/api/v1/photos/not-a-hash", None, None);
    assert_error(status, &body, 400, "invalid_photo_hash");
    let (status, body) = server.call("GET", &format!("/api/v1/photos/{}", "0".repeat(64)), None, None);
    assert_error(status, &body, 404, "not_found");
}
