//! A vault killed (SIGKILL) at a random moment while researchers' queries stream in and their receipts are
//! anchored, then restarted on the same data directory and booted again. After each restart the audit log
//! opens (the vault verifies its chain of tags at unseal), every query a researcher got an answer to is in
//! it with its receipt, a request answered before the kill is refused when replayed, and, once the last
//! vault has anchored everything, every receipt is anchored exactly once: no batch was sent twice. And a
//! vault killed while it stores a new version of the owner's genome: the old version or the new one, whole,
//! with its genotype index, nothing half-written.
//!
//! `DNAVAULT_CRASH_TRIALS` sets the number of kills: 1 in `script/test`, 50 for the long runs the README
//! names. `DNAVAULT_CRASH_SEED` replays a run's kill times (each run prints its seed).

use std::{collections::HashSet, time::Duration};

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::sol_types::SolEvent;
use dnavault_protocol::VaultRegistry::ReceiptsAnchored;
use dnavault_researcher::{Prepared, Researcher};
use dnavault_testkit::TestChain;
use dnavault_tests::{VaultProcess, chain_with_vault};
use serde_json::Value;

use crate::{
    grants::terms_for,
    query::{
        FAST, allele_counts, audit_at, booted_bound_and_funded, connect, grant_scope, refusal,
        vault_with_genome,
    },
};

/// The receipts in the owner's audit log, every page: (receipt hash, the block that anchored it).
pub(crate) async fn receipts(
    chain: &TestChain,
    vault: &VaultProcess,
    owner: &alloy::signers::local::PrivateKeySigner,
) -> Vec<(String, Option<u64>)> {
    let mut found = Vec::new();
    let mut path = "v1/audit?limit=500".to_owned();
    loop {
        let page: Value = audit_at(chain, vault, owner, &path).await.unwrap();
        for receipt in page["receipts"].as_array().unwrap() {
            let block = receipt["anchoredBlock"].as_u64();
            found.push((receipt["receiptHash"].as_str().unwrap().to_owned(), block));
        }
        let Some(after) = page["nextReceiptsAfter"].as_u64() else {
            return found;
        };
        // The next page of receipts, past every entry (only the receipts are read here).
        path = format!(
            "v1/audit?limit=500&entriesAfter={}&receiptsAfter={after}",
            i64::MAX
        );
    }
}

/// A small deterministic generator for the kill times (xorshift), so a failing run can be replayed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// How many kills (`DNAVAULT_CRASH_TRIALS`, 1 by default) and the generator's seed (`DNAVAULT_CRASH_SEED`, the
/// time by default), printed so a run can be replayed.
fn kill_schedule() -> (u32, u64) {
    let trials: u32 = std::env::var("DNAVAULT_CRASH_TRIALS").map_or(1, |n| n.parse().unwrap());
    let state: u64 = std::env::var("DNAVAULT_CRASH_SEED").map_or_else(
        |_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        },
        |s| s.parse().unwrap(),
    );
    eprintln!("crash trials: {trials}, DNAVAULT_CRASH_SEED={state}");
    (trials, state)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_killed_while_it_records_and_anchors_loses_and_repeats_nothing() {
    let (trials, mut state) = kill_schedule();
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let query = allele_counts(&[("22", 50_326_116)]);
    let terms = terms_for(&query);
    grant_scope(
        &chain,
        &owner,
        researcher.address(),
        terms.descriptor.scope(),
        false,
    )
    .await;
    vault.synced_with(&chain).await;

    let mut answered: Vec<(Prepared, B256)> = Vec::new();
    for trial in 0..trials {
        let (client, attested) = connect(&chain, &vault).await;
        let domain = client.domain();
        let asking = {
            let (researcher, query, terms) = (
                Researcher::new(chain.signer(2)),
                query.clone(),
                terms.clone(),
            );
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let prepared = researcher.prepare(1, &query, &terms, &domain, 300).unwrap();
                    match attested.deliver(&researcher, &prepared, &client).await {
                        Ok(opened) => got.push((prepared, opened.receipt_hash)),
                        Err(_) => return got,
                    }
                }
            })
        };
        let delay = 150 + next(&mut state) % 1500;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        vault.child.kill().unwrap();
        vault.child.wait().unwrap();
        let got = asking.await.unwrap();
        eprintln!(
            "trial {trial}: killed after {delay} ms, {} answered",
            got.len()
        );
        answered.extend(got);

        // Restarted on the same data directory: it opens its store, checking the audit chain, or boots
        // no further.
        vault = booted_bound_and_funded(&chain, dir.path(), FAST).await.0;
        vault.synced_with(&chain).await;
        let logged: HashSet<String> = receipts(&chain, &vault, &owner)
            .await
            .into_iter()
            .map(|(hash, _)| hash)
            .collect();
        for (_, receipt) in &answered {
            assert!(
                logged.contains(&receipt.to_string()),
                "trial {trial}: answered receipt {receipt} is not in the log"
            );
        }
        if let Some((prepared, _)) = answered.last() {
            let (_, attested) = connect(&chain, &vault).await;
            let replayed = attested.send(prepared).await;
            let Err(error) = replayed else {
                panic!("trial {trial}: a request answered before the kill ran again");
            };
            let (status, message) = refusal(error);
            assert!(
                status == 409 && message.contains("already ran"),
                "trial {trial}: {status} {message}"
            );
        }
    }

    // Everything anchored, each receipt once, each batch once.
    let mut anchored = Vec::new();
    for _ in 0..300 {
        anchored = receipts(&chain, &vault, &owner).await;
        if anchored.iter().all(|(_, block)| block.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        anchored.iter().all(|(_, block)| block.is_some()),
        "not every receipt was anchored"
    );
    let logs = chain
        .provider()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(chain.registry_address())
                .event_signature(ReceiptsAnchored::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    let mut batches = HashSet::new();
    let mut on_chain = Vec::new();
    let mut where_anchored: std::collections::HashMap<String, Vec<(B256, Option<u64>, usize)>> =
        Default::default();
    for log in logs {
        let block = log.block_number;
        let event = ReceiptsAnchored::decode_log(&log.inner).unwrap();
        for hash in &event.receiptHashes {
            where_anchored.entry(hash.to_string()).or_default().push((
                event.batchHash,
                block,
                event.receiptHashes.len(),
            ));
        }
        assert!(
            batches.insert(event.batchHash),
            "batch {} was anchored twice",
            event.batchHash
        );
        on_chain.extend(event.receiptHashes.iter().map(|h| h.to_string()));
    }
    let unique: HashSet<&String> = on_chain.iter().collect();
    let twice: Vec<_> = where_anchored
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .take(3)
        .collect();
    assert!(
        twice.is_empty(),
        "receipts anchored twice, in (batch, block, batch size): {twice:?}"
    );
    assert_eq!(unique.len(), on_chain.len(), "a receipt was anchored twice");
    let logged: HashSet<&String> = anchored.iter().map(|(hash, _)| hash).collect();
    assert_eq!(
        unique, logged,
        "the chain's anchored receipts and the log's differ"
    );
    eprintln!(
        "{} queries answered over {trials} kills; {} receipts in {} batches",
        answered.len(),
        logged.len(),
        batches.len()
    );
    drop(vault);
}

/// A vault killed (SIGKILL) at a random moment while it stores a new version of the owner's genome: after
/// each kill the store holds either the version before or the new one, whole, with the genotype index made
/// of that version and nothing else on disk; the audit log verifies when the vault unseals again; an upload
/// answered before the kill is refused when replayed; and the next version is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_vault_killed_while_it_stores_an_upload_keeps_one_whole_version() {
    use crate::ingest::{approval, put, put_to, read_object, signed, small_vcf};
    use dnavault_genome::{Genome, genotypes};

    let (trials, mut state) = kill_schedule();
    let (chain, seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let key = seed
        .data_key(chain.chain_id(), chain.registry_address(), 1)
        .unwrap();
    let (mut vault, _wallet) = booted_bound_and_funded(&chain, dir.path(), FAST).await;
    // Each version a different length, so the one stored says which it is.
    let version = |trial: u32| small_vcf(300_000 + trial);
    // A first version, stored whole: what a killed upload must leave, or the new one.
    let first = small_vcf(1_000);
    let store_whole = async |vault: &VaultProcess, name: &str, content: &[u8]| {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let header = signed(&chain, &owner, approval("genome.vcf", content)).await;
        put(vault, "genome.vcf", Some(header), &file).await.unwrap();
    };
    store_whole(&vault, "first.vcf", &first).await;
    let mut stored = Some(first);
    let mut answered_before_kill = Vec::new();
    for trial in 0..trials {
        let content = version(trial);
        let file = dir.path().join(format!("v{trial}.vcf"));
        std::fs::write(&file, &content).unwrap();
        let header = signed(&chain, &owner, approval("genome.vcf", &content)).await;
        let uploading = {
            let (vault_url, spki, header, file) = (
                vault.url.clone(),
                vault.tls_spki,
                header.clone(),
                file.clone(),
            );
            tokio::spawn(async move {
                put_to(&vault_url, spki, "genome.vcf", Some(header), &file).await
            })
        };
        let delay = next(&mut state) % 2500;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        vault.child.kill().unwrap();
        vault.child.wait().unwrap();
        let answered = uploading.await.unwrap().is_ok();
        eprintln!("upload trial {trial}: killed after {delay} ms, answered: {answered}");

        // Read by the owner's key with the vault stopped: one version, whole, and its index.
        let data_dir = vault.data_dir.clone();
        let now = read_object(&data_dir, &key, "genome.vcf").await;
        assert!(
            now == content || Some(&now) == stored.as_ref(),
            "trial {trial}: the store holds {} bytes, neither the new version nor the one before",
            now.len()
        );
        if answered {
            assert_eq!(now, content, "trial {trial}: answered, but not stored");
            answered_before_kill.push((header, file.clone()));
        }
        let index = read_object(&data_dir, &key, "genome.vcf.genotypes").await;
        let mut genome = Genome::from_reader(
            std::path::Path::new("genome.vcf"),
            Box::new(std::io::Cursor::new(now.clone())),
            None,
        )
        .unwrap();
        let expected = genotypes::build(&mut genome).unwrap().unwrap();
        assert!(
            index == expected.as_slice(),
            "trial {trial}: the genotype index is not the stored version's"
        );
        let files = std::fs::read_dir(data_dir.join("objects")).unwrap().count();
        assert_eq!(
            files, 2,
            "trial {trial}: the file and its index, nothing half-written"
        );
        stored = Some(now);

        // Unsealed again: the audit log verifies, and an upload answered before the kill is not stored twice.
        vault = booted_bound_and_funded(&chain, dir.path(), FAST).await.0;
        if let Some((header, file)) = answered_before_kill.last() {
            let again = put(&vault, "genome.vcf", Some(header.clone()), file).await;
            let error = again.unwrap_err().to_string();
            assert!(
                error.contains("409") || error.contains("replayed"),
                "trial {trial}: {error}"
            );
        }
    }
    // And the next version is stored.
    store_whole(&vault, "last.vcf", &version(trials)).await;
}
