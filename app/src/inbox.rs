//! The inbox: what the owner's vaults and researchers ask through the relay, opened and checked by the
//! wallet library exactly as the CLI's `inbox` does (a boot request's attestation against AMD's roots and
//! its measurement on-chain, a query against its grant, a code update against the vault's bound key), put
//! in words, and answered only when the shell passes the person's tap on.

use std::rc::Rc;

use alloy::primitives::{Address, B256};
use dnavault_attest::{Policy, Verifier};
use dnavault_keys::Seed;
use dnavault_wallet::{
    inbox::{self, Prepared, Submit},
    registry::Connection,
};
use js_sys::Promise;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{AppError, now, to_js};

/// Where the inbox is and how strictly vaults are judged: what the shell keeps in its settings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InboxSettings {
    /// The relay: the website's URL.
    relay: String,
    /// The JSON-RPC URL the chain is read through.
    rpc_url: String,
    /// The chain this phone paired for: an RPC serving another is refused.
    chain_id: u64,
    /// The registry this phone paired for.
    registry: String,
    /// A simulated platform's test-only root bundle (PEM), accepted loudly: development only.
    #[serde(default)]
    test_roots: Option<String>,
    /// Minimum TCBs per product line, as the CLI's `--min-tcb` takes them.
    #[serde(default)]
    min_tcb: Vec<String>,
    /// Refuse a vault whose host runs SMT.
    #[serde(default)]
    refuse_smt: bool,
}

/// The owner's inbox at the website's relay, account 0, with the chain connection its checks read.
#[wasm_bindgen]
pub struct Inbox {
    shared: Rc<Shared>,
}

struct Shared {
    inbox: inbox::Inbox,
    seed: Rc<Seed>,
    verifier: Verifier,
}

/// A request checked and put in words, waiting for the owner's answer.
#[wasm_bindgen]
pub struct Review {
    prepared: Rc<Prepared>,
    shared: Rc<Shared>,
}

impl Inbox {
    /// Connects to the chain `settings` name and opens `seed`'s inbox at its relay.
    pub(crate) async fn open(seed: Rc<Seed>, settings: InboxSettings) -> Result<Self, AppError> {
        let registry = settings
            .registry
            .parse::<Address>()
            .map_err(|e| AppError::Input {
                what: "the registry address",
                reason: e.to_string(),
            })?;
        let policy = Policy::configured(&settings.min_tcb, !settings.refuse_smt)
            .map_err(dnavault_wallet::WalletError::from)?;
        let verifier = dnavault_attest::vault::verifier(
            settings.test_roots.as_deref().map(str::as_bytes),
            policy,
        )
        .map_err(dnavault_wallet::WalletError::from)?;
        let owner = seed.ethereum_signer(0)?;
        let connection = Connection::connect(&settings.rpc_url, registry, owner).await?;
        let serves = connection.deployment().chain_id;
        if serves != settings.chain_id {
            return Err(AppError::Input {
                what: "the RPC URL",
                reason: format!(
                    "{} serves chain {serves}, and this phone paired for chain {}: set an RPC for that chain",
                    settings.rpc_url, settings.chain_id
                ),
            });
        }
        let inbox = inbox::Inbox::open(&seed, 0, connection, &settings.relay, now()?)?;
        Ok(Self {
            shared: Rc::new(Shared {
                inbox,
                seed,
                verifier,
            }),
        })
    }
}

#[wasm_bindgen]
impl Inbox {
    /// The account whose inbox this is.
    pub fn account(&self) -> String {
        self.shared.inbox.account().to_checksum(None)
    }

    /// What waits, oldest first: `[{nonce, sender, expires, words, refused}]`; a refused message (forged,
    /// replayed, expired, not sealed to this phone) says why and is never offered for an answer.
    pub fn list(&self) -> Promise {
        let shared = self.shared.clone();
        promise(async move {
            let waiting = shared.inbox.waiting(now()?).await?;
            let items: Vec<_> = waiting
                .iter()
                .map(|w| {
                    let m = &w.envelope.message;
                    serde_json::json!({
                        "nonce": m.nonce,
                        "sender": m.sender,
                        "expires": dnavault_protocol::clock::format_time(m.expires),
                        "words": w.words(),
                        "refused": w.opened.is_err(),
                    })
                })
                .collect();
            to_js(&items)
        })
    }

    /// Checks message `nonce` and puts it in words: a [`Review`]. Nothing is signed.
    pub fn review(&self, nonce: String) -> Promise {
        let shared = self.shared.clone();
        promise(async move {
            let nonce = parse_nonce(&nonce)?;
            let prepared = shared
                .inbox
                .prepare(nonce, &shared.verifier, now()?)
                .await?;
            Ok(Review {
                prepared: Rc::new(prepared),
                shared,
            }
            .into())
        })
    }

    /// Says no to message `nonce` (nothing is signed but the answer): `{answered, approved, vault, words}`.
    pub fn decline(&self, nonce: String) -> Promise {
        let shared = self.shared.clone();
        promise(async move {
            let nonce = parse_nonce(&nonce)?;
            to_js(&shared.inbox.decline(nonce, now()?).await?)
        })
    }
}

#[wasm_bindgen]
impl Review {
    /// What approving does, in words: `{title, facts, warnings}`.
    pub fn explanation(&self) -> Result<JsValue, AppError> {
        to_js(self.prepared.explanation())
    }

    /// The question the approve button answers.
    pub fn question(&self) -> String {
        self.prepared.question().to_owned()
    }

    /// Whether approving signs anything.
    pub fn signs(&self) -> bool {
        self.prepared.signs()
    }

    /// For a boot request whose vault key is not bound on-chain: what binding it signs (`{title, facts,
    /// warnings}`), else `null`.
    pub fn binding(&self) -> Result<JsValue, AppError> {
        match self.prepared.binding() {
            Some(words) => to_js(words),
            None => Ok(JsValue::NULL),
        }
    }

    /// Says yes, after the person's tap: signs, sends the answer through the relay (an approved code update
    /// goes to the chain through the website's relayer first; a booted vault's key binding after, when
    /// `bind`): `{answered, approved, vault, transaction, words}`.
    pub fn approve(&self, bind: bool) -> Promise {
        let (prepared, shared) = (self.prepared.clone(), self.shared.clone());
        promise(async move {
            let answered = shared
                .inbox
                .approve(&prepared, &shared.seed, Submit::Relayer, bind)
                .await?;
            to_js(&answered)
        })
    }
}

fn promise(work: impl Future<Output = Result<JsValue, AppError>> + 'static) -> Promise {
    future_to_promise(async move { work.await.map_err(JsValue::from) })
}

fn parse_nonce(nonce: &str) -> Result<B256, AppError> {
    nonce.parse().map_err(|e| AppError::Input {
        what: "the message nonce",
        reason: format!("{e}"),
    })
}
