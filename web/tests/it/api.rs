//! The JSON API over an index of a busy registry: what it shows, that every answer matches the OpenAPI
//! description of its route and status, and that bad input gets a refusal that says what and where.

use alloy::primitives::B256;
use axum::{Router, body::Body, http::Request};
use serde_json::Value;
use tower::ServiceExt;

use dnavault_testkit::TestChain;
use dnavault_web::api::OPENAPI;

use crate::{a_busy_registry, indexer, sqlite};

/// `GET path` against `app`: its status and JSON body.
async fn get(app: &Router, path: &str) -> (u16, Value) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body:?}"));
    (status, json)
}

/// `POST route` with a JSON `body` against `app`, checked against the description: its status and answer.
pub(crate) async fn post_documented(app: &Router, route: &str, body: String) -> (u16, Value) {
    let request = Request::post(route)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&body).unwrap();
    assert_documented("post", route, status, &body);
    (status, body)
}

/// Asserts `body` is what the OpenAPI description says `method route` answers with `status`.
pub(crate) fn assert_documented(method: &str, route: &str, status: u16, body: &Value) {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap();
    let mut response = doc["paths"][route][method]["responses"][status.to_string()].clone();
    if let Some(reference) = response["$ref"].as_str() {
        response = doc.pointer(&reference[1..]).unwrap().clone();
    }
    let mut schema = response["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "{method} {route} does not document {status}"
    );
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "GET {route} {status}: {errors:?}\n{body:#}"
    );
}

/// `GET path` (an instance of `route`), checked against the description; its status and body.
async fn documented(app: &Router, route: &str, path: &str) -> (u16, Value) {
    let (status, body) = get(app, path).await;
    assert_documented("get", route, status, &body);
    (status, body)
}

async fn indexed_busy_registry() -> (TestChain, tempfile::TempDir, Router) {
    let chain = TestChain::start().await.unwrap();
    a_busy_registry(&chain).await;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = crate::app_over(&chain, db);
    (chain, dir, app)
}

#[tokio::test]
async fn the_api_shows_vaults_grants_in_words_receipts_and_requests() {
    let (chain, _dir, app) = indexed_busy_registry().await;
    let (status, health) = documented(&app, "/healthz", "/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["index"]["block"], chain.head().await.unwrap());
    assert_eq!(health["index"]["vaults"], 2);

    let (status, list) = documented(&app, "/api/vaults", "/api/vaults").await;
    assert_eq!(status, 200);
    let vaults = list["vaults"].as_array().unwrap();
    assert_eq!(vaults.len(), 2);
    assert_eq!(vaults[0]["uri"], "https://vault-1.example/v2");
    assert_eq!(
        vaults[0]["owner"],
        chain.signer(1).address().to_checksum(None)
    );
    assert_eq!(
        vaults[1]["owner"],
        chain.signer(3).address().to_checksum(None)
    );
    assert_eq!(vaults[0]["live_grants"], 1);
    assert_eq!(vaults[0]["pending_requests"], 1);

    let (status, vault) = documented(&app, "/api/vaults/{id}", "/api/vaults/1").await;
    assert_eq!(status, 200);
    assert_eq!(
        vault["vault_key"],
        chain.signer(5).address().to_checksum(None)
    );
    assert_eq!(vault["audit_head"]["seq"], 5);
    let measurements = vault["measurements"].as_array().unwrap();
    assert_eq!(measurements.len(), 2);
    assert_eq!(
        measurements
            .iter()
            .filter(|m| m["approved"] == true)
            .count(),
        1
    );
    let tools = vault["tools"].as_array().unwrap();
    let installed: Vec<_> = tools
        .iter()
        .map(|t| (t["tool"].as_str().unwrap(), t["approved"] == true))
        .collect();
    assert_eq!(
        installed.len(),
        2,
        "one installed and one removed: {tools:?}"
    );
    assert!(
        installed.contains(&(&format!("{}", B256::repeat_byte(0x70))[..], true)),
        "{tools:?}"
    );
    assert!(
        installed.contains(&(&format!("{}", B256::repeat_byte(0x71))[..], false)),
        "{tools:?}"
    );
    // The grant made from request 1 reads in words, from the descriptor the request filed.
    let grant = &vault["grants"][0];
    assert_eq!(grant["status"], "live");
    assert_eq!(grant["max_queries"], 10);
    assert!(grant["analysis"]["unreadable"].is_null(), "{grant:#}");
    let facts = grant["analysis"]["facts"].to_string();
    assert!(facts.contains("count the alleles"), "{facts}");
    assert!(facts.contains("BRCA1"), "{facts}");
    let purpose = grant["purpose"]["words"].as_str().unwrap();
    assert!(
        purpose.contains("health") && purpose.contains("non-commercial"),
        "{purpose}"
    );
    assert_eq!(
        vault["receipt_batches"][0]["receipt_hashes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Newest request first: 4 names a scope its descriptor does not hash to, and is not put in words.
    let requests = vault["requests"].as_array().unwrap();
    let statuses: Vec<&str> = requests
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "withdrawn", "denied", "granted"]);
    let lying = requests[0]["analysis"]["unreadable"].as_str().unwrap();
    assert!(lying.contains("does not describe"), "{lying}");
    assert!(
        requests[0]["analysis"]["facts"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Vault 2 changed owner; the new owner's grant was revoked.
    let (_, second) = documented(&app, "/api/vaults/{id}", "/api/vaults/2").await;
    assert_eq!(second["grants"][0]["status"], "revoked");
    assert!(second["grants"][0]["analysis"]["unreadable"].is_string());

    let (status, pending) = documented(&app, "/api/requests", "/api/requests?status=pending").await;
    assert_eq!(status, 200);
    assert_eq!(pending["requests"].as_array().unwrap().len(), 1);
    assert_eq!(pending["requests"][0]["id"], 4);
    let researcher = chain.signer(2).address().to_checksum(None);
    let (_, theirs) = documented(
        &app,
        "/api/requests",
        &format!("/api/requests?researcher={researcher}&limit=2&offset=1"),
    )
    .await;
    let ids: Vec<u64> = theirs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [3, 2]);
    let (_, none) = documented(&app, "/api/requests", "/api/requests?vault=2").await;
    assert!(none["requests"].as_array().unwrap().is_empty());
    let (status, one) = documented(&app, "/api/requests/{id}", "/api/requests/1").await;
    assert_eq!((status, one["status"].as_str()), (200, Some("granted")));
}

#[tokio::test]
async fn bad_input_is_refused_with_what_and_where() {
    let (_chain, _dir, app) = indexed_busy_registry().await;
    let lower = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    let miscased = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8";
    let cases = [
        ("/api/vaults/{id}", "/api/vaults/999", 404, "not-found"),
        ("/api/vaults/{id}", "/api/vaults/0", 400, "id"),
        ("/api/vaults/{id}", "/api/vaults/abc", 400, "id"),
        (
            "/api/vaults/{id}",
            "/api/vaults/99999999999999999999999",
            400,
            "id",
        ),
        ("/api/requests/{id}", "/api/requests/77", 404, "not-found"),
        ("/api/vaults", "/api/vaults?limit=0", 400, "limit"),
        ("/api/vaults", "/api/vaults?limit=201", 400, "limit"),
        ("/api/vaults", "/api/vaults?offset=-1", 400, "query"),
        ("/api/vaults", "/api/vaults?colour=red", 400, "query"),
        (
            "/api/requests",
            "/api/requests?status=approved",
            400,
            "status",
        ),
        (
            "/api/requests",
            "/api/requests?researcher=0x1234",
            400,
            "address",
        ),
        (
            "/api/requests",
            &format!("/api/requests?researcher={miscased}"),
            400,
            "address",
        ),
        ("/api/requests", "/api/requests?vault=x", 400, "id"),
    ];
    for (route, path, want_status, want_check) in cases {
        let (status, body) = documented(&app, route, path).await;
        assert_eq!(
            (status, body["check"].as_str()),
            (want_status, Some(want_check)),
            "{path}"
        );
        assert!(
            body["error"].as_str().is_some_and(|e| e.len() > 10),
            "{path}: {body}"
        );
    }
    // An address in one case is taken as it is.
    let (status, _) = get(&app, &format!("/api/requests?researcher={lower}")).await;
    assert_eq!(status, 200);
    let (status, body) = get(&app, "/api/no/such/page").await;
    assert_eq!((status, body["check"].as_str()), (404, Some("not-found")));
}

#[test]
fn the_openapi_description_documents_every_route_and_no_other() {
    let mut routes = dnavault_web::api::routes();
    routes.extend(dnavault_web::relay::routes());
    dnavault_testkit::openapi::assert_documents_exactly(
        OPENAPI,
        routes.iter().map(|r| (r.method.as_str(), r.path)),
    );
}
