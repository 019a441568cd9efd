//! The inbox: what the owner's vaults and researchers ask through the relay, opened and checked by the
//! wallet library exactly as the CLI's `inbox` does (a boot request's attestation against AMD's roots and
//! its measurement on-chain, a query against its grant, a code update or a tool install against the vault's
//! bound key), put in words, and answered only when the shell passes the person's tap on.

use std::rc::Rc;

use alloy::primitives::B256;
use dnavault_attest::Verifier;
use dnavault_keys::Seed;
use dnavault_wallet::inbox::{self, Prepared, Submit};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::{AppError, now, promise, settings::Settings, to_js};

/// The owner's inbox at the website's relay, account 0, with the chain connection its checks read.
#[wasm_bindgen]
pub struct Inbox {
    shared: Rc<Shared>,
}

struct Shared {
    inbox: inbox::Inbox,
    seed: Rc<Seed>,
    verifier: Verifier,
    submit: Submit,
}

/// A request checked and put in words, waiting for the owner's answer.
#[wasm_bindgen]
pub struct Review {
    prepared: Rc<Prepared>,
    shared: Rc<Shared>,
}

impl Inbox {
    /// Connects to the chain `settings` name and opens `seed`'s inbox at its relay.
    pub(crate) async fn open(seed: Rc<Seed>, settings: Settings) -> Result<Self, AppError> {
        let verifier = settings.verifier()?;
        let submit = settings.submit();
        let connection = settings.connect(&seed).await?;
        let inbox = inbox::Inbox::open(&seed, 0, connection, &settings.relay, now()?)?;
        Ok(Self {
            shared: Rc::new(Shared {
                inbox,
                seed,
                verifier,
                submit,
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
    /// goes to the chain first, and a booted vault's key binding after, when `bind`, as the settings say:
    /// through the website's relayer or from this account): `{answered, approved, vault, transaction, words}`.
    pub fn approve(&self, bind: bool) -> Promise {
        let (prepared, shared) = (self.prepared.clone(), self.shared.clone());
        promise(async move {
            let answered = shared
                .inbox
                .approve(&prepared, &shared.seed, shared.submit, bind)
                .await?;
            to_js(&answered)
        })
    }
}

fn parse_nonce(nonce: &str) -> Result<B256, AppError> {
    nonce.parse().map_err(|e| AppError::Input {
        what: "the message nonce",
        reason: format!("{e}"),
    })
}
