//! The DNA Vault service. A vault starts sealed: it makes fresh keys in memory, has the platform attest to
//! them, and asks its owner's wallet for its data key ([`boot`]). Only an approval the owner signed for this
//! boot, with the data key wrapped to this vault's attested key, unseals it; the key lives only in zeroizing
//! memory and sealing wipes it. The vault serves its API over TLS with the key its report binds
//! ([`service`]); a local socket lets its operator seal it ([`control`]).

pub mod anchor;
pub mod audit;
pub mod boot;
pub mod control;
mod ingest;
pub mod query;
pub mod service;

pub use boot::{BootError, SealedVault, UnsealedVault, VaultIdentity};
pub use dnavault_protocol::{VaultState, VaultStatus};
pub use ingest::Stored;
pub use service::{ApiError, VaultService};
