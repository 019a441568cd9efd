//! What every command shares: the wallet home, how the passphrase is obtained, output mode and confirmation.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
};

use dnavault_keys::keystore::{KdfStrength, Unlocked, read_secret_file};
use dnavault_wallet::{WalletHome, explain::Explanation};
use eyre::{WrapErr, bail, eyre};
use serde_json::Value;
use zeroize::Zeroizing;

/// The environment variable that may hold the keystore passphrase (for scripts).
const PASSWORD_ENV: &str = "DNAVAULT_PASSWORD";

pub(crate) struct Session {
    pub(crate) home: WalletHome,
    password_file: Option<PathBuf>,
    pub(crate) json: bool,
    yes: bool,
    pub(crate) strength: KdfStrength,
}

impl Session {
    pub(crate) fn new(
        home: Option<PathBuf>,
        password_file: Option<PathBuf>,
        json: bool,
        yes: bool,
        kdf_log_n: Option<u8>,
    ) -> eyre::Result<Self> {
        let dir = match home {
            Some(dir) => dir,
            None => PathBuf::from(
                std::env::var_os("HOME").ok_or_else(|| eyre!("set --home or $DNAVAULT_HOME"))?,
            )
            .join(".dnavault/wallet"),
        };
        let strength = match kdf_log_n {
            Some(log_n) if !(10..=30).contains(&log_n) => {
                bail!("the scrypt cost must be between 10 and 30")
            }
            Some(log_n) => KdfStrength::LogN(log_n),
            None => KdfStrength::Calibrated,
        };
        Ok(Self {
            home: WalletHome::new(dir),
            password_file,
            json,
            yes,
            strength,
        })
    }

    /// The keystore passphrase: from --password-file, $DNAVAULT_PASSWORD, or a prompt (twice when `confirm`).
    pub(crate) fn passphrase(&self, confirm: bool) -> eyre::Result<Zeroizing<String>> {
        if let Some(path) = &self.password_file {
            return Ok(read_secret_file(path)?);
        }
        if let Ok(value) = std::env::var(PASSWORD_ENV) {
            return Ok(Zeroizing::new(value));
        }
        if !std::io::stdin().is_terminal() {
            bail!("no keystore passphrase: pass --password-file or set {PASSWORD_ENV}");
        }
        let first = Zeroizing::new(rpassword::prompt_password("Keystore passphrase: ")?);
        if confirm {
            let again = Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ")?);
            if *first != *again {
                bail!("the two passphrases differ");
            }
        }
        Ok(first)
    }

    /// Decrypts the keystore.
    pub(crate) fn unlock(&self) -> eyre::Result<Unlocked> {
        if !self.home.has_keystore() {
            bail!(
                "no wallet at {}: run `dnavault-wallet new` or `restore` first",
                self.home.dir().display()
            );
        }
        let passphrase = self.passphrase(false)?;
        Ok(self.home.unlock(&passphrase)?)
    }

    /// Shows what signing means and asks; `--yes` answers for scripts. The explanation goes to standard error
    /// so that standard output stays the result.
    pub(crate) fn confirm(&self, explanation: &Explanation, question: &str) -> eyre::Result<()> {
        eprint!("{explanation}");
        if self.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "not confirmed: standard input is not a terminal; re-run with --yes to sign without asking"
            );
        }
        eprint!("{question} [y/N] ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .wrap_err("reading the answer")?;
        if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            Ok(())
        } else {
            bail!("declined: nothing was signed")
        }
    }

    /// Prints a result: `json` with --json, else `text`.
    pub(crate) fn emit(&self, json: &Value, text: &str) -> eyre::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(json)?);
        } else {
            println!("{text}");
        }
        Ok(())
    }
}
