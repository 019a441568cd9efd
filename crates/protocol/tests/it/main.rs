//! VaultRegistry bindings against a live Anvil chain.

mod eip712;
mod gas;
