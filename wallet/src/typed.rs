//! Signing: EIP-712 typed data (the registry's messages and any `eth_signTypedData_v4` document) and
//! EIP-191 personal messages. A signed registry message travels as a [`SignedTypedData`] payload that any
//! relayer can check and submit.

use std::path::Path;

use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, B256, Bytes},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::{Eip712Domain, SolStruct},
};
use serde::{Deserialize, Serialize};

use crate::{Result, WalletError};

/// A signed EIP-712 message, as printed for a relayer: the document, its digest, the signer and the signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedTypedData {
    /// The `eth_signTypedData_v4` document.
    pub typed_data: TypedData,
    /// Its EIP-712 digest.
    pub digest: B256,
    /// The signing address.
    pub signer: Address,
    /// The 65-byte signature (r, s, v).
    pub signature: Bytes,
}

/// The `eth_signTypedData_v4` document for a registry message.
pub fn document<S: SolStruct + Serialize>(message: &S, domain: &Eip712Domain) -> TypedData {
    TypedData::from_struct(message, Some(domain.clone()))
}

/// Reads an `eth_signTypedData_v4` JSON document.
pub fn load(path: &Path) -> Result<TypedData> {
    let text = std::fs::read_to_string(path).map_err(|e| WalletError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text)
        .map_err(|e| WalletError::TypedData(format!("{}: {e}", path.display())))
}

/// The EIP-712 digest of a document.
pub fn digest(data: &TypedData) -> Result<B256> {
    data.eip712_signing_hash()
        .map_err(|e| WalletError::TypedData(e.to_string()))
}

/// Signs a document.
pub async fn sign(signer: &PrivateKeySigner, data: TypedData) -> Result<SignedTypedData> {
    let digest = digest(&data)?;
    let signature = signer.sign_hash(&digest).await?;
    Ok(SignedTypedData {
        typed_data: data,
        digest,
        signer: signer.address(),
        signature: signature.as_bytes().into(),
    })
}

/// Signs `message` with EIP-191 (`personal_sign`): returns the 65-byte signature.
pub async fn sign_message(signer: &PrivateKeySigner, message: &[u8]) -> Result<Bytes> {
    Ok(signer.sign_message(message).await?.as_bytes().into())
}
