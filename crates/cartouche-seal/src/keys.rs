//! Signing keys and the trust list.
//!
//! A key pair is generated here from the operating system's randomness; the secret half
//! goes to the store and into a [`Signer`], never into a trust list, a log line or an API
//! answer (its `Debug` prints only the kid). Public keys are validated whenever they are
//! loaded: jsonwebtoken 12 panics on a malformed Ed25519 key, and a weak (small-order)
//! Ed25519 key would let forged signatures verify.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cartouche_model::{Algorithm, CountryCode};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Key errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system could not provide randomness.
    #[error("no randomness from the operating system: {0}")]
    Randomness(String),
    /// Bytes that are not a key of the stated algorithm.
    #[error("malformed {alg} key: {reason}")]
    Malformed {
        /// The algorithm.
        alg: &'static str,
        /// Why.
        reason: String,
    },
}

/// Fills `buffer` with cryptographically secure random bytes.
pub fn random_bytes(buffer: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buffer).map_err(|error| KeyError::Randomness(error.to_string()))
}

/// A freshly generated or stored key pair.
#[derive(Clone)]
pub struct KeyPair {
    /// Algorithm.
    pub alg: Algorithm,
    /// The secret scalar (32 bytes for both algorithms).
    pub secret: Vec<u8>,
    /// The public key: 32 bytes (Ed25519) or an uncompressed SEC1 point (P-256, 65 bytes).
    pub public: Vec<u8>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("alg", &self.alg).field("kid", &kid_for(&self.public)).finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Generates a new key pair.
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        loop {
            let mut secret = vec![0u8; 32];
            random_bytes(&mut secret)?;
            match Self::from_secret(alg, secret) {
                Ok(pair) => return Ok(pair),
                // A P-256 scalar of zero or above the group order: astronomically rare, retry.
                Err(KeyError::Malformed { .. }) => continue,
                Err(other) => return Err(other),
            }
        }
    }

    /// Rebuilds a key pair from its stored secret.
    pub fn from_secret(alg: Algorithm, secret: Vec<u8>) -> Result<Self, KeyError> {
        let public = match alg {
            Algorithm::EdDSA => {
                let bytes: [u8; 32] = secret
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyError::Malformed { alg: "EdDSA", reason: "the secret must be 32 bytes".into() })?;
                ed25519_dalek::SigningKey::from_bytes(&bytes).verifying_key().to_bytes().to_vec()
            }
            Algorithm::ES256 => {
                use p256::elliptic_curve::sec1::ToSec1Point;
                let secret_key = p256::SecretKey::from_slice(&secret)
                    .map_err(|_| KeyError::Malformed { alg: "ES256", reason: "not a P-256 scalar".into() })?;
                secret_key.public_key().to_sec1_point(false).as_bytes().to_vec()
            }
        };
        Ok(Self { alg, secret, public })
    }

    /// The key id: base64url of the first 8 bytes of the SHA-256 of the public key (the EU
    /// DCC convention). It is not security-critical: verification looks the kid up in an
    /// in-memory allow-list that also fixes the key's algorithm and country.
    pub fn kid(&self) -> String {
        kid_for(&self.public)
    }

    /// A signer for this key.
    pub fn signer(&self) -> Result<Signer, KeyError> {
        let der = match self.alg {
            Algorithm::EdDSA => {
                use ed25519_dalek::pkcs8::EncodePrivateKey;
                let bytes: [u8; 32] = self
                    .secret
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyError::Malformed { alg: "EdDSA", reason: "the secret must be 32 bytes".into() })?;
                ed25519_dalek::SigningKey::from_bytes(&bytes)
                    .to_pkcs8_der()
                    .map_err(|error| KeyError::Malformed { alg: "EdDSA", reason: error.to_string() })?
                    .as_bytes()
                    .to_vec()
            }
            Algorithm::ES256 => {
                use p256::pkcs8::EncodePrivateKey;
                p256::SecretKey::from_slice(&self.secret)
                    .map_err(|_| KeyError::Malformed { alg: "ES256", reason: "not a P-256 scalar".into() })?
                    .to_pkcs8_der()
                    .map_err(|error| KeyError::Malformed { alg: "ES256", reason: error.to_string() })?
                    .as_bytes()
                    .to_vec()
            }
        };
        let key = match self.alg {
            Algorithm::EdDSA => EncodingKey::from_ed_der(&der),
            Algorithm::ES256 => EncodingKey::from_ec_der(&der),
        };
        Ok(Signer { kid: self.kid(), alg: self.alg, backend: Backend::Local(key) })
    }
}

/// Signs outside this process (a hardware security module): the private key never
/// reaches Cartouche's memory.
pub trait ExternalSigner: Send + Sync {
    /// The raw signature of `message`: 64 bytes for both algorithms (Ed25519; P-256 as
    /// r || s over SHA-256 of `message`, high or low S).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ExternalSignError>;
}

/// An external signer's failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ExternalSignError {
    /// Whether the signer is unavailable for now (token absent, locked, busy): the
    /// request may be retried later, and nothing is wrong with it.
    pub unavailable: bool,
    /// What happened (never a secret).
    pub message: String,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Local(EncodingKey),
    External(std::sync::Arc<dyn ExternalSigner>),
}

/// The kid of a public key.
pub fn kid_for(public: &[u8]) -> String {
    B64.encode(&Sha256::digest(public)[..8])
}

/// A key ready to sign. Its `Debug` prints only the kid and algorithm.
#[derive(Clone)]
pub struct Signer {
    /// The key id put in the JWS header.
    pub kid: String,
    /// The algorithm.
    pub alg: Algorithm,
    pub(crate) backend: Backend,
}

impl Signer {
    /// A signer for the key pair whose public half is `public`, kept by `external`.
    pub fn external(alg: Algorithm, public: &[u8], external: std::sync::Arc<dyn ExternalSigner>) -> Self {
        Self { kid: kid_for(public), alg, backend: Backend::External(external) }
    }

    /// Whether the key is outside this process.
    pub fn is_external(&self) -> bool {
        matches!(self.backend, Backend::External(_))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

/// A public key as published in the trust list (RFC 7517 JWK members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    /// `OKP` (Ed25519) or `EC` (P-256).
    pub kty: String,
    /// `Ed25519` or `P-256`.
    pub crv: String,
    /// base64url x coordinate (or the Ed25519 key).
    pub x: String,
    /// base64url y coordinate (P-256 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// One entry of the trust list: a country's public key and its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// Key id.
    pub kid: String,
    /// The country whose certificates this key may sign.
    pub country: CountryCode,
    /// Algorithm.
    pub alg: Algorithm,
    /// The public key.
    pub public_key_jwk: PublicJwk,
    /// When the key was created (it signs nothing before).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When a newer key replaced it (it signs nothing after).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<OffsetDateTime>,
    /// After this, nothing it signed verifies.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl TrustedKey {
    /// Builds the trust-list entry of a public key.
    pub fn new(
        country: &str,
        alg: Algorithm,
        public: &[u8],
        created_at: OffsetDateTime,
        retired_at: Option<OffsetDateTime>,
        expires_at: OffsetDateTime,
    ) -> Result<Self, KeyError> {
        let public_key_jwk = match alg {
            Algorithm::EdDSA => {
                validate_ed25519(public)?;
                PublicJwk { kty: "OKP".into(), crv: "Ed25519".into(), x: B64.encode(public), y: None }
            }
            Algorithm::ES256 => {
                let point = validate_p256(public)?;
                PublicJwk {
                    kty: "EC".into(),
                    crv: "P-256".into(),
                    x: B64.encode(&point[1..33]),
                    y: Some(B64.encode(&point[33..65])),
                }
            }
        };
        Ok(Self {
            kid: kid_for(public),
            country: country.to_owned(),
            alg,
            public_key_jwk,
            created_at,
            retired_at,
            expires_at,
        })
    }

    /// The raw public key bytes, validated (32 bytes Ed25519, 65-byte SEC1 point P-256).
    pub fn public_bytes(&self) -> Result<Vec<u8>, KeyError> {
        let jwk = &self.public_key_jwk;
        let decode = |text: &str, alg: &'static str| {
            B64.decode(text).map_err(|_| KeyError::Malformed { alg, reason: "coordinate is not base64url".into() })
        };
        match (self.alg, jwk.kty.as_str(), jwk.crv.as_str()) {
            (Algorithm::EdDSA, "OKP", "Ed25519") if jwk.y.is_none() => {
                let public = decode(&jwk.x, "EdDSA")?;
                validate_ed25519(&public)?;
                Ok(public)
            }
            (Algorithm::ES256, "EC", "P-256") => {
                let y = jwk.y.as_deref().ok_or(KeyError::Malformed { alg: "ES256", reason: "missing y".into() })?;
                let mut point = vec![4u8];
                point.extend(decode(&jwk.x, "ES256")?);
                point.extend(decode(y, "ES256")?);
                validate_p256(&point)?;
                Ok(point)
            }
            (alg, kty, crv) => Err(KeyError::Malformed {
                alg: alg.as_str(),
                reason: format!("a {kty}/{crv} key does not go with {}", alg.as_str()),
            }),
        }
    }

    /// A decoding key for jsonwebtoken, only after the public key has been validated.
    pub fn decoding_key(&self) -> Result<DecodingKey, KeyError> {
        let public = self.public_bytes()?;
        Ok(match self.alg {
            Algorithm::EdDSA => DecodingKey::from_ed_der(&public),
            Algorithm::ES256 => DecodingKey::from_ec_der(&public),
        })
    }
}

fn validate_ed25519(public: &[u8]) -> Result<(), KeyError> {
    let bytes: [u8; 32] = public
        .try_into()
        .map_err(|_| KeyError::Malformed { alg: "EdDSA", reason: format!("{} bytes, expected 32", public.len()) })?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| KeyError::Malformed { alg: "EdDSA", reason: "not a point on the curve".into() })?;
    if key.is_weak() {
        return Err(KeyError::Malformed { alg: "EdDSA", reason: "weak (small-order) key".into() });
    }
    Ok(())
}

fn validate_p256(public: &[u8]) -> Result<Vec<u8>, KeyError> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    let key = p256::PublicKey::from_sec1_bytes(public)
        .map_err(|_| KeyError::Malformed { alg: "ES256", reason: "not a point on P-256".into() })?;
    Ok(key.to_sec1_point(false).as_bytes().to_vec())
}

/// Checks a raw signature (64 bytes: Ed25519, or P-256 r || s over SHA-256 of
/// `message`, either S) by the validated public key `public`.
pub fn verify_raw(alg: Algorithm, public: &[u8], message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bad = |reason: &str| KeyError::Malformed { alg: alg.as_str(), reason: reason.into() };
    let signature: [u8; 64] = signature.try_into().map_err(|_| bad("a signature is 64 bytes"))?;
    match alg {
        Algorithm::EdDSA => {
            validate_ed25519(public)?;
            let bytes: [u8; 32] = public.try_into().map_err(|_| bad("the public key is 32 bytes"))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a point on the curve"))?;
            key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature))
                .map_err(|_| bad("the signature does not verify"))
        }
        Algorithm::ES256 => {
            use p256::ecdsa::signature::Verifier as _;
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public).map_err(|_| bad("not a point on P-256"))?;
            let signature =
                p256::ecdsa::Signature::from_slice(&signature).map_err(|_| bad("not an ECDSA signature"))?;
            let signature = signature.normalize_s();
            key.verify(message, &signature).map_err(|_| bad("the signature does not verify"))
        }
    }
}

/// Where a key made in a key ceremony lives: a key pair on an HSM token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsmLocation {
    /// The token's label.
    pub token: String,
    /// The key's CKA_ID, lower-case hex.
    pub id: String,
    /// The key's CKA_LABEL.
    pub label: String,
}

/// What a key ceremony hands the registry (`keys generate`, then `keys import`): the
/// public half of a new key, where its secret half lives, and a proof of possession, a
/// signature by the key over [`KeyCeremony::statement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCeremony {
    /// `cartouche-key-v1`.
    pub format: String,
    /// The country whose certificates it will sign.
    pub country: CountryCode,
    /// Algorithm.
    pub alg: Algorithm,
    /// Its key id.
    pub kid: String,
    /// The public key.
    pub public_key_jwk: PublicJwk,
    /// When the ceremony made it.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Where the secret half is.
    pub hsm: HsmLocation,
    /// base64url signature by the key over the statement.
    pub proof: String,
}

/// The format name of a key ceremony file.
pub const KEY_CEREMONY_FORMAT: &str = "cartouche-key-v1";

impl KeyCeremony {
    /// The bytes the proof of possession signs: every field but the proof, one a line.
    pub fn statement(&self) -> Vec<u8> {
        let generated_at = self.generated_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        format!(
            "cartouche key possession v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.country,
            self.alg.as_str(),
            self.kid,
            B64.encode(self.entry().public_bytes().unwrap_or_default()),
            generated_at,
            self.hsm.token,
            self.hsm.id,
            self.hsm.label
        )
        .into_bytes()
    }

    /// The file's key as a trust-list entry, to read and check its public key.
    fn entry(&self) -> TrustedKey {
        TrustedKey {
            kid: self.kid.clone(),
            country: self.country.clone(),
            alg: self.alg,
            public_key_jwk: self.public_key_jwk.clone(),
            created_at: self.generated_at,
            retired_at: None,
            expires_at: self.generated_at,
        }
    }

    /// Checks the file: its format, the public key, the kid, and the proof. Returns the
    /// public key bytes.
    pub fn verify(&self) -> Result<Vec<u8>, String> {
        if self.format != KEY_CEREMONY_FORMAT {
            return Err(format!("format {:?} is not {KEY_CEREMONY_FORMAT}", self.format));
        }
        let public = self.entry().public_bytes().map_err(|error| format!("public_key_jwk: {error}"))?;
        if kid_for(&public) != self.kid {
            return Err(format!("kid {:?} is not the key id of this public key ({})", self.kid, kid_for(&public)));
        }
        let proof = B64.decode(self.proof.as_bytes()).map_err(|_| "proof is not base64url".to_owned())?;
        verify_raw(self.alg, &public, &self.statement(), &proof).map_err(|_| {
            "the proof of possession does not verify: the file was changed, or the key did not sign it".to_owned()
        })?;
        Ok(public)
    }
}

/// Every country's keys with their validity: what a verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustList {
    /// When this list was produced (an offline verifier reports its age).
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// The keys.
    pub keys: Vec<TrustedKey>,
    /// The registry's issuance log: its origin and checkpoint verifier key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<TrustedLog>,
}

/// The issuance log a registry publishes (C2SP tlog-checkpoint, signed note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedLog {
    /// The checkpoint's origin line.
    pub origin: String,
    /// The verifier key, `<origin>+<hex key id>+<base64(0x01 || Ed25519 key)>`.
    pub vkey: String,
    /// Where its checkpoint and tiles are served (`<public URL>/log/`).
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_the_trust_list() {
        let now = OffsetDateTime::now_utc();
        for alg in [Algorithm::EdDSA, Algorithm::ES256] {
            let pair = KeyPair::generate(alg).unwrap();
            let again = KeyPair::from_secret(alg, pair.secret.clone()).unwrap();
            assert_eq!(again.public, pair.public);
            let trusted = TrustedKey::new("FR", alg, &pair.public, now, None, now).unwrap();
            assert_eq!(trusted.kid, pair.kid());
            assert_eq!(trusted.public_bytes().unwrap(), pair.public);
            assert!(!format!("{pair:?}").contains(&format!("{:?}", pair.secret)));
        }
    }

    #[test]
    fn malformed_public_keys_are_refused_not_panicked_on() {
        let now = OffsetDateTime::now_utc();
        assert!(TrustedKey::new("FR", Algorithm::EdDSA, &[1; 8], now, None, now).is_err());
        // The identity point is a small-order (weak) Ed25519 key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(TrustedKey::new("FR", Algorithm::EdDSA, &identity, now, None, now).is_err());
        assert!(TrustedKey::new("FR", Algorithm::ES256, &[4; 65], now, None, now).is_err());
        let pair = KeyPair::generate(Algorithm::EdDSA).unwrap();
        let mut trusted = TrustedKey::new("FR", Algorithm::EdDSA, &pair.public, now, None, now).unwrap();
        trusted.public_key_jwk.x = B64.encode([7u8; 31]);
        assert!(trusted.decoding_key().is_err());
        trusted.public_key_jwk.kty = "EC".into();
        assert!(trusted.decoding_key().is_err());
    }
}
