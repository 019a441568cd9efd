//! The keystore's two sealed forms, as bytes (no files: the CLI writes them to disk, the app to browser
//! storage). Both hold the same plaintext: `dnavault-keystore-v1\n`, one byte of entropy length, the phrase's
//! entropy, two bytes (big-endian) of BIP39 passphrase length, the BIP39 passphrase (UTF-8).
//!
//! - Under a passphrase: an age file with one scrypt recipient.
//! - Under a passkey: `dnavault-keystore-passkey-v1\n`, a 32-byte salt, a 12-byte nonce, then AES-256-GCM
//!   ciphertext under HKDF-SHA256(PRF output, salt, "dnavault keystore passkey v1"), the header as its
//!   associated data. The PRF output is the 32 bytes a WebAuthn authenticator's `prf` extension returns.

use aes_gcm::{Aes256Gcm, KeyInit, Nonce, aead::Aead, aead::Payload};
use age::secrecy::SecretString;
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{KdfStrength, Unlocked};
use crate::{KeyError, Result, SeedPhrase};

const MAGIC: &[u8] = b"dnavault-keystore-v1\n";
const PASSKEY_MAGIC: &[u8] = b"dnavault-keystore-passkey-v1\n";
const PASSKEY_INFO: &[u8] = b"dnavault keystore passkey v1";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// How many bytes of PRF output a passkey-sealed keystore is keyed with.
pub const PASSKEY_KEY_LEN: usize = 32;

/// Seals the phrase under `passphrase` with age's scrypt recipient.
pub fn seal_with_passphrase(
    phrase: &SeedPhrase,
    bip39_passphrase: &str,
    passphrase: &str,
    strength: KdfStrength,
) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    let plaintext = encode(phrase, bip39_passphrase);
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    if let KdfStrength::LogN(log_n) = strength {
        recipient.set_work_factor(log_n);
    }
    age::encrypt(&recipient, &plaintext).map_err(|e| KeyError::SealedCorrupt {
        reason: format!("age could not encrypt: {e}"),
    })
}

/// Opens a keystore sealed under a passphrase.
pub fn open_with_passphrase(sealed: &[u8], passphrase: &str) -> Result<Unlocked> {
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let plaintext = Zeroizing::new(age::decrypt(&identity, sealed).map_err(|e| match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::NoMatchingKeys
        | age::DecryptError::KeyDecryptionFailed => KeyError::NotUnlocked,
        other => KeyError::SealedCorrupt {
            reason: other.to_string(),
        },
    })?);
    decode(&plaintext)
}

/// The 32-byte sealing key in `bytes` (a passkey's PRF output, a platform keystore's secret), refused at
/// any other length; `bytes` is zeroized.
pub fn sealing_key(bytes: Vec<u8>) -> Result<Zeroizing<[u8; PASSKEY_KEY_LEN]>> {
    let bytes = Zeroizing::new(bytes);
    let mut key = Zeroizing::new([0u8; PASSKEY_KEY_LEN]);
    if bytes.len() != PASSKEY_KEY_LEN {
        return Err(KeyError::SealingKeyLength { len: bytes.len() });
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Seals the phrase under a key from a passkey's PRF output.
pub fn seal_with_passkey(
    phrase: &SeedPhrase,
    bip39_passphrase: &str,
    prf_output: &[u8; PASSKEY_KEY_LEN],
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let mut header = PASSKEY_MAGIC.to_vec();
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    let plaintext = encode(phrase, bip39_passphrase);
    let ciphertext = passkey_cipher(prf_output, &salt)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plaintext,
                aad: &header,
            },
        )
        .map_err(|_| KeyError::SealedCorrupt {
            reason: "AES-GCM could not encrypt".into(),
        })?;
    header.extend_from_slice(&ciphertext);
    Ok(header)
}

/// Opens a keystore sealed under a passkey with the PRF output that passkey gives again.
pub fn open_with_passkey(sealed: &[u8], prf_output: &[u8; PASSKEY_KEY_LEN]) -> Result<Unlocked> {
    let corrupt = |reason: &str| KeyError::SealedCorrupt {
        reason: reason.into(),
    };
    let rest = sealed
        .strip_prefix(PASSKEY_MAGIC)
        .ok_or_else(|| corrupt("not a passkey-sealed DNA Vault keystore"))?;
    if rest.len() < SALT_LEN + NONCE_LEN {
        return Err(corrupt("the passkey-sealed keystore is truncated"));
    }
    let (salt, rest) = rest.split_at(SALT_LEN);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
    let header = &sealed[..PASSKEY_MAGIC.len() + SALT_LEN + NONCE_LEN];
    let plaintext = Zeroizing::new(
        passkey_cipher(prf_output, salt)
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: header,
                },
            )
            .map_err(|_| KeyError::NotUnlocked)?,
    );
    decode(&plaintext)
}

fn passkey_cipher(prf_output: &[u8; PASSKEY_KEY_LEN], salt: &[u8]) -> Aes256Gcm {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(salt), prf_output)
        .expand(PASSKEY_INFO, key.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    Aes256Gcm::new_from_slice(key.as_ref()).expect("a 32-byte key")
}

fn encode(phrase: &SeedPhrase, bip39_passphrase: &str) -> Zeroizing<Vec<u8>> {
    let entropy = phrase.entropy();
    let extra = bip39_passphrase.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(
        MAGIC.len() + 3 + entropy.len() + extra.len(),
    ));
    out.extend_from_slice(MAGIC);
    out.push(u8::try_from(entropy.len()).expect("BIP39 entropy is at most 32 bytes"));
    out.extend_from_slice(&entropy);
    out.extend_from_slice(&u16::try_from(extra.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&extra[..extra.len().min(usize::from(u16::MAX))]);
    out
}

fn decode(bytes: &[u8]) -> Result<Unlocked> {
    decode_parts(bytes).ok_or_else(|| KeyError::SealedCorrupt {
        reason: "the decrypted contents are not a DNA Vault keystore".into(),
    })
}

fn decode_parts(bytes: &[u8]) -> Option<Unlocked> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (&entropy_len, rest) = rest.split_first()?;
    let (entropy, rest) = rest.split_at_checked(usize::from(entropy_len))?;
    let (len, rest) = rest.split_at_checked(2)?;
    let extra_len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if rest.len() != extra_len {
        return None;
    }
    let bip39_passphrase = std::str::from_utf8(rest).ok()?;
    Some(Unlocked::new(
        SeedPhrase::from_entropy(entropy).ok()?,
        bip39_passphrase,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &str = "test test test test test test test test test test test junk";

    #[test]
    fn a_passkey_seal_opens_only_with_the_same_prf_output_and_untouched() {
        let phrase = SeedPhrase::parse(WORDS).unwrap();
        let prf = [7u8; PASSKEY_KEY_LEN];
        let sealed = seal_with_passkey(&phrase, "extra", &prf).unwrap();
        let opened = open_with_passkey(&sealed, &prf).unwrap();
        assert_eq!(opened.phrase.words().as_str(), WORDS);
        assert_eq!(opened.bip39_passphrase(), "extra");
        assert!(matches!(
            open_with_passkey(&sealed, &[8u8; 32]),
            Err(KeyError::NotUnlocked)
        ));
        for at in [
            0,
            PASSKEY_MAGIC.len() + 1,
            PASSKEY_MAGIC.len() + SALT_LEN + 1,
            sealed.len() - 1,
        ] {
            let mut tampered = sealed.clone();
            tampered[at] ^= 1;
            assert!(
                open_with_passkey(&tampered, &prf).is_err(),
                "a flip at byte {at} opened"
            );
        }
        assert!(matches!(
            open_with_passkey(&sealed[..40], &prf),
            Err(KeyError::SealedCorrupt { .. })
        ));
        let words = WORDS.as_bytes();
        assert!(!sealed.windows(words.len()).any(|w| w == words));
    }

    #[test]
    fn two_passkey_seals_of_one_phrase_differ() {
        let phrase = SeedPhrase::parse(WORDS).unwrap();
        let prf = [7u8; PASSKEY_KEY_LEN];
        assert_ne!(
            seal_with_passkey(&phrase, "", &prf).unwrap(),
            seal_with_passkey(&phrase, "", &prf).unwrap()
        );
    }
}
