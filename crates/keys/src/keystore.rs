//! The keystore: the recovery phrase (and the optional BIP39 passphrase) encrypted under the owner's keystore
//! passphrase with age's scrypt recipient, in a file only the owner can read (0600), written atomically.
//!
//! Inside the age envelope: `dnavault-keystore-v1\n`, one byte of entropy length, the phrase's entropy, two
//! bytes (big-endian) of BIP39 passphrase length, the BIP39 passphrase (UTF-8).

use std::{
    fs::{self, File, OpenOptions},
    io::{Read, Write},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::{KeyError, Result, Seed, SeedPhrase};

const MAGIC: &[u8] = b"dnavault-keystore-v1\n";

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
    /// The seed the phrase and BIP39 passphrase give.
    pub fn seed(&self) -> Seed {
        self.phrase.to_seed(&self.bip39_passphrase)
    }
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unlocked(redacted)")
    }
}

/// Writes a new keystore at `path`; refuses to overwrite one. The parent directory is created 0700.
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
    let plaintext = encode(phrase, bip39_passphrase);
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    if let KdfStrength::LogN(log_n) = strength {
        recipient.set_work_factor(log_n);
    }
    let ciphertext = age::encrypt(&recipient, &plaintext)
        .map_err(|e| io_error(path, std::io::Error::other(e)))?;
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
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    let plaintext = Zeroizing::new(age::decrypt(&identity, &ciphertext).map_err(|e| match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::NoMatchingKeys
        | age::DecryptError::KeyDecryptionFailed => KeyError::WrongPassphrase {
            path: path.to_owned(),
        },
        other => KeyError::KeystoreCorrupt {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    })?);
    decode(&plaintext).ok_or_else(|| KeyError::KeystoreCorrupt {
        path: path.to_owned(),
        reason: "the decrypted contents are not a DNA Vault keystore".into(),
    })
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

fn decode(bytes: &[u8]) -> Option<Unlocked> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (&entropy_len, rest) = rest.split_first()?;
    let (entropy, rest) = rest.split_at_checked(usize::from(entropy_len))?;
    let (len, rest) = rest.split_at_checked(2)?;
    let extra_len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    if rest.len() != extra_len {
        return None;
    }
    let bip39_passphrase = Zeroizing::new(String::from_utf8(rest.to_vec()).ok()?);
    Some(Unlocked {
        phrase: SeedPhrase::from_entropy(entropy).ok()?,
        bip39_passphrase,
    })
}

/// Writes `bytes` to a 0600 temporary file beside `path`, syncs it, renames it over `path` and syncs the
/// directory: a crash leaves either no keystore or a whole one.
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
