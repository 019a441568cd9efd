//! A grant's purpose and query budget, enforced by the running vault: a query runs only for a purpose the
//! grant's DUO purpose covers, with every condition it carries declared, and only as many times as the grant
//! allows; the receipt records the purpose, and the owner's log every refusal. Under a grant that asks for
//! each query, the owner approves one query, read in words, through the wallet.

use std::path::Path;

use alloy::{primitives::U256, signers::local::PrivateKeySigner};
use dnavault_protocol::{GrantRecord, descriptor::Descriptor, purpose::Purpose};
use dnavault_researcher::{Researcher, Terms};
use dnavault_testkit::TestChain;
use dnavault_tests::chain_with_vault;

use crate::query::{allele_counts, audit, connect, refused, vault_with_genome};

/// Breast cancer research, non-commercial use only.
const GRANTED: &str = "DS/MONDO:0007254+NCU";

/// Grants `descriptor` to `researcher` on vault 1 for [`GRANTED`], with `budget` queries.
async fn grant(
    chain: &TestChain,
    owner: &PrivateKeySigner,
    researcher: &Researcher,
    descriptor: &Descriptor,
    budget: u32,
) {
    let now = chain.latest_timestamp().await.unwrap();
    let record = GrantRecord {
        expiry: now + 3600,
        purpose: Purpose::parse(GRANTED).unwrap().to_bytes16(),
        perQueryApproval: false,
        revoked: false,
        maxQueries: budget,
        epoch: 0,
    };
    chain
        .grant(
            owner,
            U256::from(1),
            researcher.address(),
            descriptor.scope(),
            &record,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn purpose_and_budget_are_enforced_and_recorded() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let counts = crate::grants::descriptor(dnavault_protocol::query::QueryKind::AlleleCounts);
    grant(&chain, &owner, &researcher, &counts, 2).await;
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let query = allele_counts(&[("22", 50_326_116)]);
    let under = |purpose: &str| Terms {
        descriptor: counts.clone(),
        purpose: Purpose::parse(purpose).unwrap(),
    };

    // Purposes the grant does not cover: broader, another disease, a condition left undeclared, a use the
    // grant does not widen to. None of them counts against the budget.
    for (purpose, why) in [
        ("GRU", "does not include"),
        ("HMB+NCU", "does not include"),
        ("DS/MONDO:0005140+NCU", "does not include"),
        (
            "DS/MONDO:0007254",
            "requires non-commercial use only (NCU, DUO:0000046)",
        ),
        ("DS/MONDO:0007254+NCU+CC", "clinical care use"),
    ] {
        let asked = attested
            .ask(&researcher, &query, &under(purpose), &client)
            .await;
        refused(asked, 403, why);
    }

    // The purpose it covers (declaring more conditions is fine): answered, and the receipt records it.
    let domain = client.domain();
    let declared = under("DS/MONDO:0007254+NCU+PUB");
    let prepared = researcher
        .prepare(1, &query, &declared, &domain, 300)
        .unwrap();
    let answer = attested.send(&prepared).await.unwrap();
    assert_eq!(answer.receipt.purpose, declared.purpose.to_bytes16());
    researcher.open(&prepared, &answer, &domain).unwrap();
    let exact = under(GRANTED);
    let ask = || attested.ask(&researcher, &query, &exact, &client);
    ask().await.unwrap();

    // The budget of two is spent: the third is refused. A renewal is a new grant with a budget of its own.
    let spent = |budget: u32| format!("the grant's query budget ({budget}) is spent");
    refused(ask().await, 403, &spent(2));
    grant(&chain, &owner, &researcher, &counts, 1).await;
    vault.synced_with(&chain).await;
    ask().await.unwrap();
    refused(ask().await, 403, &spent(1));

    // The owner's log names every refusal with its check's reason, and each query with its purpose.
    let log = audit(&chain, &vault, &owner).await.unwrap();
    let entries = log["entries"].as_array().unwrap();
    let details = |action: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| e["detail"].as_str().unwrap().to_owned())
            .collect()
    };
    let refusals = details("query-refused");
    assert_eq!(refusals.len(), 7, "{refusals:?}");
    assert_eq!(
        refusals
            .iter()
            .filter(|d| d.contains("query budget"))
            .count(),
        2,
        "{refusals:?}"
    );
    let queries = details("query");
    assert_eq!(queries.len(), 3, "{queries:?}");
    assert!(
        queries[0].contains("purpose DUO:0000007/MONDO:0007254+DUO:0000046+DUO:0000019"),
        "{queries:?}"
    );
}

/// The researcher's CLI as account 2, against `vault` on `chain`.
fn researcher_cli(
    chain: &TestChain,
    vault: &dnavault_tests::VaultProcess,
    key: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(dnavault_tests::binary("dnavault-researcher"))
        .args(["query", "--rpc-url", chain.endpoint_url().as_str()])
        .args(["--registry", &chain.registry_address().to_string()])
        .arg("--accept-test-platform")
        .arg(&vault.roots)
        .arg("--key-file")
        .arg(key)
        .args(["--vault", &vault.url, "--vault-id", "1"])
        .args(args)
        .output()
        .unwrap()
}

/// Under a grant that asks for each query, the owner's wallet reads the researcher's prepared request,
/// shows the query in words and signs the approval the researcher then attaches: the vault runs that one
/// query once.
#[tokio::test(flavor = "multi_thread")]
async fn the_owner_approves_one_query_in_words_through_the_clis() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = chain.signer(2);
    let counts = crate::grants::descriptor(dnavault_protocol::query::QueryKind::AlleleCounts);
    crate::query::grant_scope(&chain, &owner, researcher.address(), counts.scope(), true).await;
    vault.synced_with(&chain).await;
    let files = dir.path();
    let write = |name: &str, text: &str| {
        let path = files.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let key = write("key", &alloy::hex::encode(researcher.to_bytes()));
    let descriptor = write("counts.json", &serde_json::to_string(&counts).unwrap());
    let positions = write("positions", "22\t50326116\n");
    let submission = files.join("submission.json");
    let submission = submission.to_str().unwrap();
    let ask = |args: &[&str]| {
        tokio::task::block_in_place(|| researcher_cli(&chain, &vault, Path::new(&key), args))
    };
    let prepared = ask(&[
        "--descriptor",
        &descriptor,
        "--purpose",
        "GRU",
        "--allele-counts",
        &positions,
        "--prepare-only",
        submission,
    ]);
    assert!(
        prepared.status.success(),
        "{}",
        String::from_utf8_lossy(&prepared.stderr)
    );
    let unapproved = ask(&["--submission", submission]);
    assert!(!unapproved.status.success());
    let refusal = String::from_utf8_lossy(&unapproved.stderr);
    assert!(
        refusal.contains("asks for the owner's approval"),
        "{refusal}"
    );

    let approved = tokio::task::block_in_place(|| {
        wallet.on_chain(&chain, &["approve-query", "--submission", submission])
    });
    assert!(approved.ok, "{}", approved.stderr);
    for words in [
        "count the copies of each allele the person carries",
        "22:50326116",
        "general research use (GRU, DUO:0000042)",
    ] {
        assert!(
            approved.stderr.contains(words),
            "{words}: {}",
            approved.stderr
        );
    }
    let approval = write("approval.json", &approved.stdout);
    let answered = ask(&["--submission", submission, "--approval", &approval]);
    assert!(
        answered.status.success(),
        "{}",
        String::from_utf8_lossy(&answered.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&answered.stdout).unwrap();
    assert_eq!(
        answer["result"]["sites"][0]["counts"],
        serde_json::json!([1, 1])
    );
    let replayed = ask(&["--submission", submission, "--approval", &approval]);
    assert!(String::from_utf8_lossy(&replayed.stderr).contains("replayed"));
}
