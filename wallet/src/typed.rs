//! Signing: EIP-712 typed data (the registry's messages and any `eth_signTypedData_v4` document) and
//! EIP-191 personal messages. A signed registry message travels as a [`SignedTypedData`] payload that any
//! relayer can check and submit.

use std::path::Path;

use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, B256, Bytes},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{Eip712Domain, SolStruct},
};
use serde::{Deserialize, Serialize};

use crate::{
    Result, WalletError,
    explain::{self, Deployment, Explanation},
    inputs::Analysis,
};

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
pub fn sign(signer: &PrivateKeySigner, data: TypedData) -> Result<SignedTypedData> {
    let digest = digest(&data)?;
    let signature = signer.sign_hash_sync(&digest)?;
    Ok(SignedTypedData {
        typed_data: data,
        digest,
        signer: signer.address(),
        signature: signature.as_bytes().into(),
    })
}

/// Signs `message` with EIP-191 (`personal_sign`): returns the 65-byte signature.
pub fn sign_message(signer: &PrivateKeySigner, message: &[u8]) -> Result<Bytes> {
    Ok(signer.sign_message_sync(message)?.as_bytes().into())
}

/// A document the wallet does not sign as a plain document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsignable {
    /// A QueryApproval names the request it approves by hash only.
    #[error(
        "refusing to sign a bare QueryApproval: it names a request by hash only. Approve the query from \
         the researcher's request itself, which is checked and shown in words"
    )]
    BareQueryApproval,
    /// A BootApproval names the vault's chain view by hash only.
    #[error(
        "refusing to sign a bare BootApproval: it names the vault's chain view by hash only. Answer the \
         vault's boot request, which verifies its attestation and shows what it will trust"
    )]
    BareBootApproval,
    /// A Grant or Revoke came without the descriptor its scope is the hash of.
    #[error(
        "refusing to sign a {kind} for scope {scope}: this wallet cannot say what it allows without the \
         analysis descriptor the scope is the hash of"
    )]
    UnreadableScope {
        /// Grant or Revoke.
        kind: String,
        /// The scope it names.
        scope: B256,
    },
}

/// The `eth_signTypedData_v4` document in `json`, reviewed as [`review`] does, with `descriptor` (JSON) the
/// analysis a Grant's or Revoke's scope is the hash of: what the phone apps sign only after this passes.
pub fn review_json(
    json: &str,
    descriptor: Option<&str>,
    known: Option<Deployment>,
) -> Result<(TypedData, Explanation)> {
    let data: TypedData = serde_json::from_str(json).map_err(|e| {
        WalletError::input(
            "the document to sign",
            format!("not EIP-712 typed data: {e}"),
        )
    })?;
    let analysis = descriptor.map(Analysis::from_json).transpose()?;
    let explanation = review(&data, analysis.as_ref(), known)?;
    Ok((data, explanation))
}

/// What a signing screen shows before a typed-data document is signed, or why the wallet will not sign it
/// as a plain document ([`Unsignable`]). `descriptor` is the analysis a Grant's or Revoke's scope is the
/// hash of; `known` is the deployment the wallet is set up for: a document for another is flagged.
pub fn review(
    data: &TypedData,
    descriptor: Option<&Analysis>,
    known: Option<Deployment>,
) -> Result<Explanation> {
    let ours = data.domain.name.as_deref() == Some(dnavault_protocol::eip712::DOMAIN_NAME);
    if ours && data.primary_type == "QueryApproval" {
        return Err(Unsignable::BareQueryApproval.into());
    }
    if ours && data.primary_type == "BootApproval" {
        return Err(Unsignable::BareBootApproval.into());
    }
    let analysis = explain::scope_of(data, descriptor)?;
    if let Some(unreadable) = analysis.as_ref().filter(|a| a.descriptor.is_none()) {
        return Err(Unsignable::UnreadableScope {
            kind: data.primary_type.clone(),
            scope: unreadable.scope,
        }
        .into());
    }
    Ok(explain::typed_data(data, known, analysis.as_ref()))
}
