//! A JSON-RPC proxy in front of a node that can lie: it forwards every request upstream and hands each
//! answer to a [`Tamper`] first, as a hostile host's RPC endpoint would. Plain HTTP on loopback; serve its
//! [`RpcProxy::router`] behind TLS to play an HTTPS endpoint.

use std::{borrow::Cow, sync::Arc};

use alloy::{
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::json_rpc::RpcError,
    sol_types::SolEvent,
    transports::http::reqwest::Url,
};
use axum::{Json, Router, extract::State, routing::post};
use dnavault_protocol::VaultRegistry::GrantRevoked;
use serde_json::{Value, json, value::RawValue};

/// Rewrites the result of `method` called with `params`; returns it unchanged to tell the truth.
pub type Tamper = Arc<dyn Fn(&str, &Value, Value) -> Value + Send + Sync>;

/// The lies a hostile host's endpoint tells about a vault's consent: it hides every `GrantRevoked` log (in
/// `eth_getLogs` and in block receipts), answers `true` to every `eth_call` (`isAllowed`,
/// `isOwnerSignature`, ...).
pub fn hiding_revocations() -> Tamper {
    Arc::new(
        |method: &str, _params: &Value, result: Value| match method {
            "eth_getLogs" => Value::Array(without_revocations(result)),
            "eth_getBlockReceipts" => match result {
                Value::Array(receipts) => Value::Array(
                    receipts
                        .into_iter()
                        .map(|mut receipt| {
                            receipt["logs"] =
                                Value::Array(without_revocations(receipt["logs"].take()));
                            receipt
                        })
                        .collect(),
                ),
                other => other,
            },
            "eth_call" => json!(format!("0x{:064x}", 1)),
            _ => result,
        },
    )
}

fn without_revocations(logs: Value) -> Vec<Value> {
    let revoked = GrantRevoked::SIGNATURE_HASH.to_string();
    match logs {
        Value::Array(logs) => logs
            .into_iter()
            .filter(|log| log["topics"][0].as_str() != Some(revoked.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct RpcProxy {
    url: String,
    serving: tokio::task::JoinHandle<()>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone)]
struct Upstream {
    provider: DynProvider,
    tamper: Option<Tamper>,
    /// While set, every request fails as a stopped node's would (502, no answer).
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl RpcProxy {
    /// A proxy to `upstream` on a free loopback port, answering as `tamper` rewrites (`None`: honest).
    pub async fn start(upstream: Url, tamper: Option<Tamper>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let down = Arc::default();
        let router = Self::routes(upstream, tamper, Arc::clone(&down));
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { url, serving, down })
    }

    /// The proxy's routes, to serve elsewhere (behind TLS).
    pub fn router(upstream: Url, tamper: Option<Tamper>) -> Router {
        Self::routes(upstream, tamper, Arc::default())
    }

    fn routes(
        upstream: Url,
        tamper: Option<Tamper>,
        down: Arc<std::sync::atomic::AtomicBool>,
    ) -> Router {
        let provider = ProviderBuilder::new().connect_http(upstream).erased();
        Router::new()
            .route("/", post(forward))
            .with_state(Upstream {
                provider,
                tamper,
                down,
            })
    }

    /// Stops answering, as a stopped node does (`true`), or answers again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for RpcProxy {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn forward(
    State(upstream): State<Upstream>,
    Json(request): Json<Value>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    if upstream.down.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(axum::http::StatusCode::BAD_GATEWAY);
    }
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let params = request.get("params").cloned().unwrap_or(json!([]));
    let raw = RawValue::from_string(params.to_string()).expect("JSON is JSON");
    let answer = upstream
        .provider
        .raw_request_dyn(Cow::Owned(method.clone()), &raw)
        .await;
    Ok(Json(match answer {
        Ok(result) => {
            let result: Value = serde_json::from_str(result.get()).unwrap_or(Value::Null);
            let result = match &upstream.tamper {
                Some(tamper) => tamper(&method, &params, result),
                None => result,
            };
            json!({ "jsonrpc": "2.0", "id": id, "result": result })
        }
        Err(RpcError::ErrorResp(error)) => json!({ "jsonrpc": "2.0", "id": id, "error": error }),
        Err(other) => json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": -32603, "message": other.to_string() },
        }),
    }))
}
