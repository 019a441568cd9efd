//! Every registry message signed by the wallet and checked by the registry on Anvil, sent by the wallet
//! itself or relayed by someone else.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    sol_types::SolStruct,
};
use dnavault_protocol::{Grant, eip712::registry_domain};
use dnavault_testkit::TestChain;
use serde_json::Value;

use dnavault_wallet::registry::Connection;

use crate::{ANVIL_WORDS, Wallet};

const MEASUREMENT: &str = "5c19d5b4a50066c8c991bd920dfa2276e11d3e75cb9d53d8ac38cd9dc70af4ab1e4a8fd96e3fdd7d0a0d7e8cb2f1c2e9";

struct Setup {
    chain: TestChain,
    wallet: Wallet,
    rpc: String,
    registry: String,
}

/// A chain, a registry, and an owner wallet (Anvil account 1, via --index 1) that owns vault 1.
async fn setup() -> Setup {
    let chain = TestChain::start().await.unwrap();
    chain
        .register_vault(&chain.signer(1), "https://vault.example")
        .await
        .unwrap();
    Setup {
        rpc: chain.endpoint_url().to_string(),
        registry: chain.registry_address().to_string(),
        wallet: Wallet::restored(ANVIL_WORDS),
        chain,
    }
}

impl Setup {
    /// Runs a registry subcommand as the owner (account 1) against the chain.
    fn owner(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json", "--yes"];
        full.extend_from_slice(args);
        full.extend_from_slice(&[
            "--index",
            "1",
            "--rpc-url",
            &self.rpc,
            "--registry",
            &self.registry,
        ]);
        self.wallet.run(&full).json()
    }

    fn owner_fails(&self, args: &[&str]) -> String {
        let mut full = vec!["--yes"];
        full.extend_from_slice(args);
        full.extend_from_slice(&[
            "--index",
            "1",
            "--rpc-url",
            &self.rpc,
            "--registry",
            &self.registry,
        ]);
        let run = self.wallet.run(&full);
        assert!(!run.ok, "expected a refusal, got {}", run.stdout);
        run.stderr
    }
}

fn signature_of(payload: &Value) -> Bytes {
    payload["signature"].as_str().unwrap().parse().unwrap()
}

fn digest_of(payload: &Value) -> B256 {
    payload["digest"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn measurements_and_vault_key_sent_by_the_wallet() {
    let s = setup().await;
    let registry = s.chain.registry();
    let measurement: Bytes = MEASUREMENT.parse().unwrap();
    let vault = U256::from(1);

    let sent = s.owner(&[
        "approve-measurement",
        "--vault",
        "1",
        "--measurement",
        MEASUREMENT,
        "--send",
    ]);
    assert!(sent["gasUsed"].as_u64().unwrap() > 21_000);
    assert!(
        registry
            .isMeasurementApproved(vault, measurement.clone())
            .call()
            .await
            .unwrap()
    );

    let key = s.chain.signer(5).address();
    s.owner(&[
        "bind-vault-key",
        "--vault",
        "1",
        "--vault-key",
        &key.to_string(),
        "--measurement",
        MEASUREMENT,
        "--send",
    ]);
    assert!(registry.isActiveVaultKey(vault, key).call().await.unwrap());

    s.owner(&[
        "revoke-measurement",
        "--vault",
        "1",
        "--measurement",
        MEASUREMENT,
        "--send",
    ]);
    assert!(
        !registry
            .isMeasurementApproved(vault, measurement)
            .call()
            .await
            .unwrap()
    );
    assert!(!registry.isActiveVaultKey(vault, key).call().await.unwrap());

    let refused = s.owner_fails(&[
        "revoke-measurement",
        "--vault",
        "1",
        "--measurement",
        MEASUREMENT,
        "--send",
    ]);
    assert!(
        refused.contains("that measurement is not approved for vault 1"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn grant_sent_relayed_and_revoked() {
    let s = setup().await;
    let registry = s.chain.registry();
    let researcher = s.chain.signer(2);
    let vault = U256::from(1);
    let (lookup, scope) = brca_lookup(&s.wallet);
    let lookup = lookup.as_str();
    let grantee = researcher.address().to_string();

    // Printed payload, relayed (and paid for) by the researcher.
    let payload = s.owner(&[
        "grant",
        "--vault",
        "1",
        "--grantee",
        &grantee,
        "--descriptor",
        lookup,
        "--purpose",
        "DS/MONDO:0007254+NCU",
        "--expiry",
        "30d",
        "--per-query-approval",
        "--max-queries",
        "20",
    ]);
    assert_eq!(payload["typedData"]["primaryType"], "Grant");
    let message: Grant = serde_json::from_value(payload["typedData"]["message"].clone()).unwrap();
    let domain = registry_domain(s.chain.chain_id(), s.chain.registry_address());
    assert_eq!(message.eip712_signing_hash(&domain), digest_of(&payload));
    assert!(
        !registry
            .isAllowed(vault, researcher.address(), scope)
            .call()
            .await
            .unwrap(),
        "nothing before relay"
    );
    // Relayed (and paid for) by the researcher through the wallet library, as a relay service would.
    let signed: dnavault_wallet::typed::SignedTypedData =
        serde_json::from_value(payload.clone()).unwrap();
    let relay = Connection::connect(&s.rpc, s.chain.registry_address(), researcher.clone())
        .await
        .unwrap();
    relay.submit(&signed).await.unwrap();
    assert!(
        registry
            .isAllowed(vault, researcher.address(), scope)
            .call()
            .await
            .unwrap()
    );
    let stored = registry
        .grantOf(vault, researcher.address(), scope)
        .call()
        .await
        .unwrap();
    assert!(stored.perQueryApproval);
    assert_eq!(stored.maxQueries, 20);
    assert_eq!(
        stored.purpose,
        dnavault_protocol::purpose::Purpose::parse("DUO:0000007/MONDO:0007254+DUO:0000046")
            .unwrap()
            .to_bytes16()
    );

    // The same document signed through sign-typed-data gives the same signature.
    let doc = s
        .wallet
        .write("grant.json", &payload["typedData"].to_string());
    let again = s
        .wallet
        .run(&[
            "--json",
            "--yes",
            "sign-typed-data",
            doc.to_str().unwrap(),
            "--descriptor",
            lookup,
            "--index",
            "1",
        ])
        .json();
    assert_eq!(again["signature"], payload["signature"]);

    // Replaying the relayed payload is refused by the nonce.
    let replay = s
        .chain
        .registry_as(&researcher)
        .grantWithSig(message, signature_of(&payload))
        .call()
        .await;
    assert!(replay.is_err());

    s.owner(&[
        "revoke",
        "--vault",
        "1",
        "--grantee",
        &grantee,
        "--descriptor",
        lookup,
        "--send",
    ]);
    assert!(
        !registry
            .isAllowed(vault, researcher.address(), scope)
            .call()
            .await
            .unwrap()
    );

    // A second grant, sent by the wallet itself.
    let score = s
        .wallet
        .write("score.json", dnavault_protocol::descriptor::SCORES[0].1);
    s.owner(&[
        "grant",
        "--vault",
        "1",
        "--grantee",
        &grantee,
        "--descriptor",
        score.to_str().unwrap(),
        "--purpose",
        "GRU",
        "--expiry",
        "2d",
        "--send",
    ]);
    let score_scope = dnavault_wallet::inputs::Analysis::from_file(&score)
        .unwrap()
        .scope;
    assert!(
        registry
            .isAllowed(vault, researcher.address(), score_scope)
            .call()
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_owner_signature_is_refused_with_words() {
    let s = setup().await;
    let mut args = vec![
        "--yes",
        "grant",
        "--vault",
        "1",
        "--grantee",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    ];
    let (lookup, _) = brca_lookup(&s.wallet);
    args.extend_from_slice(&[
        "--descriptor",
        &lookup,
        "--purpose",
        "GRU",
        "--expiry",
        "1d",
        "--send",
        "--index",
        "3",
    ]);
    args.extend_from_slice(&["--rpc-url", &s.rpc, "--registry", &s.registry]);
    let run = s.wallet.run(&args);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("is owned by"),
        "the wallet warns: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the signature is not vault 1's owner's"),
        "{}",
        run.stderr
    );
}

/// The signed `payload`'s digest is what the registry hashes its message to (`hashed`), and the registry
/// accepts its signature as vault 1's owner's.
async fn owner_signed(registry: &dnavault_testkit::Registry, payload: &Value, hashed: B256) {
    assert_eq!(hashed, digest_of(payload));
    assert!(
        registry
            .isOwnerSignature(U256::from(1), digest_of(payload), signature_of(payload))
            .call()
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_approvals_verify_against_the_registry() {
    let s = setup().await;
    let registry = s.chain.registry();
    let vault = U256::from(1);
    let key = s.chain.signer(5).address().to_string();
    let nonce = format!("{:#x}", keccak256("boot nonce"));
    let wrapped = format!("{:#x}", keccak256("wrapped key"));
    let boot = s.owner(&[
        "approve-boot",
        "--vault",
        "1",
        "--vault-key",
        &key,
        "--measurement",
        MEASUREMENT,
        "--boot-nonce",
        &nonce,
        "--wrapped-key-hash",
        &wrapped,
    ]);
    let message = serde_json::from_value(boot["typedData"]["message"].clone()).unwrap();
    let hashed = registry.hashBootApproval(message).call().await.unwrap();
    owner_signed(&registry, &boot, hashed).await;

    let request = format!("{:#x}", keccak256("query request"));
    let query = s.owner(&["approve-query", "--vault", "1", "--request-hash", &request]);
    let message = serde_json::from_value(query["typedData"]["message"].clone()).unwrap();
    let hashed = registry.hashQueryApproval(message).call().await.unwrap();
    owner_signed(&registry, &query, hashed).await;
    assert!(
        !registry
            .isOwnerSignature(vault, digest_of(&boot), signature_of(&query))
            .call()
            .await
            .unwrap()
    );

    let refused = s.owner_fails(&[
        "approve-query",
        "--vault",
        "1",
        "--request-hash",
        &request,
        "--send",
    ]);
    assert!(refused.contains("drop --send"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn researcher_files_an_access_request_and_signs_messages() {
    let s = setup().await;
    let (lookup, _) = brca_lookup(&s.wallet);
    let protocol = s.wallet.write(
        "protocol.txt",
        "We study CYP2C19 variants and clopidogrel response.\n",
    );
    let mut args = vec![
        "--json",
        "--yes",
        "request-access",
        "--vault",
        "1",
        "--descriptor",
        &lookup,
    ];
    args.extend_from_slice(&[
        "--purpose",
        "HMB",
        "--expiry",
        "90d",
        "--protocol-file",
        protocol.to_str().unwrap(),
    ]);
    args.extend_from_slice(&[
        "--protocol-uri",
        "https://lab.example/protocol",
        "--index",
        "2",
    ]);
    args.extend_from_slice(&["--rpc-url", &s.rpc, "--registry", &s.registry]);
    let run = s.wallet.run(&args);
    assert!(
        run.stderr
            .contains("health or medical or biomedical research (HMB, DUO:0000006)"),
        "{}",
        run.stderr
    );
    let out = run.json();
    let id: U256 = out["requestId"]
        .as_str()
        .map(|t| t.parse().unwrap())
        .unwrap_or_else(|| U256::from(out["requestId"].as_u64().unwrap()));
    let request = s.chain.registry().accessRequest(id).call().await.unwrap();
    assert_eq!(request.researcher, s.chain.signer(2).address());
    assert_eq!(request.status, 1, "Pending");

    // EIP-191: the signature recovers to the signer.
    let signed = s
        .wallet
        .run(&[
            "--json",
            "--yes",
            "sign-message",
            "--message",
            "I am researcher 2",
            "--index",
            "2",
        ])
        .json();
    let signature: alloy::primitives::Signature =
        signed["signature"].as_str().unwrap().parse().unwrap();
    let recovered: Address = signature
        .recover_address_from_msg("I am researcher 2")
        .unwrap();
    assert_eq!(recovered, s.chain.signer(2).address());
}

/// The BRCA1/BRCA2 GRCh37 genotype-lookup descriptor written beside `wallet`: its path and scope.
fn brca_lookup(wallet: &Wallet) -> (String, B256) {
    let path = wallet.brca_lookup();
    let scope = dnavault_wallet::inputs::Analysis::from_file(&path)
        .unwrap()
        .scope;
    (path.to_str().unwrap().to_owned(), scope)
}
