//! The keystore: the recovery phrase (and the optional BIP39 passphrase) encrypted under the owner's keystore
//! passphrase with age's scrypt recipient (the CLI's file, and the app's fallback) or under a key from a
//! passkey's PRF output with AES-256-GCM (the app's usual lock); `keystore/sealed.rs` gives both formats. On
//! disk it is a file only the owner can read (0600), written atomically.

mod sealed;

#[cfg(unix)]
use std::{
    fs::OpenOptions,
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::PathBuf,
};
use std::{
    fs::{self, File},
    io::Read,
    path::Path,
};

use zeroize::Zeroizing;

pub use sealed::{
    PASSKEY_KEY_LEN, open_with_passkey, open_with_passphrase, seal_with_passkey,
    seal_with_passphrase, sealing_key,
};

use crate::{KeyError, Result, Seed, SeedPhrase};

/// How hard the passphrase KDF works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KdfStrength {
    /// age's calibration: about one second of scrypt on this machine.
    #[default]
    Calibrated,
    /// scrypt with N = 2^log_n. Below the calibrated value only for tests: it weakens the keystore.
    LogN(u8),
}

/// An unlocked keystore: the phrase and the BIP39 passphrase, both zeroized on drop.
pub struct Unlocked {
    /// The recovery phrase.
    pub phrase: SeedPhrase,
    bip39_passphrase: Zeroizing<String>,
}

impl Unlocked {
    /// The phrase and BIP39 passphrase, to be sealed.
    pub fn new(phrase: SeedPhrase, bip39_passphrase: &str) -> Self {
        Self {
            phrase,
            bip39_passphrase: Zeroizing::new(bip39_passphrase.to_owned()),
        }
    }

    /// The seed the phrase and BIP39 passphrase give.
    pub fn seed(&self) -> Seed {
        self.phrase.to_seed(&self.bip39_passphrase)
    }

    /// The BIP39 passphrase ("" when there is none).
    pub fn bip39_passphrase(&self) -> &str {
        &self.bip39_passphrase
    }
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unlocked(redacted)")
    }
}

/// Writes a new keystore at `path`; refuses to overwrite one. The parent directory is created 0700.
#[cfg(unix)]
pub fn create(
    path: &Path,
    phrase: &SeedPhrase,
    bip39_passphrase: &str,
    passphrase: &str,
    strength: KdfStrength,
) -> Result<()> {
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    if path.exists() {
        return Err(KeyError::KeystoreExists {
            path: path.to_owned(),
        });
    }
    let ciphertext = seal_with_passphrase(phrase, bip39_passphrase, passphrase, strength)?;
    write_atomically(path, &ciphertext)
}

/// Decrypts the keystore at `path` with `passphrase`.
pub fn unlock(path: &Path, passphrase: &str) -> Result<Unlocked> {
    let ciphertext = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyError::KeystoreMissing {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(io_error(path, e)),
    };
    open_with_passphrase(&ciphertext, passphrase).map_err(|e| match e {
        KeyError::NotUnlocked => KeyError::WrongPassphrase {
            path: path.to_owned(),
        },
        KeyError::SealedCorrupt { reason } => KeyError::KeystoreCorrupt {
            path: path.to_owned(),
            reason,
        },
        other => other,
    })
}

/// Writes `bytes` to a 0600 temporary file beside `path`, syncs it, renames it over `path` and syncs the
/// directory: a crash leaves either no keystore or a whole one.
#[cfg(unix)]
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| io_error(dir, e))?;
    }
    let tmp = temp_path(path);
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io_error(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io_error(path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, e))
}

#[cfg(unix)]
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn io_error(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a whole small file (a phrase, a passphrase) into zeroizing memory, trimming one trailing newline.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| io_error(path, e))?;
    let trimmed = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    Ok(Zeroizing::new(trimmed.to_owned()))
}
