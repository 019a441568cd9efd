//! The harness for tests across the system's real processes: Anvil with the registry deployed, the vault
//! (`dnavault-vault serve` on the simulated platform) driven over attested TLS, the owner's side through the
//! real `dnavault-wallet` binary and the researcher's through `dnavault-researcher`; the website
//! (`dnavault-web serve`) as a process too ([`web`]).
//!
//! The binaries are the ones `cargo test --workspace --features dnavault-vault/simulated` builds beside
//! the test (script/test runs that); [`binary`] says what to build when one is missing.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

pub mod web;

use alloy::{
    primitives::{B256, U256},
    signers::local::PrivateKeySigner,
};
use dnavault_keys::{Seed, SeedPhrase};
use dnavault_protocol::VaultStatus;
use dnavault_ratls::{Client, Pin};
use dnavault_testkit::TestChain;
pub use dnavault_testkit::disk::file_containing as found_in;
use serde_json::Value;

/// A typed query result as the JSON it was sealed as, for assertions on its fields.
pub trait IntoValue {
    /// The JSON.
    fn into_value(self) -> Value;
}

impl IntoValue for dnavault_protocol::query::QueryResult {
    fn into_value(self) -> Value {
        serde_json::to_value(self).expect("results are JSON")
    }
}

/// Anvil's development words: the owner is their account 1.
pub const ANVIL_WORDS: &str = "test test test test test test test test test test test junk";

/// The launch measurement the simulated vaults report, approved for vault 1 by [`chain_with_vault`].
pub const MEASUREMENT: &str = "abababababababababababababababababababababababababababababababababababababababababababababababab";

/// A vault process, killed if a test fails before sealing it.
pub struct VaultProcess {
    /// The process.
    pub child: Child,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its HTTPS URL.
    pub url: String,
    /// The simulated platform's test-only roots it wrote.
    pub roots: PathBuf,
    /// The SHA-256 of its TLS key's SPKI, which its report binds.
    pub tls_spki: [u8; 32],
}

impl VaultProcess {
    /// Waits up to `limit` for the vault to stop by itself; what it logged, or `None` if it still runs.
    pub fn stopped_within(&mut self, limit: std::time::Duration) -> Option<String> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.child.try_wait().ok().flatten().is_some() {
                let mut logged = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    std::io::Read::read_to_string(&mut stderr, &mut logged).ok();
                }
                return Some(logged);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    /// Waits until the vault's consent cache has applied every event up to `block` (its status's
    /// `consentBlock`): a grant or revocation mined there is then in force. Fails after 20 s.
    pub async fn synced_past(&self, block: u64) {
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
    pub async fn synced_with(&self, chain: &TestChain) {
        self.synced_past(chain.head().await.unwrap()).await;
    }
}

impl Drop for VaultProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dnavault-vault serve` for vault 1 on `chain` (which serves `chain_id`), on the simulated platform,
/// any port, with its stdout and stderr piped.
pub fn vault_command(data_dir: &Path, chain: &TestChain, chain_id: u64) -> Command {
    let mut command = Command::new(binary("dnavault-vault"));
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

/// Starts a vault with default settings.
pub fn start_vault(data_dir: &Path, chain: &TestChain) -> VaultProcess {
    start_vault_with(data_dir, chain, &[])
}

/// Starts a vault with `extra` arguments for `serve`.
pub fn start_vault_with(data_dir: &Path, chain: &TestChain, extra: &[&str]) -> VaultProcess {
    let mut command = vault_command(data_dir, chain, chain.chain_id());
    if !extra.contains(&"--max-head-age") {
        // This Anvil mines only on transactions, so its head stands still between them: the head-age limit
        // is a day unless a test sets it (tests/e2e/chain_view.rs tests the limit itself).
        command.args(["--max-head-age", "86400"]);
    }
    let mut child = command.args(extra).spawn().unwrap();
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

/// Runs `dnavault-vault COMMAND --data-dir DIR` (`seal`, `status`): whether it succeeded, and its output.
pub fn control(data_dir: &Path, command: &str) -> (bool, String) {
    let output = Command::new(binary("dnavault-vault"))
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
pub async fn chain_with_vault() -> (TestChain, Seed, PrivateKeySigner) {
    chain_with_vault_of(1).await
}

/// [`chain_with_vault`], the vault owned by account `index` of [`ANVIL_WORDS`].
pub async fn chain_with_vault_of(index: u32) -> (TestChain, Seed, PrivateKeySigner) {
    let chain = TestChain::start().await.unwrap();
    let seed = SeedPhrase::parse(ANVIL_WORDS).unwrap().to_seed("");
    let owner = seed.ethereum_signer(index).unwrap();
    chain.register_vault(&owner, "").await.unwrap();
    let measurement: [u8; 48] = hex::decode(MEASUREMENT).unwrap().try_into().unwrap();
    chain
        .approve_measurement(&owner, U256::from(1), &measurement)
        .await
        .unwrap();
    (chain, seed, owner)
}

/// Vault 1's owner publishes `url` on-chain as the vault's URI (where the website reaches it).
pub async fn publish_vault_uri(chain: &TestChain, owner: &PrivateKeySigner, url: &str) {
    let receipt = chain
        .registry_as(owner)
        .setVaultUri(U256::from(1), url.to_owned())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "setVaultUri");
}

/// A file of the repository's `testdata/`.
pub fn testdata(path: &str) -> PathBuf {
    format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}

/// The workspace binary `name` (`dnavault-vault`, `dnavault-wallet`, `dnavault-researcher`) in the target
/// directory the running test was built in.
pub fn binary(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    // target/debug/deps/e2e-HASH -> target/debug/NAME
    let path = test
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(name))
        .expect("the test runs from a target directory");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --features dnavault-vault/simulated` (script/test builds it)",
        path.display()
    );
    path
}

/// The passphrase of the test wallets' keystores.
pub const WALLET_PASSWORD: &str = "correct horse battery staple";

/// An owner's wallet restored from Anvil's words, driven through the real binary.
pub struct WalletCli {
    _dir: tempfile::TempDir,
    home: PathBuf,
    /// The account owner commands sign as.
    index: String,
}

/// What a wallet run printed.
pub struct Run {
    /// Whether it exited successfully.
    pub ok: bool,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl WalletCli {
    /// A wallet in a fresh home, restored from [`ANVIL_WORDS`], whose owner commands sign as account 1.
    pub fn restored() -> Self {
        Self::restored_as(1)
    }

    /// [`Self::restored`], signing owner commands as account `index`.
    pub fn restored_as(index: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wallet");
        let words = dir.path().join("words.txt");
        std::fs::write(&words, ANVIL_WORDS).unwrap();
        let wallet = Self {
            _dir: dir,
            home,
            index: index.to_string(),
        };
        let run = wallet.run(&["restore", "--words-file", words.to_str().unwrap()]);
        assert!(run.ok, "{}", run.stderr);
        wallet
    }

    /// The wallet's home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Runs the wallet with `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(binary("dnavault-wallet"))
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .env("DNAVAULT_PASSWORD", WALLET_PASSWORD)
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

    /// Runs an owner command against `vault` as the wallet's account, accepting the simulated platform.
    pub fn owner(&self, chain: &TestChain, vault: &VaultProcess, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--vault", &vault.url]);
        all.extend_from_slice(&["--accept-test-platform", vault.roots.to_str().unwrap()]);
        self.on_chain(chain, &all)
    }

    /// Runs an owner command as the wallet's account on `chain`'s registry, signing without asking.
    pub fn on_chain(&self, chain: &TestChain, args: &[&str]) -> Run {
        let rpc = chain.endpoint_url().to_string();
        let registry = chain.registry_address().to_string();
        let mut all = vec!["--yes"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--index",
            &self.index,
            "--rpc-url",
            &rpc,
            "--registry",
            &registry,
        ]);
        self.run(&all)
    }
}

impl WalletCli {
    /// Uploads `file` to `vault` as its owner (from a blocking section: the wallet is a process).
    pub fn upload(&self, chain: &TestChain, vault: &VaultProcess, file: &Path) -> Run {
        let file = file.to_str().expect("a UTF-8 path");
        tokio::task::block_in_place(|| self.owner(chain, vault, &["upload", "--file", file]))
    }
}

/// Starts a vault and boots it with the owner's wallet.
pub fn booted_vault(chain: &TestChain, dir: &Path) -> (VaultProcess, WalletCli) {
    booted_vault_with(chain, dir, &[])
}

/// Starts a vault with `extra` arguments for `serve` and boots it with the owner's wallet.
pub fn booted_vault_with(
    chain: &TestChain,
    dir: &Path,
    extra: &[&str],
) -> (VaultProcess, WalletCli) {
    boot_with(chain, dir, extra, &["boot"])
}

/// Starts a vault with `extra` arguments for `serve` and boots it with the wallet's `boot_command`.
pub fn boot_with(
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
