//! The running vault's chain view on Anvil: a head that stops moving refuses every query however often the
//! node answers, and a new block lifts it; an endpoint that hides revocations and says yes to every call is
//! outvoted by the quorum the owner approved; an endpoint the quorum needs that stops answering refuses every
//! query until it is back, and the vault resumes by itself; so it does when the node itself is stopped and
//! started again, and when its database stops (queries, uploads and audit reads told to try again meanwhile).

use std::time::Duration;

use alloy::primitives::U256;
use dnavault_testkit::{RpcProxy, hiding_revocations};
use dnavault_tests::chain_with_vault;

use crate::query::{FAST, OneQuery, audit, refusal, vault_with_genome_serving};

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_head_refuses_every_query_until_the_chain_moves() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let flags = [FAST, &["--max-head-age", "3"]].concat();
    let (vault, _wallet) = vault_with_genome_serving(&chain, dir.path(), &flags).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();

    // Anvil mines nothing (once the receipt above is anchored, within a second): the node answers every
    // poll, but its newest block grows old.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (status, message) = refusal(one.ask().await.unwrap_err());
    assert_eq!(status, 503, "{message}");
    assert!(message.contains("stopped moving"), "{message}");

    chain.mine().await.unwrap();
    vault.synced_with(&chain).await;
    one.ask().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lying_endpoint_is_outvoted_by_the_quorum() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let honest = RpcProxy::start(chain.endpoint_url(), None).await.unwrap();
    let liar = RpcProxy::start(chain.endpoint_url(), Some(hiding_revocations()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Anvil itself (the harness's endpoint), an honest proxy and the liar; 2 of the 3 must agree.
    let quorum = [
        "--rpc-url",
        honest.url(),
        "--rpc-url",
        liar.url(),
        "--rpc-quorum",
        "2",
    ];
    let flags = [FAST, &quorum].concat();
    let (vault, _wallet) = vault_with_genome_serving(&chain, dir.path(), &flags).await;

    // The liar answers "true" to isOwnerSignature for anyone: a stranger still cannot read the audit log.
    let refused = audit(&chain, &vault, &chain.signer(3)).await.unwrap_err();
    assert!(refused.to_string().contains("403"), "{refused}");
    assert!(audit(&chain, &vault, &owner).await.is_ok());

    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();
    // The liar hides the revocation; the two honest endpoints outvote it.
    revoked_then_refused(&chain, &owner, &vault, &one).await;
}

/// Revokes `one`'s grant, waits for the vault to read it, and checks the next query is refused as revoked.
async fn revoked_then_refused(
    chain: &dnavault_testkit::TestChain,
    owner: &alloy::signers::local::PrivateKeySigner,
    vault: &dnavault_tests::VaultProcess,
    one: &OneQuery,
) {
    chain
        .revoke(owner, U256::from(1), one.researcher.address(), one.scope)
        .await
        .unwrap();
    vault.synced_with(chain).await;
    let (status, message) = refusal(one.ask().await.unwrap_err());
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("was revoked"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_are_refused_while_the_chain_is_gone_and_run_again_when_it_is_back() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let node = RpcProxy::start(chain.endpoint_url(), None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The harness's endpoint and this one must agree: this one going silent leaves no chain to read.
    let quorum = ["--rpc-url", node.url(), "--rpc-quorum", "2"];
    let flags = [FAST, &quorum].concat();
    let (vault, _wallet) = vault_with_genome_serving(&chain, dir.path(), &flags).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();

    node.set_down(true);
    // FAST allows the consent view to be 2 s old.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, message) = refusal(one.ask().await.unwrap_err());
    assert_eq!(status, 503, "{message}");

    assert!(message.contains("consent cannot be checked"), "{message}");

    // Back: the vault reads on by itself (a new block, to see it has).
    node.set_down(false);
    chain.mine().await.unwrap();
    vault.synced_with(&chain).await;
    one.ask().await.unwrap();
}

/// The chain's node itself stopped (Anvil killed) and started again on its port with its state: queries are
/// refused while it is gone, and run again once it is back, nothing restarted but the node; a revocation made
/// after it is back is seen.
#[tokio::test(flavor = "multi_thread")]
async fn queries_are_refused_while_the_node_is_stopped_and_run_again_when_it_restarts() {
    let (mut chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome_serving(&chain, dir.path(), FAST).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();

    let while_stopped = chain
        .restart_node(async {
            // FAST allows the consent view to be 2 s old.
            tokio::time::sleep(Duration::from_secs(4)).await;
            one.ask().await
        })
        .await
        .unwrap();
    let (status, message) = refusal(while_stopped.unwrap_err());
    assert_eq!(status, 503, "{message}");

    // Back: the vault reads on by itself (a new block, to see it has).
    chain.mine().await.unwrap();
    vault.synced_with(&chain).await;
    one.ask().await.unwrap();
    revoked_then_refused(&chain, &owner, &vault, &one).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_are_refused_while_the_database_is_gone_and_run_again_when_it_is_back() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let postgres = dnavault_testkit::TestPostgres::start().unwrap();
    let database = postgres.database("vault").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let flags = [FAST, &["--database-url", &database]].concat();
    let (vault, wallet) = vault_with_genome_serving(&chain, dir.path(), &flags).await;
    let one = OneQuery::granted(&chain, &owner, &vault).await;
    one.ask().await.unwrap();

    // Without its database the vault cannot record a query: none runs. Nor is an upload stored, nor the
    // audit log read: each is told to try again (503), not that the vault failed.
    postgres.stop().unwrap();
    let error = one.ask().await.unwrap_err();
    let (status, message) = refusal(error);
    assert_eq!(status, 503, "{message}");
    assert!(message.contains("database cannot be reached"), "{message}");
    let upload = dir.path().join("notes.vcf");
    std::fs::write(
        &upload,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    )
    .unwrap();
    let run = tokio::task::block_in_place(|| wallet.upload(&chain, &vault, &upload));
    assert!(
        !run.ok && run.stderr.contains("database cannot be reached"),
        "{}",
        run.stderr
    );
    match audit(&chain, &vault, &owner).await {
        Err(dnavault_ratls::RatlsError::Status {
            status, message, ..
        }) => {
            assert_eq!(status, 503, "{message}");
            assert!(message.contains("database cannot be reached"), "{message}");
        }
        other => panic!("the audit log read without its database: {other:?}"),
    }

    postgres.restart().unwrap();
    let mut answered = one.ask().await;
    for _ in 0..50 {
        if answered.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answered = one.ask().await;
    }
    answered.unwrap();
}
