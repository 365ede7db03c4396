//! The key-encryption key (KEK): seal keys and the registry's own keys are kept in the
//! store sealed under it, so that a copy of the store (a backup, a copied disk, a
//! database administrator) yields no usable key without the KEK, which is kept apart.
//!
//! The AEAD is XChaCha20-Poly1305 with a random 192-bit nonce per sealing (no counter to
//! keep). A sealed secret is `[1][nonce: 24][ciphertext + tag]`; the associated data
//! binds it to its record (the key id, country and algorithm, or the service key's
//! purpose), so a sealed secret moved to another record does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::keys::random_bytes;

const SEALED_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// What can go wrong with the KEK or a sealed secret.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// The text of a KEK is not 32 bytes in base64.
    #[error("{0}")]
    Malformed(String),
    /// A sealed secret did not open: the wrong KEK, or damaged or moved bytes.
    #[error("the sealed secret does not open under KEK {kek}: another KEK sealed it, or its bytes were changed")]
    WrongKekOrDamaged {
        /// The id of the KEK that was tried.
        kek: String,
    },
    /// No randomness.
    #[error("{0}")]
    Randomness(String),
}

/// A 256-bit key-encryption key. Its `Debug` prints only its id.
pub struct Kek {
    key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kek").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Drop for Kek {
    fn drop(&mut self) {
        // Best effort: the key bytes do not outlive the value in this buffer.
        self.key.iter_mut().for_each(|byte| *byte = 0);
        std::hint::black_box(&self.key);
    }
}

impl Kek {
    /// A new KEK from the operating system's randomness.
    pub fn generate() -> Result<Self, KekError> {
        let mut key = [0u8; 32];
        random_bytes(&mut key).map_err(|error| KekError::Randomness(error.to_string()))?;
        Ok(Self::from_bytes(key))
    }

    /// The KEK with these 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let digest = Sha256::new().chain_update(b"cartouche key-encryption key\n").chain_update(key).finalize();
        let id = URL_SAFE_NO_PAD.encode(&digest[..8]);
        Self { key, id }
    }

    /// Reads a KEK as written by [`Kek::encode`]: 32 bytes in base64 (standard or URL-safe,
    /// padded or not), surrounding white space ignored.
    pub fn parse(text: &str) -> Result<Self, KekError> {
        let text = text.trim();
        let bytes =
            STANDARD.decode(text).or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('='))).map_err(|_| {
                KekError::Malformed("the KEK is not base64 (expected 32 bytes in base64, 44 characters)".into())
            })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            KekError::Malformed(format!("the KEK is {} bytes; it must be 32 (44 characters of base64)", bytes.len()))
        })?;
        Ok(Self::from_bytes(key))
    }

    /// The KEK as text (standard base64, 44 characters), for its file.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.key)
    }

    /// Its id: not secret, recorded beside each secret it seals (base64url of 8 bytes of
    /// a domain-separated SHA-256).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `secret`, bound to `context`.
    pub fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Vec<u8>, KekError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce).map_err(|error| KekError::Randomness(error.to_string()))?;
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: secret, aad: context })
            .map_err(|_| KekError::Randomness("the AEAD refused to seal".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`Kek::seal`] sealed with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, KekError> {
        let wrong = || KekError::WrongKekOrDamaged { kek: self.id.clone() };
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEALED_VERSION {
            return Err(wrong());
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().map_err(|_| wrong())?;
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: &sealed[1 + NONCE_LEN..], aad: context })
            .map_err(|_| wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_under_their_kek_and_context() {
        let kek = Kek::generate().unwrap();
        let secret = [7u8; 32];
        let sealed = kek.seal(&secret, b"FR/kid/EdDSA").unwrap();
        assert_eq!(sealed.len(), 1 + 24 + 32 + 16);
        assert!(!sealed.windows(32).any(|window| window == secret));
        assert_eq!(kek.open(&sealed, b"FR/kid/EdDSA").unwrap(), secret);
        // Two sealings differ (random nonces).
        assert_ne!(kek.seal(&secret, b"FR/kid/EdDSA").unwrap(), sealed);
        // Another record, another KEK, a flipped bit: refused.
        assert!(kek.open(&sealed, b"IT/kid/EdDSA").is_err());
        let other = Kek::generate().unwrap();
        assert!(matches!(other.open(&sealed, b"FR/kid/EdDSA"), Err(KekError::WrongKekOrDamaged { .. })));
        for index in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[index] ^= 1;
            assert!(kek.open(&damaged, b"FR/kid/EdDSA").is_err(), "bit flipped at {index}");
        }
        assert!(kek.open(&sealed[..20], b"FR/kid/EdDSA").is_err());
    }

    #[test]
    fn the_kek_round_trips_through_its_text_and_keeps_its_id() {
        let kek = Kek::generate().unwrap();
        let text = kek.encode();
        assert_eq!(text.len(), 44);
        let again = Kek::parse(&format!("  {text}\n")).unwrap();
        assert_eq!(again.id(), kek.id());
        let url = URL_SAFE_NO_PAD.encode(STANDARD.decode(&text).unwrap());
        assert_eq!(Kek::parse(&url).unwrap().id(), kek.id());
        assert!(!format!("{kek:?}").contains(&text));
        assert!(Kek::parse("not base64!").is_err());
        assert!(Kek::parse(&STANDARD.encode([1u8; 16])).unwrap_err().to_string().contains("16 bytes"));
        assert_ne!(Kek::from_bytes([1; 32]).id(), Kek::from_bytes([2; 32]).id());
    }
}
