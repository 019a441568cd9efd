//! A vault's data key: derived by the owner's wallet, carried only wrapped in an envelope, held by the
//! unsealed vault to encrypt its store.

use std::fmt;

use zeroize::Zeroizing;

/// A vault's 256-bit data key. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// The key made of `bytes`.
    pub fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// The key unwrapped from an envelope's plaintext; `None` unless it is 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 32 {
            return None;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(bytes);
        Some(Self(key))
    }

    /// The key bytes, for wrapping to an attested vault or for the vault's own encryption.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_key_is_32_bytes_and_never_printed() {
        let key = DataKey::from_slice(&[7; 32]).unwrap();
        assert_eq!(key.expose(), &[7; 32]);
        assert_eq!(format!("{key:?}"), "DataKey(redacted)");
        assert!(DataKey::from_slice(&[7; 31]).is_none());
        assert!(DataKey::from_slice(&[7; 33]).is_none());
    }
}
