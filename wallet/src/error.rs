//! The wallet error type. Like the key errors it wraps, no variant carries secret material.

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// A key or keystore operation failed.
    #[error(transparent)]
    Key(#[from] dnavault_keys::KeyError),
    /// A command-line or file input is not valid.
    #[error("{what}: {reason}")]
    Input {
        /// Which input.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting the command needs is missing from the flags and the config.
    #[error("{what} is not set: pass {flag} or set it with `dnavault-wallet config {flag} ...`")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// The flag that sets it.
        flag: &'static str,
    },
    /// Reading or writing a wallet file failed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),
    /// The typed data document is not valid EIP-712.
    #[error("typed data: {0}")]
    TypedData(String),
    /// The document is not one the wallet signs as it stands.
    #[error(transparent)]
    Unsignable(#[from] crate::typed::Unsignable),
    /// The vault's attestation did not verify.
    #[error("attestation: {0}")]
    Attestation(#[from] dnavault_attest::AttestError),
    /// A data key could not be wrapped.
    #[error("envelope: {0}")]
    Envelope(#[from] dnavault_envelope::EnvelopeError),
    /// A boot request was refused.
    #[error("boot request refused: {0}")]
    Boot(String),
    /// The account does not own the vault.
    #[error("vault {vault} is owned by {owner}, not by this account ({account})")]
    NotOwner {
        /// The vault.
        vault: alloy::primitives::U256,
        /// Its owner on-chain.
        owner: alloy::primitives::Address,
        /// This wallet's account.
        account: alloy::primitives::Address,
    },
    /// The relay refused, could not be reached, or handed back something that does not check.
    #[error("relay: {0}")]
    Relay(#[from] dnavault_relay::RelayError),
    /// An inbox message cannot be answered.
    #[error("{0}")]
    Inbox(String),
    /// The chain refused or could not be reached.
    #[error("chain: {0}")]
    Chain(String),
    /// The vault's audit log does not verify.
    #[error("the vault's audit log does not verify: {0}")]
    Audit(#[from] crate::audit::AuditCheckError),
    /// The vault could not be reached, or refused.
    #[cfg(feature = "cli")]
    #[error(transparent)]
    Vault(#[from] dnavault_ratls::RatlsError),
}

/// The wallet result type.
pub type Result<T, E = WalletError> = std::result::Result<T, E>;

impl WalletError {
    pub(crate) fn input(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Input {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
