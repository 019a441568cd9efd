//! A boot carried through the relay between real processes: the sealed vault posts its boot request to its
//! owner's inbox (the website's relay verifies its attestation before filing it), the owner's wallet lists
//! it in words and answers it after checking the vault as `boot` does, and the vault takes the answer and
//! unseals. A message answered is gone; one never paired for is never filed.

use std::time::Duration;

use dnavault_protocol::VaultStatus;
use dnavault_ratls::{Client, Pin};
use dnavault_tests::{WalletCli, chain_with_vault, start_vault_with, web};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_vault_is_booted_through_the_relay_by_its_owners_wallet() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let relay = format!("http://127.0.0.1:{}", web::free_port());
    // The vault starts first (the website's verifier needs its simulated platform's roots) and keeps
    // asking until the relay answers and its owner has paired an inbox.
    let vault = start_vault_with(&dir.path().join("vault"), &chain, &["--relay", &relay]);
    let roots = vault.roots.display().to_string();
    let listen = relay.trim_start_matches("http://");
    let website = web::WebProcess::start_at(
        &chain,
        dir.path(),
        listen,
        &["--accept-test-platform", &roots],
    );
    website.indexed_with(&chain).await;

    let wallet = WalletCli::restored();
    let rpc = chain.endpoint_url().to_string();
    let registry = chain.registry_address().to_string();
    let inbox = |command: &str, extra: &[&str]| {
        let mut args = vec!["--json", "--yes", "inbox", command, "--relay", &relay];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--index", "1", "--rpc-url", &rpc, "--registry", &registry]);
        tokio::task::block_in_place(|| wallet.run(&args))
    };
    let paired = inbox("pair", &[]);
    assert!(paired.ok, "{}", paired.stderr);

    // The boot request arrives, shown in words.
    let mut waiting = Value::Null;
    for _ in 0..100 {
        let listed = inbox("list", &[]);
        assert!(listed.ok, "{}", listed.stderr);
        waiting = serde_json::from_str(&listed.stdout).unwrap();
        if !waiting["messages"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let message = &waiting["messages"][0];
    let words = message["words"].as_str().unwrap();
    assert!(
        words.contains("vault 1") && words.contains("asks you to boot it"),
        "{waiting:#}"
    );
    let nonce = message["nonce"].as_str().unwrap().to_owned();

    let answered = inbox(
        "answer",
        &["--message", &nonce, "--accept-test-platform", &roots],
    );
    assert!(answered.ok, "{}{}", answered.stdout, answered.stderr);

    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let mut state = String::new();
    for _ in 0..100 {
        let status: VaultStatus = client.get("v1/status").await.unwrap().value;
        state = serde_json::to_value(status.state)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        if state == "unsealed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        state, "unsealed",
        "the vault did not take the relayed answer"
    );

    // Answered and acknowledged: nothing waits, and the same message cannot be answered again.
    let listed = inbox("list", &[]);
    let after: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        after["messages"].as_array().unwrap().is_empty(),
        "{after:#}"
    );
    let again = inbox(
        "answer",
        &["--message", &nonce, "--accept-test-platform", &roots],
    );
    assert!(
        !again.ok && again.stderr.contains("no message"),
        "{}",
        again.stderr
    );
    drop(vault);
}
