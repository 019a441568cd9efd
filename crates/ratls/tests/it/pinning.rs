//! A client reaches the server whose key it pinned, and no other.

use axum::{Json, Router, http::StatusCode, routing::get};
use dnavault_ratls::{Client, Pin, RatlsError, ServerIdentity, serve};
use serde_json::{Value, json};

async fn start(identity: ServerIdentity) -> (String, tokio::sync::oneshot::Sender<()>) {
    let router = Router::new()
        .route(
            "/hello",
            get(|| async { Json(json!({ "hello": "vault" })) }),
        )
        .route(
            "/refuse",
            get(|| async {
                (
                    StatusCode::FORBIDDEN,
                    Json(json!({ "error": "no grant for this scope", "check": "no-grant" })),
                )
            }),
        )
        .route(
            "/echo",
            axum::routing::post(|Json(v): Json<Value>| async { Json(v) }),
        )
        .route(
            "/upload",
            axum::routing::put(|body: axum::body::Bytes| async move {
                Json(json!({ "size": body.len() }))
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("https://{}/", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, &identity, router, async {
            let _ = stopped.await;
        })
        .await;
    });
    (url, stop)
}

fn identity() -> ServerIdentity {
    let key = rcgen::KeyPair::generate().expect("key");
    ServerIdentity::self_signed(&key, vec!["localhost".into()]).expect("identity")
}

#[tokio::test]
async fn the_pinned_key_is_reached_and_another_is_refused() {
    let server = identity();
    let (url, _stop) = start(server.clone()).await;

    let pinned = Client::new(&url, Pin::Spki(server.spki_sha256())).expect("client");
    let hello = pinned.get::<Value>("hello").await.expect("pinned GET");
    assert_eq!(hello.value, json!({ "hello": "vault" }));
    assert_eq!(hello.spki_sha256, server.spki_sha256());
    let echoed = pinned
        .post::<_, Value>("echo", &json!({ "n": 7 }))
        .await
        .expect("pinned POST");
    assert_eq!(echoed.value, json!({ "n": 7 }));

    // Another key (an impostor, or the same host after a reboot) is refused at the handshake.
    let other = identity();
    let wrong = Client::new(&url, Pin::Spki(other.spki_sha256())).expect("client");
    let error = wrong
        .get::<Value>("hello")
        .await
        .expect_err("wrong pin refused");
    assert!(
        matches!(&error, RatlsError::Connect { reason, .. } if reason.contains("not the attested")),
        "{error}"
    );

    // Fetching evidence records which key served it.
    let any = Client::new(&url, Pin::Report).expect("client");
    assert_eq!(
        any.get::<Value>("hello")
            .await
            .expect("unpinned")
            .spki_sha256,
        server.spki_sha256()
    );
}

#[tokio::test]
async fn server_errors_carry_the_servers_reason() {
    let server = identity();
    let (url, _stop) = start(server.clone()).await;
    let client = Client::new(&url, Pin::Spki(server.spki_sha256())).expect("client");
    let error = client.get::<Value>("refuse").await.expect_err("403");
    assert!(
        matches!(&error, RatlsError::Status { status: 403, message, check: Some(check), .. }
            if message == "no grant for this scope" && check == "no-grant"),
        "{error}"
    );
    // A body that is not a refusal is passed on as it is, with no check named.
    let error = client.get::<Value>("missing").await.expect_err("404");
    assert!(
        matches!(
            error,
            RatlsError::Status {
                status: 404,
                check: None,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn only_https_urls_are_accepted() {
    for url in [
        "http://127.0.0.1:1/",
        "not a url",
        "file:///etc/hosts",
        "https://",
    ] {
        assert!(matches!(
            Client::new(url, Pin::Report),
            Err(RatlsError::Url { .. })
        ));
    }
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/", listener.local_addr().expect("address"));
    drop(listener);
    let client = Client::new(&url, Pin::Report).expect("client");
    assert!(matches!(
        client.get::<Value>("hello").await,
        Err(RatlsError::Connect { .. })
    ));
}

#[tokio::test]
async fn a_file_streams_up_with_its_progress_reported() {
    let server = identity();
    let (url, _stop) = start(server.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("genome.bin");
    std::fs::write(&file, vec![7u8; 3 * (1 << 20) + 5]).unwrap();
    let reported = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reported.clone();
    let client = Client::new(&url, Pin::Spki(server.spki_sha256())).expect("client");
    let answer = client
        .put_file_reporting::<Value>("upload", &[], &file, move |sent| {
            seen.lock().unwrap().push(sent);
        })
        .await
        .expect("upload");
    assert_eq!(answer.value, json!({ "size": 3 * (1 << 20) + 5 }));
    let reported = reported.lock().unwrap().clone();
    assert_eq!(reported.last(), Some(&(3 * (1 << 20) + 5)));
    assert!(reported.windows(2).all(|w| w[0] < w[1]), "{reported:?}");
}
