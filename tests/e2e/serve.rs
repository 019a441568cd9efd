//! Serving and sealing: the boot exchange over attested TLS, refusals, seal, and a wrong chain.

use dnavault_protocol::boot::{BootRequest, BootResponse};
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_testkit::TestChain;
use dnavault_wallet::{boot, registry::Connection};
use serde_json::Value;

use dnavault_tests::{
    MEASUREMENT, chain_with_vault, control, found_in, start_vault, vault_command,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_served_vault_boots_on_approval_and_seal_wipes_it() {
    let (chain, seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let mut vault = start_vault(&dir.path().join("vault"), &chain);

    // The owner's side, as `dnavault-wallet boot --vault URL` does it.
    let fetched = Client::new(&vault.url, Pin::Report)
        .unwrap()
        .get::<BootRequest>("v1/boot")
        .await
        .unwrap();
    assert_eq!(fetched.spki_sha256, fetched.value.tls_spki_sha256.0);
    assert_eq!(fetched.spki_sha256, vault.tls_spki);
    let pem = std::fs::read(&vault.roots).unwrap();
    let verifier =
        dnavault_attest::vault::verifier(Some(&pem), dnavault_attest::Policy::default()).unwrap();
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        owner.clone(),
    )
    .await
    .unwrap();
    let checked = boot::check(&fetched.value, &connection, &verifier, &owner)
        .await
        .unwrap();
    let response = boot::answer(&checked, &seed, &owner).await.unwrap();
    let pinned = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();

    // A response whose wrapped key is not the approved one is refused, and the vault stays sealed.
    let mut swapped = response.clone();
    let mut wrapped = swapped.wrapped_data_key.to_vec();
    let last = wrapped.len() - 1;
    wrapped[last] ^= 1;
    swapped.wrapped_data_key = wrapped.into();
    let refused = pinned
        .post::<_, Value>("v1/boot", &swapped)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, RatlsError::Status { status: 403, message, .. } if message.contains("not the one the owner approved")),
        "{refused}"
    );
    // Malformed JSON is refused with the reason.
    let malformed = pinned
        .post::<_, Value>("v1/boot", &serde_json::json!({ "approval": 1 }))
        .await
        .unwrap_err();
    assert!(
        matches!(malformed, RatlsError::Status { status: 400, .. }),
        "{malformed}"
    );
    let status = pinned.get::<Value>("v1/status").await.unwrap().value;
    assert_eq!(status["state"], "sealed");

    let status = pinned
        .post::<BootResponse, Value>("v1/boot", &response)
        .await
        .unwrap()
        .value;
    assert_eq!(status["state"], "unsealed");
    assert_eq!(status["measurement"], MEASUREMENT);
    // The same approval again: the vault is no longer waiting for one.
    let replay = pinned
        .post::<_, Value>("v1/boot", &response)
        .await
        .unwrap_err();
    assert!(
        matches!(replay, RatlsError::Status { status: 409, .. }),
        "{replay}"
    );
    let (ok, text) = control(&vault.data_dir, "status");
    assert!(ok, "{text}");
    assert!(text.contains("\"state\":\"unsealed\""), "{text}");

    // Seal: the vault wipes its keys and exits; its control socket goes with it.
    let (ok, text) = control(&vault.data_dir, "seal");
    assert!(ok && text.contains("sealed"), "{text}");
    let exit = vault.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(!vault.data_dir.join("control.sock").exists());
    let (ok, text) = control(&vault.data_dir, "seal");
    assert!(!ok && text.contains("no vault is running"), "{text}");

    // The data key is nowhere in the vault's files.
    let data_key = seed
        .data_key(chain.chain_id(), chain.registry_address(), 1)
        .unwrap();
    assert_eq!(
        found_in(&vault.data_dir, data_key.expose().as_slice()),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_refuses_to_start_on_the_wrong_chain() {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = vault_command(&dir.path().join("vault"), &chain, 1)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "serves chain {}, the vault belongs to chain 1",
            chain.chain_id()
        )),
        "{stderr}"
    );
}
