//! The consent cache on Anvil: grants, revocations, renewals, ownership transfers, expiry, confirmation depth,
//! and a chain that cannot be read.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, B256, FixedBytes, U256},
    providers::ext::AnvilApi,
};
use dnavault_consent::{ConsentCache, ConsentConfig, ConsentError};
use dnavault_protocol::{GrantRecord, chain_view::ReadAt};
use dnavault_testkit::TestChain;

const RESEARCHER: Address = Address::new([0x77; 20]);
const SCOPE: B256 = B256::new([0x5c; 32]);

/// Anvil with vaults 1 and 2, both owned by account 1.
async fn setup() -> TestChain {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.signer(1);
    chain.register_vault(&owner, "").await.unwrap();
    chain.register_vault(&owner, "").await.unwrap();
    chain
}

async fn grant(
    chain: &TestChain,
    vault: u64,
    grantee: Address,
    scope: B256,
    expiry: u64,
    per_query: bool,
) {
    let record = GrantRecord {
        expiry,
        purpose: research_purpose(),
        perQueryApproval: per_query,
        revoked: false,
        maxQueries: if per_query { 7 } else { 0 },
        epoch: 0,
    };
    let owner = chain.signer(1);
    chain
        .grant(&owner, U256::from(vault), grantee, scope, &record)
        .await
        .unwrap();
}

async fn revoke(chain: &TestChain, vault: u64, grantee: Address, scope: B256) {
    chain
        .revoke(&chain.signer(1), U256::from(vault), grantee, scope)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ownership_transfer_ends_the_previous_owners_grants() {
    let chain = setup().await;
    let expiry = chain.latest_timestamp().await.unwrap() + 3600;
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    grant(&chain, 2, RESEARCHER, SCOPE, expiry, false).await;
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&chain.registry()).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());

    let new_owner = chain.signer(2);
    chain
        .transfer_vault(&chain.signer(1), U256::from(1), &new_owner)
        .await
        .unwrap();
    cache.sync(&chain.registry()).await.unwrap();
    assert!(
        matches!(
            cache.check(RESEARCHER, SCOPE),
            Err(ConsentError::NoGrant { .. })
        ),
        "the previous owner's grant is over"
    );
    let registry = chain.registry();
    let allowed = |vault: u64| {
        let registry = registry.clone();
        async move {
            registry
                .isAllowed(U256::from(vault), RESEARCHER, SCOPE)
                .call()
                .await
                .unwrap()
        }
    };
    assert!(!allowed(1).await, "the contract agrees");
    assert!(allowed(2).await, "another vault's grants are untouched");
    // A fresh cache reading the whole history comes to the same answer.
    let fresh = ConsentCache::new(ConsentConfig::for_vault(1));
    fresh.sync(&chain.registry()).await.unwrap();
    assert!(fresh.check(RESEARCHER, SCOPE).is_err());

    // The new owner's own grant is live.
    let record = GrantRecord {
        expiry,
        purpose: research_purpose(),
        perQueryApproval: false,
        revoked: false,
        maxQueries: 0,
        epoch: 0,
    };
    chain
        .grant(&new_owner, U256::from(1), RESEARCHER, SCOPE, &record)
        .await
        .unwrap();
    cache.sync(&chain.registry()).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    assert!(allowed(1).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_revocations_and_renewals_are_mirrored_for_this_vault_only() {
    let chain = setup().await;
    let expiry = chain.latest_timestamp().await.unwrap() + 3600;
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    assert!(
        matches!(
            cache.check(RESEARCHER, SCOPE),
            Err(ConsentError::Stale { .. })
        ),
        "unsynced refuses"
    );
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, true).await;
    grant(&chain, 2, RESEARCHER, B256::ZERO, expiry, false).await;
    cache.sync(&chain.registry()).await.unwrap();
    let consent = cache.check(RESEARCHER, SCOPE).unwrap();
    assert_eq!(consent.expiry, expiry);
    assert!(consent.per_query_approval);
    assert_eq!(consent.purpose, research_purpose());
    assert_eq!(consent.max_queries, 7);
    assert!(
        matches!(
            cache.check(RESEARCHER, B256::ZERO),
            Err(ConsentError::NoGrant { .. })
        ),
        "vault 2's grant"
    );
    assert!(matches!(
        cache.check(Address::ZERO, SCOPE),
        Err(ConsentError::NoGrant { .. })
    ));
    // The cache agrees with the contract.
    let allowed = chain
        .registry()
        .isAllowed(U256::from(1), RESEARCHER, SCOPE)
        .call()
        .await
        .unwrap();
    assert!(allowed);

    revoke(&chain, 1, RESEARCHER, SCOPE).await;
    assert!(cache.check(RESEARCHER, SCOPE).is_ok(), "not read yet");
    cache.sync(&chain.registry()).await.unwrap();
    assert!(matches!(
        cache.check(RESEARCHER, SCOPE),
        Err(ConsentError::Revoked { .. })
    ));
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    cache.sync(&chain.registry()).await.unwrap();
    let renewed = cache.check(RESEARCHER, SCOPE).unwrap();
    assert!(!renewed.per_query_approval, "renewed");
    assert_eq!(renewed.max_queries, 0);
    assert_ne!(
        renewed.granted_in, consent.granted_in,
        "a renewal is a new grant, with a query count of its own"
    );
    // Syncs that race: whatever order they finish in, the newest state wins.
    revoke(&chain, 1, RESEARCHER, SCOPE).await;
    let registry = chain.registry();
    let (a, b) = tokio::join!(cache.sync(&registry), cache.sync(&registry));
    assert_eq!(a.unwrap(), b.unwrap());
    assert!(matches!(
        cache.check(RESEARCHER, SCOPE),
        Err(ConsentError::Revoked { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_takes_effect_within_one_poll_of_its_block() {
    let chain = setup().await;
    let expiry = chain.latest_timestamp().await.unwrap() + 3600;
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    let config = ConsentConfig {
        poll_interval: Duration::from_millis(100),
        ..ConsentConfig::for_vault(1)
    };
    let cache = Arc::new(ConsentCache::new(config));
    let task = cache.keep_current(chain.registry());
    until(|| cache.check(RESEARCHER, SCOPE).is_ok()).await;
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    revoke(&chain, 1, RESEARCHER, SCOPE).await;
    // The revocation is in the latest block: the next poll applies it.
    let took = until(|| cache.check(RESEARCHER, SCOPE).is_err()).await;
    assert!(matches!(
        cache.check(RESEARCHER, SCOPE),
        Err(ConsentError::Revoked { .. })
    ));
    assert!(
        took < Duration::from_secs(2),
        "took {took:?} with 100 ms polls"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_grants_and_unconfirmed_events_do_not_count() {
    let chain = setup().await;
    let now = chain.latest_timestamp().await.unwrap();
    grant(&chain, 1, RESEARCHER, SCOPE, now + 100, false).await;
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&chain.registry()).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    // The chain's clock passes the expiry: the contract and the cache both refuse.
    chain.advance_time(200).await.unwrap();
    cache.sync(&chain.registry()).await.unwrap();
    assert!(matches!(
        cache.check(RESEARCHER, SCOPE),
        Err(ConsentError::Expired { .. })
    ));
    assert!(
        !chain
            .registry()
            .isAllowed(U256::from(1), RESEARCHER, SCOPE)
            .call()
            .await
            .unwrap()
    );

    // Two confirmations: a grant counts once two blocks are on top of it.
    let deep = ConsentCache::new(ConsentConfig {
        confirmations: 2,
        ..ConsentConfig::for_vault(1)
    });
    let later = chain.latest_timestamp().await.unwrap() + 3600;
    grant(&chain, 1, RESEARCHER, B256::ZERO, later, false).await;
    deep.sync(&chain.registry()).await.unwrap();
    assert!(matches!(
        deep.check(RESEARCHER, B256::ZERO),
        Err(ConsentError::NoGrant { .. })
    ));
    chain
        .registry()
        .provider()
        .anvil_mine(Some(2), None)
        .await
        .unwrap();
    deep.sync(&chain.registry()).await.unwrap();
    assert!(deep.check(RESEARCHER, B256::ZERO).is_ok());
}

/// Read at the chain's `safe` or `finalized` block (Anvil tags the blocks 32 and 64 under its head): a grant
/// and then its revocation count only once the tagged block reaches them.
#[tokio::test(flavor = "multi_thread")]
async fn grants_count_from_the_safe_or_finalized_block_when_the_view_says_so() {
    let chain = setup().await;
    let chain = &chain;
    let mine = |blocks: u64| async move {
        chain
            .registry()
            .provider()
            .anvil_mine(Some(blocks), None)
            .await
            .unwrap();
    };
    mine(100).await;
    let at = |read_at| {
        ConsentCache::new(ConsentConfig {
            read_at,
            ..ConsentConfig::for_vault(1)
        })
    };
    let (safe, finalized) = (at(ReadAt::Safe), at(ReadAt::Finalized));
    let expiry = chain.latest_timestamp().await.unwrap() + 86_400;
    grant(chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    for (cache, deep, name) in [(&safe, 32, "safe"), (&finalized, 64, "finalized")] {
        cache.sync(&chain.registry()).await.unwrap();
        assert!(
            matches!(
                cache.check(RESEARCHER, SCOPE),
                Err(ConsentError::NoGrant { .. })
            ),
            "{name}: not yet"
        );
        mine(deep).await;
        cache.sync(&chain.registry()).await.unwrap();
        assert!(cache.check(RESEARCHER, SCOPE).is_ok(), "{name}: reached");
    }
    revoke(chain, 1, RESEARCHER, SCOPE).await;
    mine(40).await;
    for cache in [&safe, &finalized] {
        cache.sync(&chain.registry()).await.unwrap();
    }
    assert!(matches!(
        safe.check(RESEARCHER, SCOPE),
        Err(ConsentError::Revoked { .. })
    ));
    assert!(
        finalized.check(RESEARCHER, SCOPE).is_ok(),
        "the revocation is not final yet"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_that_cannot_be_read_stops_everything_once_stale() {
    let chain = setup().await;
    let expiry = chain.latest_timestamp().await.unwrap() + 3600;
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    let cache = ConsentCache::new(ConsentConfig {
        max_staleness: Duration::from_millis(300),
        ..ConsentConfig::for_vault(1)
    });
    let reader = chain.registry();
    cache.sync(&reader).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    drop(chain);
    assert!(matches!(
        cache.sync(&reader).await,
        Err(ConsentError::Chain(_))
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let error = cache.check(RESEARCHER, SCOPE).unwrap_err();
    assert!(matches!(error, ConsentError::Stale { .. }), "{error}");
    assert!(error.to_string().contains("last read"), "{error}");
}

/// A node that answers every read but whose head stops moving (a frozen or withheld chain view) refuses,
/// however fresh its answers; a new block lifts it.
#[tokio::test(flavor = "multi_thread")]
async fn a_head_that_stops_moving_refuses_however_often_it_answers() {
    let chain = setup().await;
    let expiry = chain.latest_timestamp().await.unwrap() + 3600;
    grant(&chain, 1, RESEARCHER, SCOPE, expiry, false).await;
    let cache = ConsentCache::new(ConsentConfig {
        max_head_age: Duration::from_secs(2),
        ..ConsentConfig::for_vault(1)
    });
    let reader = chain.registry();
    cache.sync(&reader).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok());
    // Anvil mines nothing for 3 s; every sync still succeeds.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        cache.sync(&reader).await.unwrap();
    }
    let error = cache.check(RESEARCHER, SCOPE).unwrap_err();
    assert!(matches!(error, ConsentError::HeadTooOld { .. }), "{error}");
    assert!(error.to_string().contains("stopped moving"), "{error}");
    chain.mine().await.unwrap();
    cache.sync(&reader).await.unwrap();
    assert!(cache.check(RESEARCHER, SCOPE).is_ok(), "a new block");
}

/// General research use (DUO:0000042).
fn research_purpose() -> FixedBytes<16> {
    dnavault_protocol::purpose::Purpose::parse("DUO:0000042")
        .unwrap()
        .to_bytes16()
}

/// Waits (up to 5 s) until `done`; returns how long it took.
async fn until(done: impl Fn() -> bool) -> Duration {
    let started = std::time::Instant::now();
    while !done() && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}
