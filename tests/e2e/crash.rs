//! A vault killed (SIGKILL) at a random moment while researchers' queries stream in and their receipts are
//! anchored, then restarted on the same data directory and booted again. After each restart the audit log
//! opens (the vault verifies its chain of tags at unseal), every query a researcher got an answer to is in
//! it with its receipt, a request answered before the kill is refused when replayed, and, once the last
//! vault has anchored everything, every receipt is anchored exactly once: no batch was sent twice.
//!
//! `DNAVAULT_CRASH_TRIALS` sets the number of kills: 1 in `script/test`, 50 for the long run the README
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

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_killed_while_it_records_and_anchors_loses_and_repeats_nothing() {
    let trials: u32 = std::env::var("DNAVAULT_CRASH_TRIALS").map_or(1, |n| n.parse().unwrap());
    let mut state: u64 = std::env::var("DNAVAULT_CRASH_SEED").map_or_else(
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
