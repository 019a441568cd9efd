//! The relay as the adversary, between the real vault and wallet processes: a man-in-the-middle in front of
//! the website's relay alters the owner's boot answer on its way to the vault, slips unsigned, expired and
//! forged boot requests into the owner's inbox, and replays an old answer to the vault's next boot. The vault
//! stays sealed on everything but the intact answer, and the wallet shows nothing that does not open and
//! answers nothing whose sender is not the vault its evidence binds.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::{
    primitives::{B256, Bytes},
    signers::local::PrivateKeySigner,
    transports::http::reqwest,
};
use axum::{
    extract::State,
    http::{Method, Uri},
    response::IntoResponse,
};
use dnavault_protocol::{VaultState, VaultStatus, boot::BootRequest};
use dnavault_ratls::{Client, Pin};
use dnavault_relay::{Envelope, Kind, Payload, SignedRegistration};
use dnavault_tests::{VaultProcess, WalletCli, chain_with_vault, start_vault_with, web};
use serde_json::Value;

use crate::relay::{first_waiting, inbox};

/// What the man-in-the-middle does, and what it saw.
#[derive(Default)]
struct Mischief {
    /// Alter each owner's answer the first time it is delivered.
    alter_answers: bool,
    /// Envelopes slipped into every listing of a topic.
    injected: HashMap<B256, Vec<Envelope>>,
    /// An envelope slipped into every listing of any topic but the owner's.
    replayed: Option<Envelope>,
    /// The owner's inbox topic.
    owner_topic: Option<B256>,
    /// Deliveries, by message nonce.
    deliveries: HashMap<B256, usize>,
    /// The answers it altered, by nonce.
    altered: HashSet<B256>,
    /// Every envelope delivered intact, in order.
    delivered: Vec<Envelope>,
}

/// A man-in-the-middle in front of the relay at `upstream`.
struct Hostile {
    upstream: String,
    http: reqwest::Client,
    mischief: Mutex<Mischief>,
}

impl Hostile {
    /// Serves on a loopback port; its base URL.
    async fn start(upstream: String) -> (Arc<Self>, String) {
        let hostile = Arc::new(Self {
            upstream,
            http: reqwest::Client::new(),
            mischief: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(hostile.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hostile, url)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Mischief) -> T) -> T {
        f(&mut self.mischief.lock().unwrap())
    }
}

/// Passes a request on, and plays with the inbox listings that come back.
async fn forward(
    State(hostile): State<Arc<Hostile>>,
    method: Method,
    uri: Uri,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let upstream = hostile
        .http
        .request(
            reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
            format!("{}{path}", hostile.upstream),
        )
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await;
    let Ok(upstream) = upstream else {
        return (axum::http::StatusCode::BAD_GATEWAY, "relay down").into_response();
    };
    let status = axum::http::StatusCode::from_u16(upstream.status().as_u16()).unwrap();
    let mut answer = upstream.bytes().await.unwrap().to_vec();
    if method == Method::GET && uri.path() == "/relay/v1/messages" && status.is_success() {
        let query = uri.query().unwrap();
        let topic = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("topic="));
        let topic: B256 = topic.unwrap().parse().unwrap();
        let mut listing: Value = serde_json::from_slice(&answer).unwrap();
        let messages: Vec<Envelope> = serde_json::from_value(listing["messages"].take()).unwrap();
        let played = hostile.with(|m| m.play(topic, messages));
        listing["messages"] = serde_json::to_value(played).unwrap();
        answer = serde_json::to_vec(&listing).unwrap();
    }
    (status, answer).into_response()
}

impl Mischief {
    fn play(&mut self, topic: B256, messages: Vec<Envelope>) -> Vec<Envelope> {
        let mut out = Vec::new();
        for envelope in messages {
            let nonce = envelope.message.nonce;
            *self.deliveries.entry(nonce).or_default() += 1;
            let answer = !Kind::try_from(envelope.message.kind).unwrap().is_request();
            if answer && self.alter_answers && self.altered.insert(nonce) {
                let mut bytes = envelope.ciphertext.to_vec();
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                out.push(Envelope {
                    ciphertext: Bytes::from(bytes),
                    ..envelope
                });
                continue;
            }
            self.delivered.push(envelope.clone());
            out.push(envelope);
        }
        out.extend(self.injected.get(&topic).cloned().unwrap_or_default());
        if Some(topic) != self.owner_topic
            && let Some(replayed) = &self.replayed
        {
            *self.deliveries.entry(replayed.message.nonce).or_default() += 1;
            out.push(replayed.clone());
        }
        out
    }
}

async fn status(vault: &VaultProcess) -> VaultState {
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let status: VaultStatus = client.get("v1/status").await.unwrap().value;
    status.state
}

/// Waits up to 20 s for the vault to unseal.
async fn unsealed(vault: &VaultProcess) -> bool {
    for _ in 0..100 {
        if status(vault).await == VaultState::Unsealed {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_relay_cannot_alter_forge_or_replay_its_way_into_a_vault() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let port = web::free_port();
    let (hostile, relay) = Hostile::start(format!("http://127.0.0.1:{port}")).await;
    hostile.with(|m| m.alter_answers = true);
    let data_dir = dir.path().join("vault");
    let vault = start_vault_with(&data_dir, &chain, &["--relay", &relay]);
    let roots = vault.roots.display().to_string();
    let listen = format!("127.0.0.1:{port}");
    let website = web::WebProcess::start_at(
        &chain,
        dir.path(),
        &listen,
        &["--accept-test-platform", &roots],
    );
    website.indexed_with(&chain).await;
    let wallet = WalletCli::restored();
    let inbox = |command: &str, extra: &[&str]| inbox(&wallet, &chain, &relay, command, extra);
    assert!(inbox("pair", &[]).ok);
    let (_, real_nonce) = first_waiting(&inbox).await;

    // Into the owner's inbox: the vault's request unsigned, an expired request and a forged one, signed by
    // a stranger but carrying the vault's own evidence.
    let owner = chain.signer(1).address();
    let (_, owner_inbox) = website.get(&format!("/relay/v1/inboxes/{owner}")).await;
    let owner_inbox: SignedRegistration = serde_json::from_value(owner_inbox).unwrap();
    hostile.with(|m| m.owner_topic = Some(owner_inbox.topic()));
    let real = hostile.with(|m| {
        let boot = |e: &&Envelope| e.message.kind == Kind::BootRequest as u8;
        m.delivered.iter().rev().find(boot).cloned().unwrap()
    });
    let domain =
        dnavault_protocol::eip712::registry_domain(chain.chain_id(), chain.registry_address());
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let evidence: BootRequest = client.get("v1/boot").await.unwrap().value;
    let payload = Payload::BootRequest {
        vault_url: vault.url.clone(),
        request: evidence,
    }
    .to_bytes();
    let stranger = PrivateKeySigner::random();
    let now = dnavault_protocol::clock::unix_now().unwrap();
    let seal = |at: u64| {
        Envelope::seal(
            &stranger,
            &domain,
            &owner_inbox,
            Kind::BootRequest,
            &payload,
            at,
            600,
        )
        .unwrap()
    };
    let unsigned = Envelope {
        signature: Bytes::from(vec![0u8; 65]),
        ..real.clone()
    };
    let (expired, forged) = (seal(now - 700), seal(now));
    let forged_nonce = forged.message.nonce.to_string();
    hostile.with(|m| {
        m.injected
            .insert(owner_inbox.topic(), vec![unsigned, expired, forged]);
    });
    let listed = inbox("list", &[]);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let words: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["words"].as_str().unwrap())
        .collect();
    assert_eq!(words.len(), 4, "{listed:#}");
    assert!(words[0].contains("asks you to boot it"), "{listed:#}");
    assert!(
        words[1].starts_with("REFUSED") && words[2].starts_with("REFUSED"),
        "{listed:#}"
    );
    assert!(words[2].contains("expired"), "{listed:#}");
    let phished = inbox(
        "answer",
        &["--message", &forged_nonce, "--accept-test-platform", &roots],
    );
    assert!(
        !phished.ok
            && phished
                .stderr
                .contains("not by the vault key its evidence binds"),
        "{}",
        phished.stderr
    );
    hostile.with(|m| m.injected.clear());

    // The owner's answer, altered on its first way to the vault: the vault drops it and takes the intact
    // copy on its next look.
    let answered = inbox(
        "answer",
        &["--message", &real_nonce, "--accept-test-platform", &roots],
    );
    assert!(answered.ok, "{}", answered.stderr);
    assert!(
        unsealed(&vault).await,
        "the vault never took the intact answer"
    );
    let (answer, deliveries) = hostile.with(|m| {
        let answer = m
            .altered
            .iter()
            .next()
            .copied()
            .expect("an answer was altered");
        let intact = m
            .delivered
            .iter()
            .find(|e| e.message.nonce == answer)
            .cloned()
            .unwrap();
        (intact, m.deliveries[&answer])
    });
    assert!(
        deliveries >= 2,
        "the altered answer was taken: delivered {deliveries} times"
    );

    // The next boot, with fresh keys: the old answer, replayed into its inbox, does not open it.
    assert!(dnavault_tests::control(&data_dir, "seal").0);
    drop(vault);
    hostile.with(|m| {
        m.alter_answers = false;
        m.replayed = Some(answer.clone());
    });
    let vault = start_vault_with(&data_dir, &chain, &["--relay", &relay]);
    // The simulated platform is new with the process: the relay restarts trusting its roots (what waits
    // in it survives).
    drop(website);
    let new_roots = vault.roots.display().to_string();
    let _website = web::WebProcess::start_at(
        &chain,
        dir.path(),
        &listen,
        &["--accept-test-platform", &new_roots],
    );
    let (_, next_nonce) = first_waiting(&inbox).await;
    for _ in 0..100 {
        if hostile.with(|m| m.deliveries[&answer.message.nonce]) >= deliveries + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        hostile.with(|m| m.deliveries[&answer.message.nonce]) >= deliveries + 2,
        "the new vault never looked at its inbox"
    );
    assert_eq!(
        status(&vault).await,
        VaultState::Sealed,
        "a replayed answer unsealed a new boot"
    );
    let answered = inbox(
        "answer",
        &[
            "--message",
            &next_nonce,
            "--accept-test-platform",
            &new_roots,
        ],
    );
    assert!(answered.ok, "{}", answered.stderr);
    assert!(
        unsealed(&vault).await,
        "the new boot's own answer did not unseal it"
    );
}
