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
        "Installed analysis tools",
        "0x7070707070707070707070707070707070707070707070707070707070707070",
        "removed",
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
async fn the_verifier_view_fetches_nothing_from_the_websites_own_network() {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.registry_as(&chain.signer(1));
    // A vault URI pointing at the website's own machine, and at a cloud metadata service.
    sent(owner.registerVault("https://127.0.0.1:9/".into())).await;
    sent(owner.registerVault("https://169.254.169.254/latest/".into())).await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);
    for (vault, address) in [(1, "127.0.0.1"), (2, "169.254.169.254")] {
        let (status, _, body) = page(&app, &format!("/vaults/{vault}/verify")).await;
        assert_eq!(status, 200);
        assert!(body.contains("NOT verified"), "{body}");
        assert!(
            body.contains(&format!(
                "resolves to {address}, a private or local address"
            )),
            "{body}"
        );
    }
}

/// `POST path` with a form body: its status and page.
pub(crate) async fn post_form(app: &Router, path: &str, form: &str) -> (u16, String) {
    let request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_researcher_builds_a_request_in_words_and_gets_what_to_file() {
    use alloy::sol_types::SolCall;
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_over(&chain, sqlite(&dir).await);
    let (status, _, form) = page(&app, "/requests/new?vault=3").await;
    assert_eq!(status, 200);
    for words in [
        "Allele counts in",
        "Polygenic score PGS000001",
        "health or medical or biomedical research",
        "non-commercial use only",
        r#"value="3""#,
    ] {
        assert!(form.contains(words), "{words:?} missing from the form");
    }
    let hash = format!("{}", keccak256("the protocol"));
    // HMB (DUO:0000006) with NCU (DUO:0000046), allele counts in the first panel, 30 days.
    let fields = format!(
        "vault=3&analysis=panel%3A0%3Acounts&descriptor=&permission=6&disease=&modifier=46&days=30\
         &protocol_uri=https%3A%2F%2Fprotocol.example%2Fp&protocol_hash={hash}"
    );
    let (status, review) = post_form(&app, "/requests/new", &fields).await;
    assert_eq!(status, 200, "{review}");
    for words in [
        "count the alleles",
        "BRCA1",
        "health or medical or biomedical research (HMB, DUO:0000006); non-commercial use only",
        "dnavault-wallet request-access --vault 3 --descriptor request.json --purpose DUO:0000006+DUO:0000046 --expiry 30d",
    ] {
        assert!(
            review.contains(words),
            "{words:?} missing from the review: {review}"
        );
    }
    // The browser wallet's call is the registry's requestAccess with exactly that request.
    let start = review.find(r#"data-data=""#).unwrap() + 11;
    let data = &review[start..start + review[start..].find('"').unwrap()];
    let call = dnavault_protocol::VaultRegistry::requestAccessCall::abi_decode(
        &hex::decode(&data[2..]).unwrap(),
    )
    .unwrap();
    let counts = crate::brca_counts();
    assert_eq!((call.vaultId, call.scope), (U256::from(3), counts.scope()));
    assert_eq!(
        call.purpose,
        Purpose::parse("HMB+NCU").unwrap().to_bytes16()
    );
    assert_eq!(
        serde_json::from_str::<dnavault_protocol::descriptor::Descriptor>(&call.descriptor)
            .unwrap(),
        counts
    );

    // Disease-specific research without its disease, and a protocol that is not a web link: refused in words.
    let bad = fields.replace("permission=6", "permission=7");
    let (status, again) = post_form(&app, "/requests/new", &bad).await;
    assert_eq!(status, 422);
    assert!(again.contains("names its disease"), "{again}");
    let bad = fields.replace(
        "https%3A%2F%2Fprotocol.example%2Fp",
        "javascript%3Aalert(1)",
    );
    let (status, again) = post_form(&app, "/requests/new", &bad).await;
    assert_eq!(status, 422);
    assert!(again.contains("https://"), "{again}");
}

/// A tool manifest of bcftools, as a vault operator writes one (the hashes need not be real here).
fn bcftools_manifest() -> dnavault_protocol::tool::ToolManifest {
    use dnavault_protocol::tool::{File, Limits, ToolManifest};
    ToolManifest {
        name: "bcftools query".into(),
        version: "1.16".into(),
        executable: File {
            path: "/usr/bin/bcftools".into(),
            sha256: keccak256("bcftools"),
        },
        files: Vec::new(),
        arguments: ["query", "-r", "{regions}", "-f", "%POS\\n", "{genome}"]
            .map(String::from)
            .to_vec(),
        outputs: vec!["stdout".into()],
        limits: Limits {
            cpu_seconds: 30,
            memory_bytes: 1 << 29,
            output_bytes: 1 << 20,
            wall_seconds: 60,
        },
    }
}

/// An installed tool is named, on the vault's page and in the API, by the manifest an access request
/// published that hashes to it (the request withdrawn or not); a tool no request published stays a hash.
#[tokio::test]
async fn an_installed_tool_is_named_by_a_published_manifest_that_hashes_to_it() {
    use dnavault_protocol::descriptor::{Descriptor, PANELS};
    let chain = TestChain::start().await.unwrap();
    let cast = crate::Cast::of(&chain);
    sent(cast.owner.registerVault("https://vault-1.example/".into())).await;
    let vault = U256::from(1);
    let manifest = bcftools_manifest();
    let descriptor = Descriptor::RunTool {
        tool: Box::new(manifest.clone()),
        panel: Some(serde_json::from_str(PANELS[0].1).unwrap()),
        score: None,
    };
    descriptor.check().unwrap();
    let now = chain.latest_timestamp().await.unwrap();
    sent(cast.researcher.requestAccess(
        vault,
        descriptor.scope(),
        Purpose::parse("HMB").unwrap().to_bytes16(),
        now + 86_400,
        keccak256("the protocol"),
        "https://protocol.example/1".into(),
        serde_json::to_string(&descriptor).unwrap(),
    ))
    .await;
    sent(cast.researcher.withdrawRequest(U256::from(1))).await;
    let unnamed = alloy::primitives::B256::repeat_byte(0x72);
    sent(cast.owner.approveTool(vault, manifest.id())).await;
    sent(cast.owner.approveTool(vault, unnamed)).await;

    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);
    let (status, _, shown) = page(&app, "/vaults/1").await;
    assert_eq!(status, 200);
    let tools = &shown[shown.find("Installed analysis tools").unwrap()..];
    let tools = &tools[..tools.find("Grants").unwrap()];
    assert!(tools.contains("bcftools query 1.16"), "{tools}");
    assert!(tools.contains(&manifest.id().to_string()), "{tools}");
    assert!(tools.contains(&unnamed.to_string()), "{tools}");
    assert_eq!(
        tools.matches("bcftools query").count(),
        1,
        "only the tool whose manifest was published is named: {tools}"
    );
}
