//! The one check that a message is signed by a vault's current owner. The owner is proved from the chain's
//! state (`eth_getProof` of the vault's owner slot, and of the owner's account, at the head a quorum agreed
//! on): an owner without code must have made the ECDSA signature, recovered here, and no endpoint is asked to
//! judge it; for a contract wallet, only the registry's `isOwnerSignature` (EIP-1271) can say, and its
//! answer is the quorum's. Boot approvals, uploads, the owner's reads and per-query approvals all pass
//! through it.

use alloy::{
    primitives::{Bytes, U256},
    providers::Provider,
    sol_types::{Eip712Domain, SolStruct},
};
use dnavault_protocol::VaultRegistry::VaultRegistryInstance;

/// Why a message does not count as the owner's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerSignatureError {
    /// The registry says the signature is not the vault's current owner's.
    #[error("it is not signed by the vault's owner (vault {vault}, as the registry says)")]
    NotOwner {
        /// The vault.
        vault: U256,
    },
    /// The registry could not be read: nothing is taken on an unverified signature.
    #[error("cannot read the registry: {0}")]
    Chain(String),
}

/// Checks that `signature` over `message` (in `domain`) is vault `vault`'s current owner's, at the head.
pub async fn require_owner_signature<M: SolStruct, P: Provider>(
    registry: &VaultRegistryInstance<P>,
    domain: &Eip712Domain,
    vault: U256,
    message: &M,
    signature: &Bytes,
) -> Result<(), OwnerSignatureError> {
    owner_signature(registry, domain, vault, message, signature, None).await
}

/// Like [`require_owner_signature`], with the owner read at block `at` (a query's consent block, so that
/// the grant and the owner's approval of the query are read from one state).
pub async fn require_owner_signature_at<M: SolStruct, P: Provider>(
    registry: &VaultRegistryInstance<P>,
    domain: &Eip712Domain,
    vault: U256,
    message: &M,
    signature: &Bytes,
    at: u64,
) -> Result<(), OwnerSignatureError> {
    owner_signature(registry, domain, vault, message, signature, Some(at)).await
}

async fn owner_signature<M: SolStruct, P: Provider>(
    registry: &VaultRegistryInstance<P>,
    domain: &Eip712Domain,
    vault: U256,
    message: &M,
    signature: &Bytes,
    at: Option<u64>,
) -> Result<(), OwnerSignatureError> {
    let digest = message.eip712_signing_hash(domain);
    let proven = crate::proof::prove_owner(registry.provider(), *registry.address(), vault, at)
        .await
        .map_err(|e| OwnerSignatureError::Chain(e.to_string()))?;
    if !proven.has_code {
        let signer = alloy::primitives::Signature::try_from(signature.as_ref())
            .ok()
            .and_then(|signature| signature.recover_address_from_prehash(&digest).ok());
        return match signer == Some(proven.owner) {
            true => Ok(()),
            false => Err(OwnerSignatureError::NotOwner { vault }),
        };
    }
    let call = registry.isOwnerSignature(vault, digest, signature.clone());
    let call = match at {
        Some(number) => call.block(number.into()),
        None => call,
    };
    let owners = call
        .call()
        .await
        .map_err(|e| OwnerSignatureError::Chain(e.to_string()))?;
    match owners {
        true => Ok(()),
        false => Err(OwnerSignatureError::NotOwner { vault }),
    }
}
