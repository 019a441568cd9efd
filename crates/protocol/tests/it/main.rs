//! VaultRegistry bindings against a live Anvil chain.

mod eip712;
mod erc7730;
mod gas;
mod storage;
mod tool;
