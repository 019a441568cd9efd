//! OpenPGP and HPKE through the command line, between two people.

use dnavault_envelope::context;

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
    // Bob checks Alice's signature over a file.
    let verify = |file: &std::path::Path| {
        bob.run(&[
            "--json",
            "pgp",
            "verify",
            "--signature",
            signature.to_str().unwrap(),
            "--key",
            alice_key.to_str().unwrap(),
            "--in",
            file.to_str().unwrap(),
        ])
    };
    assert_eq!(verify(&data).json()["valid"], true);
    let other = bob.write("other.txt", "Study protocol v3\n");
    let refused = verify(&other);
    refused.refused("does not match");

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
    run.refused("does not open");
    let run = researcher.run_with(
        &["hpke", "open", "--aad", "0103"],
        crate::PASSPHRASE,
        Some(&hex),
    );
    assert!(!run.ok, "other associated data");
}
