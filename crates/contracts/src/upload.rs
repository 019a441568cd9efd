//! The owner's approval of one upload to their vault: signed off-chain (EIP-712, the registry's domain) and
//! checked by the vault against the registry's current owner (`isOwnerSignature`, so contract wallets work).
//! It names the object and the exact content (SHA-256 and size), and carries a nonce and a deadline: it
//! cannot be replayed, redirected to another vault or used for other bytes.

use alloy::sol;
use serde::{Deserialize, Serialize};

sol! {
    /// An owner's approval of one upload.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct UploadApproval {
        /// The vault.
        uint256 vaultId;
        /// The object id the content is stored under.
        string objectId;
        /// SHA-256 of the content.
        bytes32 contentSha256;
        /// The content's length in bytes.
        uint64 size;
        /// A fresh random nonce.
        bytes32 nonce;
        /// Unix time after which the approval is void.
        uint256 deadline;
    }
}

/// The HTTP header that carries a signed upload approval.
pub const UPLOAD_HEADER: &str = "x-dnavault-upload";

/// An approval with its signature, as sent in [`UPLOAD_HEADER`] (JSON, then hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedUpload {
    /// The approval.
    pub approval: UploadApproval,
    /// The owner's signature over its EIP-712 hash.
    pub signature: alloy::primitives::Bytes,
}

impl SignedUpload {
    /// The header value.
    pub fn to_header(&self) -> String {
        alloy::hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a header value.
    pub fn from_header(value: &str) -> Option<Self> {
        serde_json::from_slice(&alloy::hex::decode(value).ok()?).ok()
    }
}
