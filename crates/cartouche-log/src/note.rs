//! Signed checkpoints and cosignatures.
//!
//! - The log signs its checkpoint as a C2SP signed note with an Ed25519 key (signature
//!   type 0x01), separate from the seal keys. Its verifier key is
//!   `<name>+<hex key id>+<base64(0x01 || key)>`, the key id being
//!   SHA-256(name || 0x0A || 0x01 || key)[:4].
//! - Witnesses cosign with Ed25519 `cosignature/v1` (type 0x04): the signature is an
//!   8-byte big-endian timestamp followed by the Ed25519 signature of
//!   `cosignature/v1\ntime <t>\n` and the checkpoint text.
//!
//! Notes are parsed by the `signed_note` crate (limits on size and signature count,
//! duplicate and unknown signatures); the Ed25519 arithmetic is ed25519-dalek's, the same
//! version the seals use (`verify_strict`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, Signature, Verifier, VerifierList};

pub use tlog_tiles::Checkpoint;

use crate::LogError;

/// Signature type of an Ed25519 signed-note key.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type of an Ed25519 `cosignature/v1` key.
pub const ALG_COSIGNATURE: u8 = 0x04;

/// A parsed verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vkey {
    /// Key name (the log's origin, or the witness's name).
    pub name: String,
    /// Key id.
    pub id: u32,
    /// Signature type.
    pub alg: u8,
    /// Ed25519 public key.
    pub key: [u8; 32],
}

impl Vkey {
    /// Parses `<name>+<hex id>+<base64(type || key)>`, checking the id.
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LogError::malformed("verifier key", "expected <name>+<hex key id>+<base64 key>"));
        };
        if !signed_note::is_key_name_valid(name) {
            return Err(LogError::malformed("verifier key", "the name is empty or has spaces or '+'"));
        }
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(LogError::malformed("verifier key", "the key id is not 8 lower-case hex digits"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|error| LogError::malformed("verifier key", error.to_string()))?;
        let bytes = STANDARD.decode(key).map_err(|error| LogError::malformed("verifier key", error.to_string()))?;
        let (alg, key) = match bytes.split_first() {
            Some((alg, key)) if key.len() == 32 => (*alg, <[u8; 32]>::try_from(key).expect("length checked")),
            _ => return Err(LogError::malformed("verifier key", "not a type byte and a 32-byte Ed25519 key")),
        };
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE {
            return Err(LogError::malformed("verifier key", format!("signature type {alg:#04x} is not supported")));
        }
        if key_id(name, alg, &key) != id {
            return Err(LogError::malformed("verifier key", "the key id does not match the name and key"));
        }
        Ok(Self { name: name.to_owned(), id, alg, key })
    }
}

impl std::fmt::Display for Vkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = vec![self.alg];
        bytes.extend_from_slice(&self.key);
        write!(f, "{}+{:08x}+{}", self.name, self.id, STANDARD.encode(bytes))
    }
}

/// SHA-256(name || 0x0A || type || key)[:4], big-endian.
pub fn key_id(name: &str, alg: u8, key: &[u8; 32]) -> u32 {
    let mut encoded = vec![alg];
    encoded.extend_from_slice(key);
    signed_note::key_id(name, &encoded)
}

fn check_name(name: &str) -> Result<(), LogError> {
    if signed_note::is_key_name_valid(name) {
        Ok(())
    } else {
        Err(LogError::malformed("key name", format!("{name:?} is empty or has spaces or '+'")))
    }
}

fn verifying_key(key: &[u8; 32]) -> Result<VerifyingKey, LogError> {
    let key = VerifyingKey::from_bytes(key).map_err(|error| LogError::malformed("verifier key", error.to_string()))?;
    if key.is_weak() {
        return Err(LogError::malformed("verifier key", "a weak (small-order) Ed25519 key"));
    }
    Ok(key)
}

/// A fresh 32-byte Ed25519 secret from the operating system.
pub fn new_secret() -> Result<[u8; 32], LogError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|error| LogError::Storage(format!("no randomness: {error}")))?;
    Ok(secret)
}

/// An Ed25519 key kept outside this process (an HSM): it signs, its secret never comes here.
pub trait Ed25519Sign: Send + Sync {
    /// The signature of `message`.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], String>;
}

/// A service key: its secret here, or kept elsewhere.
enum Key {
    Local(SigningKey),
    External { public: VerifyingKey, signer: std::sync::Arc<dyn Ed25519Sign> },
}

impl Key {
    fn external(public: &[u8; 32], signer: std::sync::Arc<dyn Ed25519Sign>) -> Result<Self, LogError> {
        Ok(Key::External { public: verifying_key(public)?, signer })
    }

    fn verifying_key(&self) -> VerifyingKey {
        match self {
            Key::Local(key) => key.verifying_key(),
            Key::External { public, .. } => *public,
        }
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], LogError> {
        match self {
            Key::Local(key) => Ok(key.sign(message).to_bytes()),
            Key::External { public, signer } => {
                let signature = signer.sign(message).map_err(LogError::Signature)?;
                // A key kept elsewhere is checked, not trusted: a wrong key or a faulty
                // module must not put a bad signature in a checkpoint.
                public
                    .verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature))
                    .map_err(|_| LogError::Signature("the external key's signature does not verify".into()))?;
                Ok(signature)
            }
        }
    }
}

/// The log's checkpoint signer.
pub struct LogSigner {
    name: String,
    key: Key,
}

impl LogSigner {
    /// The signer for origin `name` with an Ed25519 secret.
    pub fn new(name: &str, secret: &[u8; 32]) -> Result<Self, LogError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: Key::Local(SigningKey::from_bytes(secret)) })
    }

    /// The signer for origin `name` with the Ed25519 key `public`, kept by `signer`.
    pub fn external(name: &str, public: &[u8; 32], signer: std::sync::Arc<dyn Ed25519Sign>) -> Result<Self, LogError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: Key::external(public, signer)? })
    }

    /// The origin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key.
    pub fn vkey(&self) -> Vkey {
        let key = self.key.verifying_key().to_bytes();
        Vkey { name: self.name.clone(), id: key_id(&self.name, ALG_ED25519, &key), alg: ALG_ED25519, key }
    }

    /// The verifier.
    pub fn verifier(&self) -> LogVerifier {
        LogVerifier { vkey: self.vkey(), key: self.key.verifying_key() }
    }

    /// The signed note of a checkpoint of this log.
    pub fn sign(&self, size: u64, root: crate::Hash) -> Result<Vec<u8>, LogError> {
        let checkpoint = Checkpoint::new(&self.name, size, root, "")
            .map_err(|_| LogError::malformed("checkpoint", "cannot be built"))?;
        let text = checkpoint.to_bytes();
        let signature = self.key.sign(&text)?.to_vec();
        let signature = Signature::new(self.name.clone(), self.vkey().id, signature)
            .map_err(|error| LogError::Signature(error.to_string()))?;
        let note = Note::new(&text, &[signature]).map_err(|error| LogError::Signature(error.to_string()))?;
        Ok(note.to_bytes())
    }
}

/// Verifies the log's signature (type 0x01).
#[derive(Clone)]
pub struct LogVerifier {
    vkey: Vkey,
    key: VerifyingKey,
}

impl LogVerifier {
    /// From `<name>+<id>+<base64>`; the type must be 0x01.
    pub fn from_vkey(text: &str) -> Result<Self, LogError> {
        let vkey = Vkey::parse(text)?;
        if vkey.alg != ALG_ED25519 {
            return Err(LogError::malformed("log verifier key", "not an Ed25519 (type 0x01) key"));
        }
        Ok(Self { key: verifying_key(&vkey.key)?, vkey })
    }

    /// The key.
    pub fn vkey(&self) -> &Vkey {
        &self.vkey
    }
}

impl Verifier for LogVerifier {
    fn name(&self) -> &str {
        &self.vkey.name
    }
    fn key_id(&self) -> u32 {
        self.vkey.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(sig) else { return false };
        self.key.verify_strict(msg, &signature).is_ok()
    }
}

fn cosigned_message(text: &[u8], timestamp: u64) -> Vec<u8> {
    let mut message = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    message.extend_from_slice(text);
    message
}

/// Verifies a witness's `cosignature/v1` (type 0x04).
#[derive(Clone)]
pub struct CosignatureVerifier {
    vkey: Vkey,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// From `<name>+<id>+<base64>`; the type must be 0x04.
    pub fn from_vkey(text: &str) -> Result<Self, LogError> {
        let vkey = Vkey::parse(text)?;
        if vkey.alg != ALG_COSIGNATURE {
            return Err(LogError::malformed("witness verifier key", "not a cosignature/v1 (type 0x04) key"));
        }
        Ok(Self { key: verifying_key(&vkey.key)?, vkey })
    }

    /// The key.
    pub fn vkey(&self) -> &Vkey {
        &self.vkey
    }
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.vkey.name
    }
    fn key_id(&self) -> u32 {
        self.vkey.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 72 {
            return false;
        }
        let timestamp = u64::from_be_bytes(sig[..8].try_into().expect("length checked"));
        if timestamp == 0 || timestamp > i64::MAX as u64 {
            return false;
        }
        let Ok(signature) = ed25519_dalek::Signature::from_slice(&sig[8..]) else { return false };
        self.key.verify_strict(&cosigned_message(msg, timestamp), &signature).is_ok()
    }
}

/// A witness's cosigning key.
pub struct Cosigner {
    name: String,
    key: Key,
}

impl Cosigner {
    /// The cosigner `name` with an Ed25519 secret.
    pub fn new(name: &str, secret: &[u8; 32]) -> Result<Self, LogError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: Key::Local(SigningKey::from_bytes(secret)) })
    }

    /// The cosigner `name` with the Ed25519 key `public`, kept by `signer`.
    pub fn external(name: &str, public: &[u8; 32], signer: std::sync::Arc<dyn Ed25519Sign>) -> Result<Self, LogError> {
        check_name(name)?;
        Ok(Self { name: name.to_owned(), key: Key::external(public, signer)? })
    }

    /// The verifier key (type 0x04).
    pub fn vkey(&self) -> Vkey {
        let key = self.key.verifying_key().to_bytes();
        Vkey { name: self.name.clone(), id: key_id(&self.name, ALG_COSIGNATURE, &key), alg: ALG_COSIGNATURE, key }
    }

    /// The cosignature line (`— <name> <base64>\n`) over a checkpoint's text.
    pub fn cosign(&self, checkpoint_text: &[u8], timestamp: u64) -> Result<Vec<u8>, LogError> {
        let timestamp = timestamp.max(1);
        let mut signature = timestamp.to_be_bytes().to_vec();
        signature.extend_from_slice(&self.key.sign(&cosigned_message(checkpoint_text, timestamp))?);
        let line = Signature::new(self.name.clone(), self.vkey().id, signature)
            .map_err(|error| LogError::Signature(error.to_string()))?;
        Ok(line.to_bytes())
    }
}

/// A checkpoint whose log signature verified.
#[derive(Debug)]
pub struct OpenedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Its text (the signed part).
    pub text: Vec<u8>,
    /// The witnesses (among those given) whose cosignature verified, with its time.
    pub cosigned_by: Vec<(String, u64)>,
    /// The note with the log's signature and the verified cosignatures only.
    pub note: Vec<u8>,
}

/// Opens a signed checkpoint: the log must have signed it, its origin must be the log's
/// name, and each cosignature from a known witness must verify (an unknown one is
/// dropped, a bad one from a known witness refuses the note, as signed-note says).
pub fn open_checkpoint(
    bytes: &[u8],
    log: &LogVerifier,
    witnesses: &[CosignatureVerifier],
) -> Result<OpenedCheckpoint, LogError> {
    let note = Note::from_bytes(bytes).map_err(|error| LogError::malformed("checkpoint note", error.to_string()))?;
    let mut verifiers: Vec<Box<dyn Verifier>> = vec![Box::new(log.clone())];
    for witness in witnesses {
        verifiers.push(Box::new(witness.clone()));
    }
    let (verified, _unknown) = note.verify(&VerifierList::new(verifiers)).map_err(|error| match error {
        signed_note::NoteError::UnverifiedNote => {
            LogError::Signature(format!("the checkpoint is not signed by the log key {}", log.vkey))
        }
        other => LogError::Signature(format!("the checkpoint's signatures do not verify: {other}")),
    })?;
    if !verified.iter().any(|signature| signature.name() == log.vkey.name && signature.id() == log.vkey.id) {
        return Err(LogError::Signature(format!("the checkpoint is not signed by the log key {}", log.vkey)));
    }
    let checkpoint = Checkpoint::from_bytes(note.text())
        .map_err(|_| LogError::malformed("checkpoint", "not origin, size and root hash lines"))?;
    if checkpoint.origin() != log.vkey.name {
        return Err(LogError::Signature(format!(
            "the checkpoint is for origin {:?}, not the log {:?}",
            checkpoint.origin(),
            log.vkey.name
        )));
    }
    let mut cosigned_by = Vec::new();
    let mut kept = Vec::new();
    for signature in verified {
        if let Some(witness) =
            witnesses.iter().find(|witness| witness.vkey.name == signature.name() && witness.vkey.id == signature.id())
        {
            let timestamp = u64::from_be_bytes(signature.signature()[..8].try_into().expect("verified length"));
            cosigned_by.push((witness.vkey.name.clone(), timestamp));
        }
        kept.push(signature);
    }
    let clean = Note::new(note.text(), &kept).map_err(|error| LogError::Signature(error.to_string()))?;
    Ok(OpenedCheckpoint { checkpoint, text: note.text().to_vec(), cosigned_by, note: clean.to_bytes() })
}

/// Adds cosignature lines (as a witness answers them) to a signed checkpoint, after
/// checking each against `witness`; a cosignature from the same witness replaces the
/// earlier one. Returns the new note and the cosignature's time.
pub fn add_cosignature(
    note_bytes: &[u8],
    log: &LogVerifier,
    witness: &CosignatureVerifier,
    lines: &[u8],
) -> Result<(Vec<u8>, u64), LogError> {
    let note =
        Note::from_bytes(note_bytes).map_err(|error| LogError::malformed("checkpoint note", error.to_string()))?;
    let text = note.text().to_vec();
    let lines = std::str::from_utf8(lines).map_err(|_| LogError::malformed("cosignature", "not UTF-8"))?;
    let mut found = None;
    for line in lines.lines().filter(|line| !line.is_empty()).take(16) {
        let signature = Signature::from_bytes(line.as_bytes())
            .map_err(|error| LogError::malformed("cosignature", error.to_string()))?;
        if signature.name() == witness.vkey.name && signature.id() == witness.vkey.id {
            if !witness.verify(&text, signature.signature()) {
                return Err(LogError::Signature(format!("the cosignature of {} does not verify", witness.vkey.name)));
            }
            found = Some(signature);
        }
    }
    let Some(cosignature) = found else {
        return Err(LogError::Signature(format!("the answer holds no cosignature from {}", witness.vkey)));
    };
    let timestamp = u64::from_be_bytes(cosignature.signature()[..8].try_into().expect("verified length"));
    let (verified, unknown) = note
        .verify(&VerifierList::new(vec![Box::new(log.clone()) as Box<dyn Verifier>]))
        .map_err(|error| LogError::Signature(error.to_string()))?;
    let mut signatures: Vec<Signature> = verified
        .into_iter()
        .chain(unknown)
        .filter(|signature| !(signature.name() == witness.vkey.name && signature.id() == witness.vkey.id))
        .collect();
    signatures.push(cosignature);
    let note = Note::new(&text, &signatures).map_err(|error| LogError::Signature(error.to_string()))?;
    Ok((note.to_bytes(), timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{EMPTY_HASH, leaf_hash};

    #[test]
    fn checkpoints_sign_open_and_carry_cosignatures() {
        let log = LogSigner::new("registry.example/log", &[7u8; 32]).unwrap();
        let vkey = log.vkey().to_string();
        assert!(vkey.starts_with("registry.example/log+"));
        assert_eq!(Vkey::parse(&vkey).unwrap(), log.vkey());
        let verifier = LogVerifier::from_vkey(&vkey).unwrap();
        let note = log.sign(3, leaf_hash(b"x")).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        assert!(text.starts_with("registry.example/log\n3\n"), "{text}");
        assert!(text.contains("\n\n\u{2014} registry.example/log "), "{text}");

        let opened = open_checkpoint(&note, &verifier, &[]).unwrap();
        assert_eq!(opened.checkpoint.size(), 3);

        let witness = Cosigner::new("witness.example/w1", &[9u8; 32]).unwrap();
        let witness_verifier = CosignatureVerifier::from_vkey(&witness.vkey().to_string()).unwrap();
        let line = witness.cosign(&opened.text, 1_700_000_000).unwrap();
        let (cosigned, at) = add_cosignature(&note, &verifier, &witness_verifier, &line).unwrap();
        assert_eq!(at, 1_700_000_000);
        let opened = open_checkpoint(&cosigned, &verifier, std::slice::from_ref(&witness_verifier)).unwrap();
        assert_eq!(opened.cosigned_by, vec![("witness.example/w1".to_owned(), 1_700_000_000)]);
        // Without the witness configured, the cosignature is ignored, not an error.
        assert!(open_checkpoint(&cosigned, &verifier, &[]).unwrap().cosigned_by.is_empty());

        // A cosignature over another checkpoint is refused.
        let other = log.sign(4, EMPTY_HASH).unwrap();
        let other_text = open_checkpoint(&other, &verifier, &[]).unwrap().text;
        let wrong = witness.cosign(&other_text, 5).unwrap();
        assert!(add_cosignature(&note, &verifier, &witness_verifier, &wrong).is_err());

        // Another log key, a flipped byte, a wrong origin: refused.
        let impostor = LogSigner::new("registry.example/log", &[8u8; 32]).unwrap();
        assert!(open_checkpoint(&impostor.sign(3, leaf_hash(b"x")).unwrap(), &verifier, &[]).is_err());
        let mut flipped = note.clone();
        flipped[22] ^= 1;
        assert!(open_checkpoint(&flipped, &verifier, &[]).is_err());
    }

    #[test]
    fn verifier_keys_are_checked() {
        let log = LogSigner::new("a.example/log", &[1u8; 32]).unwrap();
        let vkey = log.vkey().to_string();
        let (name, rest) = vkey.split_once('+').unwrap();
        assert!(Vkey::parse(&format!("b.example/log+{rest}")).is_err(), "id must match the name");
        assert!(Vkey::parse(&format!("{name}+00000000+{}", rest.split_once('+').unwrap().1)).is_err());
        assert!(Vkey::parse("no-plus").is_err());
        assert!(CosignatureVerifier::from_vkey(&vkey).is_err(), "a log key is not a witness key");
        assert!(LogSigner::new("has space", &[1u8; 32]).is_err());
    }
}
