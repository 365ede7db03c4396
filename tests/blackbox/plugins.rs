//! Rule plugins over HTTP and the CLI: the bundled plugins published on first start and
//! run at issuance and verification, publication (who may publish, what is refused,
//! immutability, a plugin id staying with its jurisdiction), hostile plugins contained
//! with the server healthy afterwards, a busy machine's timeouts never blamed on the
//! plugin, and the plugin author's path: `cartouche plugin new`, `build`, `test`,
//! `publish`.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, check, cli, example, repo};

pub(crate) fn multipart(parts: &[(&str, &[u8])]) -> (Vec<u8>, String) {
    let boundary = "cartouche-plugin-test-boundary";
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

pub(crate) fn publish(server: &Server, token: &str, manifest: &str, component: &[u8], cases: &str) -> (u16, Value) {
    let (body, content_type) =
        multipart(&[("manifest", manifest.as_bytes()), ("component", component), ("cases", cases.as_bytes())]);
    let (status, text) =
        server.raw("POST", "/api/v1/plugins", Some(token), Some(&body), &[("Content-Type", content_type.as_str())]);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn hostile() -> &'static cartouche_plugins::Bundled {
    cartouche_plugins::test_plugin("hostile-test").unwrap()
}

fn bundled(id: &str) -> &'static cartouche_plugins::Bundled {
    cartouche_plugins::bundled(id).unwrap()
}

fn listing(server: &Server) -> Vec<Value> {
    let (status, body) = server.call("GET", "/api/v1/plugins", None, None);
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[test]
fn bundled_plugins_are_published_on_first_start_run_at_issuance_and_named_in_verdicts() {
    let mut server = Server::start();
    let items = listing(&server);
    let ids: Vec<&str> = items.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for id in [
        "at-export",
        "ca-export",
        "ch-export",
        "ch-import",
        "cites-ivory",
        "de-export",
        "es-export",
        "eu-export",
        "eu-import",
        "fr-export",
        "gb-export",
        "gr-export",
        "it-export",
        "nl-export",
        "us-import",
        "watch-list",
    ] {
        assert!(ids.contains(&id), "{id} is not published: {ids:?}");
    }
    for item in &items {
        assert_eq!(item["status"], "active", "{item}");
        assert_eq!(item["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(item["active_from"], "2026-01-01");
    }
    let sha = |id: &str| items.iter().find(|p| p["id"] == id).unwrap()["sha256"].as_str().unwrap().to_owned();

    // Issuance runs Italy's rules, the EU's (IT is a member) and the international ones.
    let issuer = server.token("issuer", Some("IT"));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let evaluations = record["certificate"]["rule_evaluations"].as_array().unwrap();
    let ran: Vec<&str> = evaluations.iter().map(|e| e["plugin"].as_str().unwrap()).collect();
    assert_eq!(ran, ["cites-ivory", "eu-export", "it-export", "watch-list"], "{evaluations:#?}");
    for evaluation in evaluations {
        assert_eq!(
            evaluation["sha256"],
            sha(evaluation["plugin"].as_str().unwrap()),
            "the record names the exact build"
        );
        assert_eq!(evaluation["phase"], "issuance");
        assert_eq!(evaluation["outcome"], "pass", "{evaluation}");
    }
    let italy = evaluations.iter().find(|e| e["plugin"] == "it-export").unwrap();
    assert_eq!(italy["findings"][0]["code"], "IT.ALC_REQUIRED");

    // An error finding refuses issuance with the findings, at the field they name.
    let mut too_long = example("it-archaeology-temporary-ch.json");
    too_long["valid_until"] = json!("2031-12-01");
    too_long["reimport_due_date"] = json!("2031-06-30");
    let (status, body) = server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&too_long));
    assert_error(status, &body, 422, "rules_refused");
    let refused = body["error"]["details"]["rule_evaluations"].as_array().unwrap();
    let italy = refused.iter().find(|e| e["plugin"] == "it-export").unwrap();
    assert_eq!(italy["outcome"], "fail");
    let finding = italy["findings"].as_array().unwrap().iter().find(|f| f["code"] == "IT.ALC_VALIDITY").unwrap();
    assert_eq!(finding["field"], "/valid_until");
    assert_eq!(finding["severity"], "error");
    assert!(finding["translations"]["fr"].as_str().is_some(), "{finding}");
    assert!(body["error"]["message"].as_str().unwrap().contains("5 years"), "{body}");

    // Verification runs the exit-check rules and names each plugin, version and hash.
    let verdict = server.verify(record["qr_text"].as_str().unwrap());
    assert_eq!(verdict["verdict"], "VALID", "{verdict:#}");
    let (outcome, detail) = check(&verdict, "rules");
    assert_eq!(outcome, "pass");
    assert!(detail.contains("eu-export 1.1.0"), "{detail}");
    let exit_rules: Vec<&str> =
        verdict["rules"].as_array().unwrap().iter().map(|r| r["plugin"].as_str().unwrap()).collect();
    assert_eq!(exit_rules, ["cites-ivory", "eu-export", "it-export", "watch-list"]);
    assert!(
        verdict["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["phase"] == "exit_check" && r["sha256"].as_str().unwrap().len() == 64)
    );

    // A restart loads the published plugins from the store and publishes nothing again.
    server.restart();
    assert_eq!(listing(&server).len(), items.len());
    let log = server.log_text();
    assert!(log.contains(&format!("loaded={} published=0", items.len())), "{log}");
}

#[test]
fn import_rules_run_when_the_destination_asks() {
    let server = Server::start_with(Start {
        reference_data: Some(repo().join("plugins/reference-data.example.json")),
        ..Start::default()
    });
    // A British bust of 1792 worth GBP 650,000 going to Germany: more than 200 years old
    // and over EUR 18,000, so Reg. 2019/880 Part C wants an importer statement.
    let mut application = example("gb-sculpture.json");
    application["destination_country"] = json!("DE");
    application["consignee"]["country"] = json!("DE");
    let issuer = server.token("issuer", Some("GB"));
    let record = server.issue(&issuer, &application);
    let qr = record["qr_text"].as_str().unwrap();

    let exit = server.verify(qr);
    assert_eq!(exit["verdict"], "VALID", "{exit:#}");
    assert!(exit["checks"].as_array().unwrap().iter().all(|c| c["name"] != "import_rules"));

    let (status, at_import) = server.call(
        "POST",
        "/api/v1/verify",
        None,
        Some(&json!({ "qr": qr, "checkpoint_country": "DE", "import_check": true })),
    );
    assert_eq!(status, 200, "{at_import}");
    assert_eq!(at_import["verdict"], "INVALID", "{at_import:#}");
    let (outcome, detail) = check(&at_import, "import_rules");
    assert_eq!(outcome, "fail");
    assert!(detail.contains("importer statement"), "{detail}");
    let import = at_import["rules"].as_array().unwrap().iter().find(|r| r["plugin"] == "eu-import").unwrap();
    assert_eq!(import["phase"], "import_check");
    assert_eq!(import["findings"][0]["code"], "EU.IMPORTER_STATEMENT_MISSING");
}

#[test]
fn publishing_is_authorized_checked_and_immutable() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    assert!(listing(&server).is_empty());
    let plugin = hostile();
    let (manifest, component, cases) = (plugin.manifest, plugin.component, plugin.cases);

    // Who may publish: an INT plugin is the admin's; a country's is its publisher's.
    let it_publisher = server.token("plugin_publisher", Some("IT"));
    let fr_publisher = server.token("plugin_publisher", Some("FR"));
    let issuer = server.token("issuer", Some("FR"));
    let (status, body) = publish(&server, &it_publisher, manifest, component, cases);
    assert_error(status, &body, 403, "country_mismatch");
    // Refused before the body is read: a small body, so the early answer cannot race the
    // upload (the server closes the connection without reading the rest).
    let (status, body) = publish(&server, &issuer, manifest, b"tiny", cases);
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = publish(&server, "ct_forged", manifest, b"tiny", cases);
    assert_eq!(status, 401, "{body}");
    let fr = bundled("fr-export");
    let (status, body) = publish(&server, &server.admin, fr.manifest, fr.component, fr.cases);
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = publish(&server, &it_publisher, fr.manifest, fr.component, fr.cases);
    assert_error(status, &body, 403, "country_mismatch");

    // What is refused, with a reason a publisher can act on; nothing is stored.
    let wasi = wat::parse_str(
        r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance (export "handle" (func (result u64))))))"#,
    )
    .unwrap();
    let (status, body) = publish(&server, &server.admin, manifest, &wasi, cases);
    assert_error(status, &body, 422, "forbidden_import");
    assert!(body["error"]["message"].as_str().unwrap().contains("wasi:http"), "{body}");
    let unknown =
        wat::parse_str(r#"(component (import "cartouche:rules/secrets@1.0.0" (instance (export "steal" (func)))))"#)
            .unwrap();
    let (status, body) = publish(&server, &server.admin, manifest, &unknown, cases);
    assert_error(status, &body, 422, "forbidden_import");
    let (status, body) = publish(&server, &server.admin, manifest, b"not wasm", cases);
    assert_error(status, &body, 422, "invalid_component");
    let (status, body) = publish(&server, &server.admin, manifest, &vec![0u8; (32 << 20) + 10], cases);
    assert_error(status, &body, 413, "component_too_large");
    let mismatch = manifest.replace("\"version\": \"1.0.0\"", "\"version\": \"2.0.0\"");
    let (status, body) = publish(&server, &server.admin, &mismatch, component, cases);
    assert_error(status, &body, 422, "describe_mismatch");
    let (status, body) =
        publish(&server, &server.admin, "{\"id\": \"Bad Id\", \"jurisdiction\": \"INT\"}", component, cases);
    assert_error(status, &body, 422, "invalid_manifest");
    let failing = cases.replace("\"expect\": []", "\"expect\": [{\"code\": \"NEVER.FOUND\", \"severity\": \"error\"}]");
    let (status, body) = publish(&server, &server.admin, manifest, component, &failing);
    assert_error(status, &body, 422, "cases_failed");
    assert_eq!(body["error"]["details"]["cases"][0]["passed"], false, "{body}");
    assert_eq!(body["error"]["details"]["cases"][0]["deterministic"], true, "{body}");
    let (body_bytes, content_type) = multipart(&[("manifest", manifest.as_bytes())]);
    let (status, text) = server.raw(
        "POST",
        "/api/v1/plugins",
        Some(&server.admin),
        Some(&body_bytes),
        &[("Content-Type", &content_type)],
    );
    assert_error(status, &serde_json::from_str(&text).unwrap(), 400, "invalid_upload");
    assert!(listing(&server).is_empty(), "a refused publication stores nothing");

    // Published, then immutable.
    let (status, body) = publish(&server, &server.admin, manifest, component, cases);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["plugin"]["id"], "hostile-test");
    assert_eq!(body["plugin"]["status"], "active");
    assert!(body["cases"][0]["fuel"].as_u64().unwrap() > 0);
    let (status, body) = publish(&server, &server.admin, manifest, component, cases);
    assert_error(status, &body, 409, "version_exists");
    // The country's own publisher publishes its plugin.
    let (status, body) = publish(&server, &fr_publisher, fr.manifest, fr.component, fr.cases);
    assert_eq!(status, 201, "{body}");
    assert_eq!(listing(&server).len(), 2);
    let (status, audit) = server.call("GET", "/api/v1/audit?limit=50", Some(&server.admin), None);
    assert_eq!(status, 200);
    assert!(audit.to_string().contains("hostile-test@1.0.0"), "publications are audited");
}

#[test]
fn a_hostile_plugin_gives_indeterminate_with_the_reason_and_the_server_stays_healthy() {
    let server = Server::start_with(Start { no_bundled_plugins: true, ..Start::default() });
    let plugin = hostile();
    let (status, body) = publish(&server, &server.admin, plugin.manifest, plugin.component, plugin.cases);
    assert_eq!(status, 201, "{body}");
    let issuer = server.token("issuer", Some("FR"));
    for (behaviour, code, words) in [
        ("HOSTILE:loop", "HOST.OUT_OF_FUEL", "fuel"),
        ("HOSTILE:grow", "HOST.MEMORY_LIMIT", "memory"),
        ("HOSTILE:trap", "HOST.TRAP", "trapped"),
        ("HOSTILE:recursion", "HOST.TRAP", "trapped"),
        ("HOSTILE:output", "HOST.OUTPUT_TOO_LARGE", "findings"),
        ("HOSTILE:garbage", "HOST.MALFORMED_OUTPUT", "code"),
    ] {
        let mut application = example("fr-painting-to-us.json");
        application["objects"][0]["title"] = json!(behaviour);
        let (status, body) = server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&application));
        assert_error(status, &body, 422, "rules_indeterminate");
        let evaluation = &body["error"]["details"]["rule_evaluations"][0];
        assert_eq!(evaluation["outcome"], "indeterminate", "{behaviour}: {evaluation}");
        assert_eq!(evaluation["findings"][0]["code"], code, "{behaviour}: {evaluation}");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{behaviour}: {body}");
        let (status, _) = server.call("GET", "/healthz", None, None);
        assert_eq!(status, 200, "the server is healthy after {behaviour}");
    }
    // The next, well-behaved call works, and nothing was issued in between.
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    assert_eq!(record["certificate"]["number"], "FR-2026-000001");
    assert_eq!(record["certificate"]["rule_evaluations"][0]["outcome"], "pass");
}

/// `plugin` renamed as a publisher would rebuild it under another id and version: the
/// manifest and cases say so, and so does its `describe()` (its id and version sit side by
/// side in the component's data, so the same-length names are swapped there). Its rules
/// and jurisdiction stay its own.
fn renamed(plugin: &cartouche_plugins::Bundled, id: &str, version: &str) -> (String, Vec<u8>, String) {
    let mut manifest: Value = serde_json::from_str(plugin.manifest).unwrap();
    let from = format!("{}{}", plugin.id, manifest["version"].as_str().unwrap());
    let to = format!("{id}{version}");
    assert_eq!(from.len(), to.len(), "same-length names only");
    let mut component = plugin.component.to_vec();
    let at: Vec<usize> =
        component.windows(from.len()).enumerate().filter(|(_, w)| *w == from.as_bytes()).map(|(i, _)| i).collect();
    assert_eq!(at.len(), 1, "{from} occurs once in the component");
    component[at[0]..at[0] + to.len()].copy_from_slice(to.as_bytes());
    manifest["id"] = json!(id);
    manifest["version"] = json!(version);
    let mut cases: Value = serde_json::from_str(plugin.cases).unwrap();
    cases["plugin"] = json!(id);
    (manifest.to_string(), component, cases.to_string())
}

#[test]
fn a_plugin_id_belongs_to_its_jurisdiction_and_no_other_country_can_replace_it() {
    let server = Server::start();
    let before = listing(&server);
    let italy_sha = before.iter().find(|p| p["id"] == "it-export").unwrap()["sha256"].clone();
    let fr_publisher = server.token("plugin_publisher", Some("FR"));
    let france = bundled("fr-export");

    // France's rules published under Italy's id, jurisdiction FR, a higher version: France's
    // publisher may publish FR plugins, but not take Italy's id.
    let (manifest, component, cases) = renamed(france, "it-export", "1.1.1");
    assert!(manifest.contains("\"jurisdiction\":\"FR\""), "{manifest}");
    let (status, body) = publish(&server, &fr_publisher, &manifest, &component, &cases);
    assert_error(status, &body, 403, "plugin_id_taken");
    assert_eq!(
        body["error"]["message"],
        "plugin id it-export belongs to jurisdiction IT; publish your rules under an id of your own"
    );
    // The same under the EU's id (France is a member, so the FR version would have run for
    // every member state's certificates).
    let (manifest, component, cases) = renamed(france, "eu-export", "1.1.1");
    let (status, body) = publish(&server, &fr_publisher, &manifest, &component, &cases);
    assert_error(status, &body, 403, "plugin_id_taken");
    assert!(body["error"]["message"].as_str().unwrap().contains("belongs to jurisdiction EU"), "{body}");

    // Nothing changed, and both refusals are audited as denied.
    assert_eq!(listing(&server), before);
    let (status, audit) = server.call("GET", "/api/v1/audit?limit=50", Some(&server.admin), None);
    assert_eq!(status, 200, "{audit}");
    let denied: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "plugin.publish" && e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 2, "{audit:#}");
    assert!(denied.iter().any(|e| e["detail"].as_str().unwrap().contains("it-export belongs to jurisdiction IT")));

    // Italian issuance still runs Italy's plugin.
    let issuer = server.token("issuer", Some("IT"));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let evaluations = record["certificate"]["rule_evaluations"].as_array().unwrap();
    let italy = evaluations.iter().find(|e| e["plugin"] == "it-export").expect("Italy's rules ran");
    assert_eq!((&italy["version"], &italy["sha256"]), (&json!("1.1.0"), &italy_sha), "{evaluations:#?}");
    let eu = evaluations.iter().find(|e| e["plugin"] == "eu-export").unwrap();
    assert_eq!(eu["version"], "1.1.0");

    // Italy's own publisher still publishes the next version of its plugin.
    let it_publisher = server.token("plugin_publisher", Some("IT"));
    let (manifest, component, cases) = renamed(bundled("it-export"), "it-export", "1.1.1");
    let (status, body) = publish(&server, &it_publisher, &manifest, &component, &cases);
    assert_eq!(status, 201, "{body}");
    assert_eq!((&body["plugin"]["jurisdiction"], &body["plugin"]["status"]), (&json!("IT"), &json!("active")));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let italy = record["certificate"]["rule_evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["plugin"] == "it-export")
        .unwrap()
        .clone();
    assert_eq!(italy["version"], "1.1.1");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn cli_plugin_test_runs_cases_through_the_production_engine_and_reports_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = bundled("it-export");
    let component = write(dir.path(), "it-export.wasm", plugin.component);
    let cases = write(dir.path(), "cases.json", plugin.cases.as_bytes());
    let manifest = write(dir.path(), "manifest.json", plugin.manifest.as_bytes());
    let (code, stdout, stderr) = cli(&["plugin", "test", &component, &cases, "--manifest", &manifest], &[], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("it-export 1.1.0 (IT)"), "{stdout}");
    let total = serde_json::from_str::<serde_json::Value>(plugin.cases).unwrap()["cases"].as_array().unwrap().len();
    assert!(stdout.contains("PASS painting of 1740 worth EUR 13,500.01 (just over): ALC"), "{stdout}");
    assert!(
        stdout.contains("     fuel ")
            && stdout.contains("of 16777216 bytes")
            && stdout.contains("same findings and fuel twice")
    );
    assert!(stdout.contains(&format!("{total} passed, 0 failed")), "{stdout}");

    let broken = plugin.cases.replacen("\"IT.DVAL_SUFFICES\"", "\"IT.ALC_REQUIRED\"", 1);
    let broken = write(dir.path(), "broken.json", broken.as_bytes());
    let (code, stdout, _) = cli(&["plugin", "test", &component, &broken], &[], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL ")
            && stdout.contains("expected:")
            && stdout.contains(&format!("{} passed, 1 failed", total - 1)),
        "{stdout}"
    );

    // A case dated before the plugin's valid_from (2026-01-01) tests a date the registry
    // never runs this version on: refused, naming the case, with the manifest.
    let mut early: serde_json::Value = serde_json::from_str(plugin.cases).unwrap();
    early["cases"][0]["date"] = "2025-12-31".into();
    let early = write(dir.path(), "early.json", early.to_string().as_bytes());
    let (code, stdout, stderr) = cli(&["plugin", "test", &component, &early, "--manifest", &manifest], &[], dir.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("is evaluated on 2025-12-31, before the plugin's valid_from 2026-01-01"), "{stderr}");
    // Without --manifest, the manifest.json beside the cases gives the window: the case
    // fails, named, and the others still run.
    let (code, stdout, _) = cli(&["plugin", "test", &component, &early], &[], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("evaluated on 2025-12-31, before the plugin's valid_from 2026-01-01"), "{stdout}");

    // WASI beyond the deterministic layer (an HTTP client): refused, saying what is allowed.
    let wasi = wat::parse_str(r#"(component (import "wasi:http/outgoing-handler@0.2.6" (instance (export "handle" (func (result (list string)))))))"#).unwrap();
    let wasi = write(dir.path(), "wasi.wasm", &wasi);
    let (code, _, stderr) = cli(&["plugin", "test", &wasi, &cases], &[], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("wasi:http/outgoing-handler") && stderr.contains("wasm32-unknown-unknown"), "{stderr}");
}

#[test]
fn a_busy_machine_is_retried_and_then_blamed_never_the_plugin() {
    // CARTOUCHE_UNSAFE_PLUGIN_DEADLINES_MS=FIRST,RETRY plays a machine too busy to finish:
    // a 0 ms deadline stops every call at its first instruction, deterministically.
    let dir = tempfile::tempdir().unwrap();
    let plugin = bundled("it-export");
    let component = write(dir.path(), "it-export.wasm", plugin.component);
    let cases = write(dir.path(), "cases.json", plugin.cases.as_bytes());
    let manifest = write(dir.path(), "manifest.json", plugin.manifest.as_bytes());
    let test = ["plugin", "test", &component, &cases, "--manifest", &manifest];
    let deadlines = "CARTOUCHE_UNSAFE_PLUGIN_DEADLINES_MS";

    // Every first attempt times out; the retry, with a long deadline, passes.
    let (code, stdout, stderr) = cli(&test, &[(deadlines, "0,10000")], dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let total = serde_json::from_str::<serde_json::Value>(plugin.cases).unwrap()["cases"].as_array().unwrap().len();
    assert!(stdout.contains(&format!("{total} passed, 0 failed")), "{stdout}");

    // When the retry times out too, the machine is blamed (exit 3), not the plugin.
    let (code, stdout, stderr) = cli(&test, &[(deadlines, "0,0")], dir.path());
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stderr.contains("too busy") && stderr.contains("says nothing about the plugin"), "{stderr}");
    let (code, stdout, stderr) = cli(&test[..4], &[(deadlines, "0,0")], dir.path());
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stderr.contains("too busy"), "{stderr}");

    // The bundled plugins at first start: the same retry, and the same diagnosis.
    let data = dir.path().join("data");
    let serve = ["serve", "--listen", "127.0.0.1:0", "--data-dir", data.to_str().unwrap()];
    let (code, stdout, stderr) = cli(&serve, &[(deadlines, "0,0")], dir.path());
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("too busy to check the plugin"), "{stderr}");
    assert!(!stderr.contains("failed its publication checks"), "{stderr}");
}

#[test]
fn a_newcomer_scaffolds_builds_tests_and_publishes_a_plugin() {
    // Inside the checkout (the SDK is a path dependency) but outside plugins/, so the
    // scaffold is its own workspace and is not bundled.
    let scratch = repo().join("target/blackbox-plugins");
    std::fs::create_dir_all(&scratch).unwrap();
    let work = tempfile::tempdir_in(&scratch).unwrap();
    let dir = work.path().join("ch-scaffold");
    let dir_text = dir.to_str().unwrap();
    let (code, stdout, stderr) =
        cli(&["plugin", "new", "ch-scaffold", "--jurisdiction", "CH", "--dir", dir_text], &[], work.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for file in ["Cargo.toml", "manifest.json", "cases.json", "src/lib.rs", "tests/cases.rs", "README.md", "Cargo.lock"]
    {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // The same target directory as the bundled plugins: their dependencies are reused. (Its
    // id is none of theirs: the built module would take a bundled plugin's file name.)
    let target = repo().join("target").to_str().unwrap().to_owned();
    let env = [("CARGO_TARGET_DIR", target.as_str())];
    let component = work.path().join("ch-scaffold.wasm");
    let component_text = component.to_str().unwrap();
    let (code, stdout, stderr) = cli(&["plugin", "build", dir_text, "--out", component_text], &env, work.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("sha256"), "{stderr}");
    let cases = dir.join("cases.json");
    let manifest = dir.join("manifest.json");
    let (code, stdout, stderr) = cli(
        &["plugin", "test", component_text, cases.to_str().unwrap(), "--manifest", manifest.to_str().unwrap()],
        &[],
        work.path(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");

    let server = Server::start_with(Start {
        no_bundled_plugins: true,
        reference_data: Some(repo().join("plugins/reference-data.example.json")),
        ..Start::default()
    });
    let publisher = server.token("plugin_publisher", Some("CH"));
    let (code, stdout, stderr) = cli(
        &[
            "plugin",
            "publish",
            dir_text,
            "--component",
            component_text,
            "--server",
            &server.base,
            "--token",
            &publisher,
        ],
        &[],
        work.path(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("Published ch-scaffold 0.1.0 (CH)"), "{stdout}");
    let issuer = server.token("issuer", Some("CH"));
    let record = server.issue(&issuer, &example("ch-watch-collection.json"));
    let evaluation = &record["certificate"]["rule_evaluations"][0];
    assert_eq!(evaluation["plugin"], "ch-scaffold", "{record:#}");
    let (code, stdout, _) = cli(&["plugin", "list", "--server", &server.base], &[], work.path());
    assert_eq!(code, 0);
    assert!(stdout.contains("ch-scaffold") && stdout.contains("active"), "{stdout}");
}

/// A plugin written in Python, built by `cartouche plugin build` (componentize-py), published
/// over HTTP through the same checks and run at issuance next to the Rust plugin it ports,
/// with the same findings; the listing says what it asked for and what it used.
#[test]
fn a_python_plugin_is_built_published_and_run_next_to_the_rust_one() {
    let root = repo();
    if !root.join("target/toolchains/python/bin/componentize-py").exists() {
        assert!(
            std::env::var_os("CARTOUCHE_REQUIRE_TOOLCHAINS").is_none(),
            "componentize-py is missing: run scripts/plugin-toolchains"
        );
        eprintln!("skipped: componentize-py is not installed (run scripts/plugin-toolchains)");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let component_path = out.path().join("it-export-py.wasm");
    let (code, stdout, stderr) =
        cli(&["plugin", "build", "plugins/it-export-py", "--out", component_path.to_str().unwrap()], &[], &root);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let component = std::fs::read(&component_path).unwrap();

    let server = Server::start();
    let publisher = server.token("plugin_publisher", Some("IT"));
    let dir = root.join("plugins/it-export-py");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let cases = std::fs::read_to_string(dir.join("cases.json")).unwrap();
    let (status, body) = publish(&server, &publisher, &manifest, &component, &cases);
    assert_eq!(status, 201, "{body}");

    let issuer = server.token("issuer", Some("IT"));
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let evaluations = record["certificate"]["rule_evaluations"].as_array().unwrap();
    let by =
        |id: &str| evaluations.iter().find(|e| e["plugin"] == id).unwrap_or_else(|| panic!("{id}: {evaluations:#?}"));
    let (rust, python) = (by("it-export"), by("it-export-py"));
    assert_eq!(python["outcome"], rust["outcome"]);
    let codes = |e: &Value| {
        e["findings"].as_array().unwrap().iter().map(|f| (f["code"].clone(), f["field"].clone())).collect::<Vec<_>>()
    };
    assert_eq!(codes(python), codes(rust), "the same findings at the same fields");

    let items = listing(&server);
    let item = items.iter().find(|p| p["id"] == "it-export-py").unwrap();
    assert_eq!(item["wasi"], true, "{item}");
    assert_eq!(item["asked"]["memory_mib"], 64, "{item}");
    assert_eq!(item["limits"]["memory_bytes"], 64 << 20, "{item}");
    assert!(item["used"]["calls"].as_u64().unwrap() >= 1, "{item}");
    assert!(item["used"]["most_fuel"].as_u64().unwrap() > 0, "{item}");
    let rust_item = items.iter().find(|p| p["id"] == "it-export").unwrap();
    assert_eq!(rust_item["wasi"], false, "{rust_item}");
    assert_eq!(rust_item["limits"]["memory_bytes"], 16 << 20, "{rust_item}");

    // The watch list in JavaScript, published by the admin (INT), runs at issuance next to
    // the Rust one with the same outcome.
    if !root.join("plugins/watch-list-js/node_modules/.bin/componentize-js").exists() {
        assert!(std::env::var_os("CARTOUCHE_REQUIRE_TOOLCHAINS").is_none(), "run scripts/plugin-toolchains");
        return;
    }
    let component_path = out.path().join("watch-list-js.wasm");
    let (code, stdout, stderr) =
        cli(&["plugin", "build", "plugins/watch-list-js", "--out", component_path.to_str().unwrap()], &[], &root);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let dir = root.join("plugins/watch-list-js");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let cases = std::fs::read_to_string(dir.join("cases.json")).unwrap();
    let (status, body) = publish(&server, &server.admin, &manifest, &std::fs::read(&component_path).unwrap(), &cases);
    assert_eq!(status, 201, "{body}");
    let record = server.issue(&issuer, &example("it-archaeology-temporary-ch.json"));
    let evaluations = record["certificate"]["rule_evaluations"].as_array().unwrap();
    let by =
        |id: &str| evaluations.iter().find(|e| e["plugin"] == id).unwrap_or_else(|| panic!("{id}: {evaluations:#?}"));
    assert_eq!(by("watch-list-js")["outcome"], by("watch-list")["outcome"]);
    assert_eq!(codes(by("watch-list-js")), codes(by("watch-list")));
}

/// The newcomer's path in Python and in JavaScript, outside any checkout: `plugin new
/// --lang`, `plugin build` (componentize-py; componentize-js installed by npm from the
/// scaffold's pinned package.json), `plugin test`: the sample's four cases pass, as the
/// Rust sample's do.
#[test]
fn a_newcomer_scaffolds_builds_and_tests_a_python_and_a_javascript_plugin() {
    let componentize_py = repo().join("target/toolchains/python/bin/componentize-py");
    if !componentize_py.exists() {
        assert!(std::env::var_os("CARTOUCHE_REQUIRE_TOOLCHAINS").is_none(), "run scripts/plugin-toolchains");
        eprintln!("skipped: componentize-py is not installed (run scripts/plugin-toolchains)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tool = componentize_py.to_str().unwrap().to_owned();
    let env = [("CARTOUCHE_COMPONENTIZE_PY", tool.as_str())];
    for (lang, file) in [("python", "app.py"), ("javascript", "plugin.js")] {
        let id = format!("ch-{lang}");
        let (code, stdout, stderr) =
            cli(&["plugin", "new", &id, "--jurisdiction", "CH", "--lang", lang], &env, work.path());
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let dir = work.path().join(&id);
        for name in [file, "manifest.json", "cases.json", "README.md"] {
            assert!(dir.join(name).is_file(), "{lang}: {name} missing");
        }
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["limits"]["memory_mib"], 64, "an interpreter asks for its memory");
        let (code, stdout, stderr) = cli(&["plugin", "build", &id], &env, work.path());
        assert_eq!(code, 0, "{lang}: {stdout}\n{stderr}");
        let component = format!("{id}/{id}.wasm");
        let (code, stdout, stderr) =
            cli(&["plugin", "test", &component, &format!("{id}/cases.json")], &env, work.path());
        assert_eq!(code, 0, "{lang}: {stdout}\n{stderr}");
        assert!(stdout.contains("WASI (deterministic)") && stdout.contains("4 passed, 0 failed"), "{stdout}");
        assert!(stdout.contains("(as the manifest asks)"), "{stdout}");
    }
    // Python's typed bindings, for the author's editor.
    assert!(work.path().join("ch-python/bindings/wit_world").is_dir());
}
