//! Several endpoints read as one: every request goes to each, and an answer counts only when `quorum` of them
//! gave it. One lying or lagging endpoint among honest ones is outvoted, and one that stalls does not hold up
//! the others; too few agreeing is an error, so every check that needs the chain fails closed.

use std::{sync::Arc, task};

use alloy::{
    primitives::U64,
    rpc::json_rpc::{RequestPacket, Response, ResponsePacket, ResponsePayload, SerializedRequest},
    transports::{TransportError, TransportErrorKind, TransportFut},
};
use futures_util::{StreamExt, future::join_all, stream::FuturesUnordered};
use serde_json::Value;
use tower::Service;

use crate::Endpoint;

/// Methods whose answers decide nothing the vault trusts and legitimately differ between nodes (fees,
/// its own transactions' nonce, gas and receipts), or that the vault verifies itself (a storage proof,
/// against a state root a quorum agreed on): the first endpoint to answer is taken. A transaction is still
/// sent to every endpoint.
const ANY_ANSWER: [&str; 10] = [
    "eth_getProof",
    "eth_sendRawTransaction",
    "eth_getTransactionCount",
    "eth_estimateGas",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_blobBaseFee",
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
];

/// How long the other endpoints may still answer the head's number once a quorum has: a lagging or lying
/// low answer among quick honest ones is outvoted, and a stalled endpoint costs a read no more than this.
const HEAD_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

/// Endpoints that must agree.
#[derive(Debug, Clone)]
pub struct Quorum {
    endpoints: Arc<[Endpoint]>,
    quorum: usize,
}

impl Quorum {
    /// `quorum` of `endpoints` must agree (at least one; more than there are endpoints never agrees).
    pub fn new(endpoints: Vec<Endpoint>, quorum: usize) -> Self {
        let quorum = quorum.max(1);
        Self {
            endpoints: endpoints.into(),
            quorum,
        }
    }

    async fn answer(self, packet: RequestPacket) -> Result<ResponsePacket, TransportError> {
        match packet {
            RequestPacket::Single(request) => Ok(ResponsePacket::Single(self.one(request).await?)),
            RequestPacket::Batch(requests) => {
                let answers = join_all(requests.into_iter().map(|r| self.clone().one(r))).await;
                Ok(ResponsePacket::Batch(
                    answers.into_iter().collect::<Result<_, _>>()?,
                ))
            }
        }
    }

    /// One request, asked of every endpoint. The answer is decided as soon as it can be: the first for
    /// [`ANY_ANSWER`] methods, the first that `quorum` endpoints agree on for the rest; the head's number once
    /// `quorum` endpoints have answered and the others have had [`HEAD_GRACE`] more. So one endpoint the host
    /// slows down does not slow every read.
    async fn one(self, request: SerializedRequest) -> Result<Response, TransportError> {
        let method = request.method().to_owned();
        let mut pending: FuturesUnordered<_> = self
            .endpoints
            .iter()
            .map(|endpoint| ask(endpoint.clone(), request.clone()))
            .collect();
        let (mut answers, mut failures) = (Vec::new(), Vec::new());
        let mut grace_ends = None;
        loop {
            let next = match grace_ends {
                // Past the grace, the answers in are all there will be.
                Some(deadline) => tokio::time::timeout_at(deadline, pending.next())
                    .await
                    .unwrap_or_default(),
                None => pending.next().await,
            };
            let Some(outcome) = next else { break };
            match outcome {
                Ok(response) => answers.push(response),
                Err(failure) => failures.push(failure),
            }
            if ANY_ANSWER.contains(&method.as_str()) {
                if let Some(first) = answers.first() {
                    if method == "eth_sendRawTransaction" {
                        // The transaction still goes to every endpoint.
                        tokio::spawn(async move { while pending.next().await.is_some() {} });
                    }
                    return Ok(first.clone());
                }
            } else if method == "eth_blockNumber" {
                if answers.len() >= self.quorum && grace_ends.is_none() {
                    grace_ends = Some(tokio::time::Instant::now() + HEAD_GRACE);
                }
            } else if let Some(agreed) = self.agreed(&answers) {
                return Ok(agreed);
            }
        }
        let chosen = match method.as_str() {
            "eth_blockNumber" => self.highest_reached(answers),
            _ => None,
        };
        chosen.ok_or_else(|| {
            TransportErrorKind::custom_str(&format!(
                "{method}: fewer than {} of the {} RPC endpoints gave the same answer{}",
                self.quorum,
                self.endpoints.len(),
                if failures.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", failures.join("; "))
                }
            ))
        })
    }

    /// The highest block at least `quorum` endpoints have reached.
    fn highest_reached(&self, answers: Vec<Response>) -> Option<Response> {
        let mut numbered: Vec<(u64, Response)> = answers
            .into_iter()
            .filter_map(|response| {
                let number = response
                    .payload
                    .as_success()
                    .and_then(|raw| serde_json::from_str::<U64>(raw.get()).ok())?;
                Some((number.to::<u64>(), response))
            })
            .collect();
        numbered.sort_by_key(|(number, _)| std::cmp::Reverse(*number));
        numbered
            .into_iter()
            .nth(self.quorum - 1)
            .map(|(_, response)| response)
    }

    /// The answer `quorum` endpoints gave, compared as JSON values (success or error alike).
    fn agreed(&self, answers: &[Response]) -> Option<Response> {
        let values: Vec<Option<Value>> =
            answers.iter().map(|r| payload_value(&r.payload)).collect();
        (0..answers.len()).find_map(|i| {
            let value = values[i].as_ref()?;
            let agreeing = values.iter().filter(|v| v.as_ref() == Some(value)).count();
            (agreeing >= self.quorum).then(|| answers[i].clone())
        })
    }
}

/// `request`, asked of `endpoint`.
async fn ask(mut endpoint: Endpoint, request: SerializedRequest) -> Result<Response, String> {
    match endpoint.call(RequestPacket::Single(request)).await {
        Ok(ResponsePacket::Single(response)) => Ok(response),
        Ok(ResponsePacket::Batch(_)) => Err(format!("{}: a batch answer", endpoint.url())),
        Err(error) => Err(format!("{}: {error}", endpoint.url())),
    }
}

/// A payload as one JSON value: `{"result": ...}` or `{"error": ...}`.
fn payload_value(payload: &ResponsePayload) -> Option<Value> {
    match payload {
        ResponsePayload::Success(raw) => serde_json::from_str(raw.get())
            .ok()
            .map(|result: Value| serde_json::json!({ "result": result })),
        ResponsePayload::Failure(error) => serde_json::to_value(error)
            .ok()
            .map(|error| serde_json::json!({ "error": error })),
    }
}

impl Service<RequestPacket> for Quorum {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _: &mut task::Context<'_>) -> task::Poll<Result<(), Self::Error>> {
        task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, packet: RequestPacket) -> Self::Future {
        Box::pin(self.clone().answer(packet))
    }
}
