//! dnavault-keys: published vectors, interoperability with other wallets, reproducibility, the keystore.

mod bip39_vectors;
mod derivation;
mod keystore;
mod openpgp;

/// Anvil's (and Hardhat's) well-known development mnemonic.
pub(crate) const ANVIL_WORDS: &str = "test test test test test test test test test test test junk";
