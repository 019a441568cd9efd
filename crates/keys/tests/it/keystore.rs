//! The keystore at rest: encrypted, 0600, atomic, and clear about wrong passphrases.

use std::os::unix::fs::PermissionsExt;

use dnavault_keys::{
    KeyError, SeedPhrase,
    keystore::{self, KdfStrength},
};

use crate::ANVIL_WORDS;

/// A low scrypt cost keeps the tests fast; production uses age's calibrated cost.
const FAST: KdfStrength = KdfStrength::LogN(10);

#[test]
fn round_trip_keeps_phrase_and_bip39_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet/keystore.age");
    let phrase = SeedPhrase::parse(ANVIL_WORDS).unwrap();
    keystore::create(&path, &phrase, "extra words", "keystore pass", FAST).unwrap();

    let unlocked = keystore::unlock(&path, "keystore pass").unwrap();
    assert_eq!(unlocked.phrase.words().as_str(), ANVIL_WORDS);
    assert_eq!(
        unlocked.seed().expose(),
        phrase.to_seed("extra words").expose()
    );

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert!(!path.with_file_name("keystore.age.tmp").exists());
}

#[test]
fn nothing_secret_is_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore.age");
    let phrase = SeedPhrase::parse(ANVIL_WORDS).unwrap();
    keystore::create(&path, &phrase, "bip39 extra", "keystore pass", FAST).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let seed = phrase.to_seed("bip39 extra");
    for secret in [
        &b"test test"[..],
        b"junk",
        b"bip39 extra",
        b"keystore pass",
        &seed.expose()[..16],
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "found {secret:?} in the keystore file"
        );
    }
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore.age");
    keystore::create(&path, &SeedPhrase::generate(), "", "right", FAST).unwrap();
    let err = keystore::unlock(&path, "wrong").unwrap_err();
    assert!(matches!(err, KeyError::WrongPassphrase { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("wrong passphrase for the keystore at ")
    );
}

#[test]
fn refuses_to_overwrite_empty_passphrases_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore.age");
    assert!(matches!(
        keystore::unlock(&path, "x"),
        Err(KeyError::KeystoreMissing { .. })
    ));
    assert!(matches!(
        keystore::create(&path, &SeedPhrase::generate(), "", "", FAST),
        Err(KeyError::EmptyPassphrase)
    ));
    keystore::create(&path, &SeedPhrase::generate(), "", "p", FAST).unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        keystore::create(&path, &SeedPhrase::generate(), "", "p", FAST),
        Err(KeyError::KeystoreExists { .. })
    ));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the existing keystore is untouched"
    );
}

#[test]
fn tampered_or_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore.age");
    keystore::create(&path, &SeedPhrase::generate(), "", "p", FAST).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert!(keystore::unlock(&path, "p").is_err());

    std::fs::write(&path, b"not an age file").unwrap();
    let err = keystore::unlock(&path, "p").unwrap_err();
    assert!(matches!(err, KeyError::KeystoreCorrupt { .. }), "{err:?}");
}
