//! Watch lists of stolen and missing objects: loaded through the API and the CLI, in
//! versions; every certificate photo compared with the listed photos by perceptual hash at
//! issuance and at verification; a likeness is a referral (INDETERMINATE, both photos on
//! the officer's page), never a refusal and never a silent VALID.

use std::io::Cursor;

use serde_json::{Value, json};

use crate::support::{Server, assert_error, check, cli, example};

/// An "object photo": coloured shapes on a gradient, different for each `seed`.
fn object_photo(seed: u32) -> image::DynamicImage {
    let (a, b) = ((seed * 73 % 200) as i32 + 100, (seed * 151 % 140) as i32 + 80);
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(800, 600, move |x, y| {
        let (x, y) = (x as i32, y as i32);
        if (x - 2 * a).pow(2) + (y - 2 * b).pow(2) < 150 * 150 {
            image::Rgb([200, (seed * 40 % 255) as u8, 40])
        } else if (x - 560).abs() < 90 && (y - 200 - (seed as i32 % 5) * 40).abs() < 140 {
            image::Rgb([30, 60, (seed * 90 % 255) as u8])
        } else {
            image::Rgb([(x / 4) as u8, (y / 3) as u8, (100 + seed * 30 % 150) as u8])
        }
    }))
}

fn jpeg(image: &image::DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&image.to_rgb8()).unwrap();
    out.into_inner()
}

fn upload(server: &Server, token: &str, bytes: &[u8]) -> String {
    let (status, text) =
        server.raw("POST", "/api/v1/photos", Some(token), Some(bytes), &[("Content-Type", "image/jpeg")]);
    assert!(status == 201 || status == 200, "{status} {text}");
    serde_json::from_str::<Value>(&text).unwrap()["sha256"].as_str().unwrap().to_owned()
}

fn application_with_photo(sha: &str, title: &str) -> Value {
    let mut application = example("it-archaeology-temporary-ch.json");
    application["objects"][0]["photos"] = json!([{ "sha256": sha }]);
    application["objects"][0]["title"] = title.into();
    // One object, whose one photo is on file.
    application["objects"].as_array_mut().unwrap().truncate(1);
    application
}

#[test]
fn a_listed_photo_is_a_referral_at_issuance_and_at_verification_never_a_refusal() {
    let mut server = Server::start();
    let editor = server.token("watch_list_editor", None);
    let issuer = server.token("issuer", Some("IT"));

    // The stolen object's photo, as the list has it.
    let stolen = object_photo(7);
    let listed = upload(&server, &editor, &jpeg(&stolen, 90));
    let list = json!({
        "name": "TEST-STOLEN",
        "source": "Test police database (fictional)",
        "as_of": "2026-11-30",
        "entries": [
            { "reference": "TS-0001", "description": "Fictional: red and blue composition, stolen from a test collection",
              "title": "Composition in red", "object_type": ["painting", "oil painting"], "photos": [listed] },
            { "reference": "TS-0002", "description": "Fictional: an entry with no photo" }
        ]
    });
    let (status, loaded) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&list));
    assert_eq!(status, 201, "{loaded}");
    assert_eq!(
        (loaded["version"].as_u64(), loaded["entries"].as_u64(), loaded["photos"].as_u64()),
        (Some(1), Some(2), Some(1))
    );

    // Who may load, and what a list must be.
    let (status, body) = server.call("POST", "/api/v1/watch-lists", Some(&issuer), Some(&list));
    assert_error(status, &body, 403, "forbidden");
    let mut unknown = list.clone();
    unknown["entries"][0]["photos"] = json!(["ab".repeat(32)]);
    let (status, body) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&unknown));
    assert_error(status, &body, 422, "unknown_photo");
    assert!(body["error"]["message"].as_str().unwrap().contains("POST /api/v1/photos"), "{body}");
    let mut twice = list.clone();
    twice["entries"][1]["reference"] = "TS-0001".into();
    let (status, body) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&twice));
    assert_error(status, &body, 400, "invalid_watch_list");
    // The schema first, every problem with its path: a null where a text is expected.
    let mut nulls = list.clone();
    nulls["entries"][0]["title"] = Value::Null;
    let (status, body) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&nulls));
    assert_error(status, &body, 400, "validation_failed");
    assert_eq!(body["error"]["details"]["errors"][0]["path"], "/entries/0/title", "{body}");
    let mut badly_named = list.clone();
    badly_named["name"] = "stolen things".into();
    let (status, body) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&badly_named));
    assert_error(status, &body, 400, "validation_failed");

    // The same object photographed again at the ministry: cropped, in other light,
    // re-compressed. Issuance is not refused; the answer carries the referral.
    let recaptured = stolen.crop_imm(40, 30, 720, 540).brighten(25);
    let certified = upload(&server, &issuer, &jpeg(&recaptured, 70));
    assert_ne!(certified, listed, "not the same bytes: only a perceptual match can find it");
    let record = server.issue(&issuer, &application_with_photo(&certified, "Composizione"));
    let referral = &record["referrals"][0];
    assert_eq!(referral["list"], "TEST-STOLEN", "{record}");
    assert_eq!((referral["reference"].as_str(), referral["version"].as_u64()), (Some("TS-0001"), Some(1)));
    assert_eq!(
        (referral["photo"].as_str(), referral["listed_photo"].as_str()),
        (Some(certified.as_str()), Some(listed.as_str()))
    );
    let number = record["certificate"]["number"].as_str().unwrap().to_owned();
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=20", Some(&server.admin.clone()), None);
    assert!(
        audit.to_string().contains("watch_list.referral") && audit.to_string().contains(&number),
        "the referral is in the audit log: {audit}"
    );

    // At the border: INDETERMINATE with the referral, never VALID.
    let qr = record["qr_text"].as_str().unwrap().to_owned();
    let verdict = server.verify(&qr);
    assert_eq!(verdict["verdict"], "INDETERMINATE", "{verdict}");
    let (outcome, detail) = check(&verdict, "photo_watch");
    assert_eq!(outcome, "not_checked");
    assert!(detail.contains("TS-0001") && detail.contains("TEST-STOLEN") && detail.contains("compare"), "{detail}");
    assert_eq!(verdict["referrals"][0]["listed_photo"].as_str(), Some(listed.as_str()));

    // The officer's page shows both photos side by side.
    let token = qr.rsplit('/').next().unwrap();
    let (status, page) = server.raw("GET", &format!("/v/{token}"), None, None, &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    assert!(page.contains("id=\"referrals\""), "{page}");
    assert!(page.contains(&format!("/api/v1/photos/{listed}/thumbnail")), "the list's photo is shown");
    assert!(page.contains(&format!("/api/v1/photos/{certified}/thumbnail")), "the certificate's photo is shown");

    // An unrelated object: compared, no likeness, VALID.
    let other = upload(&server, &issuer, &jpeg(&object_photo(2), 90));
    let clean = server.issue(&issuer, &application_with_photo(&other, "Altra cosa"));
    assert!(clean.get("referrals").is_none(), "{clean}");
    let verdict = server.verify(clean["qr_text"].as_str().unwrap());
    assert_eq!(verdict["verdict"], "VALID", "{verdict}");
    let (outcome, detail) = check(&verdict, "photo_watch");
    assert_eq!(outcome, "pass", "{detail}");

    // Lists survive a restart.
    server.restart();
    assert_eq!(server.verify(&qr)["verdict"], "INDETERMINATE");

    // Version 2 drops the entry (the object was found): in force at once; version 1 stays.
    let mut found = list.clone();
    found["entries"] = json!([list["entries"][1].clone()]);
    let (status, loaded) = server.call("POST", "/api/v1/watch-lists", Some(&editor), Some(&found));
    assert_eq!((status, loaded["version"].as_u64()), (201, Some(2)), "{loaded}");
    assert_eq!(server.verify(&qr)["verdict"], "VALID");
    let officer = server.token("officer", Some("CH"));
    let (status, lists) = server.call("GET", "/api/v1/watch-lists", Some(&officer), None);
    assert_eq!((status, lists["lists"][0]["version"].as_u64()), (200, Some(2)), "{lists}");
    let (status, first) = server.call("GET", "/api/v1/watch-lists/TEST-STOLEN?version=1", Some(&officer), None);
    assert_eq!((status, first["entries"].as_array().map(Vec::len)), (200, Some(2)), "{first}");
    assert_eq!(first["entries"][0]["photos"][0]["hashes"].as_array().map(Vec::len), Some(3));
    let (status, body) = server.call("GET", "/api/v1/watch-lists/TEST-STOLEN?version=3", Some(&officer), None);
    assert_error(status, &body, 404, "not_found");
    let (status, _) = server.call("GET", "/api/v1/watch-lists", None, None);
    assert_eq!(status, 401, "lists are for token holders");
}

#[test]
fn the_cli_loads_a_csv_list_with_its_photos() {
    let server = Server::start();
    let editor = server.token("watch_list_editor", None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jpg"), jpeg(&object_photo(3), 90)).unwrap();
    std::fs::write(dir.path().join("b.jpg"), jpeg(&object_photo(4), 90)).unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "reference,description,title,maker,object_type,photos\n\
         CSV-1,\"Fictional: a bronze, \"\"the dancer\"\", stolen 2019\",The dancer,Unknown,sculpture;bronze,a.jpg;b.jpg\n\
         CSV-2,Fictional: a missing icon,,,icon,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("editor.token"), &editor).unwrap();
    let env = [("CARTOUCHE_SERVER", server.base.as_str())];
    let (code, out, err) = cli(
        &[
            "watch-list",
            "load",
            "list.csv",
            "--name",
            "CSV-LIST",
            "--source",
            "Test CSV export",
            "--as-of",
            "2026-11-01",
            "--token-file",
            "editor.token",
        ],
        &env,
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CSV-LIST version 1: 2 entries, 2 photos (2 uploaded)"), "{out}");
    let (code, out, _) = cli(&["watch-list", "list", "--token-file", "editor.token"], &env, dir.path());
    assert_eq!(code, 0);
    assert!(out.contains("CSV-LIST") && out.contains("Test CSV export"), "{out}");
    let (code, out, _) = cli(&["watch-list", "show", "CSV-LIST", "--token-file", "editor.token"], &env, dir.path());
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["entries"][0]["description"], "Fictional: a bronze, \"the dancer\", stolen 2019");
    assert_eq!(shown["entries"][0]["object_type"], json!(["sculpture", "bronze"]));
    // A CSV without the required columns is refused with the reason, nothing sent.
    std::fs::write(dir.path().join("bad.csv"), "ref,what\nX,Y\n").unwrap();
    let (code, _, err) = cli(
        &[
            "watch-list",
            "load",
            "bad.csv",
            "--name",
            "BAD",
            "--source",
            "s",
            "--as-of",
            "2026-11-01",
            "--token-file",
            "editor.token",
        ],
        &env,
        dir.path(),
    );
    assert_eq!(code, 1);
    assert!(err.contains("unknown column \"ref\""), "{err}");
}
