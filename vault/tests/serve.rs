//! `dnavault-vault serve` as a process on Anvil with the simulated platform: it serves its boot request over
//! attested TLS, unseals only on its owner's approval, and `seal` wipes it and stops it.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use alloy::primitives::{B256, U256};
use dnavault_attest::{Policy, Product, TrustRoot, Verifier};
use dnavault_contracts::boot::{BootRequest, BootResponse};
use dnavault_keys::SeedPhrase;
use dnavault_ratls::{Client, Pin, RatlsError};
use dnavault_testkit::TestChain;
use dnavault_wallet::{boot, registry::Connection};
use serde_json::Value;

const MEASUREMENT: &str = "abababababababababababababababababababababababababababababababababababababababababababababababab";

/// A vault process, killed if a test fails before sealing it.
struct VaultProcess {
    child: Child,
    data_dir: PathBuf,
    url: String,
    roots: PathBuf,
    tls_spki: [u8; 32],
}

impl Drop for VaultProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vault_command(data_dir: &Path, chain: &TestChain, chain_id: u64) -> Command {
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

fn start_vault(data_dir: &Path, chain: &TestChain) -> VaultProcess {
    let mut child = vault_command(data_dir, chain, chain.chain_id())
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

fn control(data_dir: &Path, command: &str) -> (bool, String) {
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

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_served_vault_boots_on_approval_and_seal_wipes_it() {
    let chain = TestChain::start().await.unwrap();
    let seed = SeedPhrase::parse("test test test test test test test test test test test junk")
        .unwrap()
        .to_seed("");
    let owner = seed.ethereum_signer(1).unwrap();
    chain.register_vault(&owner, "").await.unwrap();
    let measurement: [u8; 48] = hex::decode(MEASUREMENT).unwrap().try_into().unwrap();
    chain
        .approve_measurement(&owner, U256::from(1), &measurement)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vault = start_vault(&dir.path().join("vault"), &chain);

    // The owner's side, as `dnavault-wallet boot --vault URL` does it.
    let fetched = Client::new(&vault.url, Pin::Report)
        .unwrap()
        .get::<BootRequest>("v1/boot")
        .await
        .unwrap();
    assert_eq!(fetched.spki_sha256, fetched.value.tls_spki_sha256.0);
    assert_eq!(fetched.spki_sha256, vault.tls_spki);
    let pem = std::fs::read(&vault.roots).unwrap();
    let verifier = Verifier::production(Policy {
        accept_test_roots: true,
        ..Policy::default()
    })
    .with_test_root(TrustRoot::test_only_bundle(Product::Milan, &pem).unwrap());
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        owner.clone(),
    )
    .await
    .unwrap();
    let checked = boot::check(&fetched.value, &connection, &verifier, &owner)
        .await
        .unwrap();
    let response = boot::answer(&checked, &seed, &owner).await.unwrap();
    let pinned = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();

    // A response whose wrapped key is not the approved one is refused, and the vault stays sealed.
    let mut swapped = response.clone();
    let mut wrapped = swapped.wrapped_data_key.to_vec();
    let last = wrapped.len() - 1;
    wrapped[last] ^= 1;
    swapped.wrapped_data_key = wrapped.into();
    let refused = pinned
        .post::<_, Value>("v1/boot", &swapped)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, RatlsError::Status { status: 403, message, .. } if message.contains("not the one the owner approved")),
        "{refused}"
    );
    // Malformed JSON is refused with the reason.
    let malformed = pinned
        .post::<_, Value>("v1/boot", &serde_json::json!({ "approval": 1 }))
        .await
        .unwrap_err();
    assert!(
        matches!(malformed, RatlsError::Status { status: 400, .. }),
        "{malformed}"
    );
    let status = pinned.get::<Value>("v1/status").await.unwrap().value;
    assert_eq!(status["state"], "sealed");

    let status = pinned
        .post::<BootResponse, Value>("v1/boot", &response)
        .await
        .unwrap()
        .value;
    assert_eq!(status["state"], "unsealed");
    assert_eq!(status["measurement"], MEASUREMENT);
    // The same approval again: the vault is no longer waiting for one.
    let replay = pinned
        .post::<_, Value>("v1/boot", &response)
        .await
        .unwrap_err();
    assert!(
        matches!(replay, RatlsError::Status { status: 409, .. }),
        "{replay}"
    );
    let (ok, text) = control(&vault.data_dir, "status");
    assert!(ok, "{text}");
    assert!(text.contains("\"state\":\"unsealed\""), "{text}");

    // Seal: the vault wipes its keys and exits; its control socket goes with it.
    let (ok, text) = control(&vault.data_dir, "seal");
    assert!(ok && text.contains("sealed"), "{text}");
    let exit = vault.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(!vault.data_dir.join("control.sock").exists());
    let (ok, text) = control(&vault.data_dir, "seal");
    assert!(!ok && text.contains("no vault is running"), "{text}");

    // The data key is nowhere in the vault's files.
    let data_key = seed
        .data_key(chain.chain_id(), chain.registry_address(), 1)
        .unwrap();
    for file in files(&vault.data_dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(32)
                .any(|window| window == data_key.expose().as_slice()),
            "the data key is in {}",
            file.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_refuses_to_start_on_the_wrong_chain() {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = vault_command(&dir.path().join("vault"), &chain, 1)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "serves chain {}, the vault belongs to chain 1",
            chain.chain_id()
        )),
        "{stderr}"
    );
}
