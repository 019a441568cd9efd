//! The owner's authorization to read their vault's records (audit log, receipts): signed off-chain (EIP-712,
//! the registry's domain) and checked by the vault against the registry's current owner (`isOwnerSignature`,
//! so contract wallets work). It names the vault and expires within minutes: a captured header is useless
//! elsewhere and soon.

use alloy::sol;
use serde::{Deserialize, Serialize};

sol! {
    /// An owner's request to read one vault's records.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct OwnerRead {
        /// The vault.
        uint256 vaultId;
        /// What is read (`audit`).
        string what;
        /// Unix time after which the authorization is void.
        uint256 deadline;
    }
}

/// The HTTP header that carries a signed [`OwnerRead`].
pub const OWNER_READ_HEADER: &str = "x-dnavault-owner";

/// The longest an [`OwnerRead`] may be valid for, in seconds: the vault refuses later deadlines.
pub const MAX_OWNER_READ_SECONDS: u64 = 600;

/// A read authorization with its signature, as sent in [`OWNER_READ_HEADER`] (JSON, then hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOwnerRead {
    /// The authorization.
    pub read: OwnerRead,
    /// The owner's signature over its EIP-712 hash.
    pub signature: alloy::primitives::Bytes,
}

impl SignedOwnerRead {
    /// The header value.
    pub fn to_header(&self) -> String {
        alloy::hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a header value.
    pub fn from_header(value: &str) -> Option<Self> {
        serde_json::from_slice(&alloy::hex::decode(value).ok()?).ok()
    }
}
