//! A researcher's request to run one query on a vault: signed off-chain (EIP-712, the registry's domain) by
//! the researcher, checked by the vault against the registry's grant for (vault, researcher, scope) and,
//! when the grant asks for it, the owner's [`QueryApproval`](crate::QueryApproval) of this request's hash.

use alloy::sol;
use serde::{Deserialize, Serialize};

sol! {
    /// One query, as the researcher signs it.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct QueryRequest {
        /// The vault.
        uint256 vaultId;
        /// The researcher (the grantee).
        address researcher;
        /// The analysis: the scope id the grant names.
        bytes32 scope;
        /// keccak256 of the query's parameters as sent.
        bytes32 queryHash;
        /// The researcher's X25519 HPKE public key: the result is sealed to it.
        bytes32 recipientKey;
        /// A fresh random nonce.
        bytes32 nonce;
        /// Unix time after which the request is void.
        uint256 deadline;
    }
}
