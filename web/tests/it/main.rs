//! The website against a real registry on Anvil: the index (complete, resumable, reorganisation-proof, on
//! SQLite and PostgreSQL) and the JSON API over it.

mod api;
mod auth;
mod filing;
mod index;
mod pages;
mod relay;
mod relayer;

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::Provider,
    rpc::types::TransactionReceipt,
};
use dnavault_protocol::{
    bindings::IVaultRegistry::AuditHead,
    descriptor::{Descriptor, PANELS},
    purpose::Purpose,
};
use dnavault_testkit::{Registry, TestChain};
use dnavault_web::{AppState, Database, IndexSettings, Indexer, verify::Deployment};

/// A measurement of the vault's code, for the registry (any 48 bytes).
pub(crate) const CODE: [u8; 48] = [0x11; 48];

/// The descriptor of allele counts inside the shipped BRCA1/BRCA2 panel (GRCh37).
pub(crate) fn brca_counts() -> Descriptor {
    Descriptor::AlleleCounts {
        panel: serde_json::from_str(PANELS[0].1).unwrap(),
    }
}

/// Waits for `call`'s transaction and fails the test if it reverted.
pub(crate) async fn sent<P: Provider, D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<P, D>,
) -> TransactionReceipt {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "reverted: {receipt:?}");
    receipt
}

/// Who plays which part on the test chain.
pub(crate) struct Cast {
    pub(crate) owner: Registry,
    pub(crate) researcher: Registry,
    pub(crate) key: Registry,
    pub(crate) researcher_address: Address,
    pub(crate) key_address: Address,
}

impl Cast {
    pub(crate) fn of(chain: &TestChain) -> Self {
        Self {
            owner: chain.registry_as(&chain.signer(1)),
            researcher: chain.registry_as(&chain.signer(2)),
            key: chain.registry_as(&chain.signer(5)),
            researcher_address: chain.signer(2).address(),
            key_address: chain.signer(5).address(),
        }
    }
}

/// Every kind of registry event, in the order a vault's life makes them, on a chain with no vault yet: two
/// vaults (the second
/// transferred), code approved and revoked, a key bound, four access requests (granted, denied, withdrawn,
/// and one whose descriptor lies about its scope), a grant revoked, receipts and audit heads anchored, nonces
/// cancelled. Returns vault 1's id.
pub(crate) async fn a_busy_registry(chain: &TestChain) -> U256 {
    let cast = Cast::of(chain);
    sent(cast.owner.registerVault("https://vault-1.example/".into())).await;
    let vault = U256::from(1);
    sent(
        cast.owner
            .setVaultUri(vault, "https://vault-1.example/v2".into()),
    )
    .await;
    sent(cast.owner.approveMeasurement(vault, CODE.to_vec().into())).await;
    sent(cast.owner.approveMeasurement(vault, vec![0x22; 48].into())).await;
    sent(cast.owner.revokeMeasurement(vault, vec![0x22; 48].into())).await;
    sent(cast.owner.approveTool(vault, B256::repeat_byte(0x70))).await;
    sent(cast.owner.approveTool(vault, B256::repeat_byte(0x71))).await;
    sent(cast.owner.revokeTool(vault, B256::repeat_byte(0x71))).await;
    sent(
        cast.owner
            .bindVaultKey(vault, cast.key_address, CODE.to_vec().into()),
    )
    .await;
    let now = chain.latest_timestamp().await.unwrap();
    let purpose = Purpose::parse("HMB+NCU").unwrap().to_bytes16();
    let descriptor = brca_counts();
    let text = serde_json::to_string(&descriptor).unwrap();
    let request = |scope: B256, text: String| {
        cast.researcher.requestAccess(
            vault,
            scope,
            purpose,
            now + 30 * 86_400,
            keccak256("the protocol"),
            "https://protocol.example/1".into(),
            text,
        )
    };
    sent(request(descriptor.scope(), text.clone())).await;
    sent(
        cast.owner
            .grantRequest(U256::from(1), now + 7 * 86_400, false, 10),
    )
    .await;
    sent(request(descriptor.scope(), text.clone())).await;
    sent(cast.owner.denyRequest(U256::from(2))).await;
    sent(request(descriptor.scope(), text.clone())).await;
    sent(cast.researcher.withdrawRequest(U256::from(3))).await;
    // A scope that is not the descriptor's hash: the registry takes it; the website must not show its words.
    sent(request(keccak256("another analysis"), text)).await;
    let head = |seq: u64| AuditHead {
        seq,
        tag: keccak256(seq.to_be_bytes()),
    };
    let receipts = vec![keccak256("receipt 1"), keccak256("receipt 2")];
    sent(cast.key.anchorReceipts(vault, receipts, head(3))).await;
    sent(cast.key.anchorAuditHead(vault, head(5))).await;
    sent(cast.owner.cancelNonces(vault, U256::from(3))).await;
    sent(cast.owner.registerVault("https://vault-2.example/".into())).await;
    let second = U256::from(2);
    let scope = keccak256("scope of vault 2");
    sent(cast.owner.grant(
        second,
        cast.researcher_address,
        scope,
        purpose,
        now + 3600,
        true,
        0,
    ))
    .await;
    let new_owner = chain.registry_as(&chain.signer(3));
    sent(
        cast.owner
            .transferVaultOwnership(second, chain.signer(3).address()),
    )
    .await;
    sent(new_owner.acceptVaultOwnership(second)).await;
    sent(new_owner.grant(
        second,
        cast.researcher_address,
        scope,
        purpose,
        now + 3600,
        false,
        5,
    ))
    .await;
    sent(new_owner.revoke(second, cast.researcher_address, scope)).await;
    vault
}

/// An indexer of `chain`'s registry into `db`, reading `confirmations` behind the head in batches of
/// `batch_blocks`.
pub(crate) fn indexer(
    chain: &TestChain,
    db: &Database,
    confirmations: u64,
    batch_blocks: u64,
) -> Indexer {
    Indexer::new(
        chain.provider().clone(),
        chain.registry_address(),
        db.clone(),
        IndexSettings {
            from_block: chain.deploy_block(),
            confirmations,
            batch_blocks,
        },
    )
}

/// A fresh SQLite database in `dir`.
pub(crate) async fn sqlite(dir: &tempfile::TempDir) -> Database {
    Database::open(&sqlite_url(dir)).await.unwrap()
}

pub(crate) fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join("web.db").display())
}

/// Every registry log the chain holds, as (block, log index, tx hash, topics, data), oldest first: what a
/// complete index holds.
pub(crate) async fn chain_logs(chain: &TestChain) -> Vec<(u64, u64, B256, Vec<B256>, Bytes)> {
    let filter = alloy::rpc::types::Filter::new()
        .address(chain.registry_address())
        .from_block(0);
    let logs = chain.provider().get_logs(&filter).await.unwrap();
    logs.into_iter()
        .map(|log| {
            (
                log.block_number.unwrap(),
                log.log_index.unwrap(),
                log.transaction_hash.unwrap(),
                log.topics().to_vec(),
                log.data().data.clone(),
            )
        })
        .collect()
}

/// Where the tests' website says it is served.
pub(crate) const WEBSITE: &str = "https://dnavault.example/";

/// The website over `db`, an index of `chain`'s registry, verifying with AMD's roots only.
pub(crate) fn app_over(chain: &TestChain, db: Database) -> axum::Router {
    app_relaying(chain, db, None)
}

/// [`app_over`] with a relayer paying from Anvil account 6, taking `per_hour` messages per owner an hour.
pub(crate) fn app_with_relayer(chain: &TestChain, db: Database, per_hour: usize) -> axum::Router {
    let relayer = dnavault_web::relayer::Relayer::new(
        chain.endpoint_url(),
        chain.signer(6),
        deployment(chain),
        per_hour,
    );
    app_relaying(chain, db, Some(std::sync::Arc::new(relayer)))
}

fn deployment(chain: &TestChain) -> Deployment {
    Deployment {
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
    }
}

fn app_relaying(
    chain: &TestChain,
    db: Database,
    relayer: Option<std::sync::Arc<dnavault_web::relayer::Relayer>>,
) -> axum::Router {
    let policy = dnavault_attest::Policy::configured(&[], true).unwrap();
    let state = AppState {
        db,
        deployment: deployment(chain),
        verifier: std::sync::Arc::new(dnavault_attest::Verifier::production(policy)),
        outbound: Default::default(),
        public_url: WEBSITE.parse().unwrap(),
        chain: chain.provider().clone(),
        relayer,
        relay_limits: Default::default(),
        public_rpc: chain.endpoint_url(),
        app_served: true,
    };
    dnavault_web::app(state, std::time::Duration::from_secs(20))
}
