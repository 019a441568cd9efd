//! The owner's consents as the phone makes them (`dnavault_wallet::owner`): an access request granted from
//! the chain's own record of it and a grant revoked, each signed only after it is put in words, submitted
//! from another account (as the website's relayer does); and what is refused before anything is signed.

use alloy::primitives::{U256, keccak256};
use dnavault_keys::SeedPhrase;
use dnavault_protocol::{descriptor::Descriptor, purpose::Purpose};
use dnavault_testkit::TestChain;
use dnavault_wallet::{
    WalletError,
    owner::{GrantChoices, Owner, Submit},
    registry::Connection,
};

use crate::ANVIL_WORDS;

const CHOICES: GrantChoices = GrantChoices {
    expiry: None,
    per_query_approval: true,
    max_queries: 3,
};

/// Account `index` of Anvil's words online on `chain` (no relay runs: `Submit::Own` only).
async fn owner(chain: &TestChain, index: u32) -> Owner {
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let signer = seed.ethereum_signer(index).unwrap();
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        signer,
    )
    .await
    .unwrap();
    Owner::new(&seed, index, connection, "http://127.0.0.1:9").unwrap()
}

/// Vault 1, owned by account 1, with researcher account 2's pending request publishing `descriptor_json`
/// under `scope`.
async fn requested(chain: &TestChain, descriptor_json: String, scope: alloy::primitives::B256) {
    chain.register_vault(&chain.signer(1), "").await.unwrap();
    let now = chain.latest_timestamp().await.unwrap();
    let receipt = chain
        .registry_as(&chain.signer(2))
        .requestAccess(
            U256::from(1),
            scope,
            Purpose::parse("HMB").unwrap().to_bytes16(),
            now + 86_400,
            keccak256("protocol"),
            "https://lab.example/p".into(),
            descriptor_json,
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
}

fn brca() -> Descriptor {
    Descriptor::AlleleCounts {
        panel: serde_json::from_str(dnavault_protocol::descriptor::PANELS[0].1).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_request_is_granted_from_the_chain_and_revoked() {
    let chain = TestChain::start().await.unwrap();
    let scope = brca().scope();
    requested(&chain, serde_json::to_string(&brca()).unwrap(), scope).await;
    let owner = owner(&chain, 1).await;
    let now = chain.latest_timestamp().await.unwrap();

    // Someone else's phone cannot even prepare it.
    let stranger = self::owner(&chain, 3).await;
    let refused = stranger.grant_request(U256::from(1), CHOICES, now).await;
    assert!(
        matches!(refused, Err(WalletError::NotOwner { .. })),
        "{refused:?}"
    );
    // Longer than asked is refused before signing.
    let longer = GrantChoices {
        expiry: Some(now + 2 * 86_400),
        ..CHOICES
    };
    let refused = owner
        .grant_request(U256::from(1), longer, now)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("later than the researcher asked for"),
        "{refused}"
    );

    let signing = owner
        .grant_request(U256::from(1), CHOICES, now)
        .await
        .unwrap();
    let words = signing.explanation().to_string();
    for said in [
        "Grant access request 1",
        "BRCA1",
        "at most 3 queries",
        "needs your approval every time",
    ] {
        assert!(words.contains(said), "{words}");
    }
    owner.sign_and_submit(&signing, Submit::Own).await.unwrap();
    let registry = chain.registry();
    let who = chain.signer(2).address();
    assert!(
        registry
            .isAllowed(U256::from(1), who, scope)
            .call()
            .await
            .unwrap()
    );
    // Granted: it is not pending any more, and the same signature cannot be used twice.
    let again = owner
        .grant_request(U256::from(1), CHOICES, now)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("granted, not pending"),
        "{again}"
    );
    assert!(owner.sign_and_submit(&signing, Submit::Own).await.is_err());

    // A descriptor that is not the scope's is refused; the scope's own is shown.
    let other = Descriptor::AlleleCounts {
        panel: serde_json::from_str(dnavault_protocol::descriptor::PANELS[1].1).unwrap(),
    };
    let wrong =
        dnavault_wallet::inputs::Analysis::from_json(&serde_json::to_string(&other).unwrap())
            .unwrap();
    assert!(
        owner
            .revoke(U256::from(1), who, scope, Some(&wrong), now)
            .await
            .is_err()
    );
    let revoking = owner
        .revoke(U256::from(1), who, scope, None, now)
        .await
        .unwrap();
    assert!(
        revoking
            .explanation()
            .to_string()
            .contains("Withdraw researcher")
    );
    owner.sign_and_submit(&revoking, Submit::Own).await.unwrap();
    assert!(
        !registry
            .isAllowed(U256::from(1), who, scope)
            .call()
            .await
            .unwrap()
    );
    let nothing = owner
        .revoke(U256::from(1), who, scope, None, now)
        .await
        .unwrap_err();
    assert!(
        nothing.to_string().contains("nothing to revoke"),
        "{nothing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_whose_descriptor_is_not_its_scope_is_not_offered_for_signing() {
    let chain = TestChain::start().await.unwrap();
    // The researcher publishes the BRCA panel under another scope.
    requested(
        &chain,
        serde_json::to_string(&brca()).unwrap(),
        keccak256("something else"),
    )
    .await;
    let owner = owner(&chain, 1).await;
    let now = chain.latest_timestamp().await.unwrap();
    let refused = owner
        .grant_request(U256::from(1), CHOICES, now)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("do not grant it as it stands"),
        "{refused}"
    );
}
