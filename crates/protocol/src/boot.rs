//! The sealed-boot exchange between a vault and its owner's wallet.
//!
//! A sealed vault sends a [`BootRequest`]: its attestation evidence, whose REPORT_DATA binds its fresh keys,
//! its chain view and the boot nonce. The wallet verifies the evidence, checks on-chain that the measurement is approved,
//! and answers with a [`BootResponse`]: the vault's data key wrapped (HPKE) to the attested key, and the
//! owner's EIP-712 [`BootApproval`] naming the vault, its key, the measurement, the chain view, the nonce and
//! the wrapped key.

use alloy::primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

use crate::{BootApproval, chain_view::ChainView};

/// What a sealed vault asks its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootRequest {
    /// The chain, registry and RPC endpoints the vault follows, and its limits: bound into the report.
    pub chain: ChainView,
    /// The vault.
    pub vault_id: U256,
    /// The vault's fresh signing key (as an address).
    pub vault_key: Address,
    /// The vault's fresh X25519 HPKE public key: the data key is wrapped to it.
    pub hpke_public_key: B256,
    /// SHA-256 of the vault's TLS certificate's public key.
    pub tls_spki_sha256: B256,
    /// This boot's fresh nonce.
    pub boot_nonce: B256,
    /// The raw SNP attestation report.
    pub report: Bytes,
    /// The VCEK or VLEK certificate, DER.
    pub endorsement_key: Bytes,
    /// The product line, if the platform knows it (`Milan`, `Genoa`, `Turin`).
    pub product: Option<String>,
}

/// The owner's answer to a boot request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootResponse {
    /// The HPKE envelope holding the vault's data key.
    pub wrapped_data_key: Bytes,
    /// The approval the owner signed.
    pub approval: BootApproval,
    /// The owner's signature (EOA, or a contract wallet's EIP-1271 signature).
    pub signature: Bytes,
}
