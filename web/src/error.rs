//! What can go wrong in the website's library.

/// An error of the index or the database.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(String),
    /// The database cannot be reached now (down, restarting, out of connections).
    #[error("database unreachable: {0}")]
    DatabaseUnavailable(String),
    /// The chain's JSON-RPC endpoint failed or answered something unusable.
    #[error("chain: {0}")]
    Chain(String),
    /// A registry log could not be decoded: the index does not follow this registry's events.
    #[error("block {block}, log {log_index}: not a registry event this index knows: {reason}")]
    UnknownEvent {
        /// The log's block.
        block: u64,
        /// The log's index in its block.
        log_index: u64,
        /// Why it did not decode.
        reason: String,
    },
    /// The website's server failed.
    #[error("serving: {0}")]
    Serve(String),
}

/// The website library's result.
pub type Result<T, E = WebError> = std::result::Result<T, E>;

impl From<sqlx::Error> for WebError {
    fn from(error: sqlx::Error) -> Self {
        // Out of reach (no connection; the server shutting down or starting: SQLSTATE 08, 57P), or refused.
        let unreachable = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(error) => error
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        };
        match unreachable {
            true => Self::DatabaseUnavailable(error.to_string()),
            false => Self::Database(error.to_string()),
        }
    }
}

/// A chain error, from any transport or RPC failure.
pub(crate) fn chain(error: impl std::fmt::Display) -> WebError {
    WebError::Chain(error.to_string())
}
