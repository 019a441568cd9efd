//! What the shell keeps in its settings and passes to the core when it goes online: the website's relay,
//! the chain (as paired) and the RPC it is read through, and how strictly vaults are judged.

use alloy::primitives::Address;
use dnavault_attest::{Policy, Verifier};
use dnavault_keys::Seed;
use dnavault_wallet::{WalletError, owner::Submit, registry::Connection};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::AppError;

/// The settings, as the shell stores them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Settings {
    /// The relay: the website's URL.
    pub(crate) relay: String,
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
    /// How signed registry messages reach the chain.
    #[serde(default)]
    submit: SubmitVia,
}

/// How signed registry messages reach the chain, as the settings name it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SubmitVia {
    /// The website's relayer (the owner pays nothing).
    #[default]
    Relayer,
    /// This account, through the RPC (it pays the gas).
    Own,
}

impl Settings {
    /// The settings in the JavaScript object `value`.
    pub(crate) fn from_js(value: JsValue) -> Result<Self, AppError> {
        serde_wasm_bindgen::from_value(value).map_err(|e| AppError::Input {
            what: "the settings",
            reason: e.to_string(),
        })
    }

    /// How signed registry messages reach the chain.
    pub(crate) fn submit(&self) -> Submit {
        match self.submit {
            SubmitVia::Relayer => Submit::Relayer,
            SubmitVia::Own => Submit::Own,
        }
    }

    /// The verifier vaults are judged by: AMD's roots, and the simulated platform's only when set.
    pub(crate) fn verifier(&self) -> Result<Verifier, AppError> {
        let policy =
            Policy::configured(&self.min_tcb, !self.refuse_smt).map_err(WalletError::from)?;
        let roots = self.test_roots.as_deref().map(str::as_bytes);
        Ok(dnavault_attest::vault::verifier(roots, policy).map_err(WalletError::from)?)
    }

    /// The registry as account 0 of `seed`, through the RPC, refused unless it serves the chain paired for.
    pub(crate) async fn connect(&self, seed: &Seed) -> Result<Connection, AppError> {
        let registry = self
            .registry
            .parse::<Address>()
            .map_err(|e| AppError::Input {
                what: "the registry address",
                reason: e.to_string(),
            })?;
        let connection =
            Connection::connect(&self.rpc_url, registry, seed.ethereum_signer(0)?).await?;
        let serves = connection.deployment().chain_id;
        if serves != self.chain_id {
            return Err(AppError::Input {
                what: "the RPC URL",
                reason: format!(
                    "{} serves chain {serves}, and this phone paired for chain {}: set an RPC for that chain",
                    self.rpc_url, self.chain_id
                ),
            });
        }
        Ok(connection)
    }
}
