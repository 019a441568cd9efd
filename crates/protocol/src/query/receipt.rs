//! What a vault answers to a query: the result sealed to the researcher and a receipt the vault signs with its
//! attested key (bound on-chain by the owner) and anchors on-chain by its EIP-712 hash.

use alloy::{
    primitives::{Address, B256, Bytes, Signature, keccak256},
    sol_types::{Eip712Domain, SolStruct},
};
use serde::{Deserialize, Serialize};

use super::QueryKind;
use crate::QueryReceipt;

/// Why a vault's answer does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The receipt names another request.
    #[error("the receipt is for another request ({found}, not {expected})")]
    OtherRequest {
        /// The request the receipt names.
        found: B256,
        /// The request sent.
        expected: B256,
    },
    /// The receipt names another result than the one sent with it.
    #[error("the receipt names another result than the one sent")]
    OtherResult,
    /// The receipt hash sent is not the receipt's EIP-712 hash.
    #[error("the receipt hash is not the receipt's EIP-712 hash")]
    WrongHash,
    /// The signature does not recover to a key.
    #[error("the receipt's signature does not recover")]
    BadSignature,
}

/// The answer to `POST /v1/queries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryAnswer {
    /// The kind that ran.
    pub kind: QueryKind,
    /// The result's JSON, sealed (HPKE, context `query-result`, the request hash as associated data) to the
    /// request's `recipientKey`.
    pub result: Bytes,
    /// The receipt.
    pub receipt: QueryReceipt,
    /// The vault key's signature over the receipt's EIP-712 hash.
    pub receipt_signature: Bytes,
    /// The receipt's EIP-712 hash: what the vault anchors on-chain.
    pub receipt_hash: B256,
}

impl QueryAnswer {
    /// Checks the receipt against the request it answers and the result it carries; returns the key that
    /// signed it (which must be the vault's active key on-chain: `isActiveVaultKey`).
    pub fn check(
        &self,
        domain: &Eip712Domain,
        request_hash: B256,
    ) -> Result<Address, ReceiptError> {
        if self.receipt.requestHash != request_hash {
            return Err(ReceiptError::OtherRequest {
                found: self.receipt.requestHash,
                expected: request_hash,
            });
        }
        if self.receipt.resultHash != keccak256(&self.result) {
            return Err(ReceiptError::OtherResult);
        }
        let hash = self.receipt.eip712_signing_hash(domain);
        if hash != self.receipt_hash {
            return Err(ReceiptError::WrongHash);
        }
        Signature::try_from(self.receipt_signature.as_ref())
            .ok()
            .and_then(|signature| signature.recover_address_from_prehash(&hash).ok())
            .ok_or(ReceiptError::BadSignature)
    }
}
