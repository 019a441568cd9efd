//! The website in a real browser: Debian's Chromium driven by playwright-core (`web/browser/stories.mjs`)
//! on a desktop and a Pixel 7 profile, against a local stack (Anvil, a real vault on the simulated
//! platform, the website process): the directory, a vault page and its verifier view, the access requests,
//! sign-in with dnavault-wallet and with a browser wallet, the dashboard, a researcher's request built in
//! words and filed through a browser wallet. Screenshots of every step are kept
//! in `target/screenshots/web/`.

use std::process::Command;

use alloy::primitives::{U256, keccak256};
use dnavault_protocol::{descriptor::Descriptor, purpose::Purpose};
use dnavault_tests::{WALLET_PASSWORD, binary, boot_with, chain_with_vault, web::WebProcess};

#[tokio::test(flavor = "multi_thread")]
async fn the_websites_stories_pass_in_chromium_on_a_desktop_and_a_phone() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: script/test installs Debian's chromium"
    );
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) =
        tokio::task::block_in_place(|| boot_with(&chain, dir.path(), &[], &["boot", "--bind-key"]));
    let registry = chain.registry_as(&owner);
    let set_uri = registry.setVaultUri(U256::from(1), vault.url.clone());
    assert!(
        set_uri
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );
    // A researcher's pending request for allele counts inside the BRCA panel, for non-commercial research.
    let descriptor = Descriptor::AlleleCounts {
        panel: serde_json::from_str(dnavault_protocol::descriptor::PANELS[0].1).unwrap(),
    };
    let now = chain.latest_timestamp().await.unwrap();
    let researcher = chain.registry_as(&chain.signer(2));
    let request = researcher.requestAccess(
        U256::from(1),
        descriptor.scope(),
        Purpose::parse("HMB+NCU").unwrap().to_bytes16(),
        now + 30 * 86_400,
        keccak256("the protocol"),
        "https://protocol.example/brca".into(),
        serde_json::to_string(&descriptor).unwrap(),
    );
    assert!(
        request
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );

    let roots = vault.roots.display().to_string();
    let web = WebProcess::start(&chain, dir.path(), &["--accept-test-platform", &roots]);
    web.indexed_with(&chain).await;

    let shots = binary("dnavault-web")
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap()
        .join("screenshots/web");
    let script = format!("{}/../web/browser/stories.mjs", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::task::block_in_place(|| {
        Command::new("node")
            .arg(&script)
            .env("WEB_URL", &web.url)
            .env("SHOTS", &shots)
            .env("CHROMIUM", &chromium)
            .env("WALLET", binary("dnavault-wallet"))
            .env("WALLET_HOME", wallet.home())
            .env("DNAVAULT_PASSWORD", WALLET_PASSWORD)
            .env("OWNER", owner.address().to_checksum(None))
            .env("RPC_URL", chain.endpoint_url().as_str())
            .env("RESEARCHER", chain.signer(2).address().to_checksum(None))
            .output()
            .unwrap()
    });
    let printed = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser stories failed:\n{printed}"
    );
    // Each profile filed one request through the researcher's browser wallet: with the first, three.
    web.indexed_with(&chain).await;
    let researcher = chain.signer(2).address();
    let (_, filed) = web
        .get(&format!("/api/requests?researcher={researcher}"))
        .await;
    assert_eq!(filed["requests"].as_array().unwrap().len(), 3, "{filed:#}");
    assert!(
        filed["requests"][0]["analysis"]["unreadable"].is_null(),
        "{filed:#}"
    );
    for profile in ["desktop", "pixel-7"] {
        assert!(
            printed.contains(&format!("{profile}: every story passed")),
            "{printed}"
        );
        let dashboard = shots.join(format!("{profile}-signin-cli-2-dashboard.png"));
        assert!(dashboard.exists(), "no screenshot {}", dashboard.display());
    }
    drop(vault);
}
