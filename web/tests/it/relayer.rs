//! The relayer on Anvil: an owner's signed grant and revocation submitted from the website's account; a
//! replayed, foreign, expired, unknown, oversize or over-allowance message refused before any ether is spent.

use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, U256, keccak256},
    providers::Provider,
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{Eip712Domain, SolStruct},
};
use axum::Router;
use dnavault_protocol::{Grant, Revoke, eip712::registry_domain, purpose::Purpose};
use dnavault_testkit::TestChain;
use serde_json::{Value, json};

use crate::{app_over, app_with_relayer, sent, sqlite};

async fn post(app: &Router, body: String) -> (u16, Value) {
    crate::api::post_documented(app, "/api/relay", body).await
}

/// `message` signed by `signer` under `domain`, as dnavault-wallet prints it.
fn signed<S: SolStruct + serde::Serialize>(
    message: &S,
    domain: &Eip712Domain,
    signer: &PrivateKeySigner,
) -> String {
    let signature = signer
        .sign_hash_sync(&message.eip712_signing_hash(domain))
        .unwrap();
    let typed = TypedData::from_struct(message, Some(domain.clone()));
    json!({ "typedData": typed, "signature": format!("0x{}", hex::encode(signature.as_bytes())) })
        .to_string()
}

struct Setup {
    chain: TestChain,
    owner: PrivateKeySigner,
    domain: Eip712Domain,
    researcher: Address,
    now: u64,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        let chain = TestChain::start().await.unwrap();
        let owner = chain.signer(1);
        sent(chain.registry_as(&owner).registerVault("".into())).await;
        let domain = registry_domain(chain.chain_id(), chain.registry_address());
        let now = chain.latest_timestamp().await.unwrap();
        Self {
            researcher: chain.signer(2).address(),
            chain,
            owner,
            domain,
            now,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn grant(&self, nonce: u64, deadline: u64) -> Grant {
        Grant {
            vaultId: U256::from(1),
            grantee: self.researcher,
            scope: keccak256("scope"),
            purpose: Purpose::general_research().to_bytes16(),
            expiry: self.now + 86_400,
            perQueryApproval: false,
            maxQueries: 0,
            nonce: U256::from(nonce),
            deadline: U256::from(deadline),
        }
    }

    async fn allowed(&self) -> bool {
        self.chain
            .registry()
            .isAllowed(U256::from(1), self.researcher, keccak256("scope"))
            .call()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn an_owners_signed_grant_and_revocation_are_submitted_for_them() {
    let setup = Setup::new().await;
    let app = app_with_relayer(&setup.chain, sqlite(&setup._dir).await, 10);
    let grant = setup.grant(0, setup.now + 3600).await;
    let (status, relayed) = post(&app, signed(&grant, &setup.domain, &setup.owner)).await;
    assert_eq!(status, 200, "{relayed}");
    assert_eq!(relayed["kind"], "Grant");
    assert_eq!(relayed["owner"], setup.owner.address().to_checksum(None));
    assert!(setup.allowed().await);
    // The website's account paid, not the owner.
    let hash = relayed["transaction"].as_str().unwrap().parse().unwrap();
    let tx = setup
        .chain
        .provider()
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tx.inner.signer(), setup.chain.signer(6).address());

    // The same signed grant again: the registry would refuse it, so nothing is sent.
    let (status, refusal) = post(&app, signed(&grant, &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (409, Some("registry")),
        "{refusal}"
    );
    assert!(
        refusal["error"].as_str().unwrap().contains("nonce"),
        "{refusal}"
    );

    let revoke = Revoke {
        vaultId: U256::from(1),
        grantee: setup.researcher,
        scope: keccak256("scope"),
        nonce: U256::from(1),
        deadline: U256::from(setup.now + 3600),
    };
    let (status, relayed) = post(&app, signed(&revoke, &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, relayed["kind"].as_str()),
        (200, Some("Revoke")),
        "{relayed}"
    );
    assert!(!setup.allowed().await);
}

/// Installing and removing an analysis tool by the owner's signature, relayed; a stranger's signature, and
/// installing one twice, are refused before any ether is spent.
#[tokio::test]
async fn an_owners_tool_installation_and_removal_are_submitted_for_them() {
    use dnavault_protocol::{ApproveTool, RevokeTool};
    let setup = Setup::new().await;
    let app = app_with_relayer(&setup.chain, sqlite(&setup._dir).await, 10);
    let tool = keccak256("a tool manifest");
    let deadline = U256::from(setup.now + 3600);
    let installed = |nonce: u64| ApproveTool {
        vaultId: U256::from(1),
        tool,
        nonce: U256::from(nonce),
        deadline,
    };
    let is_installed = || async {
        setup
            .chain
            .registry()
            .isToolApproved(U256::from(1), tool)
            .call()
            .await
            .unwrap()
    };
    let stranger = setup.chain.signer(3);
    let (status, refusal) = post(&app, signed(&installed(0), &setup.domain, &stranger)).await;
    assert_eq!(status / 100, 4, "{refusal}");
    assert!(!is_installed().await);

    let (status, relayed) = post(&app, signed(&installed(0), &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, relayed["kind"].as_str()),
        (200, Some("ApproveTool")),
        "{relayed}"
    );
    assert!(is_installed().await);
    let (status, refusal) = post(&app, signed(&installed(1), &setup.domain, &setup.owner)).await;
    assert_eq!(status, 409, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .unwrap()
            .contains("already installed"),
        "{refusal}"
    );

    let removed = RevokeTool {
        vaultId: U256::from(1),
        tool,
        nonce: U256::from(1),
        deadline,
    };
    let (status, relayed) = post(&app, signed(&removed, &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, relayed["kind"].as_str()),
        (200, Some("RevokeTool")),
        "{relayed}"
    );
    assert!(!is_installed().await);
}

#[tokio::test]
async fn messages_that_would_waste_the_relayers_ether_are_refused_first() {
    let setup = Setup::new().await;
    let app = app_with_relayer(&setup.chain, sqlite(&setup._dir).await, 2);
    let grant = setup.grant(0, setup.now + 3600).await;
    let cases = [
        (
            "signed by someone else",
            signed(&grant, &setup.domain, &setup.chain.signer(4)),
            403,
            "signature",
        ),
        (
            "for another chain",
            signed(
                &grant,
                &registry_domain(1, setup.chain.registry_address()),
                &setup.owner,
            ),
            422,
            "domain",
        ),
        (
            "past its deadline",
            signed(
                &setup.grant(0, setup.now - 1).await,
                &setup.domain,
                &setup.owner,
            ),
            422,
            "deadline",
        ),
        (
            "a message the relayer does not submit",
            signed(
                &dnavault_protocol::QueryApproval {
                    vaultId: U256::from(1),
                    requestHash: keccak256("a query"),
                    deadline: U256::from(setup.now + 3600),
                },
                &setup.domain,
                &setup.owner,
            ),
            422,
            "kind",
        ),
        ("not JSON", "{".to_owned(), 400, "body"),
        (
            "oversize",
            json!({ "typedData": "x".repeat(100 * 1024) }).to_string(),
            413,
            "body",
        ),
    ];
    for (what, body, status, check) in cases {
        let (got, refusal) = post(&app, body).await;
        assert_eq!(
            (got, refusal["check"].as_str()),
            (status, Some(check)),
            "{what}: {refusal}"
        );
    }
    assert!(!setup.allowed().await, "nothing was granted");

    // Two a hour per owner here: a third is refused with when to try again.
    for nonce in 0..2 {
        let grant = setup.grant(nonce, setup.now + 3600).await;
        let (status, body) = post(&app, signed(&grant, &setup.domain, &setup.owner)).await;
        assert_eq!(status, 200, "{body}");
    }
    let third = setup.grant(2, setup.now + 3600).await;
    let (status, refusal) = post(&app, signed(&third, &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (429, Some("rate")),
        "{refusal}"
    );
    assert!(refusal["error"].as_str().unwrap().contains("try again in"));

    // A website without a relayer says so.
    let plain = app_over(&setup.chain, sqlite(&setup._dir).await);
    let (status, refusal) = post(&plain, signed(&third, &setup.domain, &setup.owner)).await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (404, Some("no-relayer"))
    );
}
