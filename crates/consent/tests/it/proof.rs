//! A grant confirmed by a storage proof: a single endpoint (no quorum to outvote it) that hides a revocation
//! from the events, or forges the proof itself, is caught when the grant is proved at the consent block.

use std::sync::Arc;

use alloy::{
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
};
use dnavault_consent::{ConsentCache, ConsentConfig, ConsentError};
use dnavault_protocol::VaultRegistry;
use dnavault_testkit::{RpcProxy, Tamper, TestChain, hiding_revocations};
use serde_json::Value;

const RESEARCHER: Address = Address::new([0x77; 20]);
const SCOPE: B256 = B256::new([0x5c; 32]);

/// Anvil with vault 1, a live grant to [`RESEARCHER`] for [`SCOPE`], and a cache reading it through a proxy
/// that tells the lies `tamper` tells.
async fn through(tamper: Tamper) -> (TestChain, RpcProxy, ConsentCache) {
    let chain = crate::chain_with_grant(RESEARCHER, SCOPE).await;
    let proxy = RpcProxy::start(chain.endpoint_url(), Some(tamper))
        .await
        .unwrap();
    (chain, proxy, ConsentCache::new(ConsentConfig::for_vault(1)))
}

fn registry(
    chain: &TestChain,
    proxy: &RpcProxy,
) -> VaultRegistry::VaultRegistryInstance<impl Provider> {
    let provider = ProviderBuilder::new().connect_http(proxy.url().parse().unwrap());
    VaultRegistry::new(chain.registry_address(), provider)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_hidden_from_the_events_is_caught_by_the_proof() {
    let (chain, proxy, cache) = through(hiding_revocations()).await;
    let registry = registry(&chain, &proxy);
    cache.sync(&registry).await.unwrap();
    let live = cache.check(RESEARCHER, SCOPE).unwrap();
    cache
        .confirm(&registry, RESEARCHER, SCOPE, &live)
        .await
        .unwrap();

    chain
        .revoke(&chain.signer(1), U256::from(1), RESEARCHER, SCOPE)
        .await
        .unwrap();
    cache.sync(&registry).await.unwrap();
    // The lying endpoint hid the revocation: the events say live.
    let hidden = cache.check(RESEARCHER, SCOPE).unwrap();
    assert!(hidden.block > live.block);
    let caught = cache
        .confirm(&registry, RESEARCHER, SCOPE, &hidden)
        .await
        .unwrap_err();
    assert!(
        matches!(&caught, ConsentError::Unproven(why) if why.contains("the grant is revoked")),
        "{caught}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_proof_does_not_verify() {
    // The endpoint proves a richer grant than there is: one more query in its budget, in the slot's value.
    let forging: Tamper = Arc::new(|method: &str, _: &Value, mut result: Value| {
        if method == "eth_getProof" {
            result["storageProof"][0]["value"] = Value::String("0x1".into());
        }
        result
    });
    let (chain, proxy, cache) = through(forging).await;
    let registry = registry(&chain, &proxy);
    cache.sync(&registry).await.unwrap();
    let consent = cache.check(RESEARCHER, SCOPE).unwrap();
    let refused = cache
        .confirm(&registry, RESEARCHER, SCOPE, &consent)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ConsentError::Unproven(why) if why.contains("does not verify")),
        "{refused}"
    );

    // One that proves another account's storage, or a state root it made up, fails the same way.
    let swapping: Tamper = Arc::new(|method: &str, _: &Value, mut result: Value| {
        if method == "eth_getProof" {
            result["storageHash"] = Value::String(format!("0x{}", "11".repeat(32)));
        }
        result
    });
    let proxy = RpcProxy::start(chain.endpoint_url(), Some(swapping))
        .await
        .unwrap();
    let refused = cache
        .confirm(&self::registry(&chain, &proxy), RESEARCHER, SCOPE, &consent)
        .await
        .unwrap_err();
    assert!(matches!(refused, ConsentError::Unproven(_)), "{refused}");
}

/// A node that mines while it answers may prove the next block's state once (Anvil does under load): the
/// proof is asked for again, and the second, which verifies, confirms the grant. Forged every time, it is
/// refused (above).
#[tokio::test(flavor = "multi_thread")]
async fn a_proof_that_fails_once_is_asked_for_again() {
    let proofs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&proofs);
    let first_forged: Tamper = Arc::new(move |method: &str, _: &Value, mut result: Value| {
        if method == "eth_getProof"
            && counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0
        {
            result["storageProof"][0]["value"] = Value::String("0x1".into());
        }
        result
    });
    let (chain, proxy, cache) = through(first_forged).await;
    let registry = registry(&chain, &proxy);
    cache.sync(&registry).await.unwrap();
    let consent = cache.check(RESEARCHER, SCOPE).unwrap();
    cache
        .confirm(&registry, RESEARCHER, SCOPE, &consent)
        .await
        .unwrap();
    assert_eq!(proofs.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// The endpoint says yes to every `isOwnerSignature` call: a stranger's signature still does not count as
/// the owner's, because the owner is proved from the state and the signature recovered locally.
#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_says_yes_to_every_owner_check_is_not_asked() {
    use alloy::{signers::SignerSync, sol_types::SolStruct};
    use dnavault_consent::owner::{OwnerSignatureError, require_owner_signature};
    use dnavault_protocol::{OwnerRead, eip712::registry_domain};

    let (chain, proxy, _cache) = through(hiding_revocations()).await;
    let registry = registry(&chain, &proxy);
    let domain = registry_domain(chain.chain_id(), chain.registry_address());
    let read = OwnerRead {
        vaultId: U256::from(1),
        what: "audit".into(),
        recipientKey: alloy::primitives::B256::repeat_byte(9),
        deadline: U256::from(u64::MAX),
    };
    let digest = read.eip712_signing_hash(&domain);
    let sign = |index: usize| -> alloy::primitives::Bytes {
        chain
            .signer(index)
            .sign_hash_sync(&digest)
            .unwrap()
            .as_bytes()
            .to_vec()
            .into()
    };
    let stranger =
        require_owner_signature(&registry, &domain, U256::from(1), &read, &sign(3)).await;
    assert!(
        matches!(stranger, Err(OwnerSignatureError::NotOwner { .. })),
        "{stranger:?}"
    );
    require_owner_signature(&registry, &domain, U256::from(1), &read, &sign(1))
        .await
        .unwrap();
    // After a transfer, the previous owner's signature no longer counts, whatever the endpoint says.
    chain
        .transfer_vault(&chain.signer(1), U256::from(1), &chain.signer(4))
        .await
        .unwrap();
    let previous =
        require_owner_signature(&registry, &domain, U256::from(1), &read, &sign(1)).await;
    assert!(
        matches!(previous, Err(OwnerSignatureError::NotOwner { .. })),
        "{previous:?}"
    );
    require_owner_signature(&registry, &domain, U256::from(1), &read, &sign(4))
        .await
        .unwrap();
}

/// A tool's approval is read from the registry's state at the consent block: approved runs, revoked and
/// never-approved are refused, and an endpoint that claims an approval the state does not hold is caught.
#[tokio::test(flavor = "multi_thread")]
async fn a_tool_runs_only_while_the_state_proves_its_approval() {
    let (chain, proxy, cache) = through(Arc::new(|_: &str, _: &Value, result: Value| result)).await;
    let registry = registry(&chain, &proxy);
    let (owner, vault) = (chain.signer(1), U256::from(1));
    let (tool, other) = (B256::repeat_byte(0x70), B256::repeat_byte(0x71));
    chain.set_tool(&owner, vault, tool, true).await.unwrap();
    cache.sync(&registry).await.unwrap();
    let consent = cache.check(RESEARCHER, SCOPE).unwrap();
    cache.confirm_tool(&registry, tool, &consent).await.unwrap();
    let never = cache
        .confirm_tool(&registry, other, &consent)
        .await
        .unwrap_err();
    assert!(
        matches!(never, ConsentError::ToolNotApproved { tool: t, .. } if t == other),
        "{never}"
    );

    chain.set_tool(&owner, vault, tool, false).await.unwrap();
    cache.sync(&registry).await.unwrap();
    let after = cache.check(RESEARCHER, SCOPE).unwrap();
    let revoked = cache
        .confirm_tool(&registry, tool, &after)
        .await
        .unwrap_err();
    assert!(
        matches!(revoked, ConsentError::ToolNotApproved { .. }),
        "{revoked}"
    );

    // The endpoint says the revoked tool's slot holds `true`: its proof no longer verifies.
    let claiming: Tamper = Arc::new(|method: &str, _: &Value, mut result: Value| {
        if method == "eth_getProof" {
            result["storageProof"][0]["value"] = Value::String("0x1".into());
        }
        result
    });
    let liar = RpcProxy::start(chain.endpoint_url(), Some(claiming))
        .await
        .unwrap();
    let caught = cache
        .confirm_tool(&self::registry(&chain, &liar), tool, &after)
        .await
        .unwrap_err();
    assert!(
        matches!(&caught, ConsentError::Unproven(why) if why.contains("does not verify")),
        "{caught}"
    );
}
