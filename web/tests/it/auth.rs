//! Sign-In with Ethereum and the dashboard: a signed message opens a session once; a replayed, expired,
//! foreign or forged one is refused; the cookie is HttpOnly, Secure and SameSite; the dashboard shows the
//! owner's vaults, the requests waiting and what to sign.

use alloy::{
    primitives::Address,
    signers::{Signer, local::PrivateKeySigner},
};
use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use dnavault_testkit::TestChain;
use tower::ServiceExt;

use crate::{a_busy_registry, app_over, indexer, sqlite};

struct Answer {
    status: u16,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (location, cookie) = (header(header::LOCATION), header(header::SET_COOKIE));
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    Answer {
        status,
        location,
        cookie,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

/// The sign-in message the website hands `address`, read from its page.
async fn challenge(app: &Router, address: Address) -> String {
    let page = get(app, &format!("/signin?address={address}"), None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("data-address").unwrap();
    let start = start + page.body[start..].find('>').unwrap() + 1;
    let end = start + page.body[start..].find("</pre>").unwrap();
    html_unescape(&page.body[start..end])
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Posts the sign-in form.
async fn sign_in(app: &Router, message: &str, signature: &str) -> Answer {
    let form = format!(
        "message={}&signature={}",
        url_encode(message),
        url_encode(signature)
    );
    let request = Request::post("/signin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    send(app, request).await
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn signed(signer: &PrivateKeySigner, message: &str) -> String {
    signer
        .sign_message(message.as_bytes())
        .await
        .unwrap()
        .to_string()
}

/// Keeps a test's database alive: its SQLite directory, or its PostgreSQL server.
enum Keep {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] dnavault_testkit::TestPostgres),
}

async fn website() -> (TestChain, Keep, Router) {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    over(db, Keep::Sqlite(dir)).await
}

async fn website_on_postgresql() -> (TestChain, Keep, Router) {
    let server = dnavault_testkit::TestPostgres::start().unwrap();
    let db = dnavault_web::Database::open(&server.database("sessions").unwrap())
        .await
        .unwrap();
    over(db, Keep::Postgres(server)).await
}

async fn over(db: dnavault_web::Database, keep: Keep) -> (TestChain, Keep, Router) {
    let chain = TestChain::start().await.unwrap();
    a_busy_registry(&chain).await;
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = app_over(&chain, db);
    (chain, keep, app)
}

/// Registers an inbox for `owner` with the website's relay, as the phone app's pairing does.
async fn paired(chain: &TestChain, app: &Router, owner: &PrivateKeySigner) {
    let domain =
        dnavault_protocol::eip712::registry_domain(chain.chain_id(), chain.registry_address());
    let key = dnavault_envelope::RecipientKey::generate();
    let now = dnavault_protocol::clock::unix_now().unwrap();
    let registration =
        dnavault_relay::SignedRegistration::sign(owner, &domain, &key.public_key(), now).unwrap();
    let request = Request::post("/relay/v1/inboxes")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(&registration).unwrap()))
        .unwrap();
    assert_eq!(send(app, request).await.status, 200);
}

#[tokio::test]
async fn an_owner_signs_in_once_and_sees_their_vaults_and_what_waits() {
    signs_in_once(website().await).await;
}

#[tokio::test]
async fn sessions_hold_the_same_on_postgresql() {
    signs_in_once(website_on_postgresql().await).await;
}

async fn signs_in_once((chain, _keep, app): (TestChain, Keep, Router)) {
    let owner = chain.signer(1);
    // Without a session, the dashboard sends people to sign in.
    let away = get(&app, "/dashboard", None).await;
    assert_eq!(
        (away.status, away.location.as_deref()),
        (303, Some("/signin"))
    );

    let message = challenge(&app, owner.address()).await;
    assert!(
        message.starts_with("dnavault.example wants you to sign in"),
        "{message}"
    );
    assert!(message.contains("it allows no transaction"), "{message}");
    assert!(
        message.contains("URI: https://dnavault.example/signin"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Chain ID: {}", chain.chain_id())),
        "{message}"
    );
    let signature = signed(&owner, &message).await;
    let answer = sign_in(&app, &message, &signature).await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/dashboard")),
        "{}",
        answer.body
    );
    let cookie = answer.cookie.unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();

    let dashboard = get(&app, "/dashboard", Some(&session)).await;
    assert_eq!(dashboard.status, 200);
    let address = owner.address().to_checksum(None);
    for words in [
        address.as_str(),
        "Vault 1",
        "Waiting for you (1)",
        "Request 4",
        "Live grants (1)",
        "dnavault-wallet revoke --vault 1",
        "dnavault-wallet deny-request --request 4 --index N --send",
        "2 query receipts anchored in 1 batches",
    ] {
        assert!(
            dashboard.body.contains(words),
            "{words:?} missing: {}",
            dashboard.body
        );
    }
    // Vault 2 went to another owner: not on this dashboard.
    assert!(!dashboard.body.contains("Vault 2"));
    // No phone paired yet: the pairing link, and it as a QR code.
    for words in [
        "Pair your phone",
        "<svg",
        "https://dnavault.example/app/#pair",
    ] {
        assert!(
            dashboard.body.contains(words),
            "{words:?} missing: {}",
            dashboard.body
        );
    }
    paired(&chain, &app, &owner).await;
    let dashboard = get(&app, "/dashboard", Some(&session)).await;
    assert!(
        dashboard.body.contains("Paired: your authenticator") && !dashboard.body.contains("<svg"),
        "{}",
        dashboard.body
    );

    // The same message and signature again: refused, the nonce is spent.
    let replay = sign_in(&app, &message, &signature).await;
    assert_eq!(replay.status, 401);
    assert!(replay.body.contains("already used"), "{}", replay.body);

    // Signing out ends the session for good.
    let request = Request::post("/signout")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let out = send(&app, request).await;
    assert_eq!(out.status, 303);
    assert!(out.cookie.unwrap().contains("Max-Age=0"));
    let after = get(&app, "/dashboard", Some(&session)).await;
    assert_eq!(after.status, 303);
}

#[tokio::test]
async fn forged_foreign_and_expired_sign_ins_are_refused() {
    let (chain, _dir, app) = website().await;
    let owner = chain.signer(1);
    let other = chain.signer(4);

    // Signed by another key than the address the message names.
    let message = challenge(&app, owner.address()).await;
    let refused = sign_in(&app, &message, &signed(&other, &message).await).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("does not verify"), "{}", refused.body);

    // A message for another website (its domain edited in), signed as it stands.
    let message = challenge(&app, owner.address()).await;
    let phished = message.replacen("dnavault.example", "dnavault.example.evil", 1);
    let refused = sign_in(&app, &phished, &signed(&owner, &phished).await).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("not this website"),
        "{}",
        refused.body
    );

    // A nonce the website never handed out.
    let message = challenge(&app, owner.address()).await;
    let nonce = message
        .lines()
        .find_map(|l| l.strip_prefix("Nonce: "))
        .unwrap();
    let invented = message.replace(nonce, "0123456789abcdef0123456789abcdef");
    let refused = sign_in(&app, &invented, &signed(&owner, &invented).await).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("never handed out"),
        "{}",
        refused.body
    );

    // A message whose own expiry has passed, on a live nonce.
    let message = challenge(&app, owner.address()).await;
    let expired: String = message
        .lines()
        .map(|line| match line.split_once(": ") {
            Some(("Issued At", _)) => "Issued At: 2020-01-01T00:00:00Z".to_owned(),
            Some(("Expiration Time", _)) => "Expiration Time: 2020-01-01T00:10:00Z".to_owned(),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let refused = sign_in(&app, &expired, &signed(&owner, &expired).await).await;
    assert_eq!(refused.status, 401, "{}", refused.body);

    // Not a sign-in message at all, and a malformed signature.
    let refused = sign_in(&app, "hello", "0x00").await;
    assert_eq!(refused.status, 401);
    let message = challenge(&app, owner.address()).await;
    let refused = sign_in(&app, &message, "zz").await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("not hex"), "{}", refused.body);

    // A made-up cookie opens nothing.
    let forged = format!("dnavault_session={}", "ab".repeat(32));
    assert_eq!(get(&app, "/dashboard", Some(&forged)).await.status, 303);
    // A malformed address gets a page that says so.
    let bad = get(&app, "/signin?address=0x12", None).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("must be an Ethereum address"));
}
