//! OpenPGP operations with the derived key: detached signatures and encryption, with tamper detection.

use dnavault_keys::{SeedPhrase, pgp};

use crate::ANVIL_WORDS;

fn keys() -> (pgp::PgpKey, pgp::PgpKey) {
    let alice = SeedPhrase::parse(ANVIL_WORDS)
        .unwrap()
        .to_seed("")
        .pgp_key("Alice")
        .unwrap();
    let bob = SeedPhrase::generate().to_seed("").pgp_key("Bob").unwrap();
    (alice, bob)
}

#[test]
fn detached_signatures_verify_and_detect_tampering() {
    let (alice, bob) = keys();
    let data = b"consent form v3, signed 2026-11-24";
    let signature = alice.sign_detached(data).unwrap();
    assert!(signature.starts_with("-----BEGIN PGP SIGNATURE-----"));
    let alice_public = pgp::read_public_key(&alice.public_key_armored().unwrap()).unwrap();
    pgp::verify_detached(&alice_public, data, &signature).unwrap();

    assert!(
        pgp::verify_detached(
            &alice_public,
            b"consent form v4, signed 2026-11-24",
            &signature
        )
        .is_err()
    );
    assert!(
        pgp::verify_detached(&bob.public_key(), data, &signature).is_err(),
        "another key"
    );
    let tampered = signature.replacen("=\n", "A=\n", 1);
    assert!(pgp::verify_detached(&alice_public, data, &tampered).is_err());
}

#[test]
fn encryption_round_trips_only_for_the_recipient() {
    let (alice, bob) = keys();
    let secret = b"rs4244285 A/G";
    let message = pgp::encrypt_to(&alice.public_key(), secret).unwrap();
    assert!(message.starts_with("-----BEGIN PGP MESSAGE-----"));
    assert_eq!(&alice.decrypt(&message).unwrap()[..], secret);
    assert!(
        bob.decrypt(&message).is_err(),
        "only the recipient can decrypt"
    );

    // Flip one base64 character in the body: the integrity check refuses the message.
    let lines: Vec<&str> = message.lines().collect();
    let body = lines.iter().position(|l| l.is_empty()).unwrap() + 2;
    let mut line: Vec<char> = lines[body].chars().collect();
    line[10] = if line[10] == 'A' { 'B' } else { 'A' };
    let mut tampered: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    tampered[body] = line.into_iter().collect();
    assert!(alice.decrypt(&(tampered.join("\n") + "\n")).is_err());
    assert!(alice.decrypt("not a message").is_err());
}

#[test]
fn public_key_round_trips_through_armor() {
    let (alice, _) = keys();
    let public = pgp::read_public_key(&alice.public_key_armored().unwrap()).unwrap();
    assert_eq!(pgp::fingerprint(&public), alice.fingerprint());
    assert!(
        pgp::read_public_key(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"
        )
        .is_err()
    );
}
