//! Recipient keys: X25519 key pairs, generated or derived (RFC 9180 DeriveKeyPair) from key material.

use std::fmt;

use hpke::{Deserializable, Kem as _, Serializable, kem::X25519HkdfSha256};
use hpke_rand_core::{OsRng, TryRngCore};

use crate::{EnvelopeError, Result};

pub(crate) type Kem = X25519HkdfSha256;

/// Length in bytes of a serialized recipient public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// A recipient's public key, safe to publish (in an attestation's REPORT_DATA, on a website).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(pub(crate) <Kem as hpke::Kem>::PublicKey);

impl PublicKey {
    /// Reads a 32-byte X25519 public key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(bytes)
            .map(Self)
            .map_err(|e| EnvelopeError::Malformed {
                what: "public key",
                reason: e.to_string(),
            })
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes().into()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in self.to_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A recipient's key pair. The secret half is zeroized on drop and never printed.
pub struct RecipientKey {
    pub(crate) secret: <Kem as hpke::Kem>::PrivateKey,
    public: PublicKey,
}

impl RecipientKey {
    /// A fresh key pair from the OS RNG (a vault's ephemeral boot key).
    pub fn generate() -> Self {
        let (secret, public) = Kem::gen_keypair(&mut OsRng.unwrap_err());
        Self {
            secret,
            public: PublicKey(public),
        }
    }

    /// The key pair RFC 9180's DeriveKeyPair gives for `ikm` (a wallet's key, derived from its seed).
    /// `ikm` must hold at least 32 bytes of secret entropy.
    pub fn derive(ikm: &[u8]) -> Result<Self> {
        if ikm.len() < 32 {
            return Err(EnvelopeError::Malformed {
                what: "key material",
                reason: "fewer than 32 bytes".into(),
            });
        }
        let (secret, public) = Kem::derive_keypair(ikm);
        Ok(Self {
            secret,
            public: PublicKey(public),
        })
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }
}

impl fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
