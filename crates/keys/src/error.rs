//! The key error type. No variant ever carries secret material: a wrong word is named by its position only.

use std::path::PathBuf;

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The phrase has a word count BIP39 does not allow.
    #[error("a recovery phrase has 12, 15, 18, 21 or 24 words; this one has {count}")]
    WordCount {
        /// How many words were given.
        count: usize,
    },
    /// A word is not in the BIP39 English list.
    #[error("word {position} of the recovery phrase is not in the BIP39 English word list")]
    UnknownWord {
        /// 1-based position of the word.
        position: usize,
    },
    /// Every word is valid but the phrase's checksum does not match: a word is wrong or out of order.
    #[error(
        "the recovery phrase's checksum does not match: a word is wrong or the words are out of order"
    )]
    Checksum,
    /// Key derivation failed (in practice: an invalid child key, probability 2^-127).
    #[error("key derivation failed at {path}")]
    Derivation {
        /// The derivation path.
        path: String,
    },
    /// An OpenPGP operation failed.
    #[error("openpgp: {0}")]
    Pgp(String),
    /// Building the TLS certificate failed.
    #[error("tls certificate: {0}")]
    Tls(String),
    /// The keystore passphrase is wrong.
    #[error("wrong passphrase for the keystore at {path}")]
    WrongPassphrase {
        /// The keystore file.
        path: PathBuf,
    },
    /// A sealing key (a passkey's PRF output, a platform keystore's secret) is not 32 bytes.
    #[error(
        "the sealing key is {len} bytes, not 32: the passkey or platform keystore gave no usable secret"
    )]
    SealingKeyLength {
        /// How many bytes it has.
        len: usize,
    },
    /// Neither the passphrase nor the passkey given opens the sealed keystore.
    #[error("that passphrase or passkey does not unlock this keystore")]
    NotUnlocked,
    /// The sealed keystore opened but is not one this version understands, or is not a keystore.
    #[error("the keystore is corrupt or of an unknown version: {reason}")]
    SealedCorrupt {
        /// What was wrong.
        reason: String,
    },
    /// The keystore passphrase is empty.
    #[error(
        "the keystore passphrase is empty: choose one (it protects the recovery phrase on this device)"
    )]
    EmptyPassphrase,
    /// A keystore already exists where a new one would be written.
    #[error("a keystore already exists at {path}; refusing to overwrite it")]
    KeystoreExists {
        /// The keystore file.
        path: PathBuf,
    },
    /// No keystore at the path.
    #[error("no keystore at {path}: run `dnavault-wallet new` or `restore` first")]
    KeystoreMissing {
        /// The keystore file.
        path: PathBuf,
    },
    /// The keystore decrypted but its contents are not a keystore this version understands.
    #[error("the keystore at {path} is corrupt or of an unknown version: {reason}")]
    KeystoreCorrupt {
        /// The keystore file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The key result type.
pub type Result<T, E = KeyError> = std::result::Result<T, E>;
