//! The website as a process: `dnavault-web serve` indexing a test chain into a SQLite file, read over HTTP.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use alloy::transports::http::reqwest;
use dnavault_testkit::TestChain;
use serde_json::Value;

use crate::binary;

/// A running website, killed on drop.
pub struct WebProcess {
    /// The process.
    pub child: Child,
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
}

impl WebProcess {
    /// Starts `dnavault-web serve` over `chain` at the head (no confirmation depth), its database in `dir`,
    /// fetching evidence from loopback vaults, with `extra` arguments.
    pub fn start(chain: &TestChain, dir: &Path, extra: &[&str]) -> Self {
        Self::start_at(chain, dir, "127.0.0.1:0", extra)
    }

    /// [`Self::start`], listening on `listen`.
    pub fn start_at(chain: &TestChain, dir: &Path, listen: &str, extra: &[&str]) -> Self {
        let database = format!("sqlite://{}?mode=rwc", dir.join("web.db").display());
        let mut child = Command::new(binary("dnavault-web"))
            .args(["serve", "--listen", listen, "--confirmations", "0"])
            .args(["--poll-ms", "100", "--database", &database])
            .args(["--rpc", chain.endpoint_url().as_str()])
            .args(["--registry", &chain.registry_address().to_string()])
            .args(["--from-block", &chain.deploy_block().to_string()])
            // The test vaults serve on loopback.
            .arg("--allow-private-vault-hosts")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("the website's first line: {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Self { child, url }
    }

    /// `GET path`: the status and the JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body:?}"));
        (status, json)
    }

    /// `POST path` with a JSON `body`: the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer = response.bytes().await.unwrap();
        let json = serde_json::from_slice(&answer)
            .unwrap_or_else(|e| panic!("POST {path}: not JSON ({e}): {answer:?}"));
        (status, json)
    }

    /// Waits until the index has read `block`; fails after 20 s.
    pub async fn indexed_past(&self, block: u64) {
        for _ in 0..200 {
            let (_, health) = self.get("/healthz").await;
            if health["index"]["block"].as_u64() >= Some(block) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the website never indexed block {block}");
    }

    /// Waits until the index has read everything `chain` has mined so far.
    pub async fn indexed_with(&self, chain: &TestChain) {
        self.indexed_past(chain.head().await.unwrap()).await;
    }
}

impl Drop for WebProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now (for a process started later that others must know in advance).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}
