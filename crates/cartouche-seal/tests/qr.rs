//! QR codes of real seals: every example's seal renders, fits QR version 20 at error
//! correction M when it has one object, and scans back to the same text.

use cartouche_model::{Algorithm, Application, Certificate};
use cartouche_seal::qr::{parse_ec_level, qr_text, qr_version, render_png, render_svg};
use cartouche_seal::{KeyPair, SealClaims, install_crypto_provider, sign};
use time::macros::{date, datetime};

/// A realistic production base URL (longer than a test one, so the sizes are honest).
const PUBLIC_URL: &str = "https://cartouche.culture.gouv.example";

fn examples() -> Vec<(String, Application)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples");
    let mut out: Vec<(String, Application)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn seal_text(application: &Application, alg: Algorithm) -> String {
    let certificate = Certificate {
        number: format!("{}-2026-000123", application.issuing_authority.country),
        issue_date: date!(2026 - 11 - 28),
        issued_at: datetime!(2026-11-28 10:15:00 UTC),
        application: application.clone(),
        rule_evaluations: vec![],
    };
    let signer = KeyPair::generate(alg).unwrap().signer().unwrap();
    // Claim set 2, as issued: the status list's URI and a seven-digit entry.
    let status_uri = format!("{PUBLIC_URL}/api/v1/status-list");
    let claims = SealClaims::with_status(&certificate, 1_234_567, &status_uri).unwrap();
    let token = sign(&claims, &signer).unwrap();
    qr_text(PUBLIC_URL, &token)
}

#[test]
fn one_object_seals_fit_version_20_at_m_and_every_seal_renders() {
    install_crypto_provider();
    let level = parse_ec_level("M").unwrap();
    let mut report = Vec::new();
    let mut too_big = Vec::new();
    for (name, application) in examples() {
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let text = seal_text(&application, alg);
            let version = qr_version(&text, level).unwrap();
            report.push(format!(
                "{name} {} objects={} chars={} version={version}",
                alg.as_str(),
                application.objects.len(),
                text.len()
            ));
            if application.objects.len() == 1 && version > 20 {
                too_big.push(format!("{name} {}: version {version}", alg.as_str()));
            }
            let png = render_png(&text, level, 600).unwrap();
            assert!(png.starts_with(b"\x89PNG"));
            let svg = render_svg(&text, level, 600).unwrap();
            assert!(svg.contains("<svg") && svg.contains("#000000"));
        }
    }
    // Shown with `cargo test -- --nocapture`; the README quotes these versions.
    println!("{}", report.join("\n"));
    assert!(too_big.is_empty(), "one-object seals over QR version 20 at M: {too_big:?}");
}

#[test]
fn a_rendered_seal_scans_back_to_the_same_text() {
    install_crypto_provider();
    for (name, application) in examples() {
        let text = seal_text(&application, Algorithm::EdDSA);
        let png = render_png(&text, parse_ec_level("M").unwrap(), 800).unwrap();
        let decoded = cartouche_seal::scan::decode_qr(&png).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(decoded, text, "{name}");
    }
}
