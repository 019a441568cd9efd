//! Filing an access request that the researcher's wallet signed and did not send
//! (`dnavault-wallet request-access --sign-only`): the website broadcasts it, after checking that it is
//! exactly a `requestAccess` to this deployment's registry whose published descriptor is the one its scope
//! is the hash of, that its nonce is the researcher's next, and that the registry would take it.
//!
//! The researcher pays its gas; the website spends nothing but an RPC call, and a transaction it refuses is
//! never broadcast.

use alloy::{
    consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable},
    eips::eip2718::Decodable2718,
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider},
    sol_types::{SolCall, SolEvent},
};
use axum::http::StatusCode;
use dnavault_protocol::VaultRegistry;
use serde::{Deserialize, Serialize};

use crate::{AppError, verify::Deployment};

/// How long the website waits for the broadcast transaction to be mined.
const MINED_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// A signed transaction, as `--sign-only` prints it.
#[derive(Debug, Clone, Deserialize)]
pub struct SignedRequest {
    /// The EIP-2718 encoding.
    pub transaction: Bytes,
}

/// The request the broadcast transaction filed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Filed {
    /// The new request's id.
    pub request_id: u64,
    /// The vault it asks.
    pub vault_id: u64,
    /// The researcher, who signed and paid.
    #[serde(serialize_with = "crate::db::read::checksummed")]
    pub researcher: Address,
    /// The transaction.
    pub transaction: B256,
    /// The block it was mined in.
    pub block: u64,
}

/// The transaction in what a researcher pasted: the hex `--sign-only` prints, or its `--json` output.
pub fn pasted(text: &str) -> Result<Bytes, AppError> {
    let text = text.trim();
    let hex = match text.starts_with('{') {
        true => serde_json::from_str::<SignedRequest>(text)
            .map(|signed| signed.transaction)
            .map_err(|e| {
                AppError::bad_request(
                    "transaction",
                    format!("that JSON is not what request-access --sign-only --json prints: {e}"),
                )
            })?,
        false => text.parse::<Bytes>().map_err(|_| {
            AppError::bad_request(
                "transaction",
                "paste the 0x... line request-access --sign-only printed, whole".into(),
            )
        })?,
    };
    Ok(hex)
}

/// Checks `raw` and broadcasts it on `chain`; returns the request once it is mined.
pub async fn file(
    chain: &DynProvider,
    deployment: Deployment,
    raw: &[u8],
) -> Result<Filed, AppError> {
    let checked = check(deployment, raw)?;
    let next = chain
        .get_transaction_count(checked.researcher)
        .pending()
        .await
        .map_err(|e| crate::relayer::chain_unreachable(&e))?;
    if checked.nonce != next {
        return Err(AppError::refused(
            StatusCode::CONFLICT,
            "nonce",
            format!(
                "this transaction has nonce {}, but {}'s next is {next}: it was sent already, or \
                 another transaction took its place; sign the request again",
                checked.nonce, checked.researcher
            ),
        ));
    }
    funded(chain, &checked).await?;
    dry_run(chain, deployment, &checked).await?;
    let receipt = chain
        .send_raw_transaction(raw)
        .await
        .map_err(|e| match e.as_error_resp() {
            Some(refusal) => AppError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "broadcast",
                format!("the chain refused the transaction: {}", refusal.message),
            ),
            None => crate::relayer::chain_unreachable(&e),
        })?
        .with_timeout(Some(MINED_WITHIN))
        .get_receipt()
        .await
        .map_err(|e| crate::relayer::chain_unreachable(&e))?;
    let request_id = receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == deployment.registry)
        .find_map(|log| VaultRegistry::AccessRequested::decode_log(&log.inner).ok())
        .map(|event| event.requestId);
    match (receipt.status(), request_id) {
        (true, Some(id)) => Ok(Filed {
            request_id: id.saturating_to(),
            vault_id: checked.vault.saturating_to(),
            researcher: checked.researcher,
            transaction: receipt.transaction_hash,
            block: receipt.block_number.unwrap_or_default(),
        }),
        _ => Err(AppError::internal(format!(
            "access request transaction {} was mined but filed no request",
            receipt.transaction_hash
        ))),
    }
}

/// What the website checked of a signed request before broadcasting it.
struct Checked {
    researcher: Address,
    nonce: u64,
    /// The most it can cost: gas limit times the highest fee per gas.
    max_cost: U256,
    vault: U256,
    call: VaultRegistry::requestAccessCall,
}

/// Everything that can be checked without the chain: encoding, chain, recipient, call, descriptor, signer.
fn check(deployment: Deployment, raw: &[u8]) -> Result<Checked, AppError> {
    let envelope = TxEnvelope::decode_2718_exact(raw).map_err(|e| {
        AppError::bad_request(
            "transaction",
            format!("not a signed Ethereum transaction (EIP-2718): {e}"),
        )
    })?;
    if envelope.chain_id() != Some(deployment.chain_id) {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "chain",
            format!(
                "the transaction is signed for chain {}, not this website's chain {}",
                envelope.chain_id().map_or_else(
                    || "none (replayable on any chain)".into(),
                    |c| c.to_string()
                ),
                deployment.chain_id
            ),
        ));
    }
    if envelope.to() != Some(deployment.registry) || !envelope.value().is_zero() {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipient",
            format!(
                "the transaction must call the registry {} and send no ether",
                deployment.registry
            ),
        ));
    }
    let call = VaultRegistry::requestAccessCall::abi_decode(envelope.input()).map_err(|_| {
        AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "call",
            "the transaction does not file an access request (requestAccess): this page files \
             nothing else"
                .into(),
        )
    })?;
    let analysis = crate::db::read::analysis(call.scope, &call.descriptor);
    if let Some(why) = analysis.unreadable {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "descriptor",
            format!("the request's analysis: {why}"),
        ));
    }
    let researcher = envelope.recover_signer().map_err(|_| {
        AppError::bad_request(
            "signature",
            "the transaction's signature does not recover to an account".into(),
        )
    })?;
    let max_cost =
        U256::from(envelope.gas_limit()).saturating_mul(U256::from(envelope.max_fee_per_gas()));
    Ok(Checked {
        researcher,
        nonce: envelope.nonce(),
        max_cost,
        vault: call.vaultId,
        call,
    })
}

/// The researcher must hold the ether the transaction may cost: the website does not pay for it.
async fn funded(chain: &DynProvider, checked: &Checked) -> Result<(), AppError> {
    let balance = chain
        .get_balance(checked.researcher)
        .await
        .map_err(|e| crate::relayer::chain_unreachable(&e))?;
    if balance < checked.max_cost {
        return Err(AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "funds",
            format!(
                "{} holds {balance} wei, and the transaction may cost up to {} wei of gas: the \
                 researcher pays for filing a request; fund the account and sign it again",
                checked.researcher, checked.max_cost
            ),
        ));
    }
    Ok(())
}

/// Runs the call as its signer would, so a refusal comes back in the registry's words before anything is
/// broadcast.
async fn dry_run(
    chain: &DynProvider,
    deployment: Deployment,
    checked: &Checked,
) -> Result<(), AppError> {
    alloy::contract::SolCallBuilder::new_sol(chain, &deployment.registry, &checked.call)
        .from(checked.researcher)
        .call()
        .await
        .map(drop)
        .map_err(|e| {
            crate::relayer::registry_refusal(&e)
                .unwrap_or_else(|| crate::relayer::chain_unreachable(&e))
        })
}
