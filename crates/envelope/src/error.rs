//! The envelope error type.

/// Why an envelope could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Bytes that should be a key or an envelope are the wrong length or not a valid point.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The envelope did not open: wrong recipient key, wrong context or associated data, or tampering.
    #[error("the envelope does not open with this key and context (wrong recipient, or tampered)")]
    Open,
    /// Sealing failed inside HPKE.
    #[error("sealing failed: {0}")]
    Seal(String),
}

/// The envelope result type.
pub type Result<T, E = EnvelopeError> = std::result::Result<T, E>;
