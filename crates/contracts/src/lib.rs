//! VaultRegistry for Rust: the compiled contract (ABI and bytecode, embedded from `artifacts/`), typed alloy
//! bindings, the EIP-712 messages owners sign, and the DUO-coded grant purpose.
//!
//! The artifacts are produced by `cargo run -p dnavault-contracts-gen` from `contracts/src` and committed, so
//! this crate builds without Node or solc.
//!
//! ```
//! use alloy::{primitives::{address, b256, U256}, sol_types::SolStruct};
//! use dnavault_contracts::{eip712::registry_domain, purpose::Purpose, Grant};
//!
//! let grant = Grant {
//!     vaultId: U256::from(1),
//!     grantee: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
//!     scope: b256!("0x0000000000000000000000000000000000000000000000000000000000000001"),
//!     purpose: Purpose::parse("DUO:0000007+DUO:0000046").unwrap().to_bytes16(),
//!     expiry: 1_900_000_000,
//!     perQueryApproval: false,
//!     nonce: U256::ZERO,
//!     deadline: U256::from(1_800_000_000u64),
//! };
//! let domain = registry_domain(31337, address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
//! let digest = grant.eip712_signing_hash(&domain);
//! # let _ = digest;
//! ```

pub mod bindings;
pub mod boot;
pub mod duo;
pub mod eip712;
pub mod owner_read;
pub mod purpose;
pub mod query;
pub mod upload;

pub use bindings::VaultRegistry::{
    self, AccessRequest, ApproveMeasurement, BindVaultKey, BootApproval, Grant, GrantRecord,
    QueryApproval, Revoke, RevokeMeasurement, VaultInfo,
};
