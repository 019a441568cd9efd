//! Anchoring receipts: the hashes of the receipts the vault issued are sent to the registry in batches
//! (`anchorReceipts`), from the attested vault key, which the owner binds on-chain and funds for gas.
//!
//! A batch goes when `batch_size` receipts wait or `interval` passes with any waiting. Receipts stay queued
//! in the store until the transaction is mined, so a failure (key not bound, no gas, chain down) is retried
//! at the next round and a restarted vault anchors what its predecessor could not.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{B256, U256, keccak256},
    providers::ProviderBuilder,
    sol_types::SolValue,
};
use dnavault_protocol::VaultRegistry;
use tokio::task::JoinHandle;

use crate::VaultService;

/// When batches go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorConfig {
    /// The longest a receipt waits.
    pub interval: Duration,
    /// A batch goes as soon as this many wait; also the largest batch.
    pub batch_size: u32,
}

impl Default for AnchorConfig {
    /// A batch a minute, or at once with 64 waiting.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            batch_size: 64,
        }
    }
}

/// Why a batch was not anchored.
#[derive(Debug, thiserror::Error)]
enum AnchorError {
    #[error("the store: {0}")]
    Store(#[from] dnavault_store::StoreError),
    #[error("the registry: {0}")]
    Chain(String),
    #[error("a stored receipt hash is malformed: {0}")]
    Malformed(String),
}

/// Anchors queued receipts until the service stops.
pub(crate) fn spawn(service: VaultService, config: AnchorConfig) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = service.stopped() => return,
                () = service.receipts_waiting(config.batch_size) => {}
                () = tokio::time::sleep(config.interval) => {}
            }
            loop {
                match anchor_batch(&service, config.batch_size).await {
                    Ok(0) => break,
                    Ok(count) => tracing::info!(count, "receipts anchored"),
                    Err(error) => {
                        tracing::warn!(%error, "receipts not anchored; retrying at the next round");
                        break;
                    }
                }
            }
        }
    })
}

/// Anchors up to `limit` waiting receipts in one transaction; returns how many.
async fn anchor_batch(service: &VaultService, limit: u32) -> Result<usize, AnchorError> {
    let Ok(signer) = service.with_unsealed(|vault| vault.signer()).await else {
        return Ok(0);
    };
    let pending = service.store().pending_receipts(limit).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let hashes = pending
        .iter()
        .map(|hash| {
            hash.parse::<B256>()
                .map_err(|_| AnchorError::Malformed(hash.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let vault_id = U256::from(service.identity().vault_id);
    // A batch mined before the vault could record it (a crash in between) is recorded, not resent: the
    // registry refuses a batch twice.
    let batch = keccak256((vault_id, hashes.clone()).abi_encode_params());
    let mined = service
        .registry()
        .anchoredAt(batch)
        .call()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?;
    if mined != U256::ZERO {
        let block = u64::try_from(mined).unwrap_or(u64::MAX);
        service
            .store()
            .mark_anchored(&pending, &batch.to_string(), block)
            .await?;
        return Ok(pending.len());
    }
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_provider(service.registry().provider().clone());
    let registry = VaultRegistry::new(*service.registry().address(), provider);
    let call = registry.anchorReceipts(vault_id, hashes);
    call.call()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?;
    let receipt = call
        .send()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?;
    if !receipt.status() {
        return Err(AnchorError::Chain(format!(
            "transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    let block = receipt.block_number.unwrap_or_default();
    service
        .store()
        .mark_anchored(&pending, &batch.to_string(), block)
        .await?;
    Ok(pending.len())
}
