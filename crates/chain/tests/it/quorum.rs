//! Endpoints read with a quorum: one that hides a revocation, claims a grant or runs ahead is outvoted;
//! disagreement below the quorum refuses; a dead endpoint does not stop a quorum of live ones. Two endpoints
//! that tell the same lie are believed at a quorum of two: the quorum is the trust, and 3 of 3 refuses them.

use std::sync::Arc;

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use dnavault_chain::provider;
use dnavault_consent::{ConsentCache, ConsentConfig, ConsentError};
use dnavault_protocol::{GrantRecord, VaultRegistry, chain_view::ChainView, purpose::Purpose};
use dnavault_testkit::{RpcProxy, Tamper, TestChain, hiding_revocations};
use serde_json::{Value, json};

const RESEARCHER: Address = Address::new([0x77; 20]);
const SCOPE: B256 = B256::new([0x5c; 32]);

fn liar() -> Tamper {
    hiding_revocations()
}

/// [`liar`], and it claims a head far ahead of the chain.
fn running_ahead() -> Tamper {
    Arc::new(|method: &str, params: &Value, result: Value| match method {
        "eth_blockNumber" => json!("0xffffff"),
        _ => liar()(method, params, result),
    })
}

/// Anvil with vault 1 (account 1's), a grant to RESEARCHER, then its revocation.
async fn revoked_grant() -> TestChain {
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
        .grant(&owner, U256::from(1), RESEARCHER, SCOPE, &record)
        .await
        .unwrap();
    chain
        .revoke(&owner, U256::from(1), RESEARCHER, SCOPE)
        .await
        .unwrap();
    chain
}

async fn proxies(chain: &TestChain, tampers: Vec<Option<Tamper>>) -> Vec<RpcProxy> {
    let mut started = Vec::new();
    for tamper in tampers {
        started.push(RpcProxy::start(chain.endpoint_url(), tamper).await.unwrap());
    }
    started
}

fn view(chain: &TestChain, urls: &[&str], quorum: u8) -> ChainView {
    ChainView {
        endpoints: urls.iter().map(|url| url.parse().unwrap()).collect(),
        quorum,
        ..chain.chain_view()
    }
}

/// What vault 1's consent cache, synced through `view`, says of RESEARCHER's grant.
async fn consent_through(view: &ChainView) -> Result<(), ConsentError> {
    let registry = VaultRegistry::new(view.registry, provider(view).unwrap());
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&registry).await?;
    cache.check(RESEARCHER, SCOPE).map(drop)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_liar_among_honest_endpoints_is_outvoted() {
    let chain = revoked_grant().await;
    let p = proxies(&chain, vec![None, None, Some(liar())]).await;
    let alone = view(&chain, &[p[2].url()], 1);
    assert!(
        consent_through(&alone).await.is_ok(),
        "alone, the liar hides the revocation"
    );

    let ahead = proxies(&chain, vec![Some(running_ahead())]).await;
    let outvoted = view(&chain, &[p[0].url(), p[1].url(), ahead[0].url()], 2);
    assert!(matches!(
        consent_through(&outvoted).await,
        Err(ConsentError::Revoked { .. })
    ));
    let reader = provider(&outvoted).unwrap();
    assert_eq!(
        reader.get_block_number().await.unwrap(),
        chain.head().await.unwrap(),
        "a head only the liar claims is not believed"
    );
    let registry = VaultRegistry::new(outvoted.registry, reader);
    let allowed = registry
        .isAllowed(U256::from(1), RESEARCHER, SCOPE)
        .call()
        .await
        .unwrap();
    assert!(!allowed, "the liar's eth_call is outvoted");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_few_agreeing_refuses_and_a_dead_endpoint_does_not_stop_a_quorum() {
    let chain = revoked_grant().await;
    let other_liar: Tamper = Arc::new(|method: &str, params: &Value, result: Value| match method {
        "eth_getLogs" | "eth_getBlockReceipts" => json!([]),
        _ => liar()(method, params, result),
    });
    let p = proxies(&chain, vec![None, Some(liar()), Some(other_liar)]).await;
    let split = view(&chain, &[p[0].url(), p[1].url(), p[2].url()], 2);
    let error = consent_through(&split).await.unwrap_err();
    assert!(
        matches!(error, ConsentError::Chain(ref reason) if reason.contains("fewer than 2 of the 3")),
        "{error}"
    );

    let dead = "http://127.0.0.1:1/";
    let live = proxies(&chain, vec![None, None]).await;
    let one_down = view(&chain, &[live[0].url(), live[1].url(), dead], 2);
    assert!(matches!(
        consent_through(&one_down).await,
        Err(ConsentError::Revoked { .. })
    ));
    dnavault_chain::check_endpoints(&one_down).await.unwrap();
    let two_down = view(&chain, &[live[0].url(), dead, "http://127.0.0.1:2/"], 2);
    assert!(dnavault_chain::check_endpoints(&two_down).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn colluding_endpoints_are_believed_only_up_to_the_quorum() {
    let chain = revoked_grant().await;
    let p = proxies(&chain, vec![None, Some(liar()), Some(liar())]).await;
    let urls = [p[0].url(), p[1].url(), p[2].url()];
    assert!(
        consent_through(&view(&chain, &urls, 2)).await.is_ok(),
        "two of three that agree are the quorum, lying or not"
    );
    assert!(matches!(
        consent_through(&view(&chain, &urls, 3)).await,
        Err(ConsentError::Chain(_))
    ));
}

/// An endpoint the host stalls (it accepts the connection and never answers) does not hold up a quorum of
/// the others: reads do not wait out its 10 s request timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_endpoint_does_not_hold_up_the_quorum() {
    let chain = revoked_grant().await;
    let stalled = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stalled_url = format!("http://{}/", stalled.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = stalled.accept().await {
            held.push(connection);
        }
    });
    let p = proxies(&chain, vec![None, None]).await;
    let view = view(&chain, &[p[0].url(), &stalled_url, p[1].url()], 2);
    let started = std::time::Instant::now();
    assert!(matches!(
        consent_through(&view).await,
        Err(ConsentError::Revoked { .. })
    ));
    let reader = provider(&view).unwrap();
    assert_eq!(
        reader.get_block_number().await.unwrap(),
        chain.head().await.unwrap()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "waited {:?} for the stalled endpoint",
        started.elapsed()
    );
}
