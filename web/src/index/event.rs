//! One registry log as the index keeps it: where the chain put it, and the event it decodes to.

use alloy::{
    primitives::{B256, Bytes},
    sol_types::SolEventInterface,
};
use dnavault_protocol::VaultRegistry::VaultRegistryEvents;

use crate::{Result, WebError};

/// A registry event at its place in the chain.
#[derive(Debug, Clone)]
pub struct RegistryLog {
    /// Its block.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// That block's time, where the endpoint gives it with the log.
    pub block_timestamp: Option<u64>,
    /// Its index in the block.
    pub log_index: u64,
    /// Its transaction.
    pub tx_hash: B256,
    /// The log's topics, as the chain gave them.
    pub topics: Vec<B256>,
    /// The log's data, as the chain gave it.
    pub data: Bytes,
    /// What it says.
    pub event: VaultRegistryEvents,
}

impl RegistryLog {
    /// A log from `eth_getLogs`; refused when it lacks its place (a pending log) or is not a registry event.
    pub fn from_rpc(log: &alloy::rpc::types::Log) -> Result<Self> {
        let place = |what: &str| WebError::Chain(format!("a registry log without its {what}"));
        let block_number = log.block_number.ok_or_else(|| place("block number"))?;
        let log_index = log.log_index.ok_or_else(|| place("log index"))?;
        Self::decode(
            block_number,
            log.block_hash.ok_or_else(|| place("block hash"))?,
            log.block_timestamp,
            log_index,
            log.transaction_hash
                .ok_or_else(|| place("transaction hash"))?,
            log.topics().to_vec(),
            log.data().data.clone(),
        )
    }

    /// A log from its parts, decoded.
    pub(crate) fn decode(
        block_number: u64,
        block_hash: B256,
        block_timestamp: Option<u64>,
        log_index: u64,
        tx_hash: B256,
        topics: Vec<B256>,
        data: Bytes,
    ) -> Result<Self> {
        let event = VaultRegistryEvents::decode_raw_log(&topics, &data).map_err(|error| {
            WebError::UnknownEvent {
                block: block_number,
                log_index,
                reason: error.to_string(),
            }
        })?;
        Ok(Self {
            block_number,
            block_hash,
            block_timestamp,
            log_index,
            tx_hash,
            topics,
            data,
            event,
        })
    }

    /// The event's name, as the contract declares it.
    pub fn name(&self) -> &'static str {
        name(&self.event)
    }
}

/// `event`'s name, as the contract declares it.
pub fn name(event: &VaultRegistryEvents) -> &'static str {
    use VaultRegistryEvents as E;
    match event {
        E::VaultRegistered(_) => "VaultRegistered",
        E::VaultUriChanged(_) => "VaultUriChanged",
        E::VaultOwnershipTransferStarted(_) => "VaultOwnershipTransferStarted",
        E::VaultOwnershipTransferred(_) => "VaultOwnershipTransferred",
        E::MeasurementApproved(_) => "MeasurementApproved",
        E::MeasurementRevoked(_) => "MeasurementRevoked",
        E::ToolApproved(_) => "ToolApproved",
        E::ToolRevoked(_) => "ToolRevoked",
        E::VaultKeyBound(_) => "VaultKeyBound",
        E::VaultKeyUnbound(_) => "VaultKeyUnbound",
        E::Granted(_) => "Granted",
        E::GrantRevoked(_) => "GrantRevoked",
        E::AccessRequested(_) => "AccessRequested",
        E::AccessRequestGranted(_) => "AccessRequestGranted",
        E::AccessRequestDenied(_) => "AccessRequestDenied",
        E::AccessRequestWithdrawn(_) => "AccessRequestWithdrawn",
        E::NoncesCancelled(_) => "NoncesCancelled",
        E::ReceiptsAnchored(_) => "ReceiptsAnchored",
        E::AuditHeadAnchored(_) => "AuditHeadAnchored",
        E::EIP712DomainChanged(_) => "EIP712DomainChanged",
    }
}
