//! A full disk: the data directory on a small tmpfs (in a mount namespace of the
//! server's own), filled up. Writes are refused with a clear 507, nothing stored is
//! damaged, verification goes on, and writes succeed again once space is freed, with no
//! number lost.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Server, Start, assert_error, example};

/// Fills the filesystem of `dir` with a file `filler` until it is full.
fn fill(dir: &Path) -> u64 {
    let mut file = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    while file.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
        assert!(written < 1 << 30, "the tmpfs does not fill");
    }
    let _ = file.flush();
    written
}

fn number(record: &Value) -> String {
    record["certificate"]["number"].as_str().unwrap().to_owned()
}

#[test]
fn a_full_disk_refuses_writes_clearly_keeps_verifying_and_resumes_once_space_is_freed() {
    let probe = Command::new("unshare").args(["-r", "-m", "true"]).status();
    assert!(
        probe.is_ok_and(|status| status.success()),
        "this test mounts a small tmpfs in a mount namespace (unshare -r -m, from util-linux): the machine must allow user namespaces"
    );
    let server = Server::start_with(Start { no_bundled_plugins: true, tmpfs_mib: Some(24), ..Start::default() });
    let issuer = server.token("issuer", Some("FR"));
    let first = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let data_dir = server.data_dir();
    let filled = fill(&data_dir);
    assert!(filled > 0);

    // Issue until the disk refuses: what was acknowledged before is kept.
    let mut acknowledged = vec![first.clone()];
    let refusal = loop {
        let (status, body) =
            server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&example("fr-painting-to-us.json")));
        if status == 201 {
            acknowledged.push(body);
            assert!(acknowledged.len() < 500, "the full disk never refused a write");
            continue;
        }
        break (status, body);
    };
    assert_error(refusal.0, &refusal.1, 507, "storage_full");
    assert!(refusal.1["error"]["message"].as_str().unwrap().contains("disk is full"), "{}", refusal.1);
    // Every write is refused the same way, at once; none half done.
    let (status, body) =
        server.call("POST", "/api/v1/certificates", Some(&issuer), Some(&example("fr-painting-to-us.json")));
    assert_error(status, &body, 507, "storage_full");
    let revoke = json!({ "reason": "disk test" });
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{}/revoke", number(&first)), Some(&issuer), Some(&revoke));
    assert_error(status, &body, 507, "storage_full");
    let (status, body) = server.call(
        "POST",
        "/api/v1/tokens",
        Some(&server.admin),
        Some(&json!({ "role": "officer", "country": "FR", "label": "x" })),
    );
    assert_error(status, &body, 507, "storage_full");

    // Reads and verification go on; the health check says what is wrong.
    for record in &acknowledged {
        let (status, stored) =
            server.call("GET", &format!("/api/v1/certificates/{}", number(record)), Some(&issuer), None);
        assert_eq!(status, 200, "{stored}");
        assert_eq!(stored["certificate"], record["certificate"]);
        assert_eq!(stored["status"]["state"], "active", "the refused revocation left nothing");
        assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    }
    let (status, health) = server.call("GET", "/healthz", None, None);
    assert_eq!(status, 200);
    assert_eq!(health["store"], "storage_full", "{health}");

    // Space freed: writes resume, and the numbers go on with no gap.
    std::fs::remove_file(data_dir.join("filler")).unwrap();
    let next = server.issue(&issuer, &example("fr-painting-to-us.json"));
    let last = number(acknowledged.last().unwrap());
    let expected = format!("{}{:06}", &last[..last.len() - 6], last[last.len() - 6..].parse::<u32>().unwrap() + 1);
    assert_eq!(number(&next), expected, "a refused write used no number");
    assert_eq!(server.verify(next["qr_text"].as_str().unwrap())["verdict"], "VALID");
    let (status, body) =
        server.call("POST", &format!("/api/v1/certificates/{}/revoke", number(&first)), Some(&issuer), Some(&revoke));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.verify(first["qr_text"].as_str().unwrap())["verdict"], "INVALID");
    let (_, health) = server.call("GET", "/healthz", None, None);
    assert_eq!(health["store"], "ok", "{health}");
    for record in acknowledged.iter().skip(1) {
        assert_eq!(server.verify(record["qr_text"].as_str().unwrap())["verdict"], "VALID");
    }
    assert!(server.log_text().contains("opened again after its disk filled"), "{}", server.log_text());
}
