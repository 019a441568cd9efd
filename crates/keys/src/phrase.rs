//! The BIP39 recovery phrase.

use std::fmt;

use bip39::{Language, Mnemonic};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::{KeyError, Result, Seed};

/// A BIP39 recovery phrase (English). Zeroized on drop; `Debug` never shows the words.
pub struct SeedPhrase(Mnemonic);

impl SeedPhrase {
    /// A new 12-word phrase from 128 bits of OS randomness.
    pub fn generate() -> Self {
        let mut entropy = Zeroizing::new([0u8; 16]);
        OsRng.fill_bytes(entropy.as_mut());
        Self(
            Mnemonic::from_entropy_in(Language::English, entropy.as_ref())
                .expect("16 bytes is valid BIP39 entropy"),
        )
    }

    /// Parses words separated by any white space (case-insensitive). Errors name a bad word by its position
    /// only, never by its text.
    pub fn parse(words: &str) -> Result<Self> {
        let normalized = Zeroizing::new(
            words
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
        );
        Mnemonic::parse_in_normalized(Language::English, &normalized)
            .map(Self)
            .map_err(|e| match e {
                bip39::Error::BadWordCount(count) => KeyError::WordCount { count },
                bip39::Error::UnknownWord(index) => KeyError::UnknownWord {
                    position: index + 1,
                },
                bip39::Error::InvalidChecksum => KeyError::Checksum,
                // Entropy and language errors cannot arise from English parsing of a valid word count.
                _ => KeyError::Checksum,
            })
    }

    /// The words, space-separated: shown once at creation and on explicit export only.
    pub fn words(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.words().collect::<Vec<_>>().join(" "))
    }

    /// How many words the phrase has.
    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The BIP39 seed for an optional passphrase (the "25th word"; empty for none).
    pub fn to_seed(&self, bip39_passphrase: &str) -> Seed {
        Seed::from_bytes(Zeroizing::new(self.0.to_seed(bip39_passphrase)))
    }

    /// The phrase's entropy (16 to 32 bytes), for the keystore.
    pub(crate) fn entropy(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_entropy())
    }

    /// The phrase for 16 to 32 bytes of entropy (a multiple of 4): how BIP39's test vectors are stated.
    pub fn from_entropy(entropy: &[u8]) -> Result<Self> {
        Mnemonic::from_entropy_in(Language::English, entropy)
            .map(Self)
            .map_err(|_| KeyError::WordCount {
                count: entropy.len() * 3 / 4,
            })
    }
}

impl fmt::Debug for SeedPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeedPhrase({} words, redacted)", self.word_count())
    }
}
