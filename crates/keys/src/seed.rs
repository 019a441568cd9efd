//! The BIP39 seed and everything derived from it.

use std::fmt;

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use coins_bip32::{path::DerivationPath, xkeys::XPriv};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use dnavault_envelope::DataKey;

use crate::{KeyError, Result, paths, pgp::PgpKey, tls::TlsIdentity};

/// A 64-byte BIP39 seed. Zeroized on drop; `Debug` never shows it.
pub struct Seed(Zeroizing<[u8; 64]>);

impl Seed {
    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; 64]>) -> Self {
        Self(bytes)
    }

    /// The seed's 64 bytes. Secret: for test vectors and key derivation only.
    pub fn expose(&self) -> &[u8; 64] {
        &self.0
    }

    /// Ethereum account `index` (m/44'/60'/0'/0/index): the owner's identity and signing key.
    pub fn ethereum_signer(&self, index: u32) -> Result<PrivateKeySigner> {
        let node = self.node(&paths::ethereum(index))?;
        let key: &k256::ecdsa::SigningKey = node.as_ref();
        Ok(PrivateKeySigner::from_signing_key(key.clone()))
    }

    /// The address of Ethereum account `index`.
    pub fn ethereum_address(&self, index: u32) -> Result<Address> {
        Ok(self.ethereum_signer(index)?.address())
    }

    /// The OpenPGP key, with `user_id` (e.g. `Alice <0xF39F…>`) on it.
    pub fn pgp_key(&self, user_id: &str) -> Result<PgpKey> {
        PgpKey::derive(
            &*self.expand(paths::OPENPGP, b"dnavault/v1/openpgp")?,
            user_id,
        )
    }

    /// The TLS client certificate and its key, for mutual TLS with the owner's vault.
    pub fn tls_identity(&self) -> Result<TlsIdentity> {
        let address = self.ethereum_address(0)?;
        TlsIdentity::derive(
            &*self.expand(paths::TLS_CLIENT, b"dnavault/v1/tls-client")?,
            &address,
        )
    }

    /// The HPKE key that vaults seal query results and messages to.
    pub fn hpke_key(&self) -> Result<dnavault_envelope::RecipientKey> {
        let ikm = self.expand(paths::HPKE, b"dnavault/v1/hpke")?;
        dnavault_envelope::RecipientKey::derive(ikm.as_ref()).map_err(|e| KeyError::Derivation {
            path: e.to_string(),
        })
    }

    /// The data key of vault `vault_id` in the registry at `registry` on chain `chain_id`. Binding chain and
    /// registry means the same vault number on another deployment never shares a key.
    pub fn data_key(&self, chain_id: u64, registry: Address, vault_id: u64) -> Result<DataKey> {
        let root = self.secret_at(paths::DATA_KEYS)?;
        let mut info = Vec::with_capacity(64);
        info.extend_from_slice(b"dnavault/v1/data-key");
        info.extend_from_slice(&chain_id.to_be_bytes());
        info.extend_from_slice(registry.as_slice());
        info.extend_from_slice(&vault_id.to_be_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, root.as_ref())
            .expand(&info, key.as_mut())
            .expect("32 bytes is a valid HKDF length");
        Ok(DataKey::new(key))
    }

    fn node(&self, path: &str) -> Result<XPriv> {
        let derivation = || KeyError::Derivation {
            path: path.to_owned(),
        };
        let path: DerivationPath = path.parse().map_err(|_| derivation())?;
        XPriv::root_from_seed(self.0.as_ref(), None)
            .and_then(|root| root.derive_path(&path))
            .map_err(|_| derivation())
    }

    /// The 32-byte secret scalar of the node at `path`.
    fn secret_at(&self, path: &str) -> Result<Zeroizing<[u8; 32]>> {
        let node = self.node(path)?;
        let key: &k256::ecdsa::SigningKey = node.as_ref();
        Ok(Zeroizing::new(key.to_bytes().into()))
    }

    /// 32 bytes of key material for one purpose: HKDF-SHA256 of the node's secret under `label`.
    fn expand(&self, path: &str, label: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let secret = self.secret_at(path)?;
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, secret.as_ref())
            .expand(label, out.as_mut())
            .expect("32 bytes is a valid HKDF length");
        Ok(out)
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(redacted)")
    }
}
