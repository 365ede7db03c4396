//! Benchmarks of the seal: offline verification, signing, and building the claim set.
//!
//! `verify_seal/{EdDSA,ES256}` verify a one-object seal (the fr-painting example) against an
//! authoritative ring of 12 keys that has not seen it (a new ring per verification, built
//! outside the timing); `verify_seal_again/{EdDSA,ES256}` verify it against a ring that has
//! (the signature remembered); `sign/{EdDSA,ES256}` build the claims and sign them;
//! `claims/for_certificate` is the canonical hash of the certificate plus claim building.
#![allow(missing_docs)]

use std::hint::black_box;

use cartouche_model::{Algorithm, Application, Certificate};
use cartouche_seal::{KeyPair, KeyRing, SealClaims, TrustList, TrustedKey, install_crypto_provider, sign, verify_seal};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const FR_PAINTING: &str = include_str!("../../../schemas/examples/fr-painting-to-us.json");
const ISSUED_AT: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);

fn certificate() -> Certificate {
    Certificate {
        number: "FR-2026-000001".to_owned(),
        issue_date: date!(2026 - 11 - 25),
        issued_at: ISSUED_AT,
        application: serde_json::from_str::<Application>(FR_PAINTING).expect("example application"),
        rule_evaluations: vec![],
    }
}

fn trusted(country: &str, pair: &KeyPair) -> TrustedKey {
    TrustedKey::new(
        country,
        pair.alg,
        &pair.public,
        ISSUED_AT - Duration::days(30),
        None,
        ISSUED_AT + Duration::days(3650),
    )
    .expect("trusted key")
}

fn benches(c: &mut Criterion) {
    install_crypto_provider();
    let certificate = certificate();
    let now = ISSUED_AT + Duration::days(1);

    let ed = KeyPair::generate(Algorithm::EdDSA).expect("EdDSA key");
    let ec = KeyPair::generate(Algorithm::ES256).expect("ES256 key");

    // 12 keys: the two French keys and 10 others, half of each algorithm.
    let mut keys = vec![trusted("FR", &ed), trusted("FR", &ec)];
    for (index, country) in ["IT", "DE", "ES", "GB", "CH", "US", "JP", "NL", "BE", "AT"].iter().enumerate() {
        let alg = if index % 2 == 0 { Algorithm::EdDSA } else { Algorithm::ES256 };
        keys.push(trusted(country, &KeyPair::generate(alg).expect("key")));
    }
    assert_eq!(keys.len(), 12);
    let list = TrustList { generated_at: ISSUED_AT, keys, log: None };
    let ring = KeyRing::new(&list, true).expect("ring");

    let claims = SealClaims::for_certificate(&certificate).expect("claims");
    for (name, pair) in [("EdDSA", &ed), ("ES256", &ec)] {
        let signer = pair.signer().expect("signer");
        let token = sign(&claims, &signer).expect("sign");
        let report = verify_seal(&token, &ring, now);
        assert!(report.all_passed(), "{report:#?}");
        eprintln!("token length {name}: {} bytes", token.len());

        c.benchmark_group("verify_seal").bench_function(name, |b| {
            b.iter_batched(
                || KeyRing::new(&list, true).expect("ring"),
                |fresh| verify_seal(black_box(&token), black_box(&fresh), black_box(now)),
                BatchSize::SmallInput,
            );
        });
        c.benchmark_group("verify_seal_again").bench_function(name, |b| {
            b.iter(|| verify_seal(black_box(&token), black_box(&ring), black_box(now)));
        });
        // What every verification does before the seal: is the scanned text a seal at all?
        let printed = cartouche_seal::qr_text("https://registry.example", &token);
        c.benchmark_group("recognise").bench_function(name, |b| {
            b.iter(|| cartouche_seal::recognise(black_box(&printed)));
        });
        c.benchmark_group("sign").bench_function(name, |b| {
            b.iter(|| {
                let claims = SealClaims::for_certificate(black_box(&certificate)).expect("claims");
                sign(&claims, black_box(&signer)).expect("sign")
            });
        });
    }

    c.benchmark_group("claims").bench_function("for_certificate", |b| {
        b.iter(|| SealClaims::for_certificate(black_box(&certificate)).expect("claims"));
    });
}

criterion_group!(seal, benches);
criterion_main!(seal);
