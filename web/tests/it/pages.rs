//! The pages over an index of a busy registry: what a person reads, and that what the chain supplies
//! (a request's protocol link and descriptor) cannot inject markup or script.

use alloy::primitives::{U256, keccak256};
use axum::{Router, body::Body, http::Request};
use dnavault_protocol::purpose::Purpose;
use dnavault_testkit::TestChain;
use tower::ServiceExt;

use crate::{a_busy_registry, app_over, indexer, sent, sqlite};

/// `GET path`: its status, content type and body.
async fn page(app: &Router, path: &str) -> (u16, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_pages_show_vaults_grants_and_requests_in_words() {
    let chain = TestChain::start().await.unwrap();
    a_busy_registry(&chain).await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);

    let (status, kind, home) = page(&app, "/").await;
    assert_eq!((status, kind.as_str()), (200, "text/html; charset=utf-8"));
    assert!(home.contains(r#"<meta name="viewport""#));
    assert!(
        home.contains("Vault 1") && home.contains("Vault 2"),
        "{home}"
    );
    assert!(home.contains("1 pending requests"), "{home}");
    let owner = chain.signer(1).address().to_checksum(None);
    assert!(home.contains(&owner), "{home}");

    let (status, _, vault) = page(&app, "/vaults/1").await;
    assert_eq!(status, 200);
    for words in [
        "count the alleles",
        "BRCA1",
        "non-commercial",
        "at most 10",
        "2 receipts anchored",
        "anchored through entry 5",
        "Verify this vault",
        "Analysis unknown",
    ] {
        assert!(
            vault.contains(words),
            "{words:?} missing from the vault page"
        );
    }

    let (status, _, pending) = page(&app, "/requests?status=pending").await;
    assert_eq!(status, 200);
    assert!(pending.contains("Request 4") && !pending.contains("Request 1<"));
    let (status, _, any) = page(&app, "/requests?status=").await;
    assert_eq!(status, 200);
    assert!(any.contains("Request 1<") && any.contains("Request 4"));
    let (status, _, granted) = page(&app, "/requests/1").await;
    assert_eq!(status, 200);
    assert!(granted.contains("granted") && granted.contains("https://protocol.example/1"));
    let (_, _, lying) = page(&app, "/requests/4").await;
    assert!(lying.contains("does not describe"), "{lying}");
    assert!(
        !lying.contains("--from-request"),
        "no grant command for a request that cannot be read"
    );
    let (_, _, css) = page(&app, "/assets/site.css").await;
    assert!(css.contains("@media"));
}

#[tokio::test]
async fn a_bad_path_gets_a_page_that_says_what_and_where() {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_over(&chain, sqlite(&dir).await);
    for (path, status, words) in [
        ("/vaults/999", 404, "no vault has id 999"),
        ("/vaults/x", 400, "vault ids are whole numbers"),
        ("/requests/5", 404, "no access request has id 5"),
        ("/requests?status=bogus", 400, "status must be one of"),
        ("/nowhere", 404, "no page at /nowhere"),
    ] {
        let (got, kind, body) = page(&app, path).await;
        assert_eq!(got, status, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(body.contains(words), "{path}: {body}");
    }
    let (_, kind, _) = page(&app, "/api/nowhere").await;
    assert_eq!(kind, "application/json");
}

#[tokio::test]
async fn what_the_chain_supplies_cannot_inject_markup_or_script() {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.registry_as(&chain.signer(1));
    sent(owner.registerVault("<script>alert('uri')</script>".into())).await;
    let researcher = chain.registry_as(&chain.signer(2));
    let now = chain.latest_timestamp().await.unwrap();
    sent(researcher.requestAccess(
        U256::from(1),
        keccak256("x"),
        Purpose::general_research().to_bytes16(),
        now + 86_400,
        keccak256("protocol"),
        "javascript:alert(document.cookie)".into(),
        "<img src=x onerror=alert(1)>".into(),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);
    for path in ["/", "/vaults/1", "/requests", "/requests/1"] {
        let (status, _, body) = page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("<script>alert"), "{path}: {body}");
        assert!(!body.contains("<img src=x"), "{path}: {body}");
        assert!(!body.contains(r#"href="javascript:"#), "{path}: {body}");
    }
    let (_, _, request) = page(&app, "/requests/1").await;
    assert!(request.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(request.contains("not a web link"));
}

#[tokio::test]
async fn the_verifier_view_says_not_verified_when_the_vault_cannot_be_reached() {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.registry_as(&chain.signer(1));
    // Nothing listens on port 9 of loopback.
    sent(owner.registerVault("https://127.0.0.1:9/".into())).await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);
    let (status, _, body) = page(&app, "/vaults/1/verify").await;
    assert_eq!(status, 200);
    assert!(body.contains("NOT verified"), "{body}");
    assert!(body.contains("could not be fetched"), "{body}");
}
