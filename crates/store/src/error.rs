//! What can go wrong with a stored object.

/// A store failure: each says which object and, for tampering, which chunk.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not start with a store header.
    #[error("object `{object}` is not an encrypted store object (bad header)")]
    NotAnObject {
        /// The object.
        object: String,
    },
    /// The file ends inside a chunk or header.
    #[error("object `{object}` is truncated at byte {offset}")]
    Truncated {
        /// The object.
        object: String,
        /// Where the file ends.
        offset: u64,
    },
    /// A chunk failed authentication: altered, truncated, dropped, duplicated, reordered, moved from another
    /// object, or the wrong key.
    #[error(
        "object `{object}` chunk {chunk} failed authentication (tampered, reordered, truncated or wrong key)"
    )]
    Tampered {
        /// The object.
        object: String,
        /// The chunk index.
        chunk: u32,
    },
    /// The object's length is not what its metadata says.
    #[error("object `{object}` is {found} bytes, its metadata says {expected}")]
    LengthMismatch {
        /// The object.
        object: String,
        /// Bytes on disk.
        found: u64,
        /// Bytes recorded.
        expected: u64,
    },
    /// The object would need more than 2^32 chunks.
    #[error("object `{object}` is too large for its chunk size")]
    TooLarge {
        /// The object.
        object: String,
    },
    /// An object id outside `[A-Za-z0-9._-]{1,128}`.
    #[error("invalid object id `{0}`: use 1 to 128 of A-Z a-z 0-9 . _ -")]
    InvalidId(String),
    /// A chunk size outside 4 KiB to 16 MiB.
    #[error("invalid chunk size {0}: use 4 KiB to 16 MiB")]
    InvalidChunkSize(u32),
    /// Another process has this data directory open.
    #[error("{dir} is in use by another vault process")]
    Locked {
        /// The data directory.
        dir: String,
    },
    /// No such object.
    #[error("no object `{object}` in the store")]
    NotFound {
        /// The object.
        object: String,
    },
    /// An approval's nonce was used before.
    #[error("approval nonce {nonce} was already used (replayed approval)")]
    Replayed {
        /// The nonce.
        nonce: String,
    },
    /// The grant's query budget is spent.
    #[error("the grant's query budget ({limit}) is spent: ask its owner for a new grant")]
    BudgetSpent {
        /// The grant's budget.
        limit: u32,
    },
    /// The audit log is written only by an unsealed vault, which holds the key that chains it.
    #[error("the audit log is closed until the vault unseals")]
    AuditClosed,
    /// The task writing a query's record stopped before it said whether it was written (the runtime is
    /// shutting down): the query counts as not recorded, and its result is not released.
    #[error("the query's record was not confirmed written; ask again")]
    RecordLost,
    /// The stored audit log does not verify: the host altered, removed or replaced entries.
    #[error("the audit log was altered on the host's disk: {0}")]
    AuditTampered(#[from] dnavault_protocol::audit::ChainError),
    /// An object is not the version the verified audit log last recorded for it.
    #[error(
        "object `{object}` is revision {found} on the host's disk, but the vault's audit log last recorded revision \
         {expected}: it was rolled back or replaced"
    )]
    RolledBack {
        /// The object.
        object: String,
        /// The revision its file or metadata names.
        found: i64,
        /// The revision the log recorded.
        expected: i64,
    },
    /// An object the verified audit log never recorded.
    #[error(
        "object `{object}` is not in the vault's audit log: the host put it there; upload it again if it is yours"
    )]
    NotInLog {
        /// The object.
        object: String,
    },
    /// A version of an object staged after this one was committed first.
    #[error(
        "a newer version of `{object}` was committed while this one was written: send it again"
    )]
    Superseded {
        /// The object.
        object: String,
    },
    /// The metadata database failed.
    #[error("metadata database: {0}")]
    Database(String),
    /// The metadata database cannot be reached now (down, restarting, out of connections): nothing was
    /// written; the same call may succeed later.
    #[error("metadata database unreachable: {0}")]
    Unavailable(String),
    /// Input that should be BGZF is not.
    #[error("not BGZF at byte {offset}: {reason}")]
    NotBgzf {
        /// Where.
        offset: u64,
        /// What was wrong.
        reason: &'static str,
    },
}

impl StoreError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}
