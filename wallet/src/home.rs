//! The wallet's home directory: the keystore and a small TOML config (chain, registry).

use std::{
    fs,
    path::{Path, PathBuf},
};

use alloy::primitives::Address;
use dnavault_keys::{
    SeedPhrase,
    keystore::{self, KdfStrength, Unlocked},
};
use serde::{Deserialize, Serialize};

use crate::{Result, WalletError};

/// Where a wallet keeps its files: `keystore.age` (encrypted) and `config.toml` (public settings).
#[derive(Debug, Clone)]
pub struct WalletHome {
    dir: PathBuf,
}

/// Public settings: which chain and registry the wallet talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// JSON-RPC URL of the chain.
    pub rpc_url: Option<String>,
    /// The VaultRegistry's address.
    pub registry: Option<Address>,
    /// The chain id (read from the chain when an RPC URL is set).
    pub chain_id: Option<u64>,
}

impl WalletHome {
    /// A wallet home at `dir` (created when a keystore is first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The home directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The encrypted keystore's path.
    pub fn keystore_path(&self) -> PathBuf {
        self.dir.join("keystore.age")
    }

    /// The config file's path.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    /// Whether a keystore exists.
    pub fn has_keystore(&self) -> bool {
        self.keystore_path().exists()
    }

    /// Writes a new keystore for `phrase`; refuses to replace an existing one.
    pub fn create(
        &self,
        phrase: &SeedPhrase,
        bip39_passphrase: &str,
        passphrase: &str,
        strength: KdfStrength,
    ) -> Result<()> {
        Ok(keystore::create(
            &self.keystore_path(),
            phrase,
            bip39_passphrase,
            passphrase,
            strength,
        )?)
    }

    /// Decrypts the keystore.
    pub fn unlock(&self, passphrase: &str) -> Result<Unlocked> {
        Ok(keystore::unlock(&self.keystore_path(), passphrase)?)
    }

    /// The config, or defaults when there is none yet.
    pub fn config(&self) -> Result<Config> {
        let path = self.config_path();
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| WalletError::File {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(WalletError::File {
                path,
                reason: e.to_string(),
            }),
        }
    }

    /// Saves the config.
    pub fn save_config(&self, config: &Config) -> Result<()> {
        let path = self.config_path();
        let file_err = |e: &dyn std::fmt::Display| WalletError::File {
            path: path.clone(),
            reason: e.to_string(),
        };
        fs::create_dir_all(&self.dir).map_err(|e| file_err(&e))?;
        let text = toml::to_string(config).map_err(|e| file_err(&e))?;
        let tmp = path.with_extension("toml.tmp");
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| file_err(&e))
    }
}
