//! The EIP-712 domain of a VaultRegistry deployment. The message types themselves are the structs of
//! `IVaultRegistry.sol`, generated from the artifact and re-exported at the crate root; their `SolStruct`
//! impls give type strings, struct hashes and digests, and the registry's `hash*` views compute the same.

use alloy::{
    primitives::Address,
    sol_types::{Eip712Domain, eip712_domain},
};

/// The registry's EIP-712 domain name.
pub const DOMAIN_NAME: &str = "DNA Vault Registry";
/// The registry's EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

/// The EIP-712 domain of the registry deployed at `registry` on chain `chain_id`: a signature for one
/// deployment or chain is worthless on any other.
pub fn registry_domain(chain_id: u64, registry: Address) -> Eip712Domain {
    eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: registry,
    }
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolStruct;

    use crate::{
        ApproveMeasurement, ApproveTool, BindVaultKey, BootApproval, Grant, GrantRequest,
        OwnerRead, QueryApproval, QueryReceipt, QueryRequest, Revoke, RevokeMeasurement,
        RevokeTool, UploadApproval,
    };

    /// The type strings are the protocol: a change here breaks every wallet and every stored signature.
    #[test]
    fn type_strings_are_locked() {
        assert_eq!(
            Grant::eip712_encode_type(),
            "Grant(uint256 vaultId,address grantee,bytes32 scope,bytes16 purpose,uint64 expiry,\
             bool perQueryApproval,uint32 maxQueries,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            GrantRequest::eip712_encode_type(),
            "GrantRequest(uint256 requestId,uint256 vaultId,address researcher,bytes32 scope,\
             bytes16 purpose,uint64 expiry,bool perQueryApproval,uint32 maxQueries,uint256 nonce,\
             uint256 deadline)"
        );
        assert_eq!(
            Revoke::eip712_encode_type(),
            "Revoke(uint256 vaultId,address grantee,bytes32 scope,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            ApproveMeasurement::eip712_encode_type(),
            "ApproveMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            RevokeMeasurement::eip712_encode_type(),
            "RevokeMeasurement(uint256 vaultId,bytes measurement,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            ApproveTool::eip712_encode_type(),
            "ApproveTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            RevokeTool::eip712_encode_type(),
            "RevokeTool(uint256 vaultId,bytes32 tool,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            BindVaultKey::eip712_encode_type(),
            "BindVaultKey(uint256 vaultId,address vaultKey,bytes measurement,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            BootApproval::eip712_encode_type(),
            "BootApproval(uint256 vaultId,address vaultKey,bytes measurement,bytes32 chainView,\
             bytes32 bootNonce,bytes32 wrappedKeyHash,uint256 deadline)"
        );
        assert_eq!(
            QueryApproval::eip712_encode_type(),
            "QueryApproval(uint256 vaultId,bytes32 requestHash,uint256 deadline)"
        );
        assert_eq!(
            QueryRequest::eip712_encode_type(),
            "QueryRequest(uint256 vaultId,address researcher,bytes32 scope,bytes16 purpose,\
             bytes32 queryHash,bytes32 recipientKey,bytes32 nonce,uint256 deadline)"
        );
        assert_eq!(
            QueryReceipt::eip712_encode_type(),
            "QueryReceipt(uint256 vaultId,bytes32 requestHash,bytes32 resultHash,bytes16 purpose,\
             uint256 consentBlock,uint64 issuedAt)"
        );
        assert_eq!(
            UploadApproval::eip712_encode_type(),
            "UploadApproval(uint256 vaultId,string objectId,bytes32 contentSha256,uint64 size,bytes32 nonce,\
             uint256 deadline)"
        );
        assert_eq!(
            OwnerRead::eip712_encode_type(),
            "OwnerRead(uint256 vaultId,string what,bytes32 recipientKey,uint256 deadline)"
        );
    }
}
