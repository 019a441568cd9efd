//! The vault follows its own entry in the registry and seals (wipes its keys and stops) when that entry
//! says it may no longer run: the launch measurement it booted with was revoked, its attested key was
//! unbound or another key bound after it had been bound, or the vault changed owner since the boot was
//! approved (the new owner approves a boot of their own). Queries also need the vault's key to be the active
//! one at the block their consent was checked at.

use std::time::Duration;

use alloy::primitives::{Address, U256};
use axum::http::StatusCode;

use crate::{ApiError, VaultService};

/// Checks the vault's entry every `every` until the vault seals.
pub(crate) fn follow(service: VaultService, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut bound = false;
        loop {
            ticks.tick().await;
            match must_seal(&service, &mut bound).await {
                Ok(None) => {}
                Ok(Some(why)) => {
                    let detail = format!("sealed: {why}");
                    if let Err(error) = service.store().audit("vault", "seal", None, &detail).await
                    {
                        tracing::error!(%error, "cannot write the audit log");
                    }
                    tracing::warn!(%why, "the vault's registry entry no longer lets it run: sealing");
                    service.seal().await;
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read the vault's registry entry; queries refuse meanwhile");
                }
            }
        }
    })
}

/// Why the vault must seal now, if it must. `bound` records that its key has been the active one: until
/// the owner binds it, an unbound key is the normal state of a fresh boot.
async fn must_seal(
    service: &VaultService,
    bound: &mut bool,
) -> Result<Option<&'static str>, alloy::contract::Error> {
    let Ok((key, measurement)) = service
        .with_unsealed(|vault| (vault.vault_key(), vault.measurement().to_vec()))
        .await
    else {
        return Ok(None);
    };
    let Some(boot_owner) = service.boot_owner() else {
        return Ok(None);
    };
    let registry = service.registry();
    let vault = U256::from(service.identity().vault_id);
    // Every read at one block: else a change mined between two reads is seen by the second only, and the
    // reason given is not the one that happened.
    let at = alloy::eips::BlockId::number(
        alloy::providers::Provider::get_block_number(registry.provider())
            .await
            .map_err(alloy::contract::Error::from)?,
    );
    if !registry
        .isMeasurementApproved(vault, measurement.into())
        .block(at)
        .call()
        .await?
    {
        return Ok(Some(
            "the launch measurement it booted with was revoked on-chain",
        ));
    }
    if registry.ownerOf(vault).block(at).call().await? != boot_owner {
        return Ok(Some(
            "the vault changed owner since this boot was approved: the new owner approves a new boot",
        ));
    }
    let active = registry
        .isActiveVaultKey(vault, key)
        .block(at)
        .call()
        .await?;
    if active {
        *bound = true;
    } else if *bound {
        return Ok(Some(
            "its attested key is no longer the vault's active key on-chain (unbound, or another bound)",
        ));
    }
    Ok(None)
}

/// Refuses a query unless `key` was the vault's active key at `block`, the block its consent was
/// checked at.
pub(crate) async fn key_active_at(
    service: &VaultService,
    key: Address,
    block: u64,
) -> Result<(), ApiError> {
    let vault = U256::from(service.identity().vault_id);
    let active = service
        .registry()
        .isActiveVaultKey(vault, key)
        .call()
        .block(block.into())
        .await
        .map_err(|e| ApiError::chain(e.to_string()))?;
    if active {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::CONFLICT,
        error: format!(
            "this vault's attested key {key} is not its active key on-chain at block {block}: its owner \
             binds it (dnavault-wallet boot --bind-key)"
        ),
        check: "vault-key",
    })
}
