//! dnavault-wallet end to end: the binary as a person or a script uses it.

mod boot_cli;
mod cli_keys;
mod crypto;
mod eip712_spec;
mod onchain;
mod owner_consents;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// Anvil's development mnemonic: its accounts are funded on every test chain.
pub(crate) const ANVIL_WORDS: &str = "test test test test test test test test test test test junk";
pub(crate) const PASSPHRASE: &str = "correct horse battery staple";

/// One wallet home, driven through the real binary.
pub(crate) struct Wallet {
    _dir: tempfile::TempDir,
    home: PathBuf,
}

/// What a run printed.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        assert!(self.ok, "command failed: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the run failed and its error says `needle`.
    #[track_caller]
    pub(crate) fn refused(&self, needle: &str) {
        assert!(!self.ok, "the run succeeded: {}", self.stdout);
        assert!(
            self.stderr.contains(needle),
            "expected {needle:?} in: {}",
            self.stderr
        );
    }

    pub(crate) fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Wallet {
    pub(crate) fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wallet");
        Self { _dir: dir, home }
    }

    /// A wallet restored from `words`.
    pub(crate) fn restored(words: &str) -> Self {
        let wallet = Self::empty();
        let file = wallet.write("words.txt", words);
        let run = wallet.run(&["restore", "--words-file", file.to_str().unwrap()]);
        assert!(run.ok, "{}", run.stderr);
        wallet
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.parent().unwrap().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The BRCA1/BRCA2 GRCh37 genotype-lookup descriptor, written beside the wallet's home.
    pub(crate) fn brca_lookup(&self) -> PathBuf {
        let panel =
            include_str!("../../../crates/protocol/descriptors/panels/brca1-brca2.grch37.json");
        self.write(
            "brca-lookup.json",
            &format!(r#"{{"analysis": "dnavault/query/genotype-lookup/v2", "panel": {panel}}}"#),
        )
    }

    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, PASSPHRASE, None)
    }

    pub(crate) fn run_with(&self, args: &[&str], passphrase: &str, stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut command = Command::new(env!("CARGO_BIN_EXE_dnavault-wallet"));
        command
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("DNAVAULT_PASSWORD", passphrase)
            .env("DNAVAULT_KDF_LOG_N", "10")
            .env_remove("DNAVAULT_RPC_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let input = stdin.unwrap_or("").to_owned();
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || pipe.write_all(input.as_bytes()));
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            ok: status.success(),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }
}
