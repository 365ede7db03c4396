//! Tests against throw-away SoftHSM2 tokens.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once per process, at C_Initialize, and setting an environment variable inside
//! the test process would need `unsafe`. So each test that touches a token re-runs this test binary in a child
//! process (the same test, `--exact`) with `SOFTHSM2_CONF` pointing at a configuration and token directory of
//! its own, in a temporary directory where the parent has initialised the tokens with `softhsm2-util`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use cartouche_hsm::{Hsm, HsmAlg, HsmConfig, HsmError};

/// Set in the child process: the temporary directory holding `softhsm2.conf` and `tokens/`.
const CHILD_VAR: &str = "CARTOUCHE_HSM_TEST_DIR";
const PIN: &str = "1234";
const SO_PIN: &str = "5678";

struct Tokens {
    dir: PathBuf,
    module: PathBuf,
}

impl Tokens {
    fn uri(&self, label: &str) -> String {
        format!("pkcs11:token={label}?module-path={}&pin-value={PIN}", self.module.display())
    }

    fn config(&self, label: &str) -> HsmConfig {
        HsmConfig::parse(&self.uri(label), None).unwrap()
    }

    fn open(&self, label: &str, pool_size: usize) -> Hsm {
        Hsm::open(&self.config(label), pool_size).unwrap()
    }

    /// The token directories (one per initialised token).
    fn token_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.dir.join("tokens"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    }
}

fn softhsm_module() -> PathBuf {
    if let Some(m) = std::env::var_os("SOFTHSM2_MODULE") {
        return PathBuf::from(m);
    }
    for candidate in [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "libsofthsm2.so not found: install Debian's softhsm2 package (apt-get install softhsm2) or set SOFTHSM2_MODULE"
    );
}

/// Runs `body` in a child process whose SoftHSM2 has the tokens `labels` (user PIN 1234, SO PIN 5678).
/// `test` must be the name of the calling test function.
fn with_tokens(test: &str, labels: &[&str], body: fn(&Tokens)) {
    if let Some(dir) = std::env::var_os(CHILD_VAR) {
        body(&Tokens { dir: PathBuf::from(dir), module: softhsm_module() });
        return;
    }
    softhsm_module(); // fail early, with the install hint, if SoftHSM2 is missing
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("softhsm2.conf");
    std::fs::create_dir(tmp.path().join("tokens")).unwrap();
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tmp.path().join("tokens").display()
        ),
    )
    .unwrap();
    for label in labels {
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run softhsm2-util ({e}): install Debian's softhsm2 package (apt-get install softhsm2); \
                     the test script installs it"
                )
            });
        assert!(
            out.status.success(),
            "softhsm2-util --init-token {label} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD_VAR, tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(out.status.success(), "the child process running {test} failed");
    assert!(stdout.contains("1 passed"), "the child process did not run {test}: is the name right?");
}

fn random_message(n: u8) -> Vec<u8> {
    format!("{{\"payload\":\"seal number {n}\"}}").into_bytes()
}

fn verify_ed25519(public: &[u8], message: &[u8], sig: &[u8]) {
    use ed25519_dalek::Verifier;
    let key = ed25519_dalek::VerifyingKey::from_bytes(public.try_into().unwrap()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(sig).unwrap();
    key.verify(message, &sig).unwrap();
}

fn verify_p256(public: &[u8], message: &[u8], sig: &[u8]) {
    use p256::ecdsa::signature::Verifier;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(sig).unwrap();
    // The HSM does not normalise S; the verifier may insist on low S.
    let sig = sig.normalize_s();
    key.verify(message, &sig).unwrap();
}

fn verify(alg: HsmAlg, public: &[u8], message: &[u8], sig: &[u8]) {
    match alg {
        HsmAlg::Ed25519 => verify_ed25519(public, message, sig),
        HsmAlg::P256 => verify_p256(public, message, sig),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// URI parsing (no token needed)

#[test]
fn uri_parsing_good() {
    let c = HsmConfig::parse("pkcs11:token=cartouche?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234", None)
        .unwrap();
    assert_eq!(c.token_label, "cartouche");
    assert_eq!(c.module, PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"));

    // Percent-encoding in the path and in the query.
    let c = HsmConfig::parse("pkcs11:token=My%20Token%3b1?module-path=/opt/hsm%20lib/p11.so&pin-value=12%2634", None)
        .unwrap();
    assert_eq!(c.token_label, "My Token;1");
    assert_eq!(c.module, PathBuf::from("/opt/hsm lib/p11.so"));

    // pin-source=file:, in its three spellings, with the trailing newline trimmed.
    let tmp = tempfile::tempdir().unwrap();
    let pin_file = tmp.path().join("pin");
    std::fs::write(&pin_file, "s3cret\n").unwrap();
    for source in [
        format!("file:{}", pin_file.display()),
        format!("file://{}", pin_file.display()),
        pin_file.display().to_string(),
    ] {
        let uri = format!("pkcs11:token=t?module-path=/m.so&pin-source={source}");
        let c = HsmConfig::parse(&uri, Some("from-env".into())).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.token_label, "t");
    }

    // The environment PIN when the URI gives none; no error either way, and Debug never shows the PIN.
    let c = HsmConfig::parse("pkcs11:token=t;?module-path=/m.so", Some("env-pin-value".into())).unwrap();
    assert!(!format!("{c:?}").contains("env-pin-value"), "{c:?}");
    // Case-insensitive scheme, surrounding blanks.
    HsmConfig::parse("  PKCS11:token=t?module-path=/m.so&pin-value=1 ", None).unwrap();
}

fn config_error(uri: &str, env_pin: Option<&str>) -> String {
    match HsmConfig::parse(uri, env_pin.map(str::to_owned)) {
        Err(HsmError::Config(msg)) => msg,
        other => panic!("expected a Config error for {uri}, got {other:?}"),
    }
}

#[test]
fn uri_parsing_errors() {
    let msg = config_error("pkcs11:?module-path=/m.so&pin-value=1", None);
    assert!(msg.contains("token="), "{msg}");
    let msg = config_error("pkcs11:token=t?pin-value=1", None);
    assert!(msg.contains("module-path=") && msg.contains("/usr/lib/softhsm/libsofthsm2.so"), "{msg}");
    let msg = config_error("pkcs11:token=t;serial=42?module-path=/m.so&pin-value=1&pin-sorce=file:/x", None);
    assert!(msg.contains("serial") && msg.contains("pin-sorce"), "{msg}");
    let msg = config_error("token=t?module-path=/m.so", Some("1"));
    assert!(msg.contains("pkcs11:"), "{msg}");
    let msg = config_error("pkcs11:token=t?module-path=/m.so", None);
    assert!(msg.contains("pin-source=") && msg.contains("CARTOUCHE_HSM_PIN"), "{msg}");
    let msg = config_error("pkcs11:token=t?module-path=/m.so&pin-source=file:/nonexistent/pin", None);
    assert!(msg.contains("/nonexistent/pin"), "{msg}");
    let msg = config_error("pkcs11:token=t?module-path=/m.so&pin-value=1&pin-source=file:/x", None);
    assert!(msg.contains("both"), "{msg}");
    let msg = config_error("pkcs11:token=t%2?module-path=/m.so&pin-value=1", None);
    assert!(msg.contains("percent"), "{msg}");
    let msg = config_error("pkcs11:token=t;token=u?module-path=/m.so&pin-value=1", None);
    assert!(msg.contains("twice"), "{msg}");
    let msg = config_error("pkcs11:token=t&module-path=/m.so", Some("1"));
    assert!(msg.contains("module-path"), "{msg}");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pin"), "\n").unwrap();
    let msg = config_error(
        &format!("pkcs11:token=t?module-path=/m.so&pin-source=file:{}", tmp.path().join("pin").display()),
        None,
    );
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn missing_module_is_a_module_error() {
    let c = HsmConfig::parse("pkcs11:token=t?module-path=/nonexistent/libnothing.so&pin-value=1234", None).unwrap();
    match Hsm::open(&c, 1) {
        Err(e @ HsmError::Module { .. }) => assert!(e.to_string().contains("/nonexistent/libnothing.so"), "{e}"),
        other => panic!("expected a Module error, got {other:?}"),
    }
    // A file that is not a PKCS#11 module.
    let tmp = tempfile::tempdir().unwrap();
    let fake = tmp.path().join("fake.so");
    std::fs::write(&fake, b"not a shared library").unwrap();
    let c = HsmConfig::parse(&format!("pkcs11:token=t?module-path={}&pin-value=1", fake.display()), None).unwrap();
    assert!(matches!(Hsm::open(&c, 1), Err(HsmError::Module { .. })));
}

// ---------------------------------------------------------------------------------------------------------------
// Against SoftHSM2

#[test]
fn ed25519_generate_sign_verify() {
    with_tokens("ed25519_generate_sign_verify", &["ed"], |t| {
        let hsm = t.open("ed", 1);
        assert_eq!(hsm.info().token_label, "ed");
        assert_eq!(hsm.info().manufacturer, "SoftHSM project");
        let key = hsm.generate(HsmAlg::Ed25519, "seal-ed").unwrap();
        assert_eq!(key.id.len(), 16);
        assert_eq!(key.public.len(), 32);
        assert_eq!(key.alg, HsmAlg::Ed25519);
        assert_eq!(key.label, "seal-ed");
        for n in 0..3 {
            let msg = random_message(n);
            let sig = hsm.sign(&key.id, HsmAlg::Ed25519, &msg).unwrap();
            assert_eq!(sig.len(), 64);
            verify_ed25519(&key.public, &msg, &sig);
        }
        // Ed25519 is deterministic.
        assert_eq!(
            hsm.sign(&key.id, HsmAlg::Ed25519, b"x").unwrap(),
            hsm.sign(&key.id, HsmAlg::Ed25519, b"x").unwrap()
        );
        // The wrong algorithm for the key is refused, not mis-signed.
        assert!(matches!(hsm.sign(&key.id, HsmAlg::P256, b"x"), Err(HsmError::Failed(_))));
    });
}

#[test]
fn p256_generate_sign_verify() {
    with_tokens("p256_generate_sign_verify", &["p256"], |t| {
        let hsm = t.open("p256", 1);
        let key = hsm.generate(HsmAlg::P256, "seal-p256").unwrap();
        assert_eq!(key.id.len(), 16);
        assert_eq!(key.public.len(), 65);
        assert_eq!(key.public[0], 0x04);
        for n in 0..3 {
            let msg = random_message(n);
            let sig = hsm.sign(&key.id, HsmAlg::P256, &msg).unwrap();
            assert_eq!(sig.len(), 64);
            verify_p256(&key.public, &msg, &sig);
        }
        assert!(matches!(hsm.sign(&key.id, HsmAlg::Ed25519, b"x"), Err(HsmError::Failed(_))));
    });
}

#[test]
fn keys_and_find() {
    with_tokens("keys_and_find", &["list"], |t| {
        let hsm = t.open("list", 2);
        assert!(hsm.keys().unwrap().is_empty());
        let ed = hsm.generate(HsmAlg::Ed25519, "one").unwrap();
        let p = hsm.generate(HsmAlg::P256, "two").unwrap();
        assert_ne!(ed.id, p.id);
        let mut keys = hsm.keys().unwrap();
        keys.sort_by(|a, b| a.label.cmp(&b.label));
        assert_eq!(keys.len(), 2);
        for (got, want) in keys.iter().zip([&ed, &p]) {
            assert_eq!(got.id, want.id);
            assert_eq!(got.label, want.label);
            assert_eq!(got.alg, want.alg);
            assert_eq!(got.public, want.public);
        }
        for want in [&ed, &p] {
            let got = hsm.find(&want.id).unwrap().unwrap();
            assert_eq!((&got.id, &got.label, got.alg, &got.public), (&want.id, &want.label, want.alg, &want.public));
        }
        assert!(hsm.find(&[0u8; 16]).unwrap().is_none());
        assert!(hsm.find(b"").unwrap().is_none());
        match hsm.sign(&[0u8; 16], HsmAlg::Ed25519, b"x") {
            Err(HsmError::KeyNotFound { id }) => assert_eq!(id, "00".repeat(16)),
            other => panic!("expected KeyNotFound, got {other:?}"),
        }
        // A second Hsm on the same module and token (login state is per process) sees the same keys.
        let again = t.open("list", 1);
        assert_eq!(again.keys().unwrap().len(), 2);
        let sig = again.sign(&p.id, HsmAlg::P256, b"from the second handle").unwrap();
        verify_p256(&p.public, b"from the second handle", &sig);
    });
}

#[test]
fn private_keys_stay_in_the_token() {
    with_tokens("private_keys_stay_in_the_token", &["attrs"], |t| {
        use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
        use cryptoki::object::{Attribute, AttributeType, ObjectClass};
        use cryptoki::session::UserType;

        let hsm = t.open("attrs", 1);
        let keys = [hsm.generate(HsmAlg::Ed25519, "ed").unwrap(), hsm.generate(HsmAlg::P256, "p").unwrap()];

        // Read the attributes back through a separate PKCS#11 handle on the same module.
        let ctx = Pkcs11::new(&t.module).unwrap();
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => panic!("the module should already be initialised by Hsm::open"),
            Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => panic!("unexpected C_Initialize error: {e}"),
        }
        let slot = ctx
            .get_slots_with_token()
            .unwrap()
            .into_iter()
            .find(|s| ctx.get_token_info(*s).unwrap().label().trim() == "attrs")
            .unwrap();
        assert_eq!(slot.id(), hsm.info().slot);
        let session = ctx.open_ro_session(slot).unwrap();
        // Already logged in by the Hsm (login state is per token and process).
        let _ = session.login(UserType::User, Some(&PIN.to_owned().into()));
        for key in &keys {
            let found = session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(key.id.clone())])
                .unwrap();
            assert_eq!(found.len(), 1);
            let attrs = session
                .get_attributes(
                    found[0],
                    &[
                        AttributeType::Extractable,
                        AttributeType::Sensitive,
                        AttributeType::Token,
                        AttributeType::Private,
                        AttributeType::Sign,
                        AttributeType::NeverExtractable,
                        AttributeType::AlwaysSensitive,
                        AttributeType::Label,
                    ],
                )
                .unwrap();
            let want = [
                Attribute::Extractable(false),
                Attribute::Sensitive(true),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sign(true),
                Attribute::NeverExtractable(true),
                Attribute::AlwaysSensitive(true),
                Attribute::Label(key.label.as_bytes().to_vec()),
            ];
            assert_eq!(attrs, want, "private key {:?}", key.alg);
            // The private value cannot be read.
            let value = session.get_attributes(found[0], &[AttributeType::Value]).unwrap();
            assert!(value.is_empty(), "CKA_VALUE readable: {value:?}");

            let public = session
                .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::Id(key.id.clone())])
                .unwrap();
            assert_eq!(public.len(), 1);
            let attrs = session.get_attributes(public[0], &[AttributeType::Verify, AttributeType::Token]).unwrap();
            assert_eq!(attrs, [Attribute::Verify(true), Attribute::Token(true)]);
        }
    });
}

#[test]
fn wrong_pin() {
    with_tokens("wrong_pin", &["pin"], |t| {
        let uri = format!("pkcs11:token=pin?module-path={}&pin-value=9999", t.module.display());
        let config = HsmConfig::parse(&uri, None).unwrap();
        match Hsm::open(&config, 1) {
            Err(e @ HsmError::PinIncorrect) => assert!(e.is_unavailable()),
            other => panic!("expected PinIncorrect, got {other:?}"),
        }
        // The right PIN, from the environment fallback, still works afterwards.
        let uri = format!("pkcs11:token=pin?module-path={}", t.module.display());
        let config = HsmConfig::parse(&uri, Some(PIN.into())).unwrap();
        Hsm::open(&config, 1).unwrap();
    });
}

#[test]
fn unknown_token_label() {
    with_tokens("unknown_token_label", &["alpha", "beta"], |t| {
        match Hsm::open(&t.config("gamma"), 1) {
            Err(HsmError::TokenNotFound { label, mut available }) => {
                assert_eq!(label, "gamma");
                available.sort();
                assert_eq!(available, ["alpha", "beta"]);
            }
            other => panic!("expected TokenNotFound, got {other:?}"),
        }
        // Labels are compared trimmed.
        Hsm::open(&t.config("beta%20"), 1).unwrap();
    });
}

#[test]
fn concurrent_signing_with_a_small_pool() {
    with_tokens("concurrent_signing_with_a_small_pool", &["threads"], |t| {
        let hsm = Arc::new(t.open("threads", 2));
        let ed = hsm.generate(HsmAlg::Ed25519, "ed").unwrap();
        let p = hsm.generate(HsmAlg::P256, "p").unwrap();
        let handles: Vec<_> = (0..8u8)
            .map(|n| {
                let hsm = Arc::clone(&hsm);
                let key = if n % 2 == 0 { ed.clone() } else { p.clone() };
                std::thread::spawn(move || {
                    for i in 0..25u8 {
                        let msg = random_message(n.wrapping_mul(100).wrapping_add(i));
                        let sig = hsm.sign(&key.id, key.alg, &msg).unwrap();
                        verify(key.alg, &key.public, &msg, &sig);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn destroy_removes_both_halves() {
    with_tokens("destroy_removes_both_halves", &["destroy"], |t| {
        let hsm = t.open("destroy", 2);
        let keep = hsm.generate(HsmAlg::P256, "keep").unwrap();
        let gone = hsm.generate(HsmAlg::Ed25519, "gone").unwrap();
        // Cache the handle in a session first.
        hsm.sign(&gone.id, HsmAlg::Ed25519, b"before").unwrap();
        hsm.destroy(&gone.id).unwrap();
        assert!(hsm.find(&gone.id).unwrap().is_none());
        assert!(matches!(hsm.sign(&gone.id, HsmAlg::Ed25519, b"after"), Err(HsmError::KeyNotFound { .. })));
        assert!(matches!(hsm.destroy(&gone.id), Err(HsmError::KeyNotFound { .. })));
        let keys = hsm.keys().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].id, keep.id);
        // No public half left behind either: a fresh handle sees only the kept pair's two objects.
        let fresh = t.open("destroy", 1);
        assert_eq!(fresh.keys().unwrap().len(), 1);
    });
}

/// Removes the token's files under an open `Hsm`, then checks every operation says Unavailable.
fn token_vanishes(t: &Tokens, label: &str, remove: fn(&Path)) {
    let hsm = t.open(label, 2);
    let ed = hsm.generate(HsmAlg::Ed25519, "k").unwrap();
    let p = hsm.generate(HsmAlg::P256, "p").unwrap();
    // Both sessions in use once, with the Ed25519 handle cached.
    hsm.sign(&ed.id, HsmAlg::Ed25519, b"before").unwrap();
    hsm.sign(&p.id, HsmAlg::P256, b"before").unwrap();
    let dirs = t.token_dirs();
    assert_eq!(dirs.len(), 1);
    remove(&dirs[0]);

    // SoftHSM2 keeps the sessions but the objects are gone (C_Sign: CKR_KEY_HANDLE_INVALID, C_FindObjects:
    // nothing) and C_GetTokenInfo answers CKR_GENERAL_ERROR: all of it must read as "HSM unavailable".
    for (key, alg) in [(&ed, HsmAlg::Ed25519), (&p, HsmAlg::P256)] {
        match hsm.sign(&key.id, alg, b"after") {
            Err(e @ HsmError::Unavailable(_)) => assert!(e.is_unavailable()),
            other => panic!("sign after the token files went: expected Unavailable, got {other:?}"),
        }
    }
    assert!(matches!(hsm.find(&ed.id), Err(HsmError::Unavailable(_))));
    assert!(matches!(hsm.keys(), Err(HsmError::Unavailable(_))));
    assert!(matches!(hsm.generate(HsmAlg::P256, "new"), Err(HsmError::Unavailable(_))));
    match Hsm::open(&t.config(label), 1) {
        Err(HsmError::TokenNotFound { available, .. }) => assert!(available.is_empty()),
        other => panic!("open after the token files went: expected TokenNotFound, got {other:?}"),
    }
}

#[test]
fn token_directory_removed_while_open() {
    with_tokens("token_directory_removed_while_open", &["gone"], |t| {
        token_vanishes(t, "gone", |dir| std::fs::remove_dir_all(dir).unwrap());
    });
}

#[test]
fn token_files_removed_while_open() {
    with_tokens("token_files_removed_while_open", &["emptied"], |t| {
        token_vanishes(t, "emptied", |dir| {
            for entry in std::fs::read_dir(dir).unwrap() {
                std::fs::remove_file(entry.unwrap().path()).unwrap();
            }
        });
    });
}

#[test]
fn ed25519_key_with_curve_name_params_is_recognised() {
    // Keys made by other tools may carry CKA_EC_PARAMS as the PrintableString "edwards25519" (SoftHSM2 2.6.1
    // accepts both that and the OID 1.3.101.112; Hsm::generate uses the OID).
    with_tokens("ed25519_key_with_curve_name_params_is_recognised", &["named"], |t| {
        use cryptoki::context::Pkcs11;
        use cryptoki::mechanism::Mechanism;
        use cryptoki::object::Attribute;

        let hsm = t.open("named", 1);
        let ctx = Pkcs11::new(&t.module).unwrap();
        let session = ctx.open_rw_session(ctx.get_slots_with_token().unwrap()[0]).unwrap();
        let id = b"named-curve-key!".to_vec();
        let common = [Attribute::Token(true), Attribute::Id(id.clone()), Attribute::Label(b"imported".to_vec())];
        let mut public = common.to_vec();
        public.extend([Attribute::Verify(true), Attribute::EcParams(b"\x13\x0cedwards25519".to_vec())]);
        let mut private = common.to_vec();
        private.extend([Attribute::Private(true), Attribute::Sign(true), Attribute::Sensitive(true)]);
        session.generate_key_pair(&Mechanism::EccEdwardsKeyPairGen, &public, &private).unwrap();

        let key = hsm.find(&id).unwrap().unwrap();
        assert_eq!((key.alg, key.label.as_str(), key.public.len()), (HsmAlg::Ed25519, "imported", 32));
        assert_eq!(hsm.keys().unwrap().len(), 1);
        let sig = hsm.sign(&id, HsmAlg::Ed25519, b"named").unwrap();
        verify_ed25519(&key.public, b"named", &sig);
    });
}

#[test]
fn logout_elsewhere_is_recovered() {
    // C_Logout on any session logs the whole process out of the token: the pooled sessions then see no private
    // keys. Hsm must notice, log in again on a fresh session and retry, rather than answer "no such key".
    with_tokens("logout_elsewhere_is_recovered", &["logout"], |t| {
        use cryptoki::context::Pkcs11;

        let hsm = t.open("logout", 2);
        let key = hsm.generate(HsmAlg::Ed25519, "k").unwrap();
        hsm.sign(&key.id, HsmAlg::Ed25519, b"before").unwrap();
        let ctx = Pkcs11::new(&t.module).unwrap();
        let session = ctx.open_ro_session(ctx.get_slots_with_token().unwrap()[0]).unwrap();

        session.logout().unwrap();
        let sig = hsm.sign(&key.id, HsmAlg::Ed25519, b"after").unwrap();
        verify_ed25519(&key.public, b"after", &sig);

        session.logout().unwrap();
        assert!(hsm.find(&key.id).unwrap().is_some());

        session.logout().unwrap();
        assert_eq!(hsm.keys().unwrap().len(), 1);

        session.logout().unwrap();
        let p = hsm.generate(HsmAlg::P256, "p").unwrap();
        let sig = hsm.sign(&p.id, HsmAlg::P256, b"p").unwrap();
        verify_p256(&p.public, b"p", &sig);
    });
}
