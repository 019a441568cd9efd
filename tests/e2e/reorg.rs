//! A running vault through a reorganisation on Anvil: a revocation mined into a block that replaces one the
//! vault had already read is seen, and the next query is refused.

use std::time::Duration;

use alloy::primitives::U256;
use dnavault_tests::chain_with_vault;

use crate::query::{OneQuery, refusal, vault_with_genome};

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_in_a_reorganised_block_refuses_the_next_query() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    // One more block, which the vault reads: the block a reorganisation will replace.
    chain.mine().await.unwrap();
    vault.synced_with(&chain).await;
    one.ask().await.unwrap();

    let height = chain.head().await.unwrap();
    chain
        .reorg_in_revocation(&owner, U256::from(1), one.researcher.address(), one.scope)
        .await
        .unwrap();
    assert_eq!(
        chain.head().await.unwrap(),
        height,
        "the same height: only the hash tells"
    );
    // The vault polls every 100 ms here: the revocation applies within a few polls.
    let mut last = String::new();
    for _ in 0..50 {
        match one.ask().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(error) => {
                let (status, message) = refusal(error);
                assert_eq!(status, 403, "{message}");
                last = message;
                break;
            }
        }
    }
    assert!(
        last.contains("was revoked"),
        "the vault kept answering: {last}"
    );
}
