//! The researcher's side of DNA Vault: sign a query request for a vault (EIP-712, the registry's domain),
//! send it over TLS pinned to the vault's attested key, open the result sealed to the researcher's HPKE key,
//! and check the vault's receipt; and fan one query out to many vaults, reporting which answered and which
//! refused, with allele counts added up.
//!
//! A researcher's keys come from one Ethereum key: it signs requests, and the HPKE key results are sealed
//! to is derived from it, so results stay readable with the same key later.

pub mod approval;
mod error;
pub mod fanout;
pub mod outputs;
mod researcher;
mod vault;

pub use error::ResearchError;
pub use researcher::{Opened, Prepared, Researcher, Terms};
pub use vault::{AttestedVault, Chain};
