//! One seed, every key. A BIP39 phrase of 12 words (128 bits from the OS RNG) restores everything the owner
//! holds: Ethereum accounts (BIP32 m/44'/60'/0'/0/i, as every Ethereum wallet derives them), an OpenPGP key,
//! a TLS client certificate, an HPKE key for results sealed to the wallet, and one data key per vault. The
//! non-Ethereum keys come from hardened paths of their own (see [`paths`]) with fixed creation times, so their
//! fingerprints are the same after every restore. At rest the phrase is only ever stored encrypted under a
//! passphrase with scrypt ([`keystore`]).
//!
//! ```
//! use dnavault_keys::SeedPhrase;
//!
//! let phrase = SeedPhrase::parse("test test test test test test test test test test test junk")?;
//! let seed = phrase.to_seed("");
//! assert_eq!(seed.ethereum_signer(0)?.address().to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
//! # Ok::<(), dnavault_keys::KeyError>(())
//! ```

mod error;
pub mod keystore;
pub mod paths;
pub mod pgp;
mod phrase;
mod seed;
pub mod tls;

pub use dnavault_envelope::DataKey;
pub use error::{KeyError, Result};
pub use phrase::SeedPhrase;
pub use seed::Seed;

/// The creation time of every derived OpenPGP key and TLS certificate (2025-01-01T00:00:00Z): fixed, so a
/// restore reproduces the same fingerprints.
pub const KEY_EPOCH: i64 = 1_735_689_600;
