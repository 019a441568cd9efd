//! The DNA Vault protocol: everything the vault, the wallet, the researcher's client and the website say to
//! each other, as types with no I/O of their own. The registry's compiled artifact and its alloy bindings;
//! every EIP-712 message the system signs, in the registry's domain (declared once, in
//! `contracts/src/IVaultRegistry.sol`, and taken from the artifact); the boot exchange; the query kinds, their
//! parameters and typed results; the analysis descriptors whose hashes grants' scopes are; the refusal every
//! API answers with; a vault's status; the signed-header codec; the DUO-coded grant purpose; the clock
//! deadlines are checked against; the chain view a vault is attested and approved to follow; the registry's
//! storage layout, which storage proofs confirm; the manifests of existing analysis tools, whose hashes
//! owners approve and grants name.
//!
//! ```
//! use alloy::{primitives::{address, b256, U256}, sol_types::SolStruct};
//! use dnavault_protocol::{eip712::registry_domain, purpose::Purpose, Grant};
//!
//! let grant = Grant {
//!     vaultId: U256::from(1),
//!     grantee: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
//!     scope: b256!("0x0000000000000000000000000000000000000000000000000000000000000001"),
//!     purpose: Purpose::parse("DUO:0000007/MONDO:0007254+DUO:0000046").unwrap().to_bytes16(),
//!     expiry: 1_900_000_000,
//!     perQueryApproval: false,
//!     maxQueries: 10,
//!     nonce: U256::ZERO,
//!     deadline: U256::from(1_800_000_000u64),
//! };
//! let domain = registry_domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
//! let digest = grant.eip712_signing_hash(&domain);
//! # let _ = digest;
//! ```

pub mod audit;
pub mod bindings;
pub mod boot;
pub mod chain_view;
pub mod clock;
pub mod descriptor;
pub mod duo;
pub mod eip712;
pub mod header;
pub mod owner_read;
pub mod purpose;
pub mod query;
pub mod refusal;
pub mod registry_error;
pub mod status;
pub mod storage;
pub mod tool;
pub mod upload;

pub use bindings::{
    IVaultRegistry::{
        AccessRequest, ApproveMeasurement, ApproveTool, BindVaultKey, BootApproval, Grant,
        GrantRecord, GrantRequest, OwnerRead, QueryApproval, QueryReceipt, QueryRequest, Revoke,
        RevokeMeasurement, RevokeTool, UploadApproval, VaultInfo,
    },
    VaultRegistry,
};
pub use refusal::Refusal;
pub use status::{VaultState, VaultStatus};
