//! The harness's error type.

use std::path::PathBuf;

/// What can go wrong while setting up a test chain.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The anvil binary is not where the project installs it.
    #[error(
        "anvil not found at {path}: run `script/test` (or `npm ci --ignore-scripts`) first, or set {env}"
    )]
    AnvilMissing {
        /// Where it was looked for.
        path: PathBuf,
        /// The variable that overrides the location.
        env: &'static str,
    },
    /// Anvil did not start.
    #[error("anvil did not start: {0}")]
    AnvilStart(#[from] alloy::node_bindings::NodeError),
    /// Anvil could not be stopped, or did not take its state back.
    #[error("restarting anvil: {0}")]
    Restart(String),
    /// The throwaway PostgreSQL server could not be set up.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// A call or transaction to the chain failed.
    #[error(transparent)]
    Contract(#[from] alloy::contract::Error),
    /// Waiting for a transaction's receipt failed.
    #[error(transparent)]
    PendingTransaction(#[from] alloy::providers::PendingTransactionError),
    /// A JSON-RPC request failed.
    #[error(transparent)]
    Rpc(#[from] alloy::transports::TransportError),
    /// A transaction was mined but reverted.
    #[error("transaction {tx} reverted")]
    Reverted {
        /// The transaction hash.
        tx: alloy::primitives::TxHash,
    },
}

/// The harness's result type.
pub type Result<T, E = TestkitError> = std::result::Result<T, E>;
