//! The owner's OpenPGP key: an Ed25519 primary key (certify, sign) with an X25519 encryption subkey, both
//! created at [`crate::KEY_EPOCH`] from seed-derived randomness, so the fingerprint is the same after every
//! restore. The key is an RFC 9580 v4 key in the formats GnuPG and every other OpenPGP tool read.

use std::fmt;

use pgp::{
    composed::{KeyType, SecretKeyParamsBuilder, SignedSecretKey, SubkeyParamsBuilder},
    crypto::ecc_curve::ECCCurve,
    types::{KeyDetails, Password},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::{KEY_EPOCH, KeyError, Result};

/// A derived OpenPGP key. `Debug` shows the fingerprint only.
pub struct PgpKey {
    secret: SignedSecretKey,
}

impl PgpKey {
    /// Builds the key from 32 bytes of seed-derived material. The material seeds a ChaCha20 CSPRNG that the
    /// key generation draws from, which makes generation a pure function of the seed.
    pub(crate) fn derive(material: &[u8; 32], user_id: &str) -> Result<Self> {
        let pgp_err = |e: &dyn fmt::Display| KeyError::Pgp(e.to_string());
        let mut rng = ChaCha20Rng::from_seed(*material);
        let created =
            chrono::DateTime::from_timestamp(KEY_EPOCH, 0).expect("KEY_EPOCH is a valid time");
        let encryption = SubkeyParamsBuilder::default()
            .key_type(KeyType::ECDH(ECCCurve::Curve25519))
            .can_encrypt(true)
            .created_at(created)
            .build()
            .map_err(|e| pgp_err(&e))?;
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(user_id.to_owned())
            .created_at(created)
            .subkeys(vec![encryption])
            .build()
            .map_err(|e| pgp_err(&e))?;
        let secret = params
            .generate(&mut rng)
            .and_then(|key| key.sign(&mut rng, &Password::empty()))
            .map_err(|e| pgp_err(&e))?;
        Ok(Self { secret })
    }

    /// The primary key's fingerprint, upper-case hex (40 digits).
    pub fn fingerprint(&self) -> String {
        self.secret.fingerprint().to_string().to_uppercase()
    }

    /// The public key (with its self-signatures and encryption subkey), ASCII-armored.
    pub fn public_key_armored(&self) -> Result<String> {
        self.secret
            .signed_public_key()
            .to_armored_string(Default::default())
            .map_err(|e| KeyError::Pgp(e.to_string()))
    }

    /// The signed secret key, for the OpenPGP operations the wallet performs.
    pub fn secret_key(&self) -> &SignedSecretKey {
        &self.secret
    }
}

impl fmt::Debug for PgpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}
