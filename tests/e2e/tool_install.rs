//! Installing an analysis tool through the relay, as new code is: the running vault checks its own copy of
//! the tool against the manifest and posts the request, signed by its bound key, to its owner's inbox; the
//! owner's wallet shows the manifest in words beside the operator's note (marked as the operator's) and
//! signs `ApproveTool`, which the website's relayer submits; the vault sees the tool approved on-chain. A
//! tool whose files differ from its manifest is never proposed, and one the owner declines stays out.

use std::{path::Path, process::Child};

use alloy::primitives::U256;
use dnavault_protocol::tool::ToolManifest;
use dnavault_tests::{VaultProcess, binary, chain_with_vault};
use serde_json::Value;

use crate::relay::{first_waiting, relayed_vault, sent_by};
use crate::tools::manifest;

/// `dnavault-vault propose-tool` for the manifest at `path`, started (it waits for the owner).
pub(crate) fn propose_tool(vault: &VaultProcess, path: &Path) -> Child {
    std::process::Command::new(binary("dnavault-vault"))
        .arg("propose-tool")
        .arg("--data-dir")
        .arg(&vault.data_dir)
        .arg("--manifest")
        .arg(path)
        .args([
            "--wait",
            "60",
            "--note",
            "bcftools for the BRCA panel study",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// What `child` printed, once it ended, and whether it succeeded.
pub(crate) fn ended(child: Child) -> (bool, String) {
    let output = tokio::task::block_in_place(|| child.wait_with_output().unwrap());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

pub(crate) fn written(dir: &Path, name: &str, tool: &ToolManifest) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(tool).unwrap()).unwrap();
    path
}

/// Debian's bcftools listing the positions of the records in the granted regions.
pub(crate) fn bcftools_positions() -> ToolManifest {
    manifest(
        "bcftools query",
        Path::new("/usr/bin/bcftools"),
        &["stdout"],
        &["query", "-r", "{regions}", "-f", "%POS\\n", "{genome}"],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_is_installed_through_the_relay_and_only_as_its_manifest_pins_it() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let relayed = relayed_vault(&chain, dir.path()).await;
    let (vault, owner, owner_nonce) = (&relayed.vault, relayed.owner, relayed.owner_nonce);
    let inbox = |command: &str, extra: &[&str]| relayed.inbox(&chain, command, extra);
    let registry = chain.registry();
    let installed = |tool: alloy::primitives::B256| {
        let registry = registry.clone();
        async move {
            registry
                .isToolApproved(U256::from(1), tool)
                .call()
                .await
                .unwrap()
        }
    };
    let bcftools = bcftools_positions();

    // A manifest whose executable's hash is off by one bit: this vault's copy does not match, so its owner
    // is never asked.
    let mut altered = bcftools.clone();
    altered.executable.sha256.0[0] ^= 1;
    let (ok, said) = ended(propose_tool(
        vault,
        &written(dir.path(), "altered.json", &altered),
    ));
    assert!(
        !ok && said.contains("does not match its manifest")
            && said.contains("the owner is not asked"),
        "{said}"
    );
    let listed = inbox("list", &[]);
    let waiting: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        waiting["messages"].as_array().unwrap().len(),
        0,
        "{waiting}"
    );

    // The real one: asked, shown in words, installed by the owner through the website's relayer.
    let path = written(dir.path(), "bcftools.json", &bcftools);
    let asking = propose_tool(vault, &path);
    let (words, nonce) = first_waiting(&inbox).await;
    let id = bcftools.id().to_string();
    for expected in [
        "vault 1 asks you to install the analysis tool bcftools query test",
        &id,
        "\"bcftools for the BRCA panel study\", in its operator's words",
    ] {
        assert!(words.contains(expected), "{expected:?} in {words}");
    }
    let answered = inbox("answer", &["--message", &nonce]);
    assert!(answered.ok, "{}{}", answered.stdout, answered.stderr);
    for expected in [
        "Install an analysis tool in vault 1",
        "/usr/bin/bcftools",
        "the vault's bound key",
        "checked by no one",
        "reads your whole genome file",
    ] {
        assert!(
            answered.stderr.contains(expected),
            "the wallet's screen says {expected:?}: {}",
            answered.stderr
        );
    }
    let (ok, said) = ended(asking);
    assert!(
        ok && said.contains("approved: the registry lists the tool bcftools query test"),
        "{said}"
    );
    assert!(installed(bcftools.id()).await);
    assert_eq!(
        sent_by(&chain, owner).await,
        owner_nonce,
        "the website's relayer paid, not the owner"
    );

    // Installed already: nothing to ask.
    let (ok, said) = ended(propose_tool(vault, &path));
    assert!(
        !ok && said.contains("approved for vault 1 already"),
        "{said}"
    );

    // Another tool, declined: not installed.
    let other = manifest(
        "bcftools stats",
        Path::new("/usr/bin/bcftools"),
        &["stdout"],
        &["stats", "{genome}"],
    );
    let asking = propose_tool(vault, &written(dir.path(), "stats.json", &other));
    let (_, nonce) = first_waiting(&inbox).await;
    let declined = inbox("answer", &["--message", &nonce, "--decline"]);
    assert!(declined.ok, "{}", declined.stderr);
    let (ok, said) = ended(asking);
    assert!(
        !ok && said.contains("the owner declined the tool bcftools stats test"),
        "{said}"
    );
    assert!(!installed(other.id()).await);
    drop(relayed);
}
