//! Prints the size of a registry's status list (the `lst` member, base64url of ZLIB, and
//! the whole signed token) for 10,000 and 1,000,000 generated certificates, with the
//! statuses a registry would see: a few revoked and suspended, many used (exited), some
//! out on temporary export. `cargo run --release -p cartouche-seal --example status_list_sizes`.

use cartouche_seal::federation::{STATUS_LIST_TYP, StatusList, StatusListClaims, StatusValue, sign_document};
use ed25519_dalek::Signer as _;

/// A fixed xorshift generator: the same list every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let public = key.verifying_key().to_bytes();
    println!("| certificates | log entries | mix | lst (bytes) | signed token (bytes) |");
    println!("|---|---|---|---|---|");
    for certificates in [10_000u64, 1_000_000] {
        for (mix, revoked, suspended, used, out) in [
            ("all valid", 0, 0, 0, 0),
            ("0.1% revoked", 10, 0, 0, 0),
            ("1% revoked, 0.2% suspended, 30% used, 5% out", 100, 20, 3_000, 500),
        ] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            // Every issuance is one log entry; status changes and other events add about
            // one more per certificate (exits, publications, keys).
            let entries = certificates * 2;
            let mut list = StatusList::new(entries);
            for n in 0..certificates {
                let idx = n * 2;
                let roll = rng.next() % 10_000;
                let value = if roll < revoked {
                    StatusValue::Revoked
                } else if roll < revoked + suspended {
                    StatusValue::Suspended
                } else if roll < revoked + suspended + used {
                    StatusValue::Used
                } else if roll < revoked + suspended + used + out {
                    StatusValue::OutOnTemporaryExport
                } else {
                    continue;
                };
                list.set(idx, value);
            }
            let encoded = list.encode();
            let claims = StatusListClaims {
                sub: "https://registry.example/api/v1/status-list".into(),
                iat: 1_796_000_000,
                exp: 1_796_259_200,
                ttl: 300,
                status_list: encoded.clone(),
            };
            let payload = serde_json::to_vec(&claims).expect("claims serialize");
            let token =
                sign_document(STATUS_LIST_TYP, &public, &payload, &|m| Ok(key.sign(m).to_bytes())).expect("signed");
            println!("| {certificates} | {entries} | {mix} | {} | {} |", encoded.lst.len(), token.len());
        }
    }
}
