//! The website's verifier view against a real vault on the simulated platform: the website fetches the
//! vault's attestation from the URI its owner published and checks it itself.

use alloy::primitives::U256;
use dnavault_tests::{MEASUREMENT, boot_with, chain_with_vault, web::WebProcess};

#[tokio::test(flavor = "multi_thread")]
async fn the_verifier_view_checks_a_real_vault_and_fails_when_its_code_is_revoked() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) =
        tokio::task::block_in_place(|| boot_with(&chain, dir.path(), &[], &["boot", "--bind-key"]));
    let registry = chain.registry_as(&owner);
    let receipt = registry
        .setVaultUri(U256::from(1), vault.url.clone())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let roots = vault.roots.display().to_string();
    let web = WebProcess::start(&chain, dir.path(), &["--accept-test-platform", &roots]);
    web.indexed_with(&chain).await;

    let (status, view) = web.get("/api/vaults/1/verification").await;
    assert_eq!(status, 200);
    let outcome = |name: &str| {
        let check = view["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {view:#}"));
        (
            check["outcome"].as_str().unwrap().to_owned(),
            check["detail"].to_string(),
        )
    };
    // Everything holds, but the platform is simulated, and the view says so first.
    assert_eq!(view["outcome"], "warn", "{view:#}");
    assert!(
        view["verdict"].as_str().unwrap().contains("SIMULATED"),
        "{view:#}"
    );
    for name in ["Evidence", "Code", "TCB", "Binding", "Key on-chain"] {
        assert_eq!(outcome(name).0, "pass", "{name}: {view:#}");
    }
    assert!(outcome("Code").1.contains(MEASUREMENT));

    // A website that accepts only AMD's roots refuses the simulated platform outright.
    let strict_dir = tempfile::tempdir().unwrap();
    let strict = WebProcess::start(&chain, strict_dir.path(), &[]);
    strict.indexed_with(&chain).await;
    let (_, view) = strict.get("/api/vaults/1/verification").await;
    assert_eq!(view["outcome"], "fail", "{view:#}");
    assert_eq!(view["checks"][1]["name"], "Report", "{view:#}");
    assert!(
        view["verdict"]
            .as_str()
            .unwrap()
            .contains("AMD's Milan root"),
        "{view:#}"
    );
    // The owner withdraws the code: the vault is no longer verified.
    let measurement = hex::decode(MEASUREMENT).unwrap();
    let receipt = registry
        .revokeMeasurement(U256::from(1), measurement.into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    web.indexed_with(&chain).await;
    let (_, view) = web.get("/api/vaults/1/verification").await;
    assert_eq!(view["outcome"], "fail", "{view:#}");
    // The vault seals itself when it sees the revocation: the view finds either.
    let verdict = view["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("approved, then revoked") || verdict.contains("could not be fetched"),
        "{view:#}"
    );

    drop(vault);
}
