//! The owner's vault, reached the one way every client reaches a vault ([`dnavault_ratls::AttestedVault`]:
//! evidence fetched over TLS and bound to the key that served it, checked against AMD's roots and this
//! wallet's deployment, its measurement approved on-chain, every exchange pinned to that key), and refused
//! unless this account owns it.

use alloy::signers::local::PrivateKeySigner;
use dnavault_attest::Verifier;
use dnavault_ratls::{AttestedVault, RatlsError};

use crate::{Result, WalletError, registry::Connection};

/// Reaches the attested vault at `url`, which `owner` must own.
pub async fn reach_owned(
    url: &str,
    connection: &Connection,
    verifier: &Verifier,
    owner: &PrivateKeySigner,
) -> Result<AttestedVault> {
    let expected = connection.expected_vault();
    let attested = AttestedVault::connect(url, expected, verifier, async |vault, measurement| {
        connection.is_measurement_approved(vault, measurement).await
    })
    .await
    .map_err(|error| match error {
        RatlsError::Attestation(error) => WalletError::Attestation(error),
        RatlsError::Chain(reason) => WalletError::Chain(reason),
        other => WalletError::Vault(other),
    })?;
    connection
        .require_owner(attested.evidence().vault_id, owner.address())
        .await?;
    Ok(attested)
}
