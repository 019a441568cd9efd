//! Refusal stories the other tests do not tell (README, "The refusal stories", lists where each one is):
//! a sealed vault's host hands its owner an attestation report altered by one byte, and the owner's wallet
//! releases no data key.

use dnavault_protocol::{VaultState, VaultStatus, boot::BootRequest};
use dnavault_ratls::{Client, Pin};
use dnavault_tests::{WalletCli, chain_with_vault, start_vault};

/// Offsets in an SNP attestation report (AMD SEV-SNP ABI, table 22): REPORT_DATA and MEASUREMENT.
const REPORT_DATA: usize = 0x50;
const MEASUREMENT: usize = 0x90;

/// The host of a sealed vault alters the report in the boot request it hands the owner, one byte of the
/// measurement (as if the approved code ran) or of REPORT_DATA (as if its own keys were the vault's): the
/// wallet refuses each, saying the report's signature does not hold, and signs nothing; the intact request
/// is answered. The vault stays sealed throughout.
#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_attestation_report_gets_no_data_key() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = start_vault(&dir.path().join("vault"), &chain);
    let client = Client::new(&vault.url, Pin::Spki(vault.tls_spki)).unwrap();
    let request: BootRequest = client.get("v1/boot").await.unwrap().value;
    let wallet = WalletCli::restored();
    let roots = vault.roots.to_str().unwrap();
    let answer = |request: &BootRequest, name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec(request).unwrap()).unwrap();
        let path = path.to_str().unwrap();
        let args = ["boot", "--request", path, "--accept-test-platform", roots];
        tokio::task::block_in_place(|| wallet.on_chain(&chain, &args))
    };

    for (offset, what) in [(MEASUREMENT, "measurement"), (REPORT_DATA, "report-data")] {
        let mut tampered = request.clone();
        let mut report = tampered.report.to_vec();
        report[offset] ^= 0x01;
        tampered.report = report.into();
        let run = answer(&tampered, &format!("{what}.json"));
        assert!(
            !run.ok,
            "the wallet answered a report with its {what} altered"
        );
        assert!(
            run.stderr.contains("signature"),
            "the wallet says why ({what}): {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("approval"),
            "nothing signed: {}",
            run.stdout
        );
    }

    let intact = answer(&request, "intact.json");
    assert!(intact.ok, "{}", intact.stderr);
    let status: VaultStatus = client.get("v1/status").await.unwrap().value;
    assert_eq!(
        status.state,
        VaultState::Sealed,
        "an answer printed, not delivered"
    );
}
