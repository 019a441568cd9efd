//! Creating, restoring and showing a wallet; the errors people meet; secrets staying out of output.

use dnavault_keys::SeedPhrase;

use crate::{ANVIL_WORDS, Wallet};

#[test]
fn new_shows_twelve_words_once_and_restore_reproduces_every_key() {
    let wallet = Wallet::empty();
    let created = wallet.run(&["--json", "new"]);
    let words = created.json()["words"].as_str().unwrap().to_owned();
    assert_eq!(words.split(' ').count(), 12);
    assert!(
        created.stderr.contains("Write these 12 words down"),
        "backup warning: {}",
        created.stderr
    );
    let shown = wallet.run(&["--json", "show"]).json();
    assert_eq!(shown["address"], created.json()["address"]);

    let restored = Wallet::restored(&words);
    assert_eq!(
        restored.run(&["--json", "show"]).json(),
        shown,
        "same address and fingerprints after restore"
    );
    for index in ["0", "3"] {
        assert_eq!(
            restored.run(&["--json", "show", "--index", index]).json(),
            wallet.run(&["--json", "show", "--index", index]).json()
        );
    }
    let cert = |w: &Wallet| w.run(&["tls-cert"]).stdout;
    assert_eq!(
        cert(&wallet),
        cert(&restored),
        "the TLS certificate is byte-identical"
    );
}

#[test]
fn restore_from_standard_input_with_a_bip39_passphrase() {
    let wallet = Wallet::empty();
    let extra = wallet.write("extra.txt", "my 25th word\n");
    let run = wallet.run_with(
        &[
            "--json",
            "restore",
            "--bip39-passphrase-file",
            extra.to_str().unwrap(),
        ],
        crate::PASSPHRASE,
        Some(ANVIL_WORDS),
    );
    let expected = SeedPhrase::parse(ANVIL_WORDS)
        .unwrap()
        .to_seed("my 25th word")
        .ethereum_address(0)
        .unwrap();
    assert_eq!(run.json()["address"], expected.to_checksum(None));
    assert_ne!(
        expected.to_checksum(None),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
}

#[test]
fn anvil_words_give_anvil_accounts() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    assert_eq!(
        wallet.run(&["--json", "show"]).json()["address"],
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
    assert_eq!(
        wallet.run(&["--json", "show", "--index", "1"]).json()["address"],
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );
}

#[test]
fn bad_words_are_clear_errors_and_leave_nothing_behind() {
    let cases = [
        (
            "test test test test test test test test test test test junkk",
            "word 12 of the recovery phrase is not in the BIP39 English word list",
        ),
        (
            "test test test test test test test test test test test test",
            "checksum does not match",
        ),
        (
            "test test test test test test test test test test test test junk",
            "has 12, 15, 18, 21 or 24 words; this one has 13",
        ),
    ];
    for (words, expected) in cases {
        let wallet = Wallet::empty();
        let file = wallet.write("words.txt", words);
        let run = wallet.run(&["restore", "--words-file", file.to_str().unwrap()]);
        assert!(!run.ok);
        assert!(run.stderr.contains(expected), "{words}: {}", run.stderr);
        assert!(
            !run.stderr.contains("junkk"),
            "the wrong word itself is never echoed"
        );
        assert!(
            !wallet.home().join("keystore.age").exists(),
            "no keystore after a failed restore"
        );
    }
}

#[test]
fn wrong_passphrase_and_missing_wallet_are_clear() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let run = wallet.run_with(&["show"], "not the passphrase", None);
    run.refused("wrong passphrase for the keystore at");

    let empty = Wallet::empty();
    let run = empty.run(&["show"]);
    assert!(
        run.stderr
            .contains("run `dnavault-wallet new` or `restore` first"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_existing_wallet_is_never_overwritten() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let before = std::fs::read(wallet.home().join("keystore.age")).unwrap();
    for args in [&["new"][..], &["restore", "--words-file", "/dev/null"][..]] {
        let run = wallet.run(args);
        run.refused("a wallet already exists");
    }
    assert_eq!(
        std::fs::read(wallet.home().join("keystore.age")).unwrap(),
        before
    );
}

#[test]
fn signing_needs_a_yes_when_no_one_can_answer() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let run = wallet.run(&["sign-message", "--message", "hello"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("Sign a personal message"),
        "the explanation is shown: {}",
        run.stderr
    );
    assert!(run.stderr.contains("re-run with --yes"), "{}", run.stderr);
    let export = wallet.run(&["export"]);
    assert!(!export.ok);
    assert!(
        !export.all().contains("test test"),
        "the words are not shown without confirmation"
    );
}

#[test]
fn no_secret_reaches_output_or_errors() {
    let wallet = Wallet::empty();
    let words = wallet.run(&["--json", "new"]).json()["words"]
        .as_str()
        .unwrap()
        .to_owned();
    let seed = SeedPhrase::parse(&words).unwrap().to_seed("");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let signer = seed.ethereum_signer(0).unwrap();
    let secrets = [
        words.clone(),
        words.split(' ').take(3).collect::<Vec<_>>().join(" "),
        hex(seed.expose()),
        hex(&signer.credential().to_bytes()),
        hex(seed.tls_identity().unwrap().private_key_der()),
        crate::PASSPHRASE.to_owned(),
    ];
    let mail = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/eip712-mail.json"
    );
    let descriptor = wallet.brca_lookup();
    let descriptor = descriptor.to_str().unwrap();
    let runs = [
        wallet.run(&["show"]),
        wallet.run(&["--json", "show", "--index", "2"]),
        wallet.run(&["pgp", "export"]),
        wallet.run(&["tls-cert"]),
        wallet.run(&["typed-data-hash", mail]),
        wallet.run(&["--yes", "sign-typed-data", mail]),
        wallet.run(&["--yes", "sign-message", "--message", "hi"]),
        wallet.run_with(&["show"], "wrong passphrase", None),
        wallet.run(&[
            "--yes",
            "grant",
            "--vault",
            "1",
            "--grantee",
            "0x00",
            "--descriptor",
            descriptor,
            "--purpose",
            "GRU",
            "--expiry",
            "1d",
        ]),
        wallet.run(&offline_grant(&["--descriptor", descriptor])),
        wallet.run(&["new"]),
    ];
    for (i, run) in runs.iter().enumerate() {
        for secret in &secrets {
            assert!(
                !run.all().contains(secret.as_str()),
                "run {i} printed a secret"
            );
        }
    }
    assert!(runs[9].ok, "an offline grant signs: {}", runs[9].stderr);
    // The one command that shows the words does so only when asked.
    assert!(wallet.run(&["--yes", "export"]).stdout.contains(&words));
}

/// A grant names its analysis by descriptor and the owner reads it in words before signing (the panel, the
/// purpose, the budget); a scope the wallet cannot put in words is not signed at all.
#[test]
fn a_grant_says_what_it_allows_and_no_scope_is_signed_blind() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let descriptor = wallet.brca_lookup();
    let grant = |analysis: &[&str]| wallet.run(&offline_grant(analysis));
    let signed = grant(&[
        "--descriptor",
        descriptor.to_str().unwrap(),
        "--max-queries",
        "5",
    ]);
    assert!(signed.ok, "{}", signed.stderr);
    for words in [
        "read the person's genotypes inside this panel",
        "BRCA1 and BRCA2 (GRCh37)\n",
        "Assembly               GRCh37",
        "BRCA1 17:41196312-41277500",
        "BRCA2 13:32889611-32973805",
        "general research use (GRU, DUO:0000042)",
        "at most 5 queries in the grant's life",
    ] {
        assert!(signed.stderr.contains(words), "{words}: {}", signed.stderr);
    }
    assert_eq!(signed.json()["typedData"]["message"]["maxQueries"], 5);
    let unlimited = grant(&["--descriptor", descriptor.to_str().unwrap()]);
    assert!(
        unlimited.stderr.contains("no limit until the grant ends"),
        "{}",
        unlimited.stderr
    );
    // Scopes by kind name or bare hash are gone: only a descriptor names an analysis.
    grant(&["--scope", "genotype-lookup"]).refused("--scope");
    let version1 = wallet.write(
        "v1.json",
        r#"{"analysis": "dnavault/query/genotype-lookup/v1"}"#,
    );
    grant(&["--descriptor", version1.to_str().unwrap()]).refused("not an analysis descriptor");
    grant(&["--descriptor", "/nonexistent.json"]).refused("/nonexistent.json");
    grant(&[]).refused("--descriptor");
}

/// A grant of vault 1 to Anvil's account 1 for `analysis`, signed offline (chain, registry and nonce given).
fn offline_grant<'a>(analysis: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--yes",
        "grant",
        "--vault",
        "1",
        "--grantee",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "--purpose",
        "GRU",
        "--expiry",
        "1d",
        "--registry",
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "--chain-id",
        "31337",
        "--nonce",
        "0",
    ];
    args.extend_from_slice(analysis);
    args
}

/// `sign-typed-data` signs a registry grant only with the descriptor its scope is the hash of.
#[test]
fn a_typed_grant_with_an_unreadable_scope_is_not_signed() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let descriptor = wallet.brca_lookup();
    let descriptor = descriptor.to_str().unwrap();
    let offline = wallet.run(&offline_grant(&["--descriptor", descriptor]));
    let mut document = offline.json()["typedData"].clone();
    let typed = wallet.write("typed.json", &document.to_string());
    let typed = typed.to_str().unwrap();
    wallet
        .run(&["--yes", "sign-typed-data", typed])
        .refused("cannot say what it allows");
    let signed = wallet.run(&[
        "--json",
        "--yes",
        "sign-typed-data",
        typed,
        "--descriptor",
        descriptor,
    ]);
    assert!(signed.ok, "{}", signed.stderr);
    assert!(
        signed.stderr.contains("BRCA1 17:41196312-41277500"),
        "{}",
        signed.stderr
    );
    assert_eq!(signed.json()["signature"], offline.json()["signature"]);
    document["message"]["scope"] = format!("0x{}", "cd".repeat(32)).into();
    let other = wallet.write("other.json", &document.to_string());
    wallet
        .run(&[
            "--yes",
            "sign-typed-data",
            other.to_str().unwrap(),
            "--descriptor",
            descriptor,
        ])
        .refused("does not describe");
}
