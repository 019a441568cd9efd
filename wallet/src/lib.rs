//! The owner's authenticator, as a library a mobile shell can wrap: it holds the keystore, derives every key
//! from the one seed, explains in words what each registry message means before it is signed, signs EIP-712
//! and EIP-191 messages, and submits signed registry messages or hands them to a relayer.
//!
//! The `dnavault-wallet` binary is a thin command line over this crate.

pub mod approval;
pub mod audit;
pub mod boot;
mod error;
pub mod explain;
#[cfg(feature = "cli")]
pub mod home;
pub mod identity;
pub mod inbox;
pub mod inputs;
pub mod owner;
pub mod registry;
pub mod typed;
#[cfg(feature = "cli")]
pub mod vault;

pub use error::{Result, WalletError};
#[cfg(feature = "cli")]
pub use home::{Config, WalletHome};
