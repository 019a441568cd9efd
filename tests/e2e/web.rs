//! The website's verifier view against a real vault on the simulated platform: the website fetches the
//! vault's attestation from the URI its owner published and checks it itself.

use alloy::primitives::U256;
use dnavault_tests::{
    MEASUREMENT, VaultProcess, WalletCli, boot_with, chain_with_vault, publish_vault_uri,
    web::WebProcess,
};

/// Vault 1 booted with its key bound and its URI published, and a website that accepts its simulated
/// platform.
async fn published(
    dir: &std::path::Path,
) -> (
    dnavault_testkit::TestChain,
    dnavault_keys::Seed,
    alloy::signers::local::PrivateKeySigner,
    VaultProcess,
    WalletCli,
    WebProcess,
) {
    let (chain, seed, owner) = chain_with_vault().await;
    let (vault, wallet) =
        tokio::task::block_in_place(|| boot_with(&chain, dir, &[], &["boot", "--bind-key"]));
    publish_vault_uri(&chain, &owner, &vault.url).await;
    let roots = vault.roots.display().to_string();
    let web = WebProcess::start(&chain, dir, &["--accept-test-platform", &roots]);
    web.indexed_with(&chain).await;
    (chain, seed, owner, vault, wallet, web)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_verifier_view_checks_a_real_vault_and_fails_when_its_code_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, _seed, owner, vault, _wallet, web) = published(dir.path()).await;
    let registry = chain.registry_as(&owner);

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

/// A researcher whose wallet signs the request without sending it files it through the website, which
/// broadcasts it once: the index then shows it pending, and the same transaction again is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_the_wallet_signed_only_is_filed_through_the_website() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let web = WebProcess::start(&chain, dir.path(), &[]);
    let wallet = WalletCli::restored();
    let protocol = dir.path().join("protocol.txt");
    std::fs::write(&protocol, "We study BRCA1/BRCA2 allele frequencies.\n").unwrap();
    let descriptor = dir.path().join("request.json");
    let panel = dnavault_protocol::descriptor::PANELS[0].1;
    let counts = dnavault_protocol::descriptor::Descriptor::AlleleCounts {
        panel: serde_json::from_str(panel).unwrap(),
    };
    std::fs::write(&descriptor, serde_json::to_string(&counts).unwrap()).unwrap();
    let (rpc, registry) = (
        chain.endpoint_url().to_string(),
        chain.registry_address().to_string(),
    );
    let run = tokio::task::block_in_place(|| {
        wallet.run(&[
            "--json",
            "--yes",
            "request-access",
            "--vault",
            "1",
            "--descriptor",
            descriptor.to_str().unwrap(),
            "--purpose",
            "HMB",
            "--expiry",
            "90d",
            "--protocol-file",
            protocol.to_str().unwrap(),
            "--protocol-uri",
            "https://lab.example/protocol",
            "--index",
            "2",
            "--rpc-url",
            &rpc,
            "--registry",
            &registry,
            "--sign-only",
        ])
    });
    assert!(run.ok, "{}", run.stderr);
    let signed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let researcher = chain.signer(2).address();
    assert_eq!(signed["from"].as_str().unwrap().parse(), Ok(researcher));
    assert!(
        chain
            .registry()
            .accessRequest(U256::from(1))
            .call()
            .await
            .is_err(),
        "signing alone files nothing"
    );

    let body = serde_json::json!({ "transaction": signed["transaction"] });
    let (status, filed) = web.post("/api/requests", &body).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["transaction"], signed["hash"]);
    web.indexed_with(&chain).await;
    let (status, request) = web.get("/api/requests/1").await;
    assert_eq!(status, 200, "{request}");
    assert_eq!(request["status"], "pending", "{request}");
    assert_eq!(request["researcher"], researcher.to_checksum(None));

    let (status, refusal) = web.post("/api/requests", &body).await;
    assert_eq!(
        (status, refusal["check"].as_str()),
        (409, Some("nonce")),
        "{refusal}"
    );
}

/// The website carries the owner's audit read to a real vault and its sealed answer back: the owner's wallet
/// library reads the whole log through it and checks it under its own key, while what the website handled
/// names none of the log's entries. A stranger's read is refused by the vault, and the refusal carried.
#[tokio::test(flavor = "multi_thread")]
async fn the_website_carries_an_audit_read_it_cannot_read() {
    use dnavault_protocol::audit::AuditPage;
    use dnavault_wallet::{
        audit::{AuditRead, Header, fetch_through_website, read_checked},
        registry::Connection,
    };

    let dir = tempfile::tempdir().unwrap();
    let (chain, seed, owner, vault, _wallet, web) = published(dir.path()).await;

    // Through the app's own fetch, keeping what the website handed over.
    let website: alloy::transports::http::reqwest::Url = web.url.parse().unwrap();
    let carried = std::sync::Mutex::new(Vec::<String>::new());
    let fetch = async |header: Header<'_>, page: Option<AuditPage>| {
        let sealed = fetch_through_website(&website, 1, header, page).await?;
        carried
            .lock()
            .unwrap()
            .push(serde_json::to_string(&sealed).unwrap());
        Ok::<_, String>(sealed)
    };
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        owner.clone(),
    )
    .await
    .unwrap();
    let now = dnavault_protocol::clock::unix_now().unwrap();
    let (log, checked) = read_checked(&seed, 1, &connection, 1, now, fetch)
        .await
        .unwrap();
    assert!(
        log.entries.iter().any(|e| e.action == "audit-chain-start"),
        "{:?}",
        log.entries
    );
    assert_eq!(checked.head.seq, log.entries.last().unwrap().seq as u64);
    for body in carried.lock().unwrap().iter() {
        for entry in &log.entries {
            assert!(
                !body.contains(&entry.detail),
                "the website saw {:?}",
                entry.detail
            );
        }
    }

    // A stranger's read: the vault refuses it and the website says so.
    let deployment = connection.deployment();
    let stranger = AuditRead::sign(&chain.signer(4), deployment, 1, now)
        .await
        .unwrap();
    let (name, value) = stranger.header();
    let response = alloy::transports::http::reqwest::Client::new()
        .get(format!("{}/api/vaults/1/audit", web.url))
        .header(name, value)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let refusal: serde_json::Value = response.json().await.unwrap();
    assert!(
        refusal["error"]
            .as_str()
            .unwrap()
            .contains("not signed by vault 1's owner"),
        "{refusal}"
    );
    // The app's fetch passes the vault's words on.
    let said = fetch_through_website(&website, 1, stranger.header(), None)
        .await
        .unwrap_err();
    assert!(
        said.contains("403") && said.contains("not signed by vault 1's owner"),
        "{said}"
    );
    let (status, refusal) = web.get("/api/vaults/1/audit").await;
    assert_eq!(status, 401, "{refusal}");
    drop(vault);
}
