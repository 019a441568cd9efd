//! Derived keys: Ethereum accounts as every wallet derives them, and reproducible PGP, TLS, HPKE and data keys.

use alloy::{
    primitives::{Address, address},
    signers::local::{MnemonicBuilder, coins_bip39::English},
};
use dnavault_keys::SeedPhrase;

use crate::ANVIL_WORDS;

#[test]
fn anvil_mnemonic_gives_anvil_accounts() {
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let expected = [
        address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
        address!("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
    ];
    for (index, want) in expected.iter().enumerate() {
        assert_eq!(
            &seed.ethereum_address(index as u32).unwrap(),
            want,
            "account {index}"
        );
    }
    assert_eq!(
        seed.ethereum_address(0).unwrap().to_checksum(None),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
}

#[test]
fn agrees_with_alloys_independent_derivation() {
    // alloy derives with coins-bip39; this crate with rust-bitcoin's bip39. Both must land on the same keys,
    // with and without a BIP39 passphrase.
    let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    for passphrase in ["", "correct horse battery staple"] {
        let seed = SeedPhrase::parse(words).unwrap().to_seed(passphrase);
        for index in [0u32, 1, 7, 1000] {
            let theirs = MnemonicBuilder::<English>::default()
                .phrase(words)
                .password(passphrase)
                .index(index)
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(
                seed.ethereum_address(index).unwrap(),
                theirs.address(),
                "index {index} '{passphrase}'"
            );
        }
    }
    let seed = SeedPhrase::parse(words).unwrap().to_seed("");
    assert_eq!(
        seed.ethereum_address(0).unwrap(),
        address!("0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
    );
}

#[test]
fn restore_reproduces_every_fingerprint() {
    let phrase = SeedPhrase::generate();
    let restored = SeedPhrase::parse(&phrase.words()).unwrap();
    let (a, b) = (phrase.to_seed(""), restored.to_seed(""));

    let (pgp_a, pgp_b) = (a.pgp_key("Owner").unwrap(), b.pgp_key("Owner").unwrap());
    assert_eq!(pgp_a.fingerprint(), pgp_b.fingerprint());
    assert_eq!(pgp_a.fingerprint().len(), 40);

    let (tls_a, tls_b) = (a.tls_identity().unwrap(), b.tls_identity().unwrap());
    assert_eq!(
        tls_a.certificate_der(),
        tls_b.certificate_der(),
        "the whole certificate is reproducible"
    );
    assert_eq!(tls_a.sha256_hex(), tls_b.sha256_hex());
    assert_eq!(tls_a.private_key_der(), tls_b.private_key_der());

    assert_eq!(
        a.hpke_key().unwrap().public_key(),
        b.hpke_key().unwrap().public_key()
    );
    let registry = Address::repeat_byte(0x42);
    assert_eq!(
        a.data_key(31337, registry, 1).unwrap().expose(),
        b.data_key(31337, registry, 1).unwrap().expose()
    );
}

#[test]
fn anvil_mnemonic_fingerprints_are_stable() {
    // Locked so that a dependency upgrade that changes derivation cannot slip by: a changed fingerprint means
    // every owner's published keys would change.
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let pgp = seed.pgp_key("DNA Vault owner").unwrap();
    let tls = seed.tls_identity().unwrap();
    let hpke = seed.hpke_key().unwrap().public_key().to_bytes();
    let hpke_hex: String = hpke.iter().map(|b| format!("{b:02x}")).collect();
    let actual = format!(
        "pgp {}\ntls {}\nhpke {hpke_hex}\n",
        pgp.fingerprint(),
        tls.sha256_hex()
    );
    assert_eq!(actual, include_str!("../fixtures/anvil-fingerprints.txt"));
}

#[test]
fn keys_are_separated_by_purpose_and_vault() {
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let other = SeedPhrase::parse(ANVIL_WORDS)
        .unwrap()
        .to_seed("a passphrase");
    let registry = Address::repeat_byte(0x42);
    let key = |s: &dnavault_keys::Seed, chain, reg, vault| {
        *s.data_key(chain, reg, vault).unwrap().expose()
    };
    let base = key(&seed, 31337, registry, 1);
    assert_ne!(base, key(&seed, 31337, registry, 2), "per vault");
    assert_ne!(base, key(&seed, 1, registry, 1), "per chain");
    assert_ne!(
        base,
        key(&seed, 31337, Address::repeat_byte(0x43), 1),
        "per registry"
    );
    assert_ne!(
        base,
        key(&other, 31337, registry, 1),
        "per BIP39 passphrase"
    );
    assert_ne!(
        seed.pgp_key("x").unwrap().fingerprint(),
        other.pgp_key("x").unwrap().fingerprint()
    );
    assert_eq!(
        format!("{:?}", seed.data_key(1, registry, 1).unwrap()),
        "DataKey(redacted)"
    );
    assert_eq!(format!("{seed:?}"), "Seed(redacted)");
}

#[test]
fn tls_certificate_is_a_client_certificate_for_the_owner() {
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let tls = seed.tls_identity().unwrap();
    assert!(
        tls.certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(
        tls.private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    let der = tls.certificate_der();
    let owner = b"DNA Vault owner 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    assert!(
        der.windows(owner.len()).any(|w| w == owner),
        "subject names the owner's address"
    );
    // id-kp-clientAuth, 1.3.6.1.5.5.7.3.2
    let client_auth = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
    assert!(der.windows(client_auth.len()).any(|w| w == client_auth));
}
