//! The website's index under load: a registry with `DNAVAULT_BENCH_VAULTS` vaults (default 1,000), each
//! with twelve events (registered, its URI changed, two measurements approved and one revoked, its key
//! bound, a request filed and granted (two events), receipts and an audit head anchored, nonces cancelled), read from scratch into SQLite; against the floor, the
//! same `eth_getLogs` ranges fetched with nothing stored; then page and API latency with every vault indexed,
//! in one run.
//!
//! Reports events/s for both and their ratio (the index's cost over fetching alone), and p50/p99 latency of
//! the directory, a vault's page and its JSON over 200 requests each, in process (handler and database);
//! then the same pages served over HTTP on loopback under load from a second process, Debian's `wrk`
//! (`pages.lua`), for `DNAVAULT_BENCH_SECONDS` (default 10) each over 8 connections: requests/s and p99.
//! Run: `cargo bench -p dnavault-web --bench index`.

use std::time::{Duration, Instant};

use alloy::{
    network::Ethereum,
    primitives::{U256, keccak256},
    providers::{PendingTransactionBuilder, Provider, ext::AnvilApi},
    rpc::types::Filter,
};
use axum::{body::Body, http::Request};
use dnavault_protocol::{bindings::IVaultRegistry::AuditHead, purpose::Purpose};
use dnavault_testkit::TestChain;
use dnavault_web::{AppState, Database, IndexSettings, Indexer, verify::Deployment};
use tower::ServiceExt;

/// Transactions sent between mined blocks.
const PER_BLOCK: usize = 200;

fn main() {
    let vaults: u64 = std::env::var("DNAVAULT_BENCH_VAULTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(run(vaults));
}

async fn run(vaults: u64) {
    let chain = TestChain::start().await.expect("anvil");
    let started = Instant::now();
    let events = fill(&chain, vaults).await;
    eprintln!(
        "made {events} registry events for {vaults} vaults in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let head = chain.head().await.expect("head");
    let started = Instant::now();
    let mut fetched = 0;
    let mut from = chain.deploy_block();
    while from <= head {
        let to = head.min(from + 1_999);
        let filter = Filter::new()
            .address(chain.registry_address())
            .from_block(from)
            .to_block(to);
        fetched += chain
            .provider()
            .get_logs(&filter)
            .await
            .expect("logs")
            .len();
        from = to + 1;
    }
    let floor = started.elapsed().as_secs_f64();
    assert_eq!(fetched as u64, events);

    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("web.db").display());
    let db = Database::open(&url).await.expect("database");
    let indexer = Indexer::new(
        chain.provider().clone(),
        chain.registry_address(),
        db.clone(),
        IndexSettings {
            from_block: chain.deploy_block(),
            confirmations: 0,
            batch_blocks: 2_000,
        },
    );
    let started = Instant::now();
    let synced = indexer.sync().await.expect("index");
    let indexing = started.elapsed().as_secs_f64();
    assert_eq!(synced.events, events);
    let (index_rate, floor_rate) = (events as f64 / indexing, events as f64 / floor);
    println!("index: {events} events in {indexing:.2} s = {index_rate:.0} events/s (SQLite)");
    println!("floor: the same logs fetched in {floor:.2} s = {floor_rate:.0} events/s");
    println!(
        "ratio: indexing takes {:.2}x fetching alone",
        indexing / floor
    );

    let app = dnavault_web::app(state(&chain, db), Duration::from_secs(20));
    let middle = vaults / 2;
    let pages = [
        ("the directory (50 vaults)", "/".to_owned()),
        ("the directory's JSON", "/api/vaults?limit=50".to_owned()),
        ("a vault's page", format!("/vaults/{middle}")),
        ("a vault's JSON", format!("/api/vaults/{middle}")),
        (
            "the pending requests",
            "/requests?status=pending".to_owned(),
        ),
    ];
    for (what, path) in &pages {
        let (p50, p99) = latency(&app, path, 200).await;
        println!("{what:28} p50 {p50:6.2} ms  p99 {p99:6.2} ms  ({path}, {vaults} vaults indexed)");
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let served = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let seconds: u64 = std::env::var("DNAVAULT_BENCH_SECONDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    println!("under load from wrk, 8 connections, {seconds} s each, over HTTP on loopback:");
    for (what, path) in &pages {
        let url = format!("http://{served}{path}");
        let result = tokio::task::spawn_blocking(move || wrk(&url, seconds))
            .await
            .expect("wrk");
        let number = |key: &str| result[key].as_f64().unwrap_or(0.0);
        let rate = number("requests") / (number("durationUs") / 1e6);
        assert_eq!(
            (number("statusErrors"), number("socketErrors")),
            (0.0, 0.0),
            "{path}: {result}"
        );
        println!(
            "{what:28} {rate:7.0} requests/s  p50 {:6.2} ms  p99 {:6.2} ms",
            number("p50Us") / 1e3,
            number("p99Us") / 1e3
        );
    }
}

/// `wrk` against `url` for `seconds` over 8 connections: its figures (`pages.lua`).
fn wrk(url: &str, seconds: u64) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pages.lua");
    let output = std::process::Command::new("wrk")
        .args([
            "-t2",
            "-c8",
            "-d",
            &format!("{seconds}s"),
            "-s",
            script,
            url,
        ])
        .output()
        .expect("wrk (Debian's package)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("pages-result "))
        .unwrap_or_else(|| panic!("wrk printed no result: {stdout}"));
    serde_json::from_str(line).expect("wrk's result")
}

/// Twelve events per vault; returns how many the chain emitted.
async fn fill(chain: &TestChain, vaults: u64) -> u64 {
    let provider = chain.provider();
    provider
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    let owner = chain.registry_as(&chain.signer(1));
    let researcher = chain.registry_as(&chain.signer(2));
    let key = chain.registry_as(&chain.signer(5));
    let now = chain.latest_timestamp().await.expect("time");
    let purpose = Purpose::general_research().to_bytes16();
    let mut pending = Vec::new();
    let mut sent = 0;
    let mine = async |pending: &mut Vec<PendingTransactionBuilder<Ethereum>>| {
        provider.anvil_mine(Some(1), None).await.expect("mine");
        for tx in pending.drain(..) {
            let receipt = tx.get_receipt().await.expect("receipt");
            assert!(receipt.status(), "reverted");
        }
    };
    for step in 0..10 {
        for id in 1..=vaults {
            let vault = U256::from(id);
            let code = |n: u8| vec![n; 48].into();
            let call = match step {
                0 => {
                    owner
                        .registerVault(format!("https://vault-{id}.example/"))
                        .send()
                        .await
                }
                1 => {
                    owner
                        .setVaultUri(vault, format!("https://vault-{id}.example/v2"))
                        .send()
                        .await
                }
                2 => owner.approveMeasurement(vault, code(1)).send().await,
                3 => owner.approveMeasurement(vault, code(2)).send().await,
                4 => owner.revokeMeasurement(vault, code(2)).send().await,
                5 => {
                    owner
                        .bindVaultKey(vault, chain.signer(5).address(), code(1))
                        .send()
                        .await
                }
                6 => {
                    researcher
                        .requestAccess(
                            vault,
                            keccak256(id.to_be_bytes()),
                            purpose,
                            now + 86_400 * 30,
                            keccak256("protocol"),
                            "https://protocol.example/".into(),
                            "{}".into(),
                        )
                        .send()
                        .await
                }
                7 => {
                    owner
                        .grantRequest(vault, now + 86_400 * 7, false, 10)
                        .send()
                        .await
                }
                8 => {
                    key.anchorReceipts(
                        vault,
                        vec![keccak256(id.to_le_bytes())],
                        AuditHead {
                            seq: 1,
                            tag: keccak256("t"),
                        },
                    )
                    .send()
                    .await
                }
                _ => owner.cancelNonces(vault, U256::from(1)).send().await,
            };
            pending.push(call.expect("send"));
            sent += 1;
            if pending.len() == PER_BLOCK {
                mine(&mut pending).await;
            }
        }
        mine(&mut pending).await;
    }
    provider
        .anvil_set_auto_mine(true)
        .await
        .expect("automine on");
    // grantRequest emits two events (Granted, AccessRequestGranted); anchorReceipts two (receipts, head).
    sent + 2 * vaults
}

fn state(chain: &TestChain, db: Database) -> AppState {
    let policy = dnavault_attest::Policy::configured(&[], true).expect("policy");
    AppState {
        db,
        deployment: Deployment {
            chain_id: chain.chain_id(),
            registry: chain.registry_address(),
        },
        verifier: std::sync::Arc::new(dnavault_attest::Verifier::production(policy)),
        outbound: Default::default(),
        public_url: "http://127.0.0.1/".parse().expect("URL"),
        chain: chain.provider().clone(),
        relayer: None,
        relay_limits: Default::default(),
        public_rpc: chain.endpoint_url(),
        app_served: true,
    }
}

/// p50 and p99 of `count` GETs of `path`, in milliseconds.
async fn latency(app: &axum::Router, path: &str, count: usize) -> (f64, f64) {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[count / 2], times[count * 99 / 100])
}
