//! HPKE envelopes (RFC 9180, base mode) with one fixed suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM. A wallet wraps a vault's data key to the vault's attested public key; a vault seals a query
//! result to a researcher's or owner's wallet key. The `info` context names what is sealed, so an envelope
//! made for one purpose never opens as another.
//!
//! ```
//! use dnavault_envelope::{RecipientKey, context};
//!
//! let recipient = RecipientKey::generate();
//! let sealed = dnavault_envelope::seal(&recipient.public_key(), context::QUERY_RESULT, b"request 1", b"result")?;
//! let opened = dnavault_envelope::open(&recipient, &sealed, context::QUERY_RESULT, b"request 1")?;
//! assert_eq!(&opened[..], b"result");
//! # Ok::<(), dnavault_envelope::EnvelopeError>(())
//! ```

mod data_key;
mod envelope;
mod error;
mod key;

pub use data_key::DataKey;
pub use envelope::{Envelope, open, seal};
pub use error::{EnvelopeError, Result};
pub use key::{PUBLIC_KEY_LEN, PublicKey, RecipientKey};

/// The `info` strings that bind an envelope to its purpose.
pub mod context {
    /// A vault data key wrapped by the owner's wallet for an attested vault.
    pub const DATA_KEY: &[u8] = b"dnavault/v1/data-key";
    /// A query result sealed by a vault for the wallet that asked.
    pub const QUERY_RESULT: &[u8] = b"dnavault/v1/query-result";
    /// A page of a vault's audit log sealed by the vault for its owner's wallet.
    pub const AUDIT_LOG: &[u8] = b"dnavault/v1/audit-log";
}

/// The associated data binding a wrapped data key to one vault of one registry deployment: the vault refuses
/// a key wrapped for another vault, registry or chain.
pub fn data_key_aad(chain_id: u64, registry: &[u8; 20], vault_id: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(36);
    aad.extend_from_slice(&chain_id.to_be_bytes());
    aad.extend_from_slice(registry);
    aad.extend_from_slice(&vault_id.to_be_bytes());
    aad
}

/// The HPKE suite, spelled as RFC 9180 names it.
pub const SUITE: &str = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM";
