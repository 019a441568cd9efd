//! What a vault says about itself (`GET /v1/status`): its state, identity, this boot's keys and how far its
//! consent cache has read the chain.

use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};

/// Where a vault is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultState {
    /// Waiting for its owner's boot approval and data key.
    Sealed,
    /// Holding its data key: uploads and queries are served.
    Unsealed,
    /// Sealed for good: the keys are wiped and the service is stopping.
    Wiped,
}

/// A vault's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultStatus {
    /// Sealed, unsealed or wiped.
    pub state: VaultState,
    /// Chain id.
    pub chain_id: u64,
    /// VaultRegistry address.
    pub registry: Address,
    /// The vault's id.
    pub vault_id: u64,
    /// The launch measurement, hex.
    pub measurement: String,
    /// The attested signing key of this boot.
    pub vault_key: Address,
    /// SHA-256 of the TLS key's SubjectPublicKeyInfo, bound by the report.
    pub tls_spki_sha256: B256,
    /// True on the simulated platform: nothing protects this vault's memory.
    pub test_only: bool,
    /// The last block whose grant events the consent cache has applied; `None` before its first read. A
    /// grant or revocation mined in block N is in force at the vault once this is N or more.
    pub consent_block: Option<u64>,
}
