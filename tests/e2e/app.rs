//! The phone authenticator (`app/`): its wasm core under Node.js against the native CLI, and its web shell
//! served by the website in Chromium's Pixel 7 and iPhone profiles (`app/browser/onboarding.mjs`), with
//! screenshots of every step kept in `target/screenshots/app/`. Both need the bundle `script/build-app`
//! makes, named by `DNAVAULT_APP_BUNDLE` (script/test sets it).

use std::{path::PathBuf, process::Command};

use alloy::transports::http::reqwest;
use dnavault_testkit::TestChain;
use dnavault_tests::{binary, web::WebProcess};

/// The built bundle; a missing one fails the test with what to run.
pub(crate) fn bundle() -> PathBuf {
    let dir = std::env::var_os("DNAVAULT_APP_BUNDLE")
        .map(PathBuf::from)
        .expect("DNAVAULT_APP_BUNDLE is not set: build the app with script/build-app and point it there");
    assert!(
        dir.join("pkg/dnavault_app_bg.wasm").is_file(),
        "{} holds no built core: run script/build-app",
        dir.display()
    );
    dir
}

/// A chain and the website over it serving the bundle (the temporary directory holds its database).
async fn serving_app() -> (TestChain, tempfile::TempDir, WebProcess) {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_dir = bundle();
    let web = WebProcess::start(
        &chain,
        dir.path(),
        &["--app-dir", app_dir.to_str().unwrap()],
    );
    (chain, dir, web)
}

/// Debian's Chromium, or `$CHROMIUM`.
pub(crate) fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Where the app's screenshots are kept: `target/screenshots/app/`.
pub(crate) fn shots() -> PathBuf {
    binary("dnavault-web")
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the binaries are in target/PROFILE/")
        .join("screenshots/app")
}

pub(crate) fn repository(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn passed(output: std::process::Output, what: &str) -> String {
    let printed = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what} failed:\n{printed}");
    printed
}

#[test]
fn the_wasm_core_agrees_with_the_cli_under_node() {
    let output = Command::new("node")
        .args(["--test", &repository("app/test/core.test.mjs")])
        .env("APP_BUNDLE", bundle())
        .env("WALLET", binary("dnavault-wallet"))
        .output()
        .unwrap();
    let printed = passed(output, "the wasm core's tests");
    assert!(printed.contains("# fail 0"), "{printed}");
    assert!(!printed.contains("# pass 0"), "no test ran:\n{printed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_onboards_locks_and_keeps_nothing_in_clear_on_phones() {
    let (_chain, _dir, web) = serving_app().await;
    let shots = shots();
    let output = tokio::task::block_in_place(|| {
        Command::new("node")
            .arg(repository("app/browser/onboarding.mjs"))
            // Passkeys need a domain: WebAuthn refuses an IP address as the relying party.
            .env(
                "APP_URL",
                format!("{}/app/", web.url.replace("127.0.0.1", "localhost")),
            )
            .env("SHOTS", &shots)
            .env("CHROMIUM", chromium())
            .env("WALLET", binary("dnavault-wallet"))
            .output()
            .unwrap()
    });
    let printed = passed(output, "the app's browser stories");
    assert!(printed.contains("app stories passed"), "{printed}");
    // The cold start and the stories' times, for `--nocapture`.
    println!("{printed}");
    for shot in [
        "pixel-7-5-home.png",
        "pixel-7-10-offline.png",
        "iphone-15-3-home.png",
    ] {
        assert!(shots.join(shot).exists(), "no screenshot {shot}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_website_serves_the_app_under_its_own_policy_and_refuses_a_missing_bundle() {
    let (chain, _dir, web) = serving_app().await;
    // What the app pairs for: the website's own chain and registry.
    let (status, deployment) = web.get("/api/deployment").await;
    assert_eq!(status, 200);
    assert_eq!(deployment["chainId"], 31337);
    assert_eq!(
        deployment["registry"],
        chain.registry_address().to_checksum(None)
    );
    assert_eq!(deployment["rpcUrl"], chain.endpoint_url().as_str());
    let client = reqwest::Client::new();
    let index = client
        .get(format!("{}/app/", web.url))
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), 200);
    let policy = index.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in &[
        "default-src 'none'".to_owned(),
        "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
        format!(
            "connect-src 'self' {} https:",
            chain.endpoint_url().origin().ascii_serialization()
        ),
        "frame-ancestors 'none'".to_owned(),
    ] {
        assert!(policy.contains(directive.as_str()), "{policy}");
    }
    assert!(index.text().await.unwrap().contains("manifest.webmanifest"));
    let wasm = client
        .get(format!("{}/app/pkg/dnavault_app_bg.wasm", web.url))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    let worker = client
        .get(format!("{}/app/sw.js", web.url))
        .send()
        .await
        .unwrap();
    let worker = worker.text().await.unwrap();
    assert!(
        !worker.contains("__VERSION__") && worker.contains("pkg/dnavault_app_bg.wasm"),
        "{worker}"
    );
    let missing = client
        .get(format!("{}/app/nothing.js", web.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let empty = tempfile::tempdir().unwrap();
    let refused = Command::new(binary("dnavault-web"))
        .args(["serve", "--rpc", chain.endpoint_url().as_str()])
        .args(["--registry", &chain.registry_address().to_string()])
        .args(["--database", "sqlite::memory:", "--listen", "127.0.0.1:0"])
        .args(["--app-dir", empty.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("build the app with script/build-app"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
