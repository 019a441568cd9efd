//! Sealing and opening.

use hpke::{
    Deserializable, OpModeR, OpModeS, Serializable, aead::AesGcm256, kdf::HkdfSha256,
    single_shot_open, single_shot_seal,
};
use hpke_rand_core::{OsRng, TryRngCore};
use zeroize::Zeroizing;

use crate::{
    EnvelopeError, Result,
    key::{Kem, PublicKey, RecipientKey},
};

const ENC_LEN: usize = 32;

/// A sealed message: the sender's encapsulated key and the AEAD ciphertext (16-byte tag included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    enc: [u8; ENC_LEN],
    ciphertext: Vec<u8>,
}

impl Envelope {
    /// The wire form: `enc (32 bytes) || ciphertext`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENC_LEN + self.ciphertext.len());
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Reads the wire form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < ENC_LEN + 16 {
            return Err(EnvelopeError::Malformed {
                what: "envelope",
                reason: format!("{} bytes is shorter than a key and a tag", bytes.len()),
            });
        }
        let (enc, ciphertext) = bytes.split_at(ENC_LEN);
        Ok(Self {
            enc: enc.try_into().expect("split at ENC_LEN"),
            ciphertext: ciphertext.to_vec(),
        })
    }
}

/// Seals `plaintext` to `recipient`, bound to `info` (one of [`crate::context`]) and `aad`.
pub fn seal(recipient: &PublicKey, info: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Envelope> {
    let (enc, ciphertext) = single_shot_seal::<AesGcm256, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        &recipient.0,
        info,
        plaintext,
        aad,
        &mut OsRng.unwrap_err(),
    )
    .map_err(|e| EnvelopeError::Seal(e.to_string()))?;
    Ok(Envelope {
        enc: enc.to_bytes().into(),
        ciphertext,
    })
}

/// Opens an envelope sealed to `recipient` with the same `info` and `aad`. The plaintext is zeroized on drop.
pub fn open(
    recipient: &RecipientKey,
    envelope: &Envelope,
    info: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&envelope.enc).map_err(|e| {
        EnvelopeError::Malformed {
            what: "encapsulated key",
            reason: e.to_string(),
        }
    })?;
    single_shot_open::<AesGcm256, HkdfSha256, Kem>(
        &OpModeR::Base,
        &recipient.secret,
        &enc,
        info,
        &envelope.ciphertext,
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| EnvelopeError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context;

    fn sealed() -> (RecipientKey, Envelope) {
        let key = RecipientKey::derive(&[7u8; 32]).unwrap();
        let envelope = seal(
            &key.public_key(),
            context::DATA_KEY,
            b"vault 1",
            &[0xAA; 32],
        )
        .unwrap();
        (key, envelope)
    }

    #[test]
    fn round_trip() {
        let (key, envelope) = sealed();
        let wire = envelope.to_bytes();
        assert_eq!(wire.len(), 32 + 32 + 16);
        let back = Envelope::from_bytes(&wire).unwrap();
        assert_eq!(
            &open(&key, &back, context::DATA_KEY, b"vault 1").unwrap()[..],
            &[0xAA; 32]
        );
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let (key, envelope) = sealed();
        let wire = envelope.to_bytes();
        for i in 0..wire.len() * 8 {
            let mut tampered = wire.clone();
            tampered[i / 8] ^= 1 << (i % 8);
            let result = Envelope::from_bytes(&tampered)
                .and_then(|e| open(&key, &e, context::DATA_KEY, b"vault 1"));
            assert!(result.is_err(), "bit {i} flipped went unnoticed");
        }
    }

    #[test]
    fn wrong_key_context_or_aad_do_not_open() {
        let (_, envelope) = sealed();
        let other = RecipientKey::generate();
        assert_eq!(
            open(&other, &envelope, context::DATA_KEY, b"vault 1"),
            Err(EnvelopeError::Open)
        );
        let (key, envelope) = sealed();
        assert_eq!(
            open(&key, &envelope, context::QUERY_RESULT, b"vault 1"),
            Err(EnvelopeError::Open)
        );
        assert_eq!(
            open(&key, &envelope, context::DATA_KEY, b"vault 2"),
            Err(EnvelopeError::Open)
        );
    }

    #[test]
    fn derivation_is_deterministic_and_keyed() {
        let a = RecipientKey::derive(&[1u8; 32]).unwrap();
        let b = RecipientKey::derive(&[1u8; 32]).unwrap();
        let c = RecipientKey::derive(&[2u8; 32]).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
        assert!(RecipientKey::derive(&[1u8; 16]).is_err());
    }

    #[test]
    fn malformed_inputs_are_named() {
        assert!(matches!(
            Envelope::from_bytes(&[0u8; 40]),
            Err(EnvelopeError::Malformed {
                what: "envelope",
                ..
            })
        ));
        assert!(matches!(
            PublicKey::from_bytes(&[0u8; 31]),
            Err(EnvelopeError::Malformed {
                what: "public key",
                ..
            })
        ));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = RecipientKey::derive(&[9u8; 32]).unwrap();
        let shown = format!("{key:?}");
        assert!(
            shown.starts_with("RecipientKey { public: PublicKey("),
            "{shown}"
        );
    }
}
