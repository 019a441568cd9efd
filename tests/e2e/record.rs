//! A running vault follows its own entry in the registry: when its owner revokes the code it booted with,
//! unbinds its key, or hands the vault to someone else, it seals (wipes its keys and stops) within a poll;
//! and it answers no query while its key is not the active one on-chain.

use std::time::Duration;

use alloy::primitives::U256;
use dnavault_protocol::query::QueryKind;
use dnavault_researcher::Researcher;
use dnavault_tests::{MEASUREMENT, VaultProcess, boot_with, chain_with_vault, testdata};

use crate::{
    grants::{self, terms_for},
    query::{FAST, allele_counts, connect, grant_scope, refused, vault_with_genome},
};

/// Waits for `vault` to seal by itself and checks what it logged says why.
fn sealed_because(vault: &mut VaultProcess, why: &str) {
    let logged = tokio::task::block_in_place(|| vault.stopped_within(Duration::from_secs(10)))
        .expect("the vault still runs");
    assert!(logged.contains(why), "{logged}");
}

fn measurement() -> alloy::primitives::Bytes {
    alloy::hex::decode(MEASUREMENT).unwrap().into()
}

async fn confirm(
    call: alloy::contract::CallBuilder<
        &alloy::providers::DynProvider,
        impl alloy::contract::CallDecoder,
    >,
) {
    call.send().await.unwrap().get_receipt().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_measurement_seals_the_vault() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let registry = chain.registry_as(&owner);
    confirm(registry.revokeMeasurement(U256::from(1), measurement())).await;
    sealed_because(
        &mut vault,
        "the launch measurement it booted with was revoked",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unbound_key_seals_the_vault() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    confirm(chain.registry_as(&owner).unbindVaultKey(U256::from(1))).await;
    sealed_because(&mut vault, "no longer the vault's active key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_owner_seals_the_vault_until_they_approve_a_boot() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let heir = chain.signer(4);
    confirm(
        chain
            .registry_as(&owner)
            .transferVaultOwnership(U256::from(1), heir.address()),
    )
    .await;
    confirm(chain.registry_as(&heir).acceptVaultOwnership(U256::from(1))).await;
    sealed_because(
        &mut vault,
        "the vault changed owner since this boot was approved",
    );
}

/// Booted but its key never bound: the vault refuses queries (and stays unsealed: nothing was revoked).
#[tokio::test(flavor = "multi_thread")]
async fn an_unbound_vault_answers_no_query() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, wallet) =
        tokio::task::block_in_place(|| boot_with(&chain, dir.path(), FAST, &["boot"]));
    let genome = testdata("vcf/real/chr22.HG00096.vcf.gz");
    assert!(wallet.upload(&chain, &vault, &genome).ok);
    let researcher = Researcher::new(chain.signer(2));
    let scope = grants::descriptor(QueryKind::AlleleCounts).scope();
    grant_scope(&chain, &owner, researcher.address(), scope, false).await;
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let query = allele_counts(&[("22", 50_326_116)]);
    refused(
        attested
            .ask(&researcher, &query, &terms_for(&query), &client)
            .await,
        409,
        "is not its active key on-chain",
    );
}
