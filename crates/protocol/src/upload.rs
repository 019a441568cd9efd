//! The owner's approval of one upload to their vault: an [`UploadApproval`] signed off-chain (EIP-712, the
//! registry's domain) and checked by the vault against the registry's current owner (`isOwnerSignature`, so
//! contract wallets work). It names the object and the exact content (SHA-256 and size), and carries a nonce
//! and a deadline: it cannot be replayed, redirected to another vault or used for other bytes.

use alloy::primitives::Bytes;
use serde::{Deserialize, Serialize};

pub use crate::UploadApproval;
use crate::header::SignedHeader;

/// An approval with its signature, as sent in the `x-dnavault-upload` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedUpload {
    /// The approval.
    pub approval: UploadApproval,
    /// The owner's signature over its EIP-712 hash.
    pub signature: Bytes,
}

impl SignedHeader for SignedUpload {
    const HEADER: &'static str = "x-dnavault-upload";
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{B256, U256};

    use super::*;
    use crate::header::HeaderError;

    #[test]
    fn a_signed_upload_round_trips_through_its_header_and_garbage_is_named() {
        let signed = SignedUpload {
            approval: UploadApproval {
                vaultId: U256::from(3),
                objectId: "genome.vcf.gz".into(),
                contentSha256: B256::repeat_byte(1),
                size: 10,
                nonce: B256::repeat_byte(2),
                deadline: U256::from(4),
            },
            signature: Bytes::from(vec![5; 65]),
        };
        assert_eq!(
            SignedUpload::from_header(&signed.to_header()).unwrap(),
            signed
        );
        assert!(matches!(
            SignedUpload::from_header("zz"),
            Err(HeaderError::NotHex {
                header: "x-dnavault-upload",
                ..
            })
        ));
        assert!(matches!(
            SignedUpload::from_header(&alloy::hex::encode(b"{}")),
            Err(HeaderError::NotMessage { .. })
        ));
        assert!(matches!(
            SignedUpload::from_header(&"0".repeat(crate::header::MAX_HEADER_CHARS + 2)),
            Err(HeaderError::TooLong { .. })
        ));
    }
}
