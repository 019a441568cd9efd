//! dnavault-vault as a process on Anvil with the simulated platform, driven over attested TLS and, for the
//! owner's side, by the real dnavault-wallet binary.

mod ingest;
mod query;
mod schemas;
mod serve;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use alloy::{
    primitives::{B256, U256},
    signers::local::PrivateKeySigner,
};
use dnavault_keys::{Seed, SeedPhrase};
use dnavault_protocol::VaultStatus;
use dnavault_ratls::{Client, Pin};
use dnavault_testkit::TestChain;
pub(crate) use dnavault_testkit::disk::file_containing as found_in;
use serde_json::Value;

/// A typed query result as the JSON it was sealed as, for assertions on its fields.
pub(crate) trait IntoValue {
    fn into_value(self) -> Value;
}

impl IntoValue for dnavault_protocol::query::QueryResult {
    fn into_value(self) -> Value {
        serde_json::to_value(self).expect("results are JSON")
    }
}

pub(crate) const ANVIL_WORDS: &str = "test test test test test test test test test test test junk";

pub(crate) const MEASUREMENT: &str = "abababababababababababababababababababababababababababababababababababababababababababababababab";

/// A vault process, killed if a test fails before sealing it.
pub(crate) struct VaultProcess {
    pub(crate) child: Child,
    pub(crate) data_dir: PathBuf,
    pub(crate) url: String,
    pub(crate) roots: PathBuf,
    pub(crate) tls_spki: [u8; 32],
}

impl VaultProcess {
    /// Waits until the vault's consent cache has applied every event up to `block` (its status's
    /// `consentBlock`): a grant or revocation mined there is then in force. Fails after 20 s.
    pub(crate) async fn synced_past(&self, block: u64) {
        let client = Client::new(&self.url, Pin::Spki(self.tls_spki)).unwrap();
        let mut seen = None;
        for _ in 0..400 {
            let status: VaultStatus = client.get("v1/status").await.unwrap().value;
            seen = status.consent_block;
            if seen >= Some(block) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the vault's consent cache never reached block {block} (last at {seen:?})")
    }

    /// Waits until the vault has seen everything `chain` has mined so far.
    pub(crate) async fn synced_with(&self, chain: &TestChain) {
        self.synced_past(chain.head().await.unwrap()).await;
    }
}

impl Drop for VaultProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn vault_command(data_dir: &Path, chain: &TestChain, chain_id: u64) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dnavault-vault"));
    command
        .args([
            "serve",
            "--platform",
            "simulated",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--simulated-measurement", MEASUREMENT, "--vault-id", "1"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--rpc-url", chain.endpoint_url().as_str()])
        .args(["--chain-id", &chain_id.to_string()])
        .args(["--registry", &chain.registry_address().to_string()])
        .env_remove("DNAVAULT_RPC_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub(crate) fn start_vault(data_dir: &Path, chain: &TestChain) -> VaultProcess {
    start_vault_with(data_dir, chain, &[])
}

/// Starts a vault with `extra` arguments for `serve`.
pub(crate) fn start_vault_with(data_dir: &Path, chain: &TestChain, extra: &[&str]) -> VaultProcess {
    let mut child = vault_command(data_dir, chain, chain.chain_id())
        .args(extra)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the vault's first line is not JSON ({e}): {line:?}"));
    assert_eq!(ready["event"], "listening");
    assert_eq!(ready["status"]["state"], "sealed");
    assert_eq!(ready["status"]["testOnly"], true);
    let spki: B256 = ready["status"]["tlsSpkiSha256"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    VaultProcess {
        child,
        data_dir: data_dir.to_owned(),
        url: ready["url"].as_str().unwrap().to_owned(),
        roots: ready["simulatedRoots"].as_str().unwrap().into(),
        tls_spki: spki.0,
    }
}

pub(crate) fn control(data_dir: &Path, command: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dnavault-vault"))
        .args([command, "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Anvil with vault 1 owned by account 1 (Anvil's words), MEASUREMENT approved; the owner's seed and key.
pub(crate) async fn chain_with_vault() -> (TestChain, Seed, PrivateKeySigner) {
    let chain = TestChain::start().await.unwrap();
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let owner = seed.ethereum_signer(1).unwrap();
    chain.register_vault(&owner, "").await.unwrap();
    let measurement: [u8; 48] = hex::decode(MEASUREMENT).unwrap().try_into().unwrap();
    chain
        .approve_measurement(&owner, U256::from(1), &measurement)
        .await
        .unwrap();
    (chain, seed, owner)
}

pub(crate) fn testdata(path: &str) -> PathBuf {
    format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}

/// The dnavault-wallet binary beside this package's (built by `cargo test --workspace`).
fn wallet_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_dnavault-vault")).with_file_name("dnavault-wallet");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p dnavault-wallet` (script/test builds it)",
        path.display()
    );
    path
}

/// An owner's wallet restored from Anvil's words, driven through the real binary.
pub(crate) struct WalletCli {
    _dir: tempfile::TempDir,
    home: PathBuf,
}

/// What a wallet run printed.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl WalletCli {
    pub(crate) fn restored() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wallet");
        let words = dir.path().join("words.txt");
        std::fs::write(&words, ANVIL_WORDS).unwrap();
        let wallet = Self { _dir: dir, home };
        let run = wallet.run(&["restore", "--words-file", words.to_str().unwrap()]);
        assert!(run.ok, "{}", run.stderr);
        wallet
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(wallet_binary())
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("DNAVAULT_PASSWORD", "correct horse battery staple")
            .env("DNAVAULT_KDF_LOG_N", "10")
            .env_remove("DNAVAULT_RPC_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs an owner command against `vault` as account 1, accepting the simulated platform.
    pub(crate) fn owner(&self, chain: &TestChain, vault: &VaultProcess, args: &[&str]) -> Run {
        let rpc = chain.endpoint_url().to_string();
        let registry = chain.registry_address().to_string();
        let mut all = vec!["--yes"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--vault", &vault.url, "--index", "1", "--rpc-url", &rpc]);
        all.extend_from_slice(&["--registry", &registry]);
        all.extend_from_slice(&["--accept-test-platform", vault.roots.to_str().unwrap()]);
        self.run(&all)
    }
}

/// Starts a vault and boots it with the owner's wallet.
pub(crate) fn booted_vault(chain: &TestChain, dir: &Path) -> (VaultProcess, WalletCli) {
    booted_vault_with(chain, dir, &[])
}

/// Starts a vault with `extra` arguments for `serve` and boots it with the owner's wallet.
pub(crate) fn booted_vault_with(
    chain: &TestChain,
    dir: &Path,
    extra: &[&str],
) -> (VaultProcess, WalletCli) {
    boot_with(chain, dir, extra, &["boot"])
}

/// Starts a vault with `extra` arguments for `serve` and boots it with the wallet's `boot_command`.
pub(crate) fn boot_with(
    chain: &TestChain,
    dir: &Path,
    extra: &[&str],
    boot_command: &[&str],
) -> (VaultProcess, WalletCli) {
    let vault = start_vault_with(&dir.join("vault"), chain, extra);
    let wallet = WalletCli::restored();
    let run = wallet.owner(chain, &vault, boot_command);
    assert!(
        run.ok && run.stdout.contains("is unsealed"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    (vault, wallet)
}
