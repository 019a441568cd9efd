//! Consent survives reorganisations (Anvil's `anvil_rollback` and `anvil_reorg`): a block the cache read
//! that is replaced is read again, so a grant whose block is gone disappears and a revocation mined into a
//! replacing block takes effect.

use alloy::primitives::{Address, B256, U256};
use dnavault_consent::{ConsentCache, ConsentConfig, ConsentError};
use dnavault_testkit::TestChain;

const RESEARCHER: Address = Address::new([0x78; 20]);
const SCOPE: B256 = B256::new([0x6d; 32]);

async fn granted_chain() -> (TestChain, ConsentCache) {
    let chain = crate::chain_with_grant(RESEARCHER, SCOPE).await;
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&chain.registry()).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    (chain, cache)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_whose_block_is_replaced_disappears() {
    let (chain, cache) = granted_chain().await;
    let head = chain.head().await.unwrap();
    // The block holding the grant is replaced by an empty one at the same height.
    chain.reorg_out_latest().await.unwrap();
    assert_eq!(chain.head().await.unwrap(), head);
    cache.sync(&chain.registry()).await.unwrap();
    assert!(
        matches!(
            cache.check(RESEARCHER, SCOPE),
            Err(ConsentError::NoGrant { .. })
        ),
        "{:?}",
        cache.check(RESEARCHER, SCOPE)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_mined_into_a_replacing_block_takes_effect() {
    let (chain, cache) = granted_chain().await;
    // The cache reads one more (empty) block; a reorganisation replaces it with one that revokes.
    chain.mine().await.unwrap();
    let read = cache.sync(&chain.registry()).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    chain
        .reorg_in_revocation(&chain.signer(1), U256::from(1), RESEARCHER, SCOPE)
        .await
        .unwrap();
    assert_eq!(
        chain.head().await.unwrap(),
        read,
        "the same height, another block"
    );
    cache.sync(&chain.registry()).await.unwrap();
    assert!(
        matches!(
            cache.check(RESEARCHER, SCOPE),
            Err(ConsentError::Revoked { .. })
        ),
        "{:?}",
        cache.check(RESEARCHER, SCOPE)
    );
}
