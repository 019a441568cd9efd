//! Signing screens' words: the wallet library's review of a typed-data document, as the CLI shows it, with
//! the same refusals (a bare QueryApproval or BootApproval, a Grant or Revoke without its descriptor).

use alloy::{dyn_abi::TypedData, primitives::Address};
use dnavault_wallet::{
    explain::{Deployment, Explanation},
    typed,
};
use wasm_bindgen::prelude::*;

use crate::{AppError, to_js};

/// What signing the `eth_signTypedData_v4` document in `json` does, in words (`{title, facts, warnings}`),
/// or why the wallet will not sign it. `descriptor` is the analysis descriptor (JSON) a Grant's or Revoke's
/// scope is the hash of; a document for another chain or registry than the app's (`chain_id`, `registry`)
/// is flagged.
#[wasm_bindgen(js_name = explainTypedData)]
pub fn explain_typed_data(
    json: &str,
    descriptor: Option<String>,
    chain_id: Option<u64>,
    registry: Option<String>,
) -> Result<JsValue, AppError> {
    let known = match (chain_id, registry) {
        (Some(chain_id), Some(registry)) => Some(Deployment {
            chain_id,
            registry: registry.parse::<Address>().map_err(|e| AppError::Input {
                what: "the registry address",
                reason: e.to_string(),
            })?,
        }),
        _ => None,
    };
    let (_, explanation) = review(json, descriptor.as_deref(), known)?;
    to_js(&explanation)
}

/// The document in `json`, reviewed: what [`crate::Wallet::sign_typed_data`] signs only after this passes.
pub(crate) fn review(
    json: &str,
    descriptor: Option<&str>,
    known: Option<Deployment>,
) -> Result<(TypedData, Explanation), AppError> {
    Ok(typed::review_json(json, descriptor, known)?)
}
