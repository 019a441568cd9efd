//! The consent cache and gate against a real registry on Anvil, and against a node that serves a head block
//! before its receipts.

mod cache;
mod gate;
mod head;
mod proof;
mod reorg;

use alloy::primitives::{Address, B256, U256};
use dnavault_protocol::{GrantRecord, purpose::Purpose};
use dnavault_testkit::TestChain;

/// Anvil with vault 1 (owned by account 1) and a live grant to `grantee` for `scope`, for an hour.
pub(crate) async fn chain_with_grant(grantee: Address, scope: B256) -> TestChain {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.signer(1);
    chain.register_vault(&owner, "").await.unwrap();
    let record = GrantRecord {
        expiry: chain.latest_timestamp().await.unwrap() + 3600,
        purpose: Purpose::general_research().to_bytes16(),
        perQueryApproval: false,
        revoked: false,
        maxQueries: 0,
        epoch: 0,
    };
    chain
        .grant(&owner, U256::from(1), grantee, scope, &record)
        .await
        .unwrap();
    chain
}
