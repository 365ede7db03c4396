//! The key ceremony: `keys generate` makes a key pair in an HSM, offline (no server),
//! and writes only its public half with a proof of possession; an administrator then
//! imports that file (`keys import`), so the registry never holds the secret.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_hsm::{Hsm, HsmAlg, HsmConfig};
use cartouche_model::Algorithm;
use cartouche_seal::{HsmLocation, KEY_CEREMONY_FORMAT, KeyCeremony, TrustedKey, kid_for};
use time::OffsetDateTime;

/// Opens the HSM of a PKCS#11 URI (PIN from the URI's pin-source or CARTOUCHE_HSM_PIN).
pub fn open_hsm(uri: &str) -> anyhow::Result<Hsm> {
    let config = HsmConfig::parse(uri, std::env::var("CARTOUCHE_HSM_PIN").ok()).context("--keys")?;
    Hsm::open(&config, 4).with_context(|| format!("cannot use the HSM token {:?}", config.token_label))
}

/// `keys generate --keys pkcs11:... --country FR [--alg EdDSA] [--out FILE]`.
pub fn generate(uri: &str, country: &str, alg: Option<&str>, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    if !cartouche_model::is_country_code(country) {
        bail!("--country {country:?} is not an ISO 3166-1 alpha-2 code such as FR");
    }
    let alg = match alg.unwrap_or("EdDSA") {
        "EdDSA" => Algorithm::EdDSA,
        "ES256" => Algorithm::ES256,
        other => bail!("--alg {other:?}: EdDSA or ES256"),
    };
    if let Some(path) = out
        && path.exists()
    {
        bail!("{} exists: the ceremony never overwrites a key file", path.display());
    }
    let hsm = open_hsm(uri)?;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let label = format!("cartouche {country} {}", now.unix_timestamp());
    let hsm_alg = match alg {
        Algorithm::EdDSA => HsmAlg::Ed25519,
        Algorithm::ES256 => HsmAlg::P256,
    };
    let key = hsm.generate(hsm_alg, &label).context("cannot generate the key in the HSM")?;
    let trusted = TrustedKey::new(country, alg, &key.public, now, None, now).context("the HSM's public key")?;
    let id: String = key.id.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut ceremony = KeyCeremony {
        format: KEY_CEREMONY_FORMAT.into(),
        country: country.to_owned(),
        alg,
        kid: kid_for(&key.public),
        public_key_jwk: trusted.public_key_jwk,
        generated_at: now,
        hsm: HsmLocation { token: hsm.info().token_label.clone(), id, label: key.label.clone() },
        proof: String::new(),
    };
    let proof = hsm.sign(&key.id, hsm_alg, &ceremony.statement()).context("the HSM could not sign the proof")?;
    ceremony.proof = B64.encode(proof);
    ceremony.verify().map_err(|reason| anyhow::anyhow!("the key made in the HSM does not check: {reason}"))?;
    let text = serde_json::to_string_pretty(&ceremony)? + "\n";
    match out {
        Some(path) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.sync_all()?;
            eprintln!(
                "Generated {} key {} for {country} in HSM token {:?} (label {:?}). {} holds its public half and proof of \
                 possession: give it to the registry's administrator (cartouche keys import {}).",
                alg.as_str(),
                ceremony.kid,
                ceremony.hsm.token,
                ceremony.hsm.label,
                path.display(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
