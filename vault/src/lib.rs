//! The DNA Vault service. A vault starts sealed: it makes fresh keys in memory, has the platform attest to
//! them, and asks its owner's wallet for its data key ([`boot`]). Only an approval the owner signed for this
//! boot, with the data key wrapped to this vault's attested key, unseals it; the key lives only in zeroizing
//! memory and sealing wipes it. The vault serves its API over TLS with the key its report binds
//! ([`api`], [`service`]); a local socket lets its operator seal it ([`control`]). [`launch`] starts one
//! from its [`Settings`]; the binary is a thin command line over it.

pub mod anchor;
pub mod api;
pub mod audit;
pub mod boot;
pub mod code_update;
pub mod control;
mod error;
mod ingest;
pub mod launch;
mod platform;
pub mod query;
mod record;
mod relay;
pub mod service;
pub mod settings;

pub use api::app;
pub use boot::{BootError, SealedVault, UnsealedVault, VaultIdentity};
pub use dnavault_protocol::{VaultState, VaultStatus};
pub use error::ApiError;
pub use ingest::Stored;
pub use launch::{LaunchError, Ready, Running, launch};
pub use service::VaultService;
pub use settings::{Platform, Settings};
