//! The owner's consents from the phone: a researcher's access request granted as asked (read from the
//! chain, never from the website's copy), a grant revoked; each is put in words by the wallet library and
//! signed only when the shell passes the person's tap on, then submitted by the website's relayer or, as the
//! settings say, from this account through the RPC.

use std::rc::Rc;

use alloy::primitives::{Address, B256, U256};
use dnavault_keys::Seed;
use dnavault_wallet::{
    inputs::Analysis,
    owner::{self, GrantChoices, Submit},
};
use js_sys::Promise;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::{AppError, now, promise, settings::Settings, to_js};

/// Account 0 online: its registry connection and the website's relayer.
#[wasm_bindgen]
pub struct Owner {
    owner: Rc<owner::Owner>,
    submit: Submit,
}

/// A registry message made and put in words, waiting for the owner's tap.
#[wasm_bindgen]
pub struct Signing {
    signing: Rc<owner::Signing>,
    owner: Rc<owner::Owner>,
    submit: Submit,
}

/// The owner's choices for a grant, as the shell's form gives them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Choices {
    /// Unix seconds; absent: as the researcher asked.
    #[serde(default)]
    expiry: Option<u64>,
    per_query_approval: bool,
    #[serde(default)]
    max_queries: u32,
}

impl Owner {
    /// Connects to the chain `settings` name as account 0 of `seed`.
    pub(crate) async fn open(seed: &Seed, settings: Settings) -> Result<Self, AppError> {
        let connection = settings.connect(seed).await?;
        let owner = owner::Owner::new(seed, 0, connection, &settings.relay)?;
        Ok(Self {
            owner: Rc::new(owner),
            submit: settings.submit(),
        })
    }
}

#[wasm_bindgen]
impl Owner {
    /// Access request `id` granted on `choices` (`{expiry?, perQueryApproval, maxQueries?}`), read from
    /// the chain and put in words: a promise of a [`Signing`]. Nothing is signed.
    #[wasm_bindgen(js_name = reviewGrant)]
    pub fn review_grant(&self, id: String, choices: JsValue) -> Promise {
        let (owner, submit) = (self.owner.clone(), self.submit);
        promise(async move {
            let id = parse::<U256>("the access request id", &id)?;
            let choices: Choices =
                serde_wasm_bindgen::from_value(choices).map_err(|e| AppError::Input {
                    what: "the grant's terms",
                    reason: e.to_string(),
                })?;
            let choices = GrantChoices {
                expiry: choices.expiry,
                per_query_approval: choices.per_query_approval,
                max_queries: choices.max_queries,
            };
            let signing = owner.grant_request(id, choices, now()?).await?;
            Ok(Signing {
                signing: Rc::new(signing),
                owner,
                submit,
            }
            .into())
        })
    }

    /// The revocation of `grantee`'s grant of `scope` on `vault`, checked live on-chain and put in words
    /// (`descriptor`: the analysis descriptor JSON the scope is the hash of, when known; one that is not is
    /// refused): a promise of a [`Signing`]. Nothing is signed.
    #[wasm_bindgen(js_name = reviewRevoke)]
    pub fn review_revoke(
        &self,
        vault: String,
        grantee: String,
        scope: String,
        descriptor: Option<String>,
    ) -> Promise {
        let (owner, submit) = (self.owner.clone(), self.submit);
        promise(async move {
            let vault = parse::<U256>("the vault id", &vault)?;
            let grantee = parse::<Address>("the researcher's address", &grantee)?;
            let scope = parse::<B256>("the scope", &scope)?;
            let analysis = descriptor.as_deref().map(Analysis::from_json).transpose()?;
            let signing = owner
                .revoke(vault, grantee, scope, analysis.as_ref(), now()?)
                .await?;
            Ok(Signing {
                signing: Rc::new(signing),
                owner,
                submit,
            }
            .into())
        })
    }
}

#[wasm_bindgen]
impl Signing {
    /// What signing does, in words: `{title, facts, warnings}`.
    pub fn explanation(&self) -> Result<JsValue, AppError> {
        to_js(self.signing.explanation())
    }

    /// Signs, after the person's tap, and submits it as the settings say (the website's relayer, or this
    /// account through the RPC): a promise of the transaction hash.
    pub fn approve(&self) -> Promise {
        let (signing, owner, submit) = (self.signing.clone(), self.owner.clone(), self.submit);
        promise(async move {
            let transaction = owner.sign_and_submit(&signing, submit).await?;
            Ok(JsValue::from_str(&transaction.to_string()))
        })
    }
}

fn parse<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| AppError::Input {
        what,
        reason: format!("{text:?}: {e}"),
    })
}
