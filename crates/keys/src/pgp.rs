//! The owner's OpenPGP key: an Ed25519 primary key (certify, sign) with an X25519 encryption subkey, both
//! created at [`crate::KEY_EPOCH`] from seed-derived randomness, so the fingerprint is the same after every
//! restore. The key is an RFC 9580 v4 key in the formats GnuPG and every other OpenPGP tool read.

use std::fmt;

use pgp::{
    composed::{
        Deserializable, KeyType, Message, MessageBuilder, SecretKeyParamsBuilder, SignedPublicKey,
        SignedSecretKey, StandaloneSignature, SubkeyParamsBuilder,
    },
    crypto::{ecc_curve::ECCCurve, hash::HashAlgorithm, sym::SymmetricKeyAlgorithm},
    packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData},
    types::{KeyDetails, Password, PublicKeyTrait},
};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng};
use zeroize::Zeroizing;

use chrono::SubsecRound;

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

    /// The public key, for verifying this key's own signatures and encrypting to itself.
    pub fn public_key(&self) -> SignedPublicKey {
        self.secret.signed_public_key()
    }

    /// A detached, ASCII-armored OpenPGP signature of `data` (binary mode, SHA-256), as `gpg --detach-sign`
    /// makes.
    pub fn sign_detached(&self, data: &[u8]) -> Result<String> {
        let mut config = SignatureConfig::v4(
            SignatureType::Binary,
            self.secret.algorithm(),
            HashAlgorithm::Sha256,
        );
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(
                chrono::Utc::now().trunc_subsecs(0),
            ))
            .map_err(pgp_error)?,
            Subpacket::regular(SubpacketData::IssuerFingerprint(self.secret.fingerprint()))
                .map_err(pgp_error)?,
        ];
        config.unhashed_subpackets = vec![
            Subpacket::regular(SubpacketData::Issuer(self.secret.key_id())).map_err(pgp_error)?,
        ];
        let signature = config
            .sign(&self.secret.primary_key, &Password::empty(), data)
            .map_err(pgp_error)?;
        StandaloneSignature::new(signature)
            .to_armored_string(Default::default())
            .map_err(pgp_error)
    }

    /// Decrypts an ASCII-armored message encrypted to this key's encryption subkey. Tampering, a message for
    /// another key or a malformed message is an error; the plaintext is zeroized on drop.
    pub fn decrypt(&self, armored: &str) -> Result<Zeroizing<Vec<u8>>> {
        let (message, _) = Message::from_armor(armored.as_bytes()).map_err(pgp_error)?;
        let mut plain = message
            .decrypt(&Password::empty(), &self.secret)
            .map_err(pgp_error)?;
        if plain.is_compressed() {
            plain = plain.decompress().map_err(pgp_error)?;
        }
        let data = plain
            .as_data_vec()
            .map_err(|e| KeyError::Pgp(e.to_string()))?;
        Ok(Zeroizing::new(data))
    }
}

/// Reads an ASCII-armored OpenPGP public key.
pub fn read_public_key(armored: &str) -> Result<SignedPublicKey> {
    let (key, _) = SignedPublicKey::from_string(armored).map_err(pgp_error)?;
    key.verify().map_err(pgp_error)?;
    Ok(key)
}

/// The upper-case hex fingerprint of a public key.
pub fn fingerprint(key: &SignedPublicKey) -> String {
    key.fingerprint().to_string().to_uppercase()
}

/// Checks a detached ASCII-armored signature of `data` against `key` (primary key or a signing subkey).
pub fn verify_detached(key: &SignedPublicKey, data: &[u8], armored_signature: &str) -> Result<()> {
    let (signature, _) = StandaloneSignature::from_string(armored_signature).map_err(pgp_error)?;
    if signature.verify(key, data).is_ok() {
        return Ok(());
    }
    for subkey in &key.public_subkeys {
        if signature.verify(subkey, data).is_ok() {
            return Ok(());
        }
    }
    Err(KeyError::Pgp(
        "the signature does not match this data and key".into(),
    ))
}

/// Encrypts `data` to `recipient`'s encryption subkey (SEIPD v1 with AES-256, which every OpenPGP
/// implementation reads), ASCII-armored.
pub fn encrypt_to(recipient: &SignedPublicKey, data: &[u8]) -> Result<String> {
    let subkey = recipient
        .public_subkeys
        .iter()
        .find(|k| k.is_encryption_key())
        .ok_or_else(|| {
            KeyError::Pgp(format!(
                "key {} has no encryption subkey",
                fingerprint(recipient)
            ))
        })?;
    let mut builder = MessageBuilder::from_bytes("", data.to_vec())
        .seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
    builder.encrypt_to_key(OsRng, subkey).map_err(pgp_error)?;
    builder
        .to_armored_string(OsRng, Default::default())
        .map_err(pgp_error)
}

fn pgp_error(e: pgp::errors::Error) -> KeyError {
    KeyError::Pgp(e.to_string())
}

impl fmt::Debug for PgpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}
