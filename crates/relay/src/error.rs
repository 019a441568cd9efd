//! Why a relay message or inbox was refused.

use alloy::primitives::{Address, B256};

/// A refusal of a relay message or inbox registration; each says which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// The signature does not recover to the account or sender the message names.
    #[error("the signature is not {claimed}'s (it recovers to {recovered:?})")]
    Signature {
        /// Who the message says signed.
        claimed: Address,
        /// Who did, if anyone.
        recovered: Option<Address>,
    },
    /// The message's time-to-live is outside what the relay carries.
    #[error("a message lives {ttl} s; it must live {min} s to {max} s")]
    Lifetime {
        /// Its time-to-live.
        ttl: u64,
        /// The shortest allowed.
        min: u64,
        /// The longest allowed.
        max: u64,
    },
    /// The message says it was made later than the receiver's clock allows.
    #[error("the message is dated {created}, after now ({now}): check the sender's clock")]
    FromTheFuture {
        /// When it says it was made.
        created: u64,
        /// The receiver's time.
        now: u64,
    },
    /// The message expired.
    #[error("the message expired at {expires} (now {now})")]
    Expired {
        /// When it expired.
        expires: u64,
        /// The receiver's time.
        now: u64,
    },
    /// The payload is larger than the relay carries.
    #[error("the payload is {size} bytes; at most {max} are carried")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is not the one the header names (it was altered on the way).
    #[error("the payload does not match its header's hash: it was altered")]
    PayloadAltered,
    /// The message is for another inbox.
    #[error("the message is for topic {found}, not this inbox ({expected})")]
    WrongInbox {
        /// Its topic.
        found: B256,
        /// This inbox's.
        expected: B256,
    },
    /// The message was seen before.
    #[error("message {nonce} was received before: a replay")]
    Replayed {
        /// Its nonce.
        nonce: B256,
    },
    /// The message's kind is not one this format knows.
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    /// The opened payload is not what its kind says.
    #[error("{0}")]
    Payload(String),
    /// The relay could not be reached, or refused.
    #[error("the relay at {url}: {reason}")]
    Http {
        /// What was asked.
        url: String,
        /// What went wrong, or the relay's refusal.
        reason: String,
    },
    /// The ciphertext did not open: not sealed to this inbox's key, or its header was changed.
    #[error("the message does not open with this inbox's key: {0}")]
    Sealing(String),
}

/// The relay format's result.
pub type Result<T, E = RelayError> = std::result::Result<T, E>;
