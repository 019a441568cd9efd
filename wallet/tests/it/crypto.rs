//! OpenPGP and HPKE through the command line, between two people.

use dnavault_envelope::{RecipientKey, context, data_key_aad};
use dnavault_keys::SeedPhrase;

use crate::{ANVIL_WORDS, Wallet};

#[test]
fn pgp_sign_verify_encrypt_decrypt_between_two_wallets() {
    let alice = Wallet::restored(ANVIL_WORDS);
    let bob = Wallet::empty();
    assert!(bob.run(&["new"]).ok);
    let alice_key = bob.write("alice.asc", &alice.run(&["pgp", "export"]).stdout);
    let bob_key = alice.write("bob.asc", &bob.run(&["pgp", "export"]).stdout);
    let data = alice.write("protocol.txt", "Study protocol v2\n");

    let signature = alice.run(&["--yes", "pgp", "sign", "--in", data.to_str().unwrap()]);
    assert!(signature.ok, "{}", signature.stderr);
    let signature = bob.write("protocol.sig", &signature.stdout);
    let verified = bob.run(&[
        "--json",
        "pgp",
        "verify",
        "--signature",
        signature.to_str().unwrap(),
        "--key",
        alice_key.to_str().unwrap(),
        "--in",
        data.to_str().unwrap(),
    ]);
    assert_eq!(verified.json()["valid"], true);
    let other = bob.write("other.txt", "Study protocol v3\n");
    let refused = bob.run(&[
        "pgp",
        "verify",
        "--signature",
        signature.to_str().unwrap(),
        "--key",
        alice_key.to_str().unwrap(),
        "--in",
        other.to_str().unwrap(),
    ]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("does not match"),
        "{}",
        refused.stderr
    );

    let encrypted = alice.run_with(
        &["pgp", "encrypt", "--recipient", bob_key.to_str().unwrap()],
        crate::PASSPHRASE,
        Some("for Bob only"),
    );
    assert!(encrypted.ok, "{}", encrypted.stderr);
    let message = bob.write("message.asc", &encrypted.stdout);
    let decrypted = bob.run(&["pgp", "decrypt", "--in", message.to_str().unwrap()]);
    assert_eq!(decrypted.stdout, "for Bob only");
    let message_for_alice = alice.write("message.asc", &encrypted.stdout);
    assert!(
        !alice
            .run(&[
                "pgp",
                "decrypt",
                "--in",
                message_for_alice.to_str().unwrap()
            ])
            .ok,
        "not for Alice"
    );
}

#[test]
fn wrapped_data_key_opens_only_for_that_vault() {
    let owner = Wallet::restored(ANVIL_WORDS);
    let registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    assert!(
        owner
            .run(&["config", "--registry", registry, "--chain-id", "31337"])
            .ok
    );
    let vault_key = RecipientKey::generate();
    let to = alloy::hex::encode(vault_key.public_key().to_bytes());
    let out = owner
        .run(&[
            "--json",
            "--yes",
            "hpke",
            "wrap-data-key",
            "--vault",
            "7",
            "--to",
            &to,
        ])
        .json();
    let envelope_bytes = alloy::hex::decode(out["envelope"].as_str().unwrap()).unwrap();
    assert_eq!(
        out["wrappedKeyHash"].as_str().unwrap(),
        alloy::primitives::keccak256(&envelope_bytes).to_string()
    );
    let envelope = dnavault_envelope::Envelope::from_bytes(&envelope_bytes).unwrap();

    let registry_bytes: [u8; 20] = alloy::hex::decode(registry).unwrap().try_into().unwrap();
    let opened = dnavault_envelope::open(
        &vault_key,
        &envelope,
        context::DATA_KEY,
        &data_key_aad(31337, &registry_bytes, 7),
    )
    .unwrap();
    let expected = SeedPhrase::parse(ANVIL_WORDS)
        .unwrap()
        .to_seed("")
        .data_key(31337, registry.parse().unwrap(), 7)
        .unwrap();
    assert_eq!(&opened[..], expected.expose());
    assert!(
        dnavault_envelope::open(
            &vault_key,
            &envelope,
            context::DATA_KEY,
            &data_key_aad(31337, &registry_bytes, 8)
        )
        .is_err(),
        "a key wrapped for vault 7 does not open as vault 8's"
    );
    assert!(
        dnavault_envelope::open(
            &RecipientKey::generate(),
            &envelope,
            context::DATA_KEY,
            &data_key_aad(31337, &registry_bytes, 7)
        )
        .is_err()
    );

    let run = owner.run(&[
        "--yes",
        "hpke",
        "wrap-data-key",
        "--vault",
        "7",
        "--to",
        "abcd",
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("malformed public key"),
        "{}",
        run.stderr
    );
}

#[test]
fn results_sealed_to_the_wallet_open_and_tampering_is_refused() {
    let researcher = Wallet::restored(ANVIL_WORDS);
    let hpke = researcher.run(&["--json", "show"]).json()["hpkePublicKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let public =
        dnavault_envelope::PublicKey::from_bytes(&alloy::hex::decode(&hpke).unwrap()).unwrap();
    let sealed = dnavault_envelope::seal(
        &public,
        context::QUERY_RESULT,
        b"\x01\x02",
        b"{\"count\": 17}",
    )
    .unwrap();
    let hex = alloy::hex::encode(sealed.to_bytes());
    let opened = researcher.run_with(
        &["hpke", "open", "--aad", "0102"],
        crate::PASSPHRASE,
        Some(&hex),
    );
    assert!(opened.ok, "{}", opened.stderr);
    assert_eq!(opened.stdout, "{\"count\": 17}");

    let mut tampered = sealed.to_bytes();
    tampered[40] ^= 0x01;
    let run = researcher.run_with(
        &["hpke", "open", "--aad", "0102"],
        crate::PASSPHRASE,
        Some(&alloy::hex::encode(tampered)),
    );
    assert!(!run.ok);
    assert!(run.stderr.contains("does not open"), "{}", run.stderr);
    let run = researcher.run_with(
        &["hpke", "open", "--aad", "0103"],
        crate::PASSPHRASE,
        Some(&hex),
    );
    assert!(!run.ok, "other associated data");
}
