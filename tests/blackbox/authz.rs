//! Every cell of the authorization matrix: role × own/other country × endpoint, driven
//! over HTTP, and the audit trail of refusals.

use serde_json::{Value, json};

use crate::support::{Server, example};

#[derive(Clone, Copy, Debug)]
enum Who {
    Admin,
    IssuerFr,
    IssuerDe,
    OfficerCh,
    PublisherFr,
    Anonymous,
}

const EVERYONE: [Who; 6] = [Who::Admin, Who::IssuerFr, Who::IssuerDe, Who::OfficerCh, Who::PublisherFr, Who::Anonymous];

struct Tokens {
    admin: String,
    issuer_fr: String,
    issuer_de: String,
    officer_ch: String,
    publisher_fr: String,
}

impl Tokens {
    fn of(&self, who: Who) -> Option<&str> {
        match who {
            Who::Admin => Some(&self.admin),
            Who::IssuerFr => Some(&self.issuer_fr),
            Who::IssuerDe => Some(&self.issuer_de),
            Who::OfficerCh => Some(&self.officer_ch),
            Who::PublisherFr => Some(&self.publisher_fr),
            Who::Anonymous => None,
        }
    }
}

/// One endpoint and the status each caller must get, in `EVERYONE` order. Every call is
/// made on a fresh FR certificate so earlier cells cannot change later ones.
struct Row {
    name: &'static str,
    method: &'static str,
    path: fn(&str) -> String,
    body: fn() -> Value,
    expected: [u16; 6],
}

#[test]
fn every_cell_of_the_matrix() {
    let server = Server::start();
    let tokens = Tokens {
        admin: server.admin.clone(),
        issuer_fr: server.token("issuer", Some("FR")),
        issuer_de: server.token("issuer", Some("DE")),
        officer_ch: server.token("officer", Some("CH")),
        publisher_fr: server.token("plugin_publisher", Some("FR")),
    };
    let rows = [
        Row {
            name: "issue FR",
            method: "POST",
            path: |_| "/api/v1/certificates".into(),
            body: || example("fr-painting-to-us.json"),
            expected: [403, 201, 403, 403, 403, 401],
        },
        Row {
            name: "read FR",
            method: "GET",
            path: |n| format!("/api/v1/certificates/{n}"),
            body: || Value::Null,
            expected: [200, 200, 403, 200, 403, 200],
        },
        Row {
            name: "list FR",
            method: "GET",
            path: |_| "/api/v1/certificates?country=FR".into(),
            body: || Value::Null,
            expected: [200, 200, 403, 200, 403, 401],
        },
        Row {
            name: "revoke FR",
            method: "POST",
            path: |n| format!("/api/v1/certificates/{n}/revoke"),
            body: || json!({ "reason": "matrix" }),
            expected: [200, 200, 403, 403, 403, 401],
        },
        Row {
            name: "suspend FR",
            method: "POST",
            path: |n| format!("/api/v1/certificates/{n}/suspend"),
            body: || json!({ "reason": "matrix" }),
            expected: [200, 200, 403, 403, 403, 401],
        },
        Row {
            name: "reinstate FR",
            method: "POST",
            path: |n| format!("/api/v1/certificates/{n}/reinstate"),
            body: || json!({ "reason": "matrix" }),
            expected: [409, 409, 403, 403, 403, 401],
        },
        Row {
            name: "exit FR",
            method: "POST",
            path: |n| format!("/api/v1/certificates/{n}/events"),
            body: || json!({ "kind": "exited", "office": "Basel" }),
            expected: [403, 403, 403, 200, 403, 401],
        },
        Row {
            name: "rotate FR key",
            method: "POST",
            path: |_| "/api/v1/countries/FR/keys".into(),
            body: || json!({}),
            expected: [201, 403, 403, 403, 403, 401],
        },
        Row {
            name: "create token",
            method: "POST",
            path: |_| "/api/v1/tokens".into(),
            body: || json!({ "role": "officer", "country": "FR" }),
            expected: [201, 403, 403, 403, 403, 401],
        },
        Row {
            name: "audit",
            method: "GET",
            path: |_| "/api/v1/audit".into(),
            body: || Value::Null,
            expected: [200, 403, 403, 403, 403, 401],
        },
    ];
    let mut failures = Vec::new();
    for row in &rows {
        for (index, who) in EVERYONE.iter().enumerate() {
            let fresh = server.issue(&tokens.issuer_fr, &example("fr-painting-to-us.json"));
            let number = fresh["certificate"]["number"].as_str().unwrap();
            let body = (row.body)();
            let body = if body.is_null() { None } else { Some(&body) };
            let (status, answer) = server.call(row.method, &(row.path)(number), tokens.of(*who), body);
            if status != row.expected[index] {
                failures
                    .push(format!("{} as {who:?}: expected {}, got {status} {answer}", row.name, row.expected[index]));
            }
            if status == 403 {
                let code = answer["error"]["code"].as_str().unwrap_or("");
                if !["forbidden", "country_mismatch"].contains(&code) {
                    failures.push(format!("{} as {who:?}: 403 with code {code:?}", row.name));
                }
            }
            if status == 401 && answer["error"]["code"] != "unauthorized" {
                failures.push(format!("{} as {who:?}: 401 with {answer}", row.name));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix:\n{}", failures.join("\n"));

    // A DE issuer is refused FR's certificates with the specific code, and that is audited.
    let (status, answer) = server.call("GET", "/api/v1/certificates/FR-2026-000001", tokens.of(Who::IssuerDe), None);
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("country_mismatch")));
    let (_, audit) = server.call("GET", "/api/v1/audit?limit=1000", Some(&tokens.admin), None);
    let denied: Vec<&Value> = audit["items"].as_array().unwrap().iter().filter(|e| e["outcome"] == "denied").collect();
    assert!(denied.iter().any(|e| e["target"] == "FR-2026-000001" && e["actor"]["country"] == "DE"), "{denied:#?}");
    assert!(
        denied.iter().any(|e| e["action"] == "administer" && e["actor"]["role"] == "issuer"),
        "refused admin actions are audited too: {denied:#?}"
    );
    // Issuance by a DE issuer of an FR application is refused and no number is consumed.
    let (status, _) =
        server.call("POST", "/api/v1/certificates", tokens.of(Who::IssuerDe), Some(&example("fr-painting-to-us.json")));
    assert_eq!(status, 403);
}

#[test]
fn forged_and_malformed_api_tokens_are_refused() {
    let server = Server::start();
    for header in [
        "Bearer ct_forged0000000000000000000000000000000000000",
        "Bearer nonsense",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer ",
    ] {
        let (status, body) = server.raw("GET", "/api/v1/audit", None, None, &[("Authorization", header)]);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(status, 401, "{header}: {body}");
        assert_eq!(body["error"]["code"], "invalid_token");
    }
    let (status, body) = server.call("POST", "/api/v1/tokens", Some(&server.admin), Some(&json!({ "role": "issuer" })));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_token_request")));
    let (status, body) = server.call(
        "POST",
        "/api/v1/tokens",
        Some(&server.admin),
        Some(&json!({ "role": "issuer", "country": "France" })),
    );
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_country")));
    let (status, body) = server.call(
        "POST",
        "/api/v1/tokens",
        Some(&server.admin),
        Some(&json!({ "role": "emperor", "country": "FR" })),
    );
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")));
    // The secret is never logged.
    let token = server.token("issuer", Some("IT"));
    assert!(!server.log_text().contains(&token));
    assert!(!server.log_text().contains(&server.admin));
}
