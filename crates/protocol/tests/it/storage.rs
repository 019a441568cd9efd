//! The registry's storage layout as `dnavault_protocol::storage` reads it, checked against the deployed
//! contract: the slots it computes hold what the registry's own views return.

use alloy::{
    primitives::{B256, U256, keccak256},
    providers::Provider,
};
use dnavault_protocol::{
    GrantRecord,
    storage::{StoredGrant, StoredOwner, grant_slot, owner_slot, tool_slot},
};
use dnavault_testkit::TestChain;

#[tokio::test]
async fn the_slots_hold_what_the_registry_says() {
    let chain = TestChain::start().await.unwrap();
    let (owner, researcher, next) = (chain.signer(1), chain.signer(2), chain.signer(3));
    let vault = chain
        .register_vault(&owner, "https://vault.example")
        .await
        .unwrap();
    let scope = keccak256("genotype-lookup");
    let record = GrantRecord {
        expiry: 1_900_000_123,
        purpose: dnavault_protocol::purpose::Purpose::general_research().to_bytes16(),
        perQueryApproval: true,
        revoked: false,
        maxQueries: 77,
        epoch: 0,
    };
    chain
        .grant(&owner, vault, researcher.address(), scope, &record)
        .await
        .unwrap();
    // Moved to another owner and back: the epoch is 2, the old grant's record keeps epoch 0.
    chain.transfer_vault(&owner, vault, &next).await.unwrap();
    chain.transfer_vault(&next, vault, &owner).await.unwrap();

    let chain = &chain;
    let read = |slot: B256| async move {
        chain
            .provider()
            .get_storage_at(chain.registry_address(), U256::from_be_bytes(slot.0))
            .await
            .unwrap()
    };
    let stored = StoredGrant::from_slot(read(grant_slot(vault, researcher.address(), scope)).await);
    let viewed = chain
        .registry()
        .grantOf(vault, researcher.address(), scope)
        .call()
        .await
        .unwrap();
    assert_eq!(
        (
            stored.expiry,
            stored.purpose,
            stored.per_query_approval,
            stored.revoked
        ),
        (
            viewed.expiry,
            viewed.purpose,
            viewed.perQueryApproval,
            viewed.revoked
        )
    );
    assert_eq!(
        (stored.max_queries, stored.epoch),
        (viewed.maxQueries, viewed.epoch)
    );
    assert_eq!((stored.expiry, stored.max_queries), (1_900_000_123, 77));

    let info = chain.registry().vault(vault).call().await.unwrap();
    let owner_slot = StoredOwner::from_slot(read(owner_slot(vault)).await);
    assert_eq!(
        (owner_slot.owner, owner_slot.epoch),
        (info.owner, info.epoch)
    );
    assert_eq!((info.owner, info.epoch), (owner.address(), 2));

    // A tool approved, one revoked after approval, one never approved: the slot's value is the view's.
    let (kept, dropped, never) = (keccak256("kept"), keccak256("dropped"), keccak256("never"));
    chain.set_tool(&owner, vault, kept, true).await.unwrap();
    chain.set_tool(&owner, vault, dropped, true).await.unwrap();
    chain.set_tool(&owner, vault, dropped, false).await.unwrap();
    for (tool, approved) in [(kept, true), (dropped, false), (never, false)] {
        let stored = read(tool_slot(vault, tool)).await;
        let viewed = chain
            .registry()
            .isToolApproved(vault, tool)
            .call()
            .await
            .unwrap();
        assert_eq!((stored == U256::from(1), viewed), (approved, approved));
    }
}
