//! The owner's authorization to read their vault's records (audit log, receipts): an [`OwnerRead`] signed
//! off-chain (EIP-712, the registry's domain) and checked by the vault against the registry's current owner
//! (`isOwnerSignature`, so contract wallets work). It names the vault and expires within minutes: a captured
//! header is useless elsewhere and soon.

use alloy::primitives::Bytes;
use serde::{Deserialize, Serialize};

pub use crate::OwnerRead;
use crate::header::SignedHeader;

/// The longest an [`OwnerRead`] may be valid for, in seconds: the vault refuses later deadlines.
pub const MAX_OWNER_READ_SECONDS: u64 = 600;

/// A read authorization with its signature, as sent in the `x-dnavault-owner` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOwnerRead {
    /// The authorization.
    pub read: OwnerRead,
    /// The owner's signature over its EIP-712 hash.
    pub signature: Bytes,
}

impl SignedHeader for SignedOwnerRead {
    const HEADER: &'static str = "x-dnavault-owner";
}
