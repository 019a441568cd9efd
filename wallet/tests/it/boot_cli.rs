//! `dnavault-wallet boot` on Anvil: a simulated vault's request is verified and answered, or refused.

use alloy::primitives::{B256, U256};
use dnavault_attest::{
    ReportDataBinding,
    simulated::{GuestConfig, SimulatedPlatform},
};
use dnavault_envelope::{RecipientKey, context, data_key_aad};
use dnavault_keys::SeedPhrase;
use dnavault_protocol::boot::{BootRequest, BootResponse};
use dnavault_ratls::{ServerIdentity, serve};
use dnavault_testkit::TestChain;

use crate::{ANVIL_WORDS, Wallet};

#[tokio::test(flavor = "multi_thread")]
async fn boot_answers_a_verified_request_and_refuses_a_simulated_one_by_default() {
    let chain = chain_with_vault().await;

    let platform = SimulatedPlatform::new().unwrap();
    let hpke = RecipientKey::generate();
    let (request, binding) = simulated_request(&chain, &platform, &hpke, [0x55; 32]);
    let wallet = Wallet::restored(ANVIL_WORDS);
    let request_file = wallet.write(
        "boot-request.json",
        &serde_json::to_string(&request).unwrap(),
    );
    let bundle = wallet.write("test-root.pem", platform.root_bundle_pem());
    let rpc = chain.endpoint_url().to_string();
    let registry = chain.registry_address().to_string();
    let base = [
        "boot",
        "--request",
        request_file.to_str().unwrap(),
        "--index",
        "1",
        "--rpc-url",
        &rpc,
        "--registry",
        &registry,
    ];

    let refused = wallet.run(&[&["--yes"][..], &base].concat());
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("does not chain to AMD"),
        "without --accept-test-platform only AMD roots count: {}",
        refused.stderr
    );

    let mut args = vec!["--json", "--yes"];
    args.extend_from_slice(&base);
    args.extend_from_slice(&["--accept-test-platform", bundle.to_str().unwrap()]);
    let run = wallet.run(&args);
    assert!(run.stderr.contains("SIMULATED PLATFORM"), "{}", run.stderr);
    let response: BootResponse = serde_json::from_value(run.json()).unwrap();
    let envelope = dnavault_envelope::Envelope::from_bytes(&response.wrapped_data_key).unwrap();
    let aad = data_key_aad(chain.chain_id(), &chain.registry_address().into_array(), 1);
    let key = dnavault_envelope::open(&hpke, &envelope, context::DATA_KEY, &aad).unwrap();
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    assert_eq!(
        &key[..],
        seed.data_key(chain.chain_id(), chain.registry_address(), 1)
            .unwrap()
            .expose()
    );
    assert_eq!(response.approval.bootNonce, B256::from(binding.nonce));
}

/// A boot request from a simulated vault 1 with measurement 0x33.., binding `tls_spki_sha256`.
fn simulated_request(
    chain: &TestChain,
    platform: &SimulatedPlatform,
    hpke: &RecipientKey,
    tls_spki_sha256: [u8; 32],
) -> (BootRequest, ReportDataBinding) {
    let binding = ReportDataBinding {
        vault_key: [0x44; 20],
        hpke_public_key: hpke.public_key().to_bytes(),
        tls_spki_sha256,
        chain_view: chain.chain_view().hash().0,
        nonce: [0x66; 32],
    };
    let evidence = platform
        .attest(&GuestConfig::vault([0x33; 48], binding.report_data()))
        .unwrap();
    let request = BootRequest {
        chain: chain.chain_view(),
        vault_id: U256::from(1),
        vault_key: binding.vault_key.into(),
        hpke_public_key: B256::from(binding.hpke_public_key),
        tls_spki_sha256: B256::from(binding.tls_spki_sha256),
        boot_nonce: B256::from(binding.nonce),
        report: evidence.report.into(),
        endorsement_key: evidence.endorsement_key.into(),
        product: Some("Milan".into()),
    };
    (request, binding)
}

/// Serves `request` at `/v1/boot` over TLS with `identity`; answers a POSTed response with `unsealed` and
/// passes it on.
async fn serve_request(
    identity: ServerIdentity,
    request: BootRequest,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<BootResponse>) {
    let (delivered, received) = tokio::sync::mpsc::unbounded_channel();
    let router = axum::Router::new().route(
        "/v1/boot",
        axum::routing::get(move || async move { axum::Json(request) }).post(
            move |axum::Json(response): axum::Json<BootResponse>| async move {
                let _ = delivered.send(response);
                axum::Json(serde_json::json!({ "state": "unsealed" }))
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { serve(listener, &identity, router, std::future::pending()).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread")]
async fn boot_from_a_vault_url_delivers_only_to_the_attested_tls_key() {
    let chain = chain_with_vault().await;
    let platform = SimulatedPlatform::new().unwrap();
    let hpke = RecipientKey::generate();
    let wallet = Wallet::restored(ANVIL_WORDS);
    let bundle = wallet.write("test-root.pem", platform.root_bundle_pem());
    let rpc = chain.endpoint_url().to_string();
    let registry = chain.registry_address().to_string();
    let boot = |url: &str| {
        wallet.run(&[
            "--yes",
            "boot",
            "--vault",
            url,
            "--index",
            "1",
            "--rpc-url",
            &rpc,
            "--registry",
            &registry,
            "--accept-test-platform",
            bundle.to_str().unwrap(),
        ])
    };

    // The vault serves with the TLS key its report binds: the approval is delivered to it.
    let key = rcgen::KeyPair::generate().unwrap();
    let identity = ServerIdentity::self_signed(&key, vec!["localhost".into()]).unwrap();
    let (request, binding) = simulated_request(&chain, &platform, &hpke, identity.spki_sha256());
    let (url, mut delivered) = serve_request(identity, request).await;
    let run = tokio::task::block_in_place(|| boot(&url));
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("Vault 1 is unsealed."), "{}", run.all());
    let response = delivered
        .try_recv()
        .expect("the approval reached the vault");
    assert_eq!(response.approval.bootNonce, B256::from(binding.nonce));

    // Another TLS key serves a genuine request (a relay, or an impostor replaying evidence): refused before
    // anything is signed or sent.
    let other = rcgen::KeyPair::generate().unwrap();
    let impostor = ServerIdentity::self_signed(&other, vec!["localhost".into()]).unwrap();
    let (request, _) = simulated_request(&chain, &platform, &hpke, identity_spki(&key));
    let (url, mut delivered) = serve_request(impostor, request).await;
    let run = tokio::task::block_in_place(|| boot(&url));
    run.refused("does not bind");
    assert!(delivered.try_recv().is_err(), "nothing was delivered");
}

fn identity_spki(key: &rcgen::KeyPair) -> [u8; 32] {
    ServerIdentity::self_signed(key, vec!["localhost".into()])
        .unwrap()
        .spki_sha256()
}

/// Anvil with vault 1, owned by account 1, with measurement 0x33.. approved.
async fn chain_with_vault() -> TestChain {
    let chain = TestChain::start().await.unwrap();
    chain.register_vault(&chain.signer(1), "").await.unwrap();
    chain
        .approve_measurement(&chain.signer(1), U256::from(1), &[0x33; 48])
        .await
        .unwrap();
    chain
}
