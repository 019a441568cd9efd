//! What a vault answers to a query: the result sealed to the researcher and a receipt the vault signs with its
//! attested key (bound on-chain by the owner) and anchors on-chain by its EIP-712 hash.

use alloy::{
    primitives::{Address, B256, Bytes, Signature, keccak256},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use serde::{Deserialize, Serialize};

use super::QueryKind;

sol! {
    /// A vault's receipt for one query it ran.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct QueryReceipt {
        /// The vault.
        uint256 vaultId;
        /// The request's EIP-712 hash.
        bytes32 requestHash;
        /// keccak256 of the sealed result (the HPKE envelope) sent.
        bytes32 resultHash;
        /// The block the consent was checked at.
        uint256 consentBlock;
        /// Unix time the query ran.
        uint64 issuedAt;
    }
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
    pub fn check(&self, domain: &Eip712Domain, request_hash: B256) -> Result<Address, String> {
        if self.receipt.requestHash != request_hash {
            return Err("the receipt is for another request".into());
        }
        if self.receipt.resultHash != keccak256(&self.result) {
            return Err("the receipt names another result than the one sent".into());
        }
        let hash = self.receipt.eip712_signing_hash(domain);
        if hash != self.receipt_hash {
            return Err("the receipt hash is not the receipt's EIP-712 hash".into());
        }
        Signature::try_from(self.receipt_signature.as_ref())
            .ok()
            .and_then(|signature| signature.recover_address_from_prehash(&hash).ok())
            .ok_or_else(|| "the receipt's signature does not recover".into())
    }
}
