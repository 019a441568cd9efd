//! A client of the relay's HTTP API (`/relay/v1/...` on the website): what vaults, researchers and wallets
//! use to reach each other. It checks what the relay hands back: an inbox must be signed by the account
//! asked for; messages are checked by [`crate::Envelope::open`] when they are opened.

use alloy::{
    primitives::{Address, B256},
    sol_types::Eip712Domain,
    transports::http::reqwest,
};
use dnavault_protocol::{Refusal, boot::BootRequest};
use serde::{Serialize, de::DeserializeOwned};

use crate::{Envelope, RelayError, Result, SignedAck, SignedRead, SignedRegistration};

/// The largest answer read from the relay.
const MAX_ANSWER: usize = 8 << 20;

/// The relay at one base URL, for one deployment.
#[derive(Debug, Clone)]
pub struct RelayClient {
    base: String,
    http: reqwest::Client,
    domain: Eip712Domain,
}

impl RelayClient {
    /// The relay at `base` (the website's URL), carrying messages signed under `domain`.
    pub fn new(base: &str, domain: Eip712Domain) -> Result<Self> {
        let builder = reqwest::Client::builder();
        // In a browser fetch has no client-wide timeout: the app's shell bounds its wait for the relay.
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.timeout(std::time::Duration::from_secs(20));
        let http = builder.build().map_err(|e| http_error(base, e))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            domain,
        })
    }

    /// The signing domain messages are checked under.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// Registers (or renews) an inbox; its topic.
    pub async fn register(&self, registration: &SignedRegistration) -> Result<B256> {
        #[derive(serde::Deserialize)]
        struct Registered {
            topic: B256,
        }
        let answer: Registered = self.post("/relay/v1/inboxes", registration).await?;
        Ok(answer.topic)
    }

    /// `account`'s newest inbox, refused unless `account` signed it.
    pub async fn inbox_of(&self, account: Address) -> Result<SignedRegistration> {
        let inbox: SignedRegistration = self.get(&format!("/relay/v1/inboxes/{account}")).await?;
        if inbox.registration.account != account {
            return Err(RelayError::Signature {
                claimed: account,
                recovered: Some(inbox.registration.account),
            });
        }
        inbox.verify(&self.domain)?;
        Ok(inbox)
    }

    /// Posts `envelope` (with the vault's public `evidence`, for a boot request).
    pub async fn send(&self, envelope: &Envelope, evidence: Option<&BootRequest>) -> Result<()> {
        let body = serde_json::json!({ "envelope": envelope, "evidence": evidence });
        let _: serde_json::Value = self.post("/relay/v1/messages", &body).await?;
        Ok(())
    }

    /// What waits in the inbox `read` asks for (signed by its account), oldest first, unopened.
    pub async fn waiting(&self, read: &SignedRead) -> Result<Vec<Envelope>> {
        #[derive(serde::Deserialize)]
        struct Waiting {
            messages: Vec<Envelope>,
        }
        let waiting: Waiting = self
            .get(&format!(
                "/relay/v1/messages?topic={}&at={}&signature={}",
                read.read.topic, read.read.at, read.signature
            ))
            .await?;
        Ok(waiting.messages)
    }

    /// Acknowledges a message taken: the relay forgets it.
    pub async fn ack(&self, ack: &SignedAck) -> Result<()> {
        let _: serde_json::Value = self.post("/relay/v1/acks", ack).await?;
        Ok(())
    }

    /// Hands an owner's signed registry message (`{"typedData", "signature"}`) to the website's relayer
    /// (`POST /api/relay`), which submits it from its own account; what it submitted.
    pub async fn relay_signed(&self, signed: &serde_json::Value) -> Result<serde_json::Value> {
        self.post("/api/relay", signed).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| http_error(&url, e))?;
        read(&url, response).await
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let body = serde_json::to_vec(body).map_err(|e| http_error(&url, e))?;
        let response = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| http_error(&url, e))?;
        read(&url, response).await
    }
}

/// The answer's JSON, or the relay's refusal in its own words.
async fn read<T: DeserializeOwned>(url: &str, response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| http_error(url, e))?;
    if body.len() > MAX_ANSWER {
        return Err(RelayError::Http {
            url: url.to_owned(),
            reason: format!(
                "an answer of {} bytes is more than a relay sends",
                body.len()
            ),
        });
    }
    if !status.is_success() {
        let reason = Refusal::from_body(&body)
            .map_or_else(|| format!("answered {status}"), |r| r.to_string());
        return Err(RelayError::Http {
            url: url.to_owned(),
            reason,
        });
    }
    serde_json::from_slice(&body).map_err(|e| RelayError::Http {
        url: url.to_owned(),
        reason: format!("not the answer a relay gives: {e}"),
    })
}

fn http_error(url: &str, error: impl std::fmt::Display) -> RelayError {
    RelayError::Http {
        url: url.to_owned(),
        reason: error.to_string(),
    }
}
