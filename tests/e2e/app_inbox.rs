//! The phone app's inbox against real processes (`app/browser/inbox.mjs` in Chromium's Pixel 7 profile,
//! one persistent browser profile across its phases): a sealed vault on the simulated platform asks its
//! owner's phone to boot it through the website's relay; the app refuses it while it does not accept the
//! simulated platform, then checks it, shows it in words and, on a tap, releases the data key and binds the
//! vault's key on-chain through the website's relayer. Then a researcher under a grant that asks for each
//! query waits for the owner; the app shows the query in words and approves it, and the query runs. The
//! owner reads the audit log it left, sealed to the phone and carried by the website (and refused when the
//! website alters it). The vault asks to run new code, and the app approves it. Then a researcher's access
//! request is granted from the app (on the chain's terms, while the website lies about them), and revoked.
//! The vault asks to install an analysis tool, and the app shows its manifest in words and installs it.
//! Then the same words pair an iPhone (Chromium's iPhone 15 profile, its own browser profile), whose inbox,
//! now the newest, gets the next round of the same: a query, the log, new code, a grant and its revocation.

use std::{path::Path, process::Command, time::Duration};

use alloy::primitives::{Address, U256, keccak256};
use alloy::signers::local::PrivateKeySigner;
use dnavault_protocol::descriptor::{Descriptor, PANELS};
use dnavault_protocol::{VaultStatus, purpose::Purpose, query::QueryKind};
use dnavault_ratls::{Client, Pin};
use dnavault_testkit::TestChain;
use dnavault_tests::{
    VaultProcess, WalletCli, chain_with_vault_of, start_vault_with, testdata, web,
};

use crate::app::{bundle, chromium, passed, repository, shots};

/// The browser profile and app one story's phases share.
struct Phone<'a> {
    device: &'a str,
    app_url: &'a str,
    profile_dir: &'a std::path::Path,
    roots: &'a str,
}

/// Runs `phase` of the inbox story on `phone` with the phase's own settings (`env`); what it printed.
fn browser_phase(phase: &str, phone: &Phone<'_>, env: &[(&str, &str)]) -> String {
    let output = tokio::task::block_in_place(|| {
        Command::new("node")
            .args([&repository("app/browser/inbox.mjs"), phase])
            .env("APP_URL", phone.app_url)
            .env("PHONE", phone.device)
            .env("PROFILE_DIR", phone.profile_dir)
            .env("ROOTS", phone.roots)
            .envs(env.iter().copied())
            .env("SHOTS", shots())
            .env("CHROMIUM", chromium())
            .output()
            .unwrap()
    });
    let printed = passed(
        output,
        &format!("the app's inbox story ({phase}, {})", phone.device),
    );
    assert!(printed.contains(&format!("{phase} passed")), "{printed}");
    printed
}

/// The vault's status, once its state is `state` (or the last one seen after 20 s).
async fn status_once(vault: &VaultProcess, state: &str) -> VaultStatus {
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let mut status: VaultStatus = client.get("v1/status").await.unwrap().value;
    for _ in 0..100 {
        if serde_json::to_value(status.state).unwrap() == state {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = client.get("v1/status").await.unwrap().value;
    }
    status
}

/// What a phone's pass through the story runs against.
struct Stack<'a> {
    chain: &'a TestChain,
    owner: &'a PrivateKeySigner,
    researcher: &'a PrivateKeySigner,
    vault: &'a VaultProcess,
    website: &'a web::WebProcess,
    relay: &'a str,
    dir: &'a Path,
}

/// One phone's round: the new code it approves, the panel a researcher asks for and that request's number.
struct Round {
    code: String,
    panel: usize,
    request: u64,
}

/// A round on the paired `phone`: it approves a query (which then runs), reads the audit log, approves new
/// code (which lands on-chain), grants an access request filed on the chain and revokes it.
async fn answer_everything(stack: &Stack<'_>, phone: &Phone<'_>, round: &Round) {
    let (chain, researcher) = (stack.chain, stack.researcher);
    let counts = crate::grants::descriptor(QueryKind::AlleleCounts);
    let asking = crate::relay::ask_for_approval(
        chain,
        stack.vault,
        researcher,
        &counts,
        stack.relay,
        stack.dir,
    );
    browser_phase("query", phone, &[]);
    crate::relay::answered_with_counts(asking);
    // The owner reads the audit log the query left, through the website, which carries it sealed.
    browser_phase("audit", phone, &[]);

    // The vault asks to run new code; the owner approves it from the app, through the website's relayer.
    let asking = crate::relay::propose(stack.vault, &round.code);
    browser_phase("update", phone, &[("CODE", &round.code)]);
    let output = tokio::task::block_in_place(|| asking.wait_with_output().unwrap());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let registry = chain.registry();
    let code = alloy::hex::decode(&round.code).unwrap();
    let approved = registry
        .isMeasurementApproved(U256::from(1), code.into())
        .call()
        .await
        .unwrap();
    assert!(approved, "the new code is approved on-chain");

    // A researcher files an access request for a BRCA panel; the owner grants it from the request, on a
    // website that lies about it, then revokes it.
    let panel = Descriptor::AlleleCounts {
        panel: serde_json::from_str(PANELS[round.panel].1).unwrap(),
    };
    let scope = panel.scope();
    let now = chain.latest_timestamp().await.unwrap();
    let filed = chain
        .registry_as(researcher)
        .requestAccess(
            U256::from(1),
            scope,
            Purpose::parse("HMB").unwrap().to_bytes16(),
            now + 30 * 86_400,
            keccak256("the BRCA protocol"),
            "https://lab.example/brca".into(),
            serde_json::to_string(&panel).unwrap(),
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(filed.status());
    stack.website.indexed_with(chain).await;
    browser_phase("grant", phone, &[("REQUEST", &round.request.to_string())]);
    let who = researcher.address();
    assert!(
        registry
            .isAllowed(U256::from(1), who, scope)
            .call()
            .await
            .unwrap()
    );
    let granted = registry
        .grantOf(U256::from(1), who, scope)
        .call()
        .await
        .unwrap();
    assert_eq!((granted.maxQueries, granted.perQueryApproval), (10, true));
    let request = registry
        .accessRequest(U256::from(round.request))
        .call()
        .await
        .unwrap();
    assert_eq!(request.status, 2, "the request is marked granted");

    stack.website.indexed_with(chain).await;
    let before = crate::relay::sent_by(chain, stack.owner.address()).await;
    browser_phase("revoke", phone, &[("SCOPE", &scope.to_string())]);
    assert!(
        !registry
            .isAllowed(U256::from(1), who, scope)
            .call()
            .await
            .unwrap()
    );
    assert_eq!(
        crate::relay::sent_by(chain, stack.owner.address()).await,
        before + 1,
        "the owner's own account sent the revocation"
    );
}

/// The vault asks to install bcftools; the owner reads its manifest in words and installs it from the app,
/// through the website's relayer.
async fn install_tool(stack: &Stack<'_>, phone: &Phone<'_>) {
    use crate::tool_install::{bcftools_positions, ended, propose_tool, written};
    let tool = bcftools_positions();
    let asking = propose_tool(stack.vault, &written(stack.dir, "bcftools.json", &tool));
    browser_phase("tool", phone, &[("TOOL", &tool.id().to_string())]);
    let (ok, said) = ended(asking);
    assert!(ok, "{said}");
    let installed = stack
        .chain
        .registry()
        .isToolApproved(U256::from(1), tool.id())
        .call()
        .await
        .unwrap();
    assert!(installed, "the tool is installed on-chain");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_boots_a_vault_and_approves_a_query_through_the_relay() {
    // The app signs as account 0 of its words: here Anvil's, whose account 0 owns vault 1.
    let (chain, _seed, owner) = chain_with_vault_of(0).await;
    let dir = tempfile::tempdir().unwrap();
    let relay = format!("http://127.0.0.1:{}", web::free_port());
    let vault = start_vault_with(&dir.path().join("vault"), &chain, &["--relay", &relay]);
    let roots = vault.roots.display().to_string();
    // The vault's URI on-chain: where the website reaches it to carry the owner's audit read.
    dnavault_tests::publish_vault_uri(&chain, &owner, &vault.url).await;
    let relayer_key = dir.path().join("relayer.key");
    std::fs::write(&relayer_key, alloy::hex::encode(chain.signer(3).to_bytes())).unwrap();
    let app_dir = bundle();
    let website = web::WebProcess::start_at(
        &chain,
        dir.path(),
        relay.trim_start_matches("http://"),
        &[
            "--accept-test-platform",
            &roots,
            "--app-dir",
            app_dir.to_str().unwrap(),
            "--relayer-key-file",
            relayer_key.to_str().unwrap(),
        ],
    );
    website.indexed_with(&chain).await;
    // Passkeys need a domain: WebAuthn refuses an IP address as the relying party.
    let app_url = format!("{}/app/", relay.replace("127.0.0.1", "localhost"));
    let (pixel_profile, iphone_profile) =
        (dir.path().join("pixel-7"), dir.path().join("iphone-15"));
    let pixel = Phone {
        device: "pixel-7",
        app_url: &app_url,
        profile_dir: &pixel_profile,
        roots: &roots,
    };

    let printed = browser_phase("boot", &pixel, &[]);
    let status = status_once(&vault, "unsealed").await;
    assert_eq!(
        serde_json::to_value(status.state).unwrap(),
        "unsealed",
        "the vault did not take the app's answer:\n{printed}"
    );
    let key: Address = status.vault_key;
    let registry = chain.registry();
    assert!(
        registry
            .isActiveVaultKey(U256::from(1), key)
            .call()
            .await
            .unwrap(),
        "the app bound the vault's key {key} through the relayer"
    );
    chain.fund(key, 1).await.unwrap();

    // A genome, and a grant that asks for each query.
    let wallet = WalletCli::restored_as(0);
    let genome = crate::query::GENOME;
    for file in [testdata(genome), testdata(&format!("{genome}.tbi"))] {
        let run = wallet.upload(&chain, &vault, &file);
        assert!(run.ok, "{}", run.stderr);
    }
    let researcher = chain.signer(2);
    let counts = crate::grants::descriptor(QueryKind::AlleleCounts);
    crate::query::grant_scope(&chain, &owner, researcher.address(), counts.scope(), true).await;
    vault.synced_with(&chain).await;

    let stack = Stack {
        chain: &chain,
        owner: &owner,
        researcher: &researcher,
        vault: &vault,
        website: &website,
        relay: &relay,
        dir: dir.path(),
    };
    let round = |code: &str, panel, request| Round {
        code: code.repeat(48),
        panel,
        request,
    };
    answer_everything(&stack, &pixel, &round("34", 0, 1)).await;
    install_tool(&stack, &pixel).await;

    // The same words paired on an iPhone: its inbox is now the owner's newest, where everything goes.
    let iphone = Phone {
        device: "iphone-15",
        profile_dir: &iphone_profile,
        ..pixel
    };
    browser_phase("pair", &iphone, &[]);
    answer_everything(&stack, &iphone, &round("56", 1, 2)).await;
    drop(vault);
}
