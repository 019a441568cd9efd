//! What one registry log changes in a vault's grants.

use alloy::{
    primitives::{Address, B256, FixedBytes, U256},
    rpc::types::Log,
    sol_types::SolEvent,
};
use dnavault_protocol::VaultRegistry::{GrantRevoked, Granted, VaultOwnershipTransferred};

use crate::{ConsentError, GrantId, read};

/// The events the cache follows, by signature.
pub(crate) const FOLLOWED: [B256; 3] = [
    Granted::SIGNATURE_HASH,
    GrantRevoked::SIGNATURE_HASH,
    VaultOwnershipTransferred::SIGNATURE_HASH,
];

/// A grant as the cache holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) expiry: u64,
    pub(crate) purpose: FixedBytes<16>,
    pub(crate) per_query_approval: bool,
    pub(crate) max_queries: u32,
    pub(crate) granted_in: GrantId,
    pub(crate) revoked: bool,
}

/// One researcher's grant of one scope.
pub(crate) type Key = (Address, B256);

/// A change to the vault's grants, in the order the chain made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// A grant was made or renewed.
    Granted(Key, Grant),
    /// A grant was revoked.
    Revoked(Key),
    /// The vault changed owner: every grant made before is over (the registry's ownership epoch).
    OwnerChanged,
}

/// What `log` changes in vault `vault_id`'s grants; `None` for a log that is not one of its followed events.
pub(crate) fn change(
    registry: &Address,
    vault_id: u64,
    log: &Log,
) -> Result<Option<Change>, ConsentError> {
    if log.address() != *registry || log.topics().get(1) != Some(&B256::from(U256::from(vault_id)))
    {
        return Ok(None);
    }
    Ok(match log.topic0() {
        Some(&Granted::SIGNATURE_HASH) => Some(granted(log)?),
        Some(&GrantRevoked::SIGNATURE_HASH) => {
            let event = log
                .log_decode::<GrantRevoked>()
                .map_err(read::chain)?
                .inner
                .data;
            Some(Change::Revoked((event.grantee, event.scope)))
        }
        Some(&VaultOwnershipTransferred::SIGNATURE_HASH) => {
            log.log_decode::<VaultOwnershipTransferred>()
                .map_err(read::chain)?;
            Some(Change::OwnerChanged)
        }
        _ => None,
    })
}

fn granted(log: &Log) -> Result<Change, ConsentError> {
    let (Some(transaction), Some(log_index)) = (log.transaction_hash, log.log_index) else {
        return Err(ConsentError::Chain(
            "a Granted log without its transaction hash and index".into(),
        ));
    };
    let event = log.log_decode::<Granted>().map_err(read::chain)?.inner.data;
    Ok(Change::Granted(
        (event.grantee, event.scope),
        Grant {
            expiry: event.expiry,
            purpose: event.purpose,
            per_query_approval: event.perQueryApproval,
            max_queries: event.maxQueries,
            granted_in: GrantId {
                transaction,
                log_index,
            },
            revoked: false,
        },
    ))
}
