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
    /// Runs a registry subcommand as the owner (account 1) against the chain; its JSON output.
    fn owner(&self, args: &[&str]) -> Value {
        self.owner_run(args).json()
    }

    /// Runs a registry subcommand as the owner (account 1) against the chain.
    fn owner_run(&self, args: &[&str]) -> crate::Run {
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
        self.wallet.run(&full)
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

/// The owner registers a vault with the wallet: it is the next id, owned by the signing account, at the URI
/// given; without `--send` nothing is registered.
#[tokio::test(flavor = "multi_thread")]
async fn a_vault_registered_by_the_wallet_is_the_owners() {
    let s = setup().await;
    let refused = s.owner_fails(&["register-vault", "--uri", "https://second.example/"]);
    assert!(refused.contains("add --send"), "{refused}");
    let registry = s.chain.registry();
    assert_eq!(registry.vaultCount().call().await.unwrap(), U256::from(1));

    let registered = s.owner(&[
        "register-vault",
        "--uri",
        "https://second.example/",
        "--send",
    ]);
    assert_eq!(registered["vault"], "2", "{registered}");
    let owner = s.chain.signer(1).address();
    assert_eq!(registered["owner"], owner.to_checksum(None));
    assert_eq!(registry.ownerOf(U256::from(2)).call().await.unwrap(), owner);
    let events = registry
        .event_filter::<dnavault_protocol::VaultRegistry::VaultRegistered>()
        .topic1(U256::from(2))
        .from_block(0)
        .query()
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0.uri, "https://second.example/");
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
    let view = s.chain.chain_view();
    let view_file = s
        .wallet
        .write("chain-view.json", &serde_json::to_string(&view).unwrap());
    let boot = s.owner(&[
        "approve-boot",
        "--chain-view",
        view_file.to_str().unwrap(),
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
    assert_eq!(
        boot["typedData"]["message"]["chainView"],
        view.hash().to_string(),
        "the approval signs the view it was shown"
    );
    let message = serde_json::from_value(boot["typedData"]["message"].clone()).unwrap();
    let hashed = registry.hashBootApproval(message).call().await.unwrap();
    owner_signed(&registry, &boot, hashed).await;

    // A query approval: the wallet reads the researcher's signed request with its query and descriptor,
    // checks them and says in words what the query reads before signing its hash.
    let (lookup, _) = brca_lookup(&s.wallet);
    let descriptor = dnavault_wallet::inputs::Analysis::from_file(std::path::Path::new(&lookup))
        .unwrap()
        .descriptor
        .unwrap();
    let researcher = s.chain.signer(2);
    let inside = lookup_query(17, 41_196_312, 41_200_000);
    let submission = prepared(&s, &inside, &descriptor, &researcher, researcher.address());
    let file = s.wallet.write("submission.json", &submission);
    let file = file.to_str().unwrap();
    let approved = s.owner_run(&["approve-query", "--submission", file]);
    for words in [
        "Let researcher 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC run this one query on vault 1",
        "BRCA1 17:41196312-41277500",
        "read the person's genotypes",
        "In regions",
        "17:41196312-41200000",
        "health or medical or biomedical research (HMB, DUO:0000006)",
    ] {
        assert!(
            approved.stderr.contains(words),
            "{words}: {}",
            approved.stderr
        );
    }
    let query = approved.json();
    let message: dnavault_protocol::QueryApproval =
        serde_json::from_value(query["typedData"]["message"].clone()).unwrap();
    let document: Value = serde_json::from_str(&submission).unwrap();
    let request: dnavault_protocol::QueryRequest =
        serde_json::from_value(document["signed"]["request"].clone()).unwrap();
    assert_eq!(
        message.requestHash,
        registry.hashQueryRequest(request).call().await.unwrap(),
        "the approval names the request the registry's domain hashes"
    );
    let hashed = registry.hashQueryApproval(message).call().await.unwrap();
    owner_signed(&registry, &query, hashed).await;
    assert!(
        !registry
            .isOwnerSignature(vault, digest_of(&boot), signature_of(&query))
            .call()
            .await
            .unwrap()
    );

    // What the wallet will not approve: another query than the one signed, a query outside its grant, a
    // request its researcher did not sign, a bare approval document, and sending it on-chain.
    let swapped = submission.replace("41200000", "41277500");
    let outside = lookup_query(17, 1, 100);
    let outside = prepared(&s, &outside, &descriptor, &researcher, researcher.address());
    let forged = prepared(
        &s,
        &inside,
        &descriptor,
        &researcher,
        s.chain.signer(3).address(),
    );
    for (document, refusal) in [
        (swapped, "the signed request commits to"),
        (outside, "outside the grant it names"),
        (
            forged,
            "is not signed by 0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        ),
    ] {
        let path = s.wallet.write("refused.json", &document);
        let refused = s.owner_fails(&["approve-query", "--submission", path.to_str().unwrap()]);
        assert!(refused.contains(refusal), "{refusal}: {refused}");
    }
    let bare = s.wallet.write("bare.json", &query["typedData"].to_string());
    s.wallet
        .run(&["--yes", "sign-typed-data", bare.to_str().unwrap()])
        .refused("refusing to sign a bare QueryApproval");
    let refused = s.owner_fails(&["approve-query", "--submission", file, "--send"]);
    assert!(refused.contains("drop --send"), "{refused}");
}

/// A genotype lookup of `chrom`:`start`-`end`.
fn lookup_query(chrom: u8, start: u64, end: u64) -> dnavault_protocol::query::Query {
    serde_json::from_value(serde_json::json!({
        "kind": "genotype-lookup",
        "regions": [{"chrom": chrom.to_string(), "start": start, "end": end}],
        "rsids": [],
    }))
    .unwrap()
}

/// A researcher's prepared submission of `query` under `descriptor` for health/medical research, naming
/// `claimed` as its researcher and signed by `signer` for this chain's registry, as `dnavault-researcher
/// query --prepare-only` writes it (the query's text kept byte for byte).
fn prepared(
    s: &Setup,
    query: &dnavault_protocol::query::Query,
    descriptor: &dnavault_protocol::descriptor::Descriptor,
    signer: &alloy::signers::local::PrivateKeySigner,
    claimed: Address,
) -> String {
    use alloy::signers::SignerSync;
    let text = serde_json::to_string(query).unwrap();
    let request = dnavault_protocol::QueryRequest {
        vaultId: U256::from(1),
        researcher: claimed,
        scope: descriptor.scope(),
        purpose: dnavault_protocol::purpose::Purpose::parse("HMB")
            .unwrap()
            .to_bytes16(),
        queryHash: keccak256(text.as_bytes()),
        recipientKey: keccak256("researcher's hpke key"),
        nonce: keccak256(&text),
        deadline: U256::from(4_000_000_000u64),
    };
    let domain = registry_domain(s.chain.chain_id(), s.chain.registry_address());
    let signature = signer
        .sign_hash_sync(&request.eip712_signing_hash(&domain))
        .unwrap();
    let signed = serde_json::json!({
        "request": request,
        "signature": Bytes::from(signature.as_bytes().to_vec()),
    });
    let descriptor = serde_json::to_string(descriptor).unwrap();
    format!(r#"{{"signed": {signed}, "query": {text}, "descriptor": {descriptor}}}"#)
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

    // The owner grants it from the request: its analysis (from the descriptor it names), purpose and
    // protocol in words, checked against what the request published.
    let id_text = id.to_string();
    let from = |extra: &[&str]| {
        let mut args = vec!["grant", "--from-request", &id_text, "--send"];
        args.extend_from_slice(extra);
        s.owner_run(&args)
    };
    let score = s
        .wallet
        .write("score.json", dnavault_protocol::descriptor::SCORES[0].1);
    from(&["--descriptor", score.to_str().unwrap()]).refused("does not describe this message");
    let wrong = s.wallet.write("wrong.txt", "another protocol\n");
    let wrong = from(&[
        "--descriptor",
        &lookup,
        "--protocol-file",
        wrong.to_str().unwrap(),
    ]);
    wrong.refused("the protocol file is not the one access request 1 published");
    assert!(
        wrong.stderr.contains("NOT the document"),
        "{}",
        wrong.stderr
    );
    from(&["--descriptor", &lookup, "--expiry", "1000d"])
        .refused("later than the researcher asked");
    let protocol_path = protocol.to_str().unwrap();
    // The request's own descriptor, read from the chain.
    let granted = from(&["--protocol-file", protocol_path, "--max-queries", "3"]);
    assert!(granted.ok, "{}", granted.stderr);
    for words in [
        "Grant access request 1 from researcher 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC on vault 1",
        "BRCA1 17:41196312-41277500",
        "health or medical or biomedical research (HMB, DUO:0000006)",
        "https://lab.example/protocol (keccak256 0x",
        "the same document (its hash matches)",
        "at most 3 queries in the grant's life",
    ] {
        assert!(
            granted.stderr.contains(words),
            "{words}: {}",
            granted.stderr
        );
    }
    let registry = s.chain.registry();
    let stored = registry
        .grantOf(U256::from(1), s.chain.signer(2).address(), request.scope)
        .call()
        .await
        .unwrap();
    assert_eq!(
        (stored.maxQueries, stored.expiry, stored.purpose),
        (3, request.requestedExpiry, request.purpose)
    );
    assert_eq!(
        registry.accessRequest(id).call().await.unwrap().status,
        2,
        "Granted"
    );
    from(&["--descriptor", &lookup]).refused("is granted, not pending");
    // A request whose published descriptor is not the one its scope is the hash of is not granted.
    let as_researcher = s.chain.registry_as(&s.chain.signer(2));
    for published in ["not a descriptor", SCORE_TEXT] {
        let call = as_researcher.requestAccess(
            U256::from(1),
            request.scope,
            request.purpose,
            request.requestedExpiry,
            B256::ZERO,
            "https://lab.example/protocol".into(),
            published.into(),
        );
        let bogus = call.call().await.unwrap();
        call.send().await.unwrap().get_receipt().await.unwrap();
        let bogus = bogus.to_string();
        let mut args = vec!["grant", "--from-request", &bogus, "--send"];
        args.push("--max-queries");
        args.push("1");
        s.owner_run(&args).refused("do not grant it as it stands");
    }
    // The owner denies one of them instead: their own transaction, shown in words first.
    s.owner_run(&["deny-request", "--request", "2"])
        .refused("add --send");
    let denied = s.owner_run(&["deny-request", "--request", "2", "--send"]);
    assert!(denied.ok, "{}", denied.stderr);
    assert!(
        denied.stderr.contains("Deny access request 2 to vault 1"),
        "{}",
        denied.stderr
    );
    let status = registry
        .accessRequest(U256::from(2))
        .call()
        .await
        .unwrap()
        .status;
    assert_eq!(status, 3, "Denied");
    let mut offline = vec![
        "--yes",
        "grant",
        "--from-request",
        &id_text,
        "--descriptor",
        &lookup,
    ];
    offline.extend_from_slice(&[
        "--index",
        "1",
        "--rpc-url",
        &s.rpc,
        "--registry",
        &s.registry,
    ]);
    s.wallet.run(&offline).refused("add --send");

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

/// The PGS000001 score descriptor's text.
const SCORE_TEXT: &str = dnavault_protocol::descriptor::SCORES[0].1;

/// The BRCA1/BRCA2 GRCh37 genotype-lookup descriptor written beside `wallet`: its path and scope.
fn brca_lookup(wallet: &Wallet) -> (String, B256) {
    let path = wallet.brca_lookup();
    let scope = dnavault_wallet::inputs::Analysis::from_file(&path)
        .unwrap()
        .scope;
    (path.to_str().unwrap().to_owned(), scope)
}

/// A grant signed and handed over but not relayed: the owner voids it with `cancel-signatures`, and the
/// relay is refused in words.
#[tokio::test(flavor = "multi_thread")]
async fn a_withheld_grant_is_cancelled() {
    let s = setup().await;
    let researcher = s.chain.signer(2);
    let (lookup, scope) = brca_lookup(&s.wallet);
    let grantee = researcher.address().to_string();
    let withheld = s.owner(&[
        "grant",
        "--vault",
        "1",
        "--grantee",
        &grantee,
        "--descriptor",
        &lookup,
        "--purpose",
        "GRU",
        "--expiry",
        "30d",
    ]);
    let cancelled = s.owner_run(&["cancel-signatures", "--vault", "1", "--send"]);
    assert!(cancelled.ok, "{}", cancelled.stderr);
    assert!(
        cancelled
            .stderr
            .contains("the message signed with nonce 0, if any"),
        "{}",
        cancelled.stderr
    );
    let signed: dnavault_wallet::typed::SignedTypedData = serde_json::from_value(withheld).unwrap();
    let relay = Connection::connect(&s.rpc, s.chain.registry_address(), researcher.clone())
        .await
        .unwrap();
    let refused = relay.submit(&signed).await.unwrap_err().to_string();
    assert!(
        refused
            .contains("nonce was used, cancelled or is out of order (vault 1's next nonce is 1)"),
        "{refused}"
    );
    let registry = s.chain.registry();
    assert!(
        !registry
            .isAllowed(U256::from(1), researcher.address(), scope)
            .call()
            .await
            .unwrap()
    );
    assert_eq!(
        registry.nonceOf(U256::from(1)).call().await.unwrap(),
        U256::from(1)
    );
    let nothing = s.owner_run(&[
        "cancel-signatures",
        "--vault",
        "1",
        "--below",
        "1",
        "--send",
    ]);
    nothing.refused("voids nothing");
}

const MANIFEST: &str = r#"{
  "name": "bcftools query", "version": "1.16",
  "executable": {"path": "/usr/bin/bcftools", "sha256": "0x1111111111111111111111111111111111111111111111111111111111111111"},
  "files": [{"path": "/usr/lib/x86_64-linux-gnu/libhts.so.3", "sha256": "0x2222222222222222222222222222222222222222222222222222222222222222"}],
  "arguments": ["query", "-r", "{regions}", "-f", "%CHROM\t%POS[\t%GT]\n", "{genome}"],
  "outputs": ["stdout"],
  "limits": {"cpuSeconds": 30, "memoryBytes": 536870912, "outputBytes": 1048576, "wallSeconds": 60}
}"#;

/// An analysis tool installed from its manifest, shown in words before signing; installed twice and
/// removed twice are refused in words; relayed by someone else, a signed removal lands the same way.
#[tokio::test(flavor = "multi_thread")]
async fn tools_installed_from_a_manifest_and_removed() {
    let s = setup().await;
    let registry = s.chain.registry();
    let vault = U256::from(1);
    let manifest_path = s.wallet.write("bcftools-query.json", MANIFEST);
    let manifest = manifest_path.to_str().unwrap();
    let tool = serde_json::from_str::<dnavault_protocol::tool::ToolManifest>(MANIFEST)
        .unwrap()
        .id();
    let id = s
        .wallet
        .run(&["--json", "tool-id", "--manifest", manifest])
        .json();
    assert_eq!(id["tool"].as_str().unwrap().parse::<B256>().unwrap(), tool);

    let installed = s.owner_run(&[
        "approve-tool",
        "--vault",
        "1",
        "--manifest",
        manifest,
        "--send",
    ]);
    assert!(installed.ok, "{}", installed.stderr);
    let shown = format!("{}{}", installed.stdout, installed.stderr);
    for words in [
        "Install an analysis tool in vault 1",
        "bcftools query 1.16",
        "/usr/bin/bcftools (SHA-256 0x1111",
        "1, each pinned by its SHA-256",
        "30 s of CPU, 60 s in all, 512 MiB of memory, 1024 KiB per result",
    ] {
        assert!(shown.contains(words), "the screen says {words:?}: {shown}");
    }
    assert!(registry.isToolApproved(vault, tool).call().await.unwrap());
    let twice = s.owner_fails(&[
        "approve-tool",
        "--vault",
        "1",
        "--manifest",
        manifest,
        "--send",
    ]);
    assert!(
        twice.contains(&format!("tool {tool} is already installed in vault 1")),
        "{twice}"
    );
    // Installing by hash alone is refused: the owner must be able to read what they install.
    let blind = s.owner_fails(&["approve-tool", "--vault", "1", "--tool", &tool.to_string()]);
    assert!(blind.contains("needs its manifest"), "{blind}");

    // Removal by hash alone, printed and relayed by the researcher's account.
    let payload = s.owner(&["revoke-tool", "--vault", "1", "--tool", &tool.to_string()]);
    assert_eq!(payload["typedData"]["primaryType"], "RevokeTool");
    let signed: dnavault_wallet::typed::SignedTypedData = serde_json::from_value(payload).unwrap();
    let relay = Connection::connect(&s.rpc, s.chain.registry_address(), s.chain.signer(2))
        .await
        .unwrap();
    relay.submit(&signed).await.unwrap();
    assert!(!registry.isToolApproved(vault, tool).call().await.unwrap());
    let again = s.owner_fails(&[
        "revoke-tool",
        "--vault",
        "1",
        "--manifest",
        manifest,
        "--send",
    ]);
    assert!(
        again.contains(&format!("tool {tool} is not installed in vault 1")),
        "{again}"
    );
}
