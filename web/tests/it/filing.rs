//! Filing a researcher's signed, unsent access request: broadcast once when it is exactly a `requestAccess`
//! to this registry; a replayed, foreign, misdirected, lying or malformed transaction refused before it is
//! broadcast.

use alloy::{
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, Bytes, U256, keccak256},
    providers::{Provider, ProviderBuilder, SendableTx},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use axum::Router;
use dnavault_protocol::{VaultRegistry::requestAccessCall, purpose::Purpose};
use dnavault_testkit::TestChain;
use serde_json::{Value, json};

use crate::{app_over, brca_counts, sent, sqlite};

async fn post(app: &Router, body: String) -> (u16, Value) {
    crate::api::post_documented(app, "/api/requests", body).await
}

/// A request for vault 1's BRCA allele counts, `scope` as given (the descriptor's own hash when `None`).
fn request_call(scope: Option<alloy::primitives::B256>, now: u64) -> requestAccessCall {
    let descriptor = brca_counts();
    requestAccessCall {
        vaultId: U256::from(1),
        scope: scope.unwrap_or(descriptor.scope()),
        purpose: Purpose::parse("HMB+NCU").unwrap().to_bytes16(),
        requestedExpiry: now + 30 * 86_400,
        protocolHash: keccak256("the protocol"),
        protocolUri: "https://protocol.example/1".into(),
        descriptor: serde_json::to_string(&descriptor).unwrap(),
    }
}

/// `tx` filled from the chain (nonce, gas, fees, chain id unless set) and signed by `signer`, not sent.
async fn signed(chain: &TestChain, signer: &PrivateKeySigner, tx: TransactionRequest) -> Bytes {
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(chain.endpoint_url());
    let tx = tx.with_from(signer.address()).with_gas_limit(2_000_000);
    match provider.fill(tx).await.unwrap() {
        SendableTx::Envelope(envelope) => envelope.encoded_2718().into(),
        SendableTx::Builder(_) => panic!("the wallet did not sign"),
    }
}

fn to_registry(chain: &TestChain, input: Vec<u8>) -> TransactionRequest {
    TransactionRequest::default()
        .with_to(chain.registry_address())
        .with_input(input)
}

/// A chain with vault 1, and the website over it.
async fn a_vault_and_its_website() -> (TestChain, tempfile::TempDir, Router) {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    sent(chain.registry_as(&chain.signer(1)).registerVault("".into())).await;
    let app = app_over(&chain, sqlite(&dir).await);
    (chain, dir, app)
}

async fn nonce(chain: &TestChain, account: Address) -> u64 {
    chain
        .provider()
        .get_transaction_count(account)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_request_is_broadcast_once_and_paid_for_by_its_researcher() {
    let (chain, _dir, app) = a_vault_and_its_website().await;
    let researcher = chain.signer(2);
    let now = chain.latest_timestamp().await.unwrap();
    let raw = signed(
        &chain,
        &researcher,
        to_registry(&chain, request_call(None, now).abi_encode()),
    )
    .await;

    let (status, filed) = post(&app, json!({ "transaction": raw }).to_string()).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["requestId"], 1);
    assert_eq!(filed["vaultId"], 1);
    assert_eq!(filed["researcher"], researcher.address().to_checksum(None));
    let stored = chain
        .registry()
        .accessRequest(U256::from(1))
        .call()
        .await
        .unwrap();
    assert_eq!(stored.researcher, researcher.address());
    assert_eq!(stored.scope, brca_counts().scope());
    let hash = filed["transaction"].as_str().unwrap().parse().unwrap();
    let tx = chain
        .provider()
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        tx.inner.signer(),
        researcher.address(),
        "the researcher paid"
    );

    // The same transaction again is void: its nonce is spent.
    let (status, refusal) = post(&app, json!({ "transaction": raw }).to_string()).await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (409, Some("nonce")),
        "{refusal}"
    );
    assert!(
        refusal["error"]
            .as_str()
            .unwrap()
            .contains("sign the request again")
    );
}

#[tokio::test]
async fn transactions_that_are_not_this_registrys_request_are_never_broadcast() {
    let (chain, _dir, app) = a_vault_and_its_website().await;
    let researcher = chain.signer(2);
    let now = chain.latest_timestamp().await.unwrap();
    let good = request_call(None, now).abi_encode();
    let mut no_vault = request_call(None, now);
    no_vault.vaultId = U256::from(9);
    let register = dnavault_protocol::VaultRegistry::registerVaultCall { uri: "x".into() };
    let cases = [
        (
            "signed for another chain",
            to_registry(&chain, good.clone()).with_chain_id(1),
            422,
            "chain",
        ),
        (
            "sent to another contract",
            to_registry(&chain, good.clone()).with_to(Address::repeat_byte(7)),
            422,
            "recipient",
        ),
        (
            "carrying ether",
            to_registry(&chain, good.clone()).with_value(U256::from(1)),
            422,
            "recipient",
        ),
        (
            "another registry call",
            to_registry(&chain, register.abi_encode()),
            422,
            "call",
        ),
        (
            "a descriptor that is not what its scope names",
            to_registry(
                &chain,
                request_call(Some(keccak256("something else")), now).abi_encode(),
            ),
            422,
            "descriptor",
        ),
        (
            "for a vault that does not exist",
            to_registry(&chain, no_vault.abi_encode()),
            409,
            "registry",
        ),
    ];
    for (what, tx, status, check) in cases {
        let raw = signed(&chain, &researcher, tx).await;
        let (got, refusal) = post(&app, json!({ "transaction": raw }).to_string()).await;
        assert_eq!(
            (got, refusal["check"].as_str()),
            (status, Some(check)),
            "{what}: {refusal}"
        );
    }
    // An account with no ether: the website does not pay for it.
    let poor = PrivateKeySigner::random();
    let tx = to_registry(&chain, good.clone())
        .with_from(poor.address())
        .with_nonce(0)
        .with_chain_id(chain.chain_id())
        .with_gas_limit(500_000)
        .with_max_fee_per_gas(2_000_000_000)
        .with_max_priority_fee_per_gas(1);
    let raw: Bytes = tx
        .build(&EthereumWallet::from(poor))
        .await
        .unwrap()
        .encoded_2718()
        .into();
    let (got, refusal) = post(&app, json!({ "transaction": raw }).to_string()).await;
    assert_eq!(
        (got, refusal["check"].as_str()),
        (422, Some("funds")),
        "{refusal}"
    );
    for (what, body, status, check) in [
        (
            "not a transaction",
            json!({ "transaction": "0x02c0ffee" }).to_string(),
            400,
            "transaction",
        ),
        ("not JSON", "{".to_owned(), 400, "body"),
        (
            "oversize",
            json!({ "transaction": format!("0x{}", "00".repeat(300 * 1024)) }).to_string(),
            413,
            "body",
        ),
    ] {
        let (got, refusal) = post(&app, body).await;
        assert_eq!(
            (got, refusal["check"].as_str()),
            (status, Some(check)),
            "{what}: {refusal}"
        );
    }
    assert_eq!(
        nonce(&chain, researcher.address()).await,
        0,
        "nothing was broadcast"
    );
    let first = chain.registry().accessRequest(U256::from(1)).call().await;
    assert!(first.is_err(), "no request was filed");
}

#[tokio::test]
async fn the_review_page_files_a_pasted_signed_request() {
    let (chain, _dir, app) = a_vault_and_its_website().await;
    let now = chain.latest_timestamp().await.unwrap();
    let raw = signed(
        &chain,
        &chain.signer(2),
        to_registry(&chain, request_call(None, now).abi_encode()),
    )
    .await;
    // What `--sign-only --json` prints, pasted whole.
    let pasted = json!({ "transaction": raw, "hash": "0x00", "nonce": 0 }).to_string();
    let form = format!("signed={}", urlencoding(&pasted));
    let (status, page) = crate::pages::post_form(&app, "/requests/file", &form).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Access request 1 is filed"), "{page}");
    assert!(page.contains("href=\"/requests/1\""), "{page}");

    let (status, page) = crate::pages::post_form(&app, "/requests/file", "signed=hello").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("paste the 0x"), "{page}");
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
