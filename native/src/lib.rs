//! The wallet core for native phone apps (Android in Kotlin, iOS in Swift), bound with UniFFI: the same
//! wallet library the CLI and the web app run, for words, keys, keystore seals, EIP-712 explanations,
//! signatures and their refusals. Secrets cross into it by value and are zeroized here; the platform's own
//! keystore (Android Keystore, the Secure Enclave) supplies the 32-byte key a seal is made under.

use std::sync::Arc;

use alloy::dyn_abi::TypedData;
use dnavault_keys::{
    Seed, SeedPhrase,
    keystore::{self, KdfStrength, PASSKEY_KEY_LEN, Unlocked},
};
use dnavault_wallet::{identity, typed};
use zeroize::Zeroizing;

uniffi::setup_scaffolding!();

/// Why a call failed, in a sentence the person can act on (never with secret material).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum NativeError {
    /// The wallet refused (its message says what and where).
    #[error("{reason}")]
    Refused {
        /// What went wrong.
        reason: String,
    },
}

impl NativeError {
    fn of(error: impl std::fmt::Display) -> Self {
        Self::Refused {
            reason: error.to_string(),
        }
    }
}

/// One account's public identity, as `dnavault-wallet show --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    /// The account index.
    pub index: u32,
    /// The Ethereum address, EIP-55.
    pub address: String,
    /// The OpenPGP key's fingerprint.
    pub pgp_fingerprint: String,
    /// SHA-256 of the TLS client certificate, hex.
    pub tls_certificate_sha256: String,
    /// The HPKE public key, hex.
    pub hpke_public_key: String,
}

/// A label and its value, on a signing screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Fact {
    /// What the value is.
    pub label: String,
    /// The value, in words.
    pub value: String,
}

/// What signing does, in words: a title, facts and warnings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Explanation {
    /// One line saying what signing does.
    pub title: String,
    /// Label and value pairs.
    pub facts: Vec<Fact>,
    /// What deserves a second look.
    pub warnings: Vec<String>,
}

/// A signed typed-data document.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Signed {
    /// The EIP-712 digest, hex.
    pub digest: String,
    /// The signing address, EIP-55.
    pub signer: String,
    /// The 65-byte signature (r, s, v), hex.
    pub signature: String,
}

/// The owner's wallet, unlocked: dropping it zeroizes the words and the seed.
#[derive(uniffi::Object)]
pub struct Wallet {
    unlocked: Unlocked,
    seed: Seed,
}

#[uniffi::export]
impl Wallet {
    /// A wallet from 12 new words (128 bits from the operating system's random source).
    #[uniffi::constructor]
    pub fn generate() -> Arc<Self> {
        Arc::new(Self::from(Unlocked::new(SeedPhrase::generate(), "")))
    }

    /// The wallet `words` restore (with the optional BIP39 passphrase); a wrong word is named by position.
    #[uniffi::constructor]
    pub fn restore(words: String, bip39_passphrase: String) -> Result<Arc<Self>, NativeError> {
        let (words, extra) = (Zeroizing::new(words), Zeroizing::new(bip39_passphrase));
        let phrase = SeedPhrase::parse(&words).map_err(NativeError::of)?;
        Ok(Arc::new(Self::from(Unlocked::new(phrase, &extra))))
    }

    /// Opens a keystore sealed under a passphrase (the CLI's `keystore.age` format).
    #[uniffi::constructor]
    pub fn open_with_passphrase(
        sealed: Vec<u8>,
        passphrase: String,
    ) -> Result<Arc<Self>, NativeError> {
        let passphrase = Zeroizing::new(passphrase);
        let unlocked =
            keystore::open_with_passphrase(&sealed, &passphrase).map_err(NativeError::of)?;
        Ok(Arc::new(Self::from(unlocked)))
    }

    /// Opens a keystore sealed under a 32-byte key the platform's keystore released.
    #[uniffi::constructor]
    pub fn open_with_key(sealed: Vec<u8>, key: Vec<u8>) -> Result<Arc<Self>, NativeError> {
        let key = platform_key(key)?;
        let unlocked = keystore::open_with_passkey(&sealed, &key).map_err(NativeError::of)?;
        Ok(Arc::new(Self::from(unlocked)))
    }

    /// The keystore sealed under a passphrase, scrypt at N = 2^`log_n` (10 to 30): what the app stores.
    pub fn seal_with_passphrase(
        &self,
        passphrase: String,
        log_n: u8,
    ) -> Result<Vec<u8>, NativeError> {
        if !(10..=30).contains(&log_n) {
            return Err(NativeError::of("the scrypt cost must be between 10 and 30"));
        }
        let passphrase = Zeroizing::new(passphrase);
        keystore::seal_with_passphrase(
            &self.unlocked.phrase,
            self.unlocked.bip39_passphrase(),
            &passphrase,
            KdfStrength::LogN(log_n),
        )
        .map_err(NativeError::of)
    }

    /// The keystore sealed under a 32-byte key the platform's keystore holds.
    pub fn seal_with_key(&self, key: Vec<u8>) -> Result<Vec<u8>, NativeError> {
        let key = platform_key(key)?;
        keystore::seal_with_passkey(
            &self.unlocked.phrase,
            self.unlocked.bip39_passphrase(),
            &key,
        )
        .map_err(NativeError::of)
    }

    /// The recovery words, space-separated: shown once when new, and on an explicit export.
    pub fn recovery_words(&self) -> String {
        self.unlocked.phrase.words().to_string()
    }

    /// The identity at account `index`.
    pub fn identity(&self, index: u32) -> Result<Identity, NativeError> {
        let id = identity::Identity::of(&self.seed, index).map_err(NativeError::of)?;
        Ok(Identity {
            index: id.index,
            address: id.address.to_checksum(None),
            pgp_fingerprint: id.pgp_fingerprint,
            tls_certificate_sha256: id.tls_certificate_sha256,
            hpke_public_key: id.hpke_public_key,
        })
    }

    /// Signs the `eth_signTypedData_v4` document in `json` with account 0, after the same review
    /// [`explain_typed_data`] gives (its refusals apply); the app shows that first and waits for a tap.
    pub fn sign_typed_data(
        &self,
        json: String,
        descriptor: Option<String>,
    ) -> Result<Signed, NativeError> {
        let (data, _) = review(&json, descriptor.as_deref())?;
        let signer = self.seed.ethereum_signer(0).map_err(NativeError::of)?;
        let signed = typed::sign(&signer, data).map_err(NativeError::of)?;
        Ok(Signed {
            digest: signed.digest.to_string(),
            signer: signed.signer.to_checksum(None),
            signature: signed.signature.to_string(),
        })
    }
}

/// What signing the typed-data document in `json` does, in words, or why the wallet will not sign it
/// (a bare QueryApproval or BootApproval, a Grant or Revoke without the `descriptor` its scope is the hash
/// of): the CLI's review.
#[uniffi::export]
pub fn explain_typed_data(
    json: String,
    descriptor: Option<String>,
) -> Result<Explanation, NativeError> {
    let (_, explanation) = review(&json, descriptor.as_deref())?;
    Ok(Explanation {
        title: explanation.title,
        facts: explanation
            .facts
            .into_iter()
            .map(|(label, value)| Fact { label, value })
            .collect(),
        warnings: explanation.warnings,
    })
}

fn review(
    json: &str,
    descriptor: Option<&str>,
) -> Result<(TypedData, dnavault_wallet::explain::Explanation), NativeError> {
    typed::review_json(json, descriptor, None).map_err(NativeError::of)
}

impl From<Unlocked> for Wallet {
    fn from(unlocked: Unlocked) -> Self {
        let seed = unlocked.seed();
        Self { unlocked, seed }
    }
}

fn platform_key(key: Vec<u8>) -> Result<Zeroizing<[u8; PASSKEY_KEY_LEN]>, NativeError> {
    keystore::sealing_key(key).map_err(NativeError::of)
}
