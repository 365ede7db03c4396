//! The issuance log from outside, as a monitor, another country or a witness sees it:
//! tiles, checkpoints and proofs checked with a small RFC 6962 implementation written
//! here (not the project's tree code); a tampered log; the witness protocol; two
//! registries witnessing each other; kill -9 during a burst.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Server, Start, check, cli, example};

// ---- an independent RFC 6962 -------------------------------------------------------

fn leaf(entry: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(entry);
    hasher.finalize().into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// MTH of RFC 6962 §2.1, by its definition.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The audit path of RFC 6962 §2.1.1.
fn audit_path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = leaves.len().next_power_of_two() / 2;
    if index < k {
        let mut path = audit_path(index, &leaves[..k]);
        path.push(mth(&leaves[k..]));
        path
    } else {
        let mut path = audit_path(index - k, &leaves[k..]);
        path.push(mth(&leaves[..k]));
        path
    }
}

/// Recomputes the root from a leaf and its audit path (RFC 9162 §2.1.3.2).
fn root_from_path(index: u64, size: u64, leaf_hash: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = leaf_hash;
    for p in path {
        if s_n == 0 {
            return None;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    (s_n == 0).then_some(r)
}

/// The consistency proof of RFC 6962 §2.1.2 (SUBPROOF).
fn subproof(m: usize, leaves: &[[u8; 32]], complete: bool) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if m == n {
        return if complete { Vec::new() } else { vec![mth(leaves)] };
    }
    let k = n.next_power_of_two() / 2;
    if m <= k {
        let mut proof = subproof(m, &leaves[..k], complete);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = subproof(m - k, &leaves[k..], false);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

// ---- notes -----------------------------------------------------------------------------

/// `<name>+<hex id>+<base64(type || key)>`, checked.
fn parse_vkey(vkey: &str) -> (String, [u8; 4], u8, VerifyingKey) {
    let parts: Vec<&str> = vkey.trim().splitn(3, '+').collect();
    let bytes = STANDARD.decode(parts[2]).unwrap();
    let mut id_input = parts[0].as_bytes().to_vec();
    id_input.push(b'\n');
    id_input.extend_from_slice(&bytes);
    let id: [u8; 4] = Sha256::digest(&id_input)[..4].try_into().unwrap();
    assert_eq!(hex(&id), parts[1], "the key id of {vkey}");
    let key = VerifyingKey::from_bytes(&bytes[1..].try_into().unwrap()).unwrap();
    (parts[0].to_owned(), id, bytes[0], key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A checkpoint note: its text, size, root, and signature lines (name, key id, sig).
struct Note {
    text: String,
    size: u64,
    root: [u8; 32],
    signatures: Vec<(String, [u8; 4], Vec<u8>)>,
}

fn parse_note(note: &str) -> Note {
    let (text, signatures) = note.split_once("\n\n").expect("a blank line before the signatures");
    let lines: Vec<&str> = text.lines().collect();
    let signatures = signatures
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("\u{2014} ").expect("a signature line");
            let (name, encoded) = rest.split_once(' ').unwrap();
            let bytes = STANDARD.decode(encoded).unwrap();
            (name.to_owned(), bytes[..4].try_into().unwrap(), bytes[4..].to_vec())
        })
        .collect();
    Note {
        text: format!("{text}\n"),
        size: lines[1].parse().unwrap(),
        root: STANDARD.decode(lines[2]).unwrap().try_into().unwrap(),
        signatures,
    }
}

/// Checks the log's signature on a note with its vkey.
fn check_log_signature(note: &Note, vkey: &str) {
    let (name, id, alg, key) = parse_vkey(vkey);
    assert_eq!(alg, 1);
    assert!(note.text.starts_with(&format!("{name}\n")), "origin line");
    let (_, _, signature) =
        note.signatures.iter().find(|(n, i, _)| *n == name && *i == id).expect("a signature by the log key");
    key.verify(note.text.as_bytes(), &ed25519_dalek::Signature::from_slice(signature).unwrap())
        .expect("the log's signature verifies");
}

/// Checks a cosignature (type 0x04) on a note with the witness's vkey; its timestamp.
fn check_cosignature(note: &Note, vkey: &str) -> Option<u64> {
    let (name, id, alg, key) = parse_vkey(vkey);
    assert_eq!(alg, 4);
    let (_, _, signature) = note.signatures.iter().find(|(n, i, _)| *n == name && *i == id)?;
    let timestamp = u64::from_be_bytes(signature[..8].try_into().unwrap());
    let message = format!("cosignature/v1\ntime {timestamp}\n{}", note.text);
    key.verify(message.as_bytes(), &ed25519_dalek::Signature::from_slice(&signature[8..]).unwrap())
        .expect("the cosignature verifies");
    Some(timestamp)
}

// ---- fetching the log --------------------------------------------------------------------

fn get(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let mut response = crate::support::agent().get(&format!("{}{path}", server.base)).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().with_config().limit(10 << 20).read_to_vec().unwrap())
}

fn text(server: &Server, path: &str) -> String {
    let (status, body) = get(server, path);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    String::from_utf8(body).unwrap()
}

fn tile_path(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Every entry of the checkpoint's tree, from the entry bundles.
fn entries(server: &Server, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256);
        let partial = if width == 256 { String::new() } else { format!(".p/{width}") };
        let (status, bytes) = get(server, &format!("/log/tile/entries/{}{partial}", tile_path(n)));
        assert_eq!(status, 200);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            out.push(rest[2..2 + length].to_vec());
            rest = &rest[2 + length..];
        }
    }
    assert_eq!(out.len() as u64, size);
    out
}

/// Waits until the checkpoint holds `wanted` entries accepted by `done`.
fn wait_for_checkpoint(server: &Server, done: impl Fn(&[Value]) -> bool) -> (Note, Vec<Vec<u8>>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let note = parse_note(&text(server, "/log/checkpoint"));
        let all = entries(server, note.size);
        let parsed: Vec<Value> = all.iter().map(|e| serde_json::from_slice(e).unwrap()).collect();
        if done(&parsed) {
            return (note, all);
        }
        assert!(Instant::now() < deadline, "the checkpoint did not catch up within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn count(entries: &[Value], kind: &str) -> usize {
    entries.iter().filter(|e| e["event"]["type"] == kind || e["event"]["kind"] == kind).count()
}

#[test]
fn the_log_is_checked_independently_tiles_checkpoint_and_proofs() {
    let server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let officer = server.token("officer", Some("FR"));
    let records: Vec<Value> = (0..3).map(|_| server.issue(&issuer, &example("fr-painting-to-us.json"))).collect();
    let number = |i: usize| records[i]["certificate"]["number"].as_str().unwrap().to_owned();
    let (status, body) = server.call(
        "POST",
        &format!("/api/v1/certificates/{}/revoke", number(0)),
        Some(&issuer),
        Some(&json!({ "reason": "stolen before export" })),
    );
    assert_eq!(status, 200, "{body}");
    let exit =
        json!({ "kind": "exited", "office": "Roissy-Charles-de-Gaulle fret", "declaration_ref": "26FR000123456789" });
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{}/events", number(1)), Some(&officer), Some(&exit));
    assert_eq!(status, 200, "{body}");

    let vkey = text(&server, "/log/vkey");
    let (note, all) = wait_for_checkpoint(&server, |entries| {
        count(entries, "issued") == 3 && count(entries, "revoked") == 1 && count(entries, "exited") == 1
    });
    // The checkpoint is signed by the published key, which the trust list also names.
    check_log_signature(&note, &vkey);
    let (_, trust) = server.call("GET", "/api/v1/trust-list", None, None);
    assert_eq!(trust["log"]["vkey"].as_str().unwrap(), vkey.trim());
    // Recomputed here from the entries, the root is the checkpoint's.
    let leaves: Vec<[u8; 32]> = all.iter().map(|entry| leaf(entry)).collect();
    assert_eq!(mth(&leaves), note.root, "the entries hash to the signed root");
    // The level-0 hash tile holds the leaf hashes.
    let size = note.size;
    let (status, tile) = get(&server, &format!("/log/tile/0/000.p/{}", size.min(255)));
    assert_eq!(status, 200);
    assert_eq!(tile, leaves[..size.min(255) as usize].concat());
    // Keys and plugins are logged too.
    let parsed: Vec<Value> = all.iter().map(|e| serde_json::from_slice(e).unwrap()).collect();
    assert!(count(&parsed, "key") >= 1 && count(&parsed, "plugin") >= 1, "{parsed:?}");
    for entry in &parsed {
        cartouche_model::validate::check_schema(cartouche_model::validate::SchemaKind::LogEntry, entry)
            .unwrap_or_else(|error| panic!("{entry} does not match schemas/log-entry.schema.json: {error}"));
    }
    // A tile past the checkpoint is not there; a hostile path is refused.
    assert_eq!(get(&server, "/log/tile/0/999").0, 404);
    assert_eq!(get(&server, "/log/tile/0/000.p/0").0, 400);
    assert_eq!(get(&server, "/log/tile/300/000").0, 400);

    for (i, record) in records.iter().enumerate() {
        // The proof, checked with the code above.
        let proof = text(&server, &format!("/api/v1/certificates/{}/proof", number(i)));
        let (head, checkpoint) = proof.split_once("\n\n").unwrap();
        let mut lines = head.lines();
        assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
        assert_eq!(lines.next().unwrap(), format!("extra {}", STANDARD.encode(number(i))));
        let index: u64 = lines.next().unwrap().strip_prefix("index ").unwrap().parse().unwrap();
        let path: Vec<[u8; 32]> = lines.map(|line| STANDARD.decode(line).unwrap().try_into().unwrap()).collect();
        let proof_note = parse_note(checkpoint);
        check_log_signature(&proof_note, &vkey);
        let entry: Value = serde_json::from_slice(&all[index as usize]).unwrap();
        assert_eq!(entry["event"]["type"], "issued");
        assert_eq!(entry["event"]["number"], number(i));
        let token = record["token"].as_str().unwrap();
        assert_eq!(entry["event"]["token_sha256"], hex(&Sha256::digest(token.as_bytes())));
        assert_eq!(entry["event"]["kid"], record["kid"]);
        assert_eq!(
            root_from_path(index, proof_note.size, leaf(&all[index as usize]), &path),
            Some(proof_note.root),
            "the inclusion proof of {}",
            number(i)
        );
        assert_eq!(path, audit_path(index as usize, &leaves[..proof_note.size as usize]));
        // The verdict's log check.
        let verdict = server.verify(record["qr_text"].as_str().unwrap());
        let (outcome, detail) = check(&verdict, "log");
        assert_eq!(outcome, "pass", "{detail}");
    }

    // The monitor, twice: the second run checks consistency with the first.
    let state = server.dir.path().join("monitor.json");
    let state_arg = state.to_str().unwrap();
    for _ in 0..2 {
        let (code, stdout, stderr) =
            cli(&["log", "verify", "--url", &server.base, "--state", state_arg], &[], server.dir.path());
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(stdout.contains("OK") && stdout.contains("reconciled 3 certificates"), "{stdout}");
    }
    let (_, stdout, _) = cli(&["log", "verify", "--url", &server.base, "--state", state_arg], &[], server.dir.path());
    assert!(stdout.contains("consistent with the checkpoint"), "{stdout}");
    // A saved checkpoint the log does not extend: history rewritten (exit 4).
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    saved["root"] = json!(STANDARD.encode([7u8; 32]));
    std::fs::write(&state, saved.to_string()).unwrap();
    let (code, _, stderr) =
        cli(&["log", "verify", "--url", &server.base, "--state", state_arg], &[], server.dir.path());
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("rewritten"), "{stderr}");
}

/// Serves fixed files over HTTP/1.1 (one request per connection) until dropped.
struct FakeLog {
    base: String,
}

fn serve_files(files: HashMap<String, Vec<u8>>) -> FakeLog {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let files = Arc::new(files);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let files = Arc::clone(&files);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request).lines().next().unwrap_or_default().to_owned();
                let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let (status, body) = match files.get(&path) {
                    Some(body) => ("200 OK", body.clone()),
                    None => ("404 Not Found", b"{}".to_vec()),
                };
                let head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    FakeLog { base }
}

#[test]
fn a_tampered_log_refuses_to_start_and_the_monitor_reports_it() {
    let mut server = Server::start();
    let issuer = server.token("issuer", Some("FR"));
    let record = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let number = record["certificate"]["number"].as_str().unwrap().to_owned();
    let (note, all) = wait_for_checkpoint(&server, |entries| count(entries, "issued") == 1);
    let vkey = text(&server, "/log/vkey");
    let index = all
        .iter()
        .position(|entry| serde_json::from_slice::<Value>(entry).unwrap()["event"]["type"] == "issued")
        .unwrap();
    let forged = String::from_utf8(all[index].clone()).unwrap().replace(&number, "FR-2026-999999").into_bytes();

    // A monitor served the genuine log by a host that knows none of its certificates:
    // the log and the public status disagree (exit 5).
    let mut genuine = HashMap::new();
    genuine.insert("/log/vkey".to_owned(), vkey.clone().into_bytes());
    genuine.insert("/log/checkpoint".to_owned(), text(&server, "/log/checkpoint").into_bytes());
    for path in [format!("/log/tile/entries/000.p/{}", note.size), format!("/log/tile/0/000.p/{}", note.size)] {
        genuine.insert(path.clone(), get(&server, &path).1);
    }
    let fake = serve_files(genuine);
    let (code, stdout, stderr) =
        cli(&["log", "verify", "--url", &fake.base, "--vkey", vkey.trim()], &[], server.dir.path());
    assert_eq!(code, 5, "{stdout}\n{stderr}");
    assert!(stderr.contains(&format!("{number}: issued in the log, unknown to the registry")), "{stderr}");

    // A monitor served the altered entry bundle (everything else genuine) says so: exit 3.
    let mut files = HashMap::new();
    files.insert("/log/vkey".to_owned(), vkey.clone().into_bytes());
    files.insert("/log/checkpoint".to_owned(), text(&server, "/log/checkpoint").into_bytes());
    let mut tampered = all.clone();
    tampered[index] = forged.clone();
    let mut bundle = Vec::new();
    for entry in &tampered {
        bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    files.insert(format!("/log/tile/entries/000.p/{}", note.size), bundle);
    files.insert(
        format!("/log/tile/0/000.p/{}", note.size),
        get(&server, &format!("/log/tile/0/000.p/{}", note.size)).1,
    );
    let fake = serve_files(files.clone());
    let (code, stdout, stderr) =
        cli(&["log", "verify", "--url", &fake.base, "--vkey", vkey.trim(), "--no-reconcile"], &[], server.dir.path());
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stderr.contains("entries were altered"), "{stderr}");
    // A checkpoint signed by someone else: exit 2.
    let impostor = SigningKey::from_bytes(&[9u8; 32]);
    let origin = note.text.lines().next().unwrap();
    let mut id_input = format!("{origin}\n").into_bytes();
    id_input.push(1);
    id_input.extend_from_slice(impostor.verifying_key().as_bytes());
    let id = &Sha256::digest(&id_input)[..4];
    let mut signature = id.to_vec();
    signature.extend_from_slice(&impostor.sign(note.text.as_bytes()).to_bytes());
    let mut forged_files = files;
    forged_files.insert(
        "/log/checkpoint".to_owned(),
        format!("{}\n\u{2014} {origin} {}\n", note.text, STANDARD.encode(signature)).into_bytes(),
    );
    let fake = serve_files(forged_files);
    let (code, _, stderr) =
        cli(&["log", "verify", "--url", &fake.base, "--vkey", vkey.trim(), "--no-reconcile"], &[], server.dir.path());
    assert_eq!(code, 2, "{stderr}");

    // The same alteration in the store itself (correctly framed, so only the log's own
    // checks can see it): the server refuses to start and names the entry.
    server.kill9();
    {
        let store = cartouche_store::SledStore::open(&server.data_dir().join("store")).unwrap();
        store.rewrite_log_entry_for_tests(index as u64, &forged).unwrap();
    }
    let data_dir = server.data_dir();
    let (code, _, stderr) = cli(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("CARTOUCHE_DATA_DIR", data_dir.to_str().unwrap())],
        server.dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("issuance log") && stderr.contains(&format!("log entry {index} was altered")), "{stderr}");
}

fn post_witness(server: &Server, body: &[u8]) -> (u16, String, String) {
    let mut response = crate::support::agent()
        .post(&format!("{}/witness/add-checkpoint", server.base))
        .header("content-type", "text/plain")
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.body_mut().read_to_string().unwrap())
}

/// A checkpoint note of a test log, signed with `key`.
fn signed_checkpoint(key: &SigningKey, origin: &str, leaves: &[[u8; 32]]) -> String {
    let text = format!("{origin}\n{}\n{}\n", leaves.len(), STANDARD.encode(mth(leaves)));
    let mut id_input = format!("{origin}\n").into_bytes();
    id_input.push(1);
    id_input.extend_from_slice(key.verifying_key().as_bytes());
    let mut signature = Sha256::digest(&id_input)[..4].to_vec();
    signature.extend_from_slice(&key.sign(text.as_bytes()).to_bytes());
    format!("{text}\n\u{2014} {origin} {}\n", STANDARD.encode(signature))
}

fn vkey_of(key: &SigningKey, origin: &str) -> String {
    let mut material = vec![1u8];
    material.extend_from_slice(key.verifying_key().as_bytes());
    let mut id_input = format!("{origin}\n").into_bytes();
    id_input.extend_from_slice(&material);
    format!("{origin}+{}+{}", hex(&Sha256::digest(&id_input)[..4]), STANDARD.encode(material))
}

fn request(old: u64, proof: &[[u8; 32]], checkpoint: &str) -> Vec<u8> {
    let mut body = format!("old {old}\n");
    for hash in proof {
        body.push_str(&format!("{}\n", STANDARD.encode(hash)));
    }
    body.push('\n');
    body.push_str(checkpoint);
    body.into_bytes()
}

#[test]
fn a_witness_cosigns_consistent_checkpoints_and_refuses_the_rest() {
    let origin = "other-registry.test/log";
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let server =
        Server::start_with(Start { args: vec!["--witness-log".into(), vkey_of(&key, origin)], ..Start::default() });
    let witness_vkey = text(&server, "/witness/vkey");
    let leaves: Vec<[u8; 32]> = (0..9u8).map(|i| leaf(&[i])).collect();

    let four = signed_checkpoint(&key, origin, &leaves[..4]);
    let (status, _, cosignature) = post_witness(&server, &request(0, &[], &four));
    assert_eq!(status, 200, "{cosignature}");
    let cosigned = parse_note(&format!("{four}{cosignature}"));
    assert!(check_cosignature(&cosigned, &witness_vkey).is_some(), "{cosignature}");

    // A stale old size: 409 with the witness's size.
    let nine = signed_checkpoint(&key, origin, &leaves);
    let (status, content_type, body) = post_witness(&server, &request(0, &[], &nine));
    assert_eq!((status, content_type.as_str(), body.as_str()), (409, "text/x.tlog.size", "4\n"));
    // A proof that does not prove: 422. A fork at the same size: 422.
    let wrong = subproof(3, &leaves, true);
    assert_eq!(post_witness(&server, &request(4, &wrong, &nine)).0, 422);
    let fork = signed_checkpoint(&key, origin, &[leaves[0], leaves[1], leaves[2], leaf(b"forged")]);
    assert_eq!(post_witness(&server, &request(4, &[], &fork)).0, 422);
    // An old size above the checkpoint's: 400. Another key: 403. Another log: 404.
    assert_eq!(post_witness(&server, &request(10, &[], &nine)).0, 400);
    let impostor = SigningKey::from_bytes(&[43u8; 32]);
    assert_eq!(
        post_witness(&server, &request(4, &subproof(4, &leaves, true), &signed_checkpoint(&impostor, origin, &leaves)))
            .0,
        403
    );
    assert_eq!(post_witness(&server, &request(0, &[], &signed_checkpoint(&key, "unknown.test/log", &leaves))).0, 404);
    assert_eq!(post_witness(&server, b"garbage").0, 400);
    // The right proof: cosigned, and the witness moved on.
    let (status, _, cosignature) = post_witness(&server, &request(4, &subproof(4, &leaves, true), &nine));
    assert_eq!(status, 200, "{cosignature}");
    assert!(check_cosignature(&parse_note(&format!("{nine}{cosignature}")), &witness_vkey).is_some());
    assert_eq!(post_witness(&server, &request(4, &subproof(4, &leaves, true), &nine)).2, "9\n");
}

#[test]
fn two_registries_witness_each_other() {
    let start = |name: &str| {
        Server::start_with(Start {
            args: vec!["--public-url".into(), format!("https://{name}.test")],
            ..Start::default()
        })
    };
    let mut fr = start("fr");
    let mut it = start("it");
    let (fr_log, fr_witness) = (text(&fr, "/log/vkey").trim().to_owned(), text(&fr, "/witness/vkey").trim().to_owned());
    let (it_log, it_witness) = (text(&it, "/log/vkey").trim().to_owned(), text(&it, "/witness/vkey").trim().to_owned());
    let args = |own: &str, peer: &Server, peer_log: &str, peer_witness: &str| Start {
        args: vec![
            "--public-url".into(),
            format!("https://{own}.test"),
            "--witness".into(),
            format!("{}/witness={peer_witness}", peer.base),
            "--witness-quorum".into(),
            "1".into(),
            "--witness-log".into(),
            peer_log.to_owned(),
        ],
        ..Start::default()
    };
    let fr_args = args("fr", &it, &it_log, &it_witness);
    let it_args = args("it", &fr, &fr_log, &fr_witness);
    fr.restart_with(fr_args);
    it.restart_with(it_args);
    for (server, country, peer_witness) in [(&fr, "FR", &it_witness), (&it, "IT", &fr_witness)] {
        let issuer = server.token("issuer", Some(country));
        let application = if country == "FR" { "fr-painting-to-us.json" } else { "it-archaeology-temporary-ch.json" };
        let record = server.issue(&issuer, &example(application));
        let deadline = Instant::now() + Duration::from_secs(30);
        let verdict = loop {
            let verdict = server.verify(record["qr_text"].as_str().unwrap());
            if check(&verdict, "log").0 == "pass" {
                break verdict;
            }
            assert!(Instant::now() < deadline, "no cosigned checkpoint within 30 s: {verdict}\n{}", server.log_text());
            std::thread::sleep(Duration::from_millis(250));
        };
        let peer_name = peer_witness.split('+').next().unwrap();
        assert!(check(&verdict, "log").1.contains(peer_name), "{verdict}");
        let note = parse_note(&text(server, "/log/checkpoint"));
        assert!(check_cosignature(&note, peer_witness).is_some(), "the peer cosigned the checkpoint");
        let number = record["certificate"]["number"].as_str().unwrap();
        let proof = text(server, &format!("/api/v1/certificates/{number}/proof"));
        assert!(proof.contains(&format!("\u{2014} {peer_name} ")), "the proof carries the cosignature: {proof}");
    }
}

#[test]
fn kill_9_during_a_burst_keeps_log_and_certificates_together() {
    let mut server = Server::start();
    let issuer = Arc::new(server.token("issuer", Some("DE")));
    let base = server.base.clone();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (issuer, base, acknowledged) = (Arc::clone(&issuer), base.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                let body = serde_json::to_vec(&example("de-manuscript.json")).unwrap();
                for _ in 0..200 {
                    let Ok(mut response) = crate::support::agent()
                        .post(&format!("{base}/api/v1/certificates"))
                        .header("authorization", &format!("Bearer {issuer}"))
                        .header("content-type", "application/json")
                        .send(&body[..])
                    else {
                        return;
                    };
                    if response.status() != 201 {
                        return;
                    }
                    let record: Value = serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
                    acknowledged.lock().unwrap().push(record);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    for thread in threads {
        thread.join().unwrap();
    }
    // The restart runs the log's start-up check: every issuance entry has its
    // certificate, every stored hash its entry.
    server.restart();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 20, "{} acknowledged", acknowledged.len());
    let (_, all) = wait_for_checkpoint(&server, |entries| count(entries, "issued") >= acknowledged.len());
    let issued: Vec<String> = all
        .iter()
        .map(|entry| serde_json::from_slice::<Value>(entry).unwrap())
        .filter(|entry| entry["event"]["type"] == "issued")
        .map(|entry| entry["event"]["number"].as_str().unwrap().to_owned())
        .collect();
    for record in &acknowledged {
        let number = record["certificate"]["number"].as_str().unwrap();
        assert!(issued.iter().any(|logged| logged == number), "{number} acknowledged but not logged");
    }
    for number in &issued {
        let (status, _) = server.call("GET", &format!("/api/v1/certificates/{number}"), None, None);
        assert_eq!(status, 200, "{number} logged but not in the registry");
    }
    let last = acknowledged.last().unwrap();
    assert_eq!(check(&server.verify(last["qr_text"].as_str().unwrap()), "log").0, "pass");
}
