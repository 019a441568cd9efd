//! Reading the registry's grant and ownership events for one vault: block headers (to notice a reorganisation), logs in
//! bounded ranges, and the head block's events from its receipts.

use alloy::{
    primitives::{B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
};
use dnavault_protocol::VaultRegistry::VaultRegistryInstance;

use crate::{ConsentError, events};

/// The most blocks one `eth_getLogs` asks for: providers refuse huge ranges.
pub(crate) const MAX_LOG_RANGE: u64 = 5_000;

/// A failed read of the chain.
pub(crate) fn chain(error: impl std::fmt::Display) -> ConsentError {
    ConsentError::Chain(error.to_string())
}

/// What the cache needs of a block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) number: u64,
    pub(crate) hash: B256,
    pub(crate) parent_hash: B256,
    pub(crate) timestamp: u64,
    /// The state root: what storage proofs at this block are checked against.
    pub(crate) state_root: B256,
}

/// Block `number`'s header.
pub(crate) async fn header<P: Provider>(provider: &P, number: u64) -> Result<Header, ConsentError> {
    header_if_any(provider, number)
        .await?
        .ok_or_else(|| ConsentError::Chain(format!("block {number} not found")))
}

/// Block `number`'s header, `None` if the chain has no such block (it may have shortened in a
/// reorganisation).
pub(crate) async fn header_if_any<P: Provider>(
    provider: &P,
    number: u64,
) -> Result<Option<Header>, ConsentError> {
    Ok(provider
        .get_block_by_number(number.into())
        .await
        .map_err(chain)?
        .map(|block| Header {
            number: block.header.number,
            hash: block.header.hash,
            parent_hash: block.header.parent_hash,
            timestamp: block.header.timestamp,
            state_root: block.header.state_root,
        }))
}

/// The number of the block the chain tags `read_at` (`safe`, `finalized`).
pub(crate) async fn tagged<P: Provider>(
    provider: &P,
    read_at: dnavault_protocol::chain_view::ReadAt,
) -> Result<u64, ConsentError> {
    let tag = match read_at {
        dnavault_protocol::chain_view::ReadAt::Safe => alloy::eips::BlockNumberOrTag::Safe,
        dnavault_protocol::chain_view::ReadAt::Finalized => {
            alloy::eips::BlockNumberOrTag::Finalized
        }
        dnavault_protocol::chain_view::ReadAt::Head => alloy::eips::BlockNumberOrTag::Latest,
    };
    provider
        .get_block_by_number(tag)
        .await
        .map_err(chain)?
        .map(|block| block.header.number)
        .ok_or_else(|| ConsentError::Chain(format!("the chain has no `{}` block", read_at.tag())))
}

/// The vault's followed events in blocks `from..=to`, oldest first, asked for in ranges of at most
/// [`MAX_LOG_RANGE`] blocks.
pub(crate) async fn logs<P: Provider>(
    registry: &VaultRegistryInstance<P>,
    vault_id: u64,
    from: u64,
    to: u64,
) -> Result<Vec<Log>, ConsentError> {
    let mut logs = Vec::new();
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(MAX_LOG_RANGE - 1));
        let filter = Filter::new()
            .address(*registry.address())
            .event_signature(events::FOLLOWED.to_vec())
            .topic1(U256::from(vault_id))
            .from_block(start)
            .to_block(end);
        logs.extend(registry.provider().get_logs(&filter).await.map_err(chain)?);
        start = end + 1;
    }
    Ok(logs)
}

/// The logs of block `number` from its receipts, which a node returns whole or not at all; `None` while
/// they are not served.
pub(crate) async fn block_logs<P: Provider>(
    provider: &P,
    number: u64,
) -> Result<Option<Vec<Log>>, ConsentError> {
    Ok(provider
        .get_block_receipts(number.into())
        .await
        .map_err(chain)?
        .map(|receipts| {
            receipts
                .iter()
                .flat_map(|receipt| receipt.logs().iter().cloned())
                .collect()
        }))
}
