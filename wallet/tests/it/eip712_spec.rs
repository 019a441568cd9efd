//! The EIP-712 specification's own example: digest and signature.

use alloy::{primitives::keccak256, signers::local::PrivateKeySigner};
use dnavault_wallet::typed;

use crate::{ANVIL_WORDS, Wallet};

const MAIL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/eip712-mail.json"
);
const DIGEST: &str = "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

#[test]
fn typed_data_hash_prints_the_spec_digest() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let run = wallet.run(&["typed-data-hash", MAIL]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), DIGEST);
}

#[test]
fn signing_the_spec_example_gives_the_spec_signature() {
    let cow = PrivateKeySigner::from_bytes(&keccak256("cow")).unwrap();
    assert_eq!(
        cow.address().to_checksum(None),
        "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    );
    let signed = typed::sign(&cow, typed::load(MAIL.as_ref()).unwrap()).unwrap();
    assert_eq!(signed.digest.to_string(), DIGEST);
    assert_eq!(
        signed.signature.to_string(),
        concat!(
            "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d",
            "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562",
            "1c"
        )
    );
}

#[test]
fn sign_typed_data_explains_foreign_documents_and_recovers() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let run = wallet.run(&["--json", "--yes", "sign-typed-data", MAIL]);
    assert!(
        run.stderr.contains("Sign a \"Mail\" message"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not a DNA Vault registry message"),
        "{}",
        run.stderr
    );
    let out = run.json();
    assert_eq!(out["digest"], DIGEST);
    let signature: alloy::primitives::Signature =
        out["signature"].as_str().unwrap().parse().unwrap();
    let digest: alloy::primitives::B256 = DIGEST.parse().unwrap();
    assert_eq!(
        signature
            .recover_address_from_prehash(&digest)
            .unwrap()
            .to_checksum(None),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );
}

#[test]
fn malformed_documents_are_refused() {
    let wallet = Wallet::restored(ANVIL_WORDS);
    let bad = wallet.write(
        "bad.json",
        r#"{"types": {}, "primaryType": "Mail", "domain": {}, "message": {}}"#,
    );
    let run = wallet.run(&["typed-data-hash", bad.to_str().unwrap()]);
    run.refused("typed data");
    let run = wallet.run(&["typed-data-hash", "/nonexistent.json"]);
    assert!(run.stderr.contains("/nonexistent.json"), "{}", run.stderr);
}
