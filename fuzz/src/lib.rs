//! What the fuzz targets share: a fixed seal key, its trust list and the instant seals
//! are judged at, so that the committed seeds (made by `src/seeds.rs`) verify.

use cartouche_model::{Algorithm, Application, Certificate};
use cartouche_seal::{KeyPair, KeyRing, TrustList, TrustedKey};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

/// When the seeds were issued.
pub const ISSUED_AT: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);
/// When the targets judge seals: a day after.
pub const NOW: OffsetDateTime = datetime!(2026-11-26 10:00 UTC);
/// The public URL of the seeds' QR texts.
pub const PUBLIC_URL: &str = "https://cartouche.example";

/// The fixed key pairs (Ed25519 and P-256) of France.
pub fn pairs() -> [KeyPair; 2] {
    [
        KeyPair::from_secret(Algorithm::EdDSA, vec![7; 32]).expect("Ed25519 seed"),
        KeyPair::from_secret(Algorithm::ES256, vec![9; 32]).expect("P-256 scalar"),
    ]
}

/// The trust list of the two keys.
pub fn trust_list() -> TrustList {
    let keys = pairs()
        .iter()
        .map(|pair| {
            TrustedKey::new(
                "FR",
                pair.alg,
                &pair.public,
                ISSUED_AT - Duration::days(30),
                None,
                ISSUED_AT + Duration::days(3650),
            )
            .expect("trusted key")
        })
        .collect();
    TrustList { generated_at: ISSUED_AT, keys, log: None }
}

/// An authoritative ring of the trust list.
pub fn ring() -> KeyRing {
    KeyRing::new(&trust_list(), true).expect("ring")
}

/// A certificate of `application`, issued at [`ISSUED_AT`].
pub fn certificate(number: &str, application: Application) -> Certificate {
    Certificate {
        number: number.into(),
        issue_date: date!(2026 - 11 - 25),
        issued_at: ISSUED_AT,
        application,
        rule_evaluations: vec![],
    }
}
