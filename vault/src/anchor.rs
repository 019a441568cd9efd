//! Anchoring receipts: the hashes of the receipts the vault issued are sent to the registry in batches
//! (`anchorReceipts`), from the attested vault key, which the owner binds on-chain and funds for gas.
//!
//! A batch goes when `batch_size` receipts wait or `interval` passes with any waiting, with the head of the
//! chained audit log that records them. When no receipt waits but the log moved on (uploads, refusals), the
//! head alone is anchored once an `interval`. Receipts stay queued in the store until the transaction is
//! mined, so a failure (key not bound, no gas, chain down) is retried at the next round and a restarted vault
//! anchors what its predecessor could not.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{B256, U256, keccak256},
    providers::ProviderBuilder,
    sol_types::SolValue,
};
use dnavault_protocol::{VaultRegistry, bindings::IVaultRegistry};
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
            match anchor_head(&service).await {
                Ok(Some(seq)) => tracing::info!(seq, "audit log head anchored"),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "audit head not anchored; retrying at the next round");
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
    // A batch set aside before a stop goes again as it was: its receipts are never sent in another.
    let (pending, set_aside) = match service.store().batch_in_flight().await? {
        Some((_, receipts)) => (receipts, true),
        None => (service.store().pending_receipts(limit).await?, false),
    };
    if pending.is_empty() {
        return Ok(0);
    }
    // Read after the receipts: the head's entries include the ones that record them.
    let Some(head) = service.store().audit_head().await else {
        return Ok(0);
    };
    let hashes = pending
        .iter()
        .map(|hash| {
            hash.parse::<B256>()
                .map_err(|_| AnchorError::Malformed(hash.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let vault_id = U256::from(service.identity().vault_id);
    let batch = keccak256((vault_id, hashes.clone()).abi_encode_params());
    if !set_aside {
        service
            .store()
            .set_aside(&pending, &batch.to_string())
            .await?;
    }
    // A batch mined before the vault could record it (a stop in between) is recorded, not resent: the
    // registry refuses a batch twice.
    let anchored_at = service
        .registry()
        .anchoredAt(batch)
        .call()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?;
    if anchored_at != U256::ZERO {
        let block = u64::try_from(anchored_at).unwrap_or(u64::MAX);
        service
            .store()
            .mark_anchored(&pending, &batch.to_string(), block)
            .await?;
        return Ok(pending.len());
    }
    let registry = sending(service, signer);
    let block = transact(registry.anchorReceipts(vault_id, hashes, on_chain(head))).await?;
    service
        .store()
        .mark_anchored(&pending, &batch.to_string(), block)
        .await?;
    Ok(pending.len())
}

/// Anchors the audit log's head alone when it moved on since the head anchored on-chain (an entry that
/// only records the last anchoring does not count); returns the position anchored.
async fn anchor_head(service: &VaultService) -> Result<Option<u64>, AnchorError> {
    let Ok(signer) = service.with_unsealed(|vault| vault.signer()).await else {
        return Ok(None);
    };
    let Some(head) = service.store().audit_head().await else {
        return Ok(None);
    };
    let vault_id = U256::from(service.identity().vault_id);
    let anchored = service
        .registry()
        .auditHeadOf(vault_id)
        .call()
        .await
        .map_err(|e| AnchorError::Chain(e.to_string()))?;
    if head.seq <= anchored.seq
        || (head.seq == anchored.seq + 1 && last_is_anchor(service, head).await?)
    {
        return Ok(None);
    }
    let registry = sending(service, signer);
    transact(registry.anchorAuditHead(vault_id, on_chain(head))).await?;
    Ok(Some(head.seq))
}

/// Whether the log's entry at `head` records an anchoring.
async fn last_is_anchor(
    service: &VaultService,
    head: dnavault_store::AuditHead,
) -> Result<bool, AnchorError> {
    let page = dnavault_store::Page {
        entries_after: i64::try_from(head.seq).unwrap_or(i64::MAX) - 1,
        receipts_after: i64::MAX,
        limit: 1,
    };
    let records = service.store().records(page).await?;
    Ok(records
        .entries
        .first()
        .is_some_and(|entry| entry.action == "anchor"))
}

/// The registry, sending from the vault's key.
fn sending(
    service: &VaultService,
    signer: alloy::signers::local::PrivateKeySigner,
) -> VaultRegistry::VaultRegistryInstance<impl alloy::providers::Provider> {
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_provider(service.registry().provider().clone());
    VaultRegistry::new(*service.registry().address(), provider)
}

/// The head as the registry takes it.
fn on_chain(head: dnavault_store::AuditHead) -> IVaultRegistry::AuditHead {
    IVaultRegistry::AuditHead {
        seq: head.seq,
        tag: head.tag,
    }
}

/// Simulates `call`, then sends it and waits for it to be mined; returns its block (an error if it
/// reverted).
async fn transact<P: alloy::providers::Provider, D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<P, D>,
) -> Result<u64, AnchorError> {
    let chain = |e: &dyn std::fmt::Display| AnchorError::Chain(e.to_string());
    call.call().await.map_err(|e| chain(&e))?;
    let pending = call.send().await.map_err(|e| chain(&e))?;
    let receipt = pending.get_receipt().await.map_err(|e| chain(&e))?;
    if !receipt.status() {
        return Err(AnchorError::Chain(format!(
            "transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    Ok(receipt.block_number.unwrap_or_default())
}
