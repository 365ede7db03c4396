//! What ministries and officers do, end to end: issue, read, list, verify, exit, return,
//! suspend, reinstate, revoke.

use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, check, example};

const EXAMPLES: [(&str, &str); 6] = [
    ("fr-painting-to-us.json", "FR"),
    ("it-archaeology-temporary-ch.json", "IT"),
    ("de-manuscript.json", "DE"),
    ("gb-sculpture.json", "GB"),
    ("ch-watch-collection.json", "CH"),
    ("us-photograph-archive.json", "US"),
];

fn qr(record: &Value) -> &str {
    record["qr_text"].as_str().unwrap()
}

#[test]
fn every_example_is_issued_and_verifies_valid() {
    let server = Server::start();
    for (file, country) in EXAMPLES {
        let issuer = server.token("issuer", Some(country));
        let record = server.issue(&issuer, &example(file));
        let number = record["certificate"]["number"].as_str().unwrap();
        assert!(number.starts_with(&format!("{country}-")) && number.ends_with("-000001"), "{number}");
        assert!(qr(&record).starts_with("https://cartouche.test/v/"), "{}", qr(&record));
        assert_eq!(record["status"]["state"], "active");
        let verdict = server.verify(qr(&record));
        assert_eq!(verdict["verdict"], "VALID", "{file}: {verdict:#}");
        assert_eq!(verdict["certificate"]["number"], number);
        assert_eq!(verdict["key"]["country"], country);
        // The bare token verifies too.
        let token = record["token"].as_str().unwrap();
        assert_eq!(server.verify(token)["verdict"], "VALID");
        // The summary shows the officer what to compare with the object.
        let application = example(file);
        let sealed = &verdict["certificate"]["objects"][0];
        assert_eq!(sealed["title"], application["objects"][0]["title"]);
        assert_eq!(sealed["photos"][0], application["objects"][0]["photos"][0]["sha256"]);
    }
}

#[test]
fn the_record_is_full_for_its_issuer_and_status_only_for_the_public() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let number = record["certificate"]["number"].as_str().unwrap();
    let (status, full) = server.call("GET", &format!("/api/v1/certificates/{number}"), Some(&issuer), None);
    assert_eq!(status, 200);
    assert_eq!(full["certificate"], record["certificate"]);
    assert_eq!(full["status"]["events"][0]["kind"], "issued");
    let (status, public) = server.call("GET", &format!("/api/v1/certificates/{number}"), None, None);
    assert_eq!(status, 200);
    assert_eq!(public["status"]["state"], "active");
    assert!(public.get("certificate").is_none(), "the public sees the status only: {public}");
    let (status, body) = server.call("GET", "/api/v1/certificates/FR-2026-999999", Some(&issuer), None);
    assert_error(status, &body, 404, "not_found");
    let (status, body) = server.call("GET", "/api/v1/certificates/not-a-number", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_number");
}

#[test]
fn a_definitive_export_exits_once() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let officer = server.token("officer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let number = record["certificate"]["number"].as_str().unwrap();
    let exit =
        json!({ "kind": "exited", "office": "Roissy-Charles-de-Gaulle fret", "declaration_ref": "26FR000123456789" });
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{number}/events"), Some(&officer), Some(&exit));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["state"], "used");
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{number}/events"), Some(&officer), Some(&exit));
    assert_error(status, &body, 409, "already_exited");
    assert!(body["error"]["message"].as_str().unwrap().contains("Roissy-Charles-de-Gaulle fret (FR)"), "{body}");
    let verdict = server.verify(qr(&record));
    assert_eq!(verdict["verdict"], "INVALID");
    let (outcome, detail) = check(&verdict, "registry_status");
    assert_eq!(outcome, "fail");
    assert!(detail.contains("already exited") && detail.contains("Roissy"), "{detail}");
    // The events list says where and when.
    assert_eq!(verdict["status"]["events"][1]["kind"], "exited");
    assert_eq!(verdict["status"]["events"][1]["country"], "FR");
    // A return makes no sense for a definitive export.
    let back = json!({ "kind": "returned", "office": "Roissy" });
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{number}/events"), Some(&officer), Some(&back));
    assert_error(status, &body, 409, "not_temporary");
}

#[test]
fn a_temporary_export_goes_out_comes_back_and_is_overdue_when_it_does_not() {
    let mut server = Server::start();
    let issuer = server.token("issuer", Some("IT"));
    let officer = server.token("officer", Some("IT"));
    let application = example("it-archaeology-temporary-ch.json");
    let due = application["reimport_due_date"].as_str().unwrap().to_owned();
    let returning = server.issue(&issuer, &application);
    let staying_out = server.issue(&issuer, &application);
    let events =
        |record: &Value| format!("/api/v1/certificates/{}/events", record["certificate"]["number"].as_str().unwrap());
    let exit = json!({ "kind": "exited", "office": "Chiasso" });
    for record in [&returning, &staying_out] {
        let (status, body) = server.call("POST", &events(record), Some(&officer), Some(&exit));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"]["state"], "exported_temporarily");
        let verdict = server.verify(qr(record));
        assert_eq!(verdict["verdict"], "VALID", "out on a temporary export is not a fault: {verdict:#}");
        assert!(check(&verdict, "registry_status").1.contains(&due));
    }
    let (status, body) = server.call("POST", &events(&returning), Some(&officer), Some(&exit));
    assert_error(status, &body, 409, "already_out");
    let (status, body) = server.call(
        "POST",
        &events(&returning),
        Some(&officer),
        Some(&json!({ "kind": "returned", "office": "Chiasso" })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["state"], "used", "a standard licence makes one trip");
    let (status, body) = server.call("POST", &events(&returning), Some(&officer), Some(&exit));
    assert_error(status, &body, 409, "already_used");
    let verdict = server.verify(qr(&returning));
    assert_eq!(verdict["verdict"], "INVALID");
    assert!(check(&verdict, "registry_status").1.contains("came back"), "{verdict:#}");
    let (status, body) = server.call(
        "POST",
        &events(&returning),
        Some(&officer),
        Some(&json!({ "kind": "returned", "office": "Chiasso" })),
    );
    assert_error(status, &body, 409, "not_out");

    // The day after the re-import date, the one still out is overdue, in the record and
    // in list queries.
    let after_due = format!("{due}T12:00:00Z");
    let after_due = time::OffsetDateTime::parse(&after_due, &time::format_description::well_known::Rfc3339).unwrap()
        + time::Duration::days(1);
    server.restart_with(Start {
        fake_clock: Some(after_due.format(&time::format_description::well_known::Rfc3339).unwrap()),
        ..Start::default()
    });
    let number = staying_out["certificate"]["number"].as_str().unwrap();
    let (_, record) = server.call("GET", &format!("/api/v1/certificates/{number}"), Some(&issuer), None);
    assert_eq!(record["status"]["state"], "overdue");
    let (status, list) = server.call("GET", "/api/v1/certificates?status=overdue", Some(&issuer), None);
    assert_eq!(status, 200);
    let numbers: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [number]);
    let verdict = server.verify(qr(&staying_out));
    assert_eq!(verdict["verdict"], "INVALID");
    assert!(check(&verdict, "registry_status").1.contains("overdue"));
}

#[test]
fn suspension_reinstatement_and_revocation_show_in_verification() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("DE"));
    let officer = server.token("officer", Some("DE"));
    let record = server.issue(&issuer, &example("de-manuscript.json"));
    let number = record["certificate"]["number"].as_str().unwrap();
    let path = |action: &str| format!("/api/v1/certificates/{number}/{action}");
    let reason = json!({ "reason": "Zweifel an der Provenienz; Prüfung läuft" });

    let (status, body) = server.call("POST", &path("suspend"), Some(&issuer), Some(&reason));
    assert_eq!(status, 200, "{body}");
    let verdict = server.verify(qr(&record));
    assert_eq!(verdict["verdict"], "INVALID");
    assert!(
        check(&verdict, "registry_status").1.contains("suspended")
            && check(&verdict, "registry_status").1.contains("Provenienz")
    );
    let (status, body) =
        server.call("POST", &path("events"), Some(&officer), Some(&json!({ "kind": "exited", "office": "Frankfurt" })));
    assert_error(status, &body, 409, "certificate_suspended");

    let (status, body) =
        server.call("POST", &path("reinstate"), Some(&issuer), Some(&json!({ "reason": "Provenienz geklärt" })));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.verify(qr(&record))["verdict"], "VALID");

    let (status, body) = server.call(
        "POST",
        &path("revoke"),
        Some(&issuer),
        Some(&json!({ "reason": "Gestohlen gemeldet (Interpol)" })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"]["state"], "revoked");
    let verdict = server.verify(qr(&record));
    assert_eq!(verdict["verdict"], "INVALID");
    assert!(check(&verdict, "registry_status").1.contains("revoked"));
    let (status, body) = server.call("POST", &path("reinstate"), Some(&issuer), Some(&json!({ "reason": "oops" })));
    assert_error(status, &body, 409, "certificate_revoked");
    let (status, body) = server.call("POST", &path("suspend"), Some(&issuer), Some(&json!({ "reason": "  " })));
    assert_error(status, &body, 400, "invalid_reason");
    let (status, body) = server.call("POST", &path("revoke"), Some(&issuer), Some(&json!({})));
    assert_error(status, &body, 400, "invalid_request");
}

#[test]
fn idempotency_key_returns_the_same_certificate_and_refuses_a_different_body() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("GB"));
    let application = example("gb-sculpture.json");
    let key = [("Idempotency-Key", "gb-2026-export-0042")];
    let (first_status, first) =
        server.call_with("POST", "/api/v1/certificates", Some(&issuer), Some(&application), &key);
    assert_eq!(first_status, 201, "{first}");
    let (again_status, again) =
        server.call_with("POST", "/api/v1/certificates", Some(&issuer), Some(&application), &key);
    assert_eq!(again_status, 200, "{again}");
    assert_eq!(again["certificate"], first["certificate"]);
    let mut changed = application.clone();
    changed["purpose"] = "exhibition".into();
    let (status, body) = server.call_with("POST", "/api/v1/certificates", Some(&issuer), Some(&changed), &key);
    assert_error(status, &body, 409, "idempotency_key_reused");
    let (_, list) = server.call("GET", "/api/v1/certificates", Some(&issuer), None);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "the replay issued nothing new");
}

#[test]
fn listing_filters_pages_and_searches() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let officer = server.token("officer", Some("CH"));
    let mut numbers = Vec::new();
    for _ in 0..5 {
        numbers.push(
            server.issue(&issuer, &example("fr-painting-to-us.json"))["certificate"]["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    server.call(
        "POST",
        &format!("/api/v1/certificates/{}/revoke", numbers[1]),
        Some(&issuer),
        Some(&json!({ "reason": "erreur de saisie" })),
    );
    let (status, page) = server.call("GET", "/api/v1/certificates?limit=2", Some(&issuer), None);
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next_after"].as_str().unwrap();
    let (_, page2) = server.call("GET", &format!("/api/v1/certificates?limit=10&after={next}"), Some(&issuer), None);
    assert_eq!(page2["items"].as_array().unwrap().len(), 3);
    assert!(page2["next_after"].is_null());
    let (_, revoked) = server.call("GET", "/api/v1/certificates?status=revoked", Some(&officer), None);
    assert_eq!(revoked["items"][0]["number"], numbers[1].as_str());
    assert_eq!(revoked["items"].as_array().unwrap().len(), 1);
    let (_, found) = server.call("GET", "/api/v1/certificates?country=FR&q=hubert%20robert", Some(&officer), None);
    assert_eq!(found["items"].as_array().unwrap().len(), 5);
    let (_, none) = server.call("GET", "/api/v1/certificates?q=vermeer", Some(&issuer), None);
    assert!(none["items"].as_array().unwrap().is_empty());
    let (status, body) = server.call("GET", "/api/v1/certificates?status=lost", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_status");
    let (status, body) = server.call("GET", "/api/v1/certificates?limit=0", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_limit");
    let (status, body) = server.call("GET", "/api/v1/certificates?limit=abc", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_query");
    assert!(body["error"]["message"].as_str().unwrap().contains("limit"), "{body}");
    let (status, body) = server.call("GET", "/api/v1/certificates?colour=red", Some(&issuer), None);
    assert_error(status, &body, 400, "invalid_query");
    assert!(!serde_json::to_string(&page).unwrap().contains("null"), "optional members are omitted, not null: {page}");
}

#[test]
fn an_invalid_application_names_every_bad_field() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let mut application = example("fr-painting-to-us.json");
    application["objects"][0]["hs_code"] = "97".into();
    application["destination_country"] = "usa".into();
    let (status, body) = server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&application));
    assert_error(status, &body, 400, "validation_failed");
    let paths: Vec<&str> =
        body["error"]["details"]["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"/objects/0/hs_code") && paths.contains(&"/destination_country"), "{paths:?}");
    let (status, body) = server.raw("POST", "/api/v1/certificates", Some(&issuer), Some(b"{\"licence_type\": "), &[]);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_error(status, &body, 400, "invalid_json");
    let (status, body) = server.raw(
        "POST",
        "/api/v1/certificates",
        Some(&issuer),
        Some(b"<xml/>"),
        &[("Content-Type", "application/xml")],
    );
    assert_error(status, &serde_json::from_str(&body).unwrap(), 415, "unsupported_media_type");
}

#[test]
fn key_rotation_keeps_old_seals_valid_and_signs_new_ones_with_the_new_key() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("CH"));
    let before = server.issue(&issuer, &example("ch-watch-collection.json"));
    let old_kid = before["kid"].as_str().unwrap().to_owned();
    let (status, rotated) =
        server.call("POST", "/api/v1/countries/CH/keys", Some(&server.admin), Some(&json!({ "alg": "ES256" })));
    assert_eq!(status, 201, "{rotated}");
    assert_eq!(rotated["retired"][0], old_kid.as_str());
    let after = server.issue(&issuer, &example("ch-watch-collection.json"));
    assert_ne!(after["kid"], before["kid"]);
    let verdict = server.verify(qr(&after));
    assert_eq!(verdict["verdict"], "VALID", "{verdict:#}");
    assert_eq!(verdict["key"]["alg"], "ES256");
    assert_eq!(server.verify(qr(&before))["verdict"], "VALID", "the retired key still verifies what it signed");
    let (_, list) = server.call("GET", "/api/v1/trust-list", None, None);
    let ch: Vec<&Value> = list["keys"].as_array().unwrap().iter().filter(|k| k["country"] == "CH").collect();
    assert_eq!(ch.len(), 2);
    assert!(ch.iter().any(|k| k["kid"] == old_kid.as_str() && k["retired_at"].is_string()));
    let (_, jwks) = server.call("GET", "/.well-known/jwks.json", None, None);
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kty"] == "EC" && k["crv"] == "P-256"));
    assert!(!serde_json::to_string(&list).unwrap().contains("\"d\""), "no private key material in the trust list");
}
