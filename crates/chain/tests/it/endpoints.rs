//! Each endpoint is authenticated as its trust says: a pinned HTTPS key is accepted and another refused, a
//! self-signed certificate is not a public root, and plain HTTP reaches loopback only.

use alloy::providers::Provider;
use dnavault_chain::{ChainError, check_endpoints, provider};
use dnavault_protocol::chain_view::ChainView;
use dnavault_ratls::{ServerIdentity, serve};
use dnavault_testkit::{RpcProxy, TestChain};
use sha2::{Digest, Sha256};

/// An HTTPS endpoint on loopback in front of `chain`: its URL (no pin) and its key's SPKI SHA-256.
async fn https_endpoint(chain: &TestChain) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let spki = alloy::hex::encode(Sha256::digest(
        rcgen::PublicKeyData::subject_public_key_info(&key),
    ));
    let identity = ServerIdentity::self_signed(&key, vec!["localhost".into()]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}/",
        listener.local_addr().unwrap().port()
    );
    let router = RpcProxy::router(chain.endpoint_url(), None);
    tokio::spawn(async move { serve(listener, &identity, router, std::future::pending()).await });
    (url, spki)
}

fn view_of(chain: &TestChain, endpoints: &[String]) -> ChainView {
    ChainView {
        endpoints: endpoints.iter().map(|e| e.parse().unwrap()).collect(),
        ..chain.chain_view()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_key_is_read_and_any_other_refused() {
    let chain = TestChain::start().await.unwrap();
    let (url, spki) = https_endpoint(&chain).await;

    let pinned = view_of(&chain, &[format!("{url}#pin-sha256={spki}")]);
    assert!(!pinned.is_unverified());
    check_endpoints(&pinned).await.unwrap();
    let served = provider(&pinned).unwrap().get_chain_id().await.unwrap();
    assert_eq!(served, chain.chain_id());
    let head = provider(&pinned).unwrap().get_block_number().await.unwrap();
    assert_eq!(head, chain.head().await.unwrap());

    let other = "cd".repeat(32);
    let wrong = view_of(&chain, &[format!("{url}#pin-sha256={other}")]);
    let error = provider(&wrong)
        .unwrap()
        .get_chain_id()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("not one of the pinned keys"), "{error}");
    assert!(matches!(
        check_endpoints(&wrong).await,
        Err(ChainError::TooFew { answered: 0, .. })
    ));

    // Without a pin the certificate must chain to a public root: a self-signed one does not.
    let public = view_of(&chain, std::slice::from_ref(&url));
    let error = provider(&public)
        .unwrap()
        .get_chain_id()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("UnknownIssuer") || error.contains("certificate"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_reaches_loopback_and_a_wrong_chain_is_refused() {
    let chain = TestChain::start().await.unwrap();
    let view = chain.chain_view();
    assert!(view.is_unverified());
    check_endpoints(&view).await.unwrap();
    let wrong = ChainView {
        chain_id: 1,
        ..chain.chain_view()
    };
    let error = check_endpoints(&wrong).await.unwrap_err();
    assert!(
        matches!(error, ChainError::WrongChain { served, expected: 1, .. } if served == chain.chain_id()),
        "{error}"
    );
}
