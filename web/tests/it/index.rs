//! The index against the chain: every event once, state that agrees with the registry's own views, a
//! restart, a confirmation depth, and reorganisations, on SQLite and on PostgreSQL.

use alloy::primitives::{Address, U256};
use dnavault_protocol::bindings::IVaultRegistry::AuditHead;
use dnavault_testkit::{TestChain, TestPostgres};
use dnavault_web::{
    Database,
    db::read::{Page, RequestFilter},
};

use crate::{a_busy_registry, chain_logs, indexer, sqlite, sqlite_url};

const ALL: Page = Page {
    offset: 0,
    limit: 10_000,
};

const FIRST_PAGE: Page = Page {
    offset: 0,
    limit: Page::MAX,
};

/// The index holds exactly the registry's logs, each once, as the chain gave them.
async fn assert_complete(chain: &TestChain, db: &Database) {
    let held: Vec<_> = db
        .events(ALL)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.block, e.log_index, e.tx_hash, e.topics, e.data))
        .collect();
    let emitted: Vec<_> = chain_logs(chain)
        .await
        .into_iter()
        .map(|(block, index, tx, topics, data)| (block, index, tx, topics, format!("{data}")))
        .collect();
    assert!(!emitted.is_empty());
    assert_eq!(held, emitted);
}

/// What the index says of every vault, grant and request is what the registry's views say now.
async fn assert_agrees_with_registry(chain: &TestChain, db: &Database) {
    let registry = chain.registry();
    let now = chain.latest_timestamp().await.unwrap();
    let count: u64 = registry.vaultCount().call().await.unwrap().to();
    assert_eq!(db.index_state().await.unwrap().vaults, count);
    for id in 1..=count {
        let vault = U256::from(id);
        let info = registry.vault(vault).call().await.unwrap();
        let indexed = db
            .vault(id, now)
            .await
            .unwrap()
            .expect("every vault indexed");
        assert_eq!(indexed.summary.owner, info.owner, "vault {id}");
        assert_eq!(indexed.summary.uri, info.uri, "vault {id}");
        let some = |a: Address| (a != Address::ZERO).then_some(a);
        assert_eq!(indexed.summary.vault_key, some(info.vaultKey), "vault {id}");
        assert_eq!(indexed.pending_owner, some(info.pendingOwner), "vault {id}");
        let AuditHead { seq, tag } = registry.auditHeadOf(vault).call().await.unwrap();
        assert_eq!(
            indexed.audit_head.map(|h| (h.seq, h.tag)),
            (seq > 0).then_some((seq, tag)),
            "vault {id}"
        );
        for m in &indexed.measurements {
            let bytes: Vec<u8> = hex::decode(&m.measurement[2..]).unwrap();
            let approved = registry
                .isMeasurementApproved(vault, bytes.into())
                .call()
                .await
                .unwrap();
            assert_eq!(m.approved, approved, "vault {id} measurement {}", m.hash);
        }
        for t in &indexed.tools {
            let approved = registry.isToolApproved(vault, t.tool).call().await.unwrap();
            assert_eq!(t.approved, approved, "vault {id} tool {}", t.tool);
        }
        for g in &indexed.grants {
            let record = registry
                .grantOf(vault, g.grantee, g.analysis.scope)
                .call()
                .await
                .unwrap();
            let allowed = registry
                .isAllowed(vault, g.grantee, g.analysis.scope)
                .call()
                .await
                .unwrap();
            assert_eq!(g.status == "live", allowed, "vault {id} grant {g:?}");
            assert_eq!(
                g.status == "revoked",
                record.revoked,
                "vault {id} grant {g:?}"
            );
            assert_eq!(
                (g.expiry, g.max_queries, g.per_query_approval),
                (
                    record.expiry,
                    u64::from(record.maxQueries),
                    record.perQueryApproval
                )
            );
        }
    }
    let requests = db
        .requests(&RequestFilter::default(), FIRST_PAGE, now)
        .await
        .unwrap();
    for request in &requests {
        let stored = registry
            .accessRequest(U256::from(request.id))
            .call()
            .await
            .unwrap();
        let status = [
            "none",
            "pending",
            "granted",
            "denied",
            "withdrawn",
            "expired",
        ][usize::from(stored.status as u8)];
        assert_eq!(request.status, status, "request {}", request.id);
        assert_eq!(request.researcher, stored.researcher);
    }
}

#[tokio::test]
async fn every_event_is_indexed_once_and_adds_up_to_the_registrys_state_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    complete_and_in_agreement(&sqlite(&dir).await).await;
}

#[tokio::test]
async fn every_event_is_indexed_once_and_adds_up_to_the_registrys_state_on_postgresql() {
    let server = TestPostgres::start().unwrap();
    let db = Database::open(&server.database("complete").unwrap())
        .await
        .unwrap();
    complete_and_in_agreement(&db).await;
}

async fn complete_and_in_agreement(db: &Database) {
    let chain = TestChain::start().await.unwrap();
    a_busy_registry(&chain).await;
    // Batches of three blocks: many batches, each its own transaction.
    let synced = indexer(&chain, db, 0, 3).sync().await.unwrap();
    assert_eq!(synced.block, Some(chain.head().await.unwrap()));
    assert_eq!(synced.events as usize, chain_logs(&chain).await.len());
    assert_complete(&chain, db).await;
    assert_agrees_with_registry(&chain, db).await;
    // Nothing new: nothing taken twice.
    let again = indexer(&chain, db, 0, 3).sync().await.unwrap();
    assert_eq!((again.events, again.rolled_back_to), (0, None));
    assert_complete(&chain, db).await;
}

#[tokio::test]
async fn an_index_resumes_from_its_last_block_after_a_restart() {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    a_busy_registry(&chain).await;
    let head = chain.head().await.unwrap();
    let half = (head - chain.deploy_block()) / 2;
    {
        // Half the chain (a depth of half its blocks), then a stop.
        let db = sqlite(&dir).await;
        let synced = indexer(&chain, &db, half, 100).sync().await.unwrap();
        assert_eq!(synced.block, Some(head - half));
    }
    let db = Database::open(&sqlite_url(&dir)).await.unwrap();
    let before = db.index_state().await.unwrap();
    assert_eq!(before.block, Some(head - half));
    let synced = indexer(&chain, &db, 0, 100).sync().await.unwrap();
    assert_eq!(
        (before.events + synced.events) as usize,
        chain_logs(&chain).await.len()
    );
    chain
        .register_vault(&chain.signer(4), "after the restart")
        .await
        .unwrap();
    assert_eq!(indexer(&chain, &db, 0, 100).sync().await.unwrap().events, 1);
    assert_complete(&chain, &db).await;
    assert_agrees_with_registry(&chain, &db).await;
}

#[tokio::test]
async fn the_index_stays_its_confirmation_depth_behind_the_head() {
    let chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    let owner = chain.signer(1);
    for uri in ["a", "b", "c"] {
        chain.register_vault(&owner, uri).await.unwrap();
    }
    let head = chain.head().await.unwrap();
    let synced = indexer(&chain, &db, 2, 100).sync().await.unwrap();
    assert_eq!(synced.block, Some(head - 2));
    assert_eq!(
        db.index_state().await.unwrap().vaults,
        1,
        "vaults b and c are too recent"
    );
    chain.mine().await.unwrap();
    chain.mine().await.unwrap();
    indexer(&chain, &db, 2, 100).sync().await.unwrap();
    assert_eq!(db.index_state().await.unwrap().vaults, 3);
    assert_complete(&chain, &db).await;
}

#[tokio::test]
async fn a_reorganisation_is_undone_and_read_again_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    reorganisations(&sqlite(&dir).await).await;
}

#[tokio::test]
async fn a_reorganisation_is_undone_and_read_again_on_postgresql() {
    let server = TestPostgres::start().unwrap();
    let db = Database::open(&server.database("reorg").unwrap())
        .await
        .unwrap();
    reorganisations(&db).await;
}

/// A block replaced by one with other events, then three blocks dropped for empty ones, each read at the
/// head: the index ends equal to the chain, with no row of a dropped block left.
async fn reorganisations(db: &Database) {
    let chain = TestChain::start().await.unwrap();
    let vault = a_busy_registry(&chain).await;
    let index = indexer(&chain, db, 0, 100);
    index.sync().await.unwrap();
    let researcher = chain.signer(2).address();
    let scope = crate::brca_counts().scope();
    let now = chain.latest_timestamp().await.unwrap();
    let grant_status = |db: Database| async move {
        let vault = db.vault(1, now).await.unwrap().unwrap();
        vault
            .grants
            .iter()
            .find(|g| g.grantee == researcher && g.analysis.scope == scope)
            .unwrap()
            .status
    };
    assert_eq!(grant_status(db.clone()).await, "live");
    let head = chain.head().await.unwrap();
    // The last block (vault 2's revocation) is replaced by one revoking vault 1's grant instead.
    chain
        .reorg_in_revocation(&chain.signer(1), vault, researcher, scope)
        .await
        .unwrap();
    let synced = index.sync().await.unwrap();
    assert_eq!(synced.rolled_back_to, Some(head - 1));
    assert_complete(&chain, db).await;
    assert_agrees_with_registry(&chain, db).await;
    assert_eq!(grant_status(db.clone()).await, "revoked");
    // Three blocks dropped, three empty ones in their place: at the same height, nothing of them is left.
    let before = db.index_state().await.unwrap().events;
    for _ in 0..3 {
        chain.reorg_out_latest().await.unwrap();
    }
    let dropped = index.sync().await.unwrap();
    assert!(dropped.rolled_back_to.is_some());
    assert!(db.index_state().await.unwrap().events < before);
    assert_complete(&chain, db).await;
    assert_agrees_with_registry(&chain, db).await;
}

#[tokio::test]
async fn the_index_waits_out_a_chain_that_is_gone_and_resumes_by_itself() {
    let chain = TestChain::start().await.unwrap();
    let node = dnavault_testkit::RpcProxy::start(chain.endpoint_url(), None)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    use alloy::providers::Provider;
    let provider = alloy::providers::ProviderBuilder::new()
        .connect_http(node.url().parse().unwrap())
        .erased();
    let settings = dnavault_web::IndexSettings {
        from_block: chain.deploy_block(),
        confirmations: 0,
        batch_blocks: 100,
    };
    let running =
        dnavault_web::Indexer::new(provider, chain.registry_address(), db.clone(), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let indexing = tokio::spawn(running.run(std::time::Duration::from_millis(50), async {
        let _ = stopped.await;
    }));
    node.set_down(true);
    chain
        .register_vault(&chain.signer(1), "while the node is gone")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        db.index_state().await.unwrap().vaults,
        0,
        "nothing read while gone"
    );
    node.set_down(false);
    let mut vaults = 0;
    for _ in 0..100 {
        vaults = db.index_state().await.unwrap().vaults;
        if vaults == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(vaults, 1, "the index read on once the node was back");
    let _ = stop.send(());
    indexing.await.unwrap();
    assert_complete(&chain, &db).await;
}

/// The node itself stopped (Anvil killed) and started again on its port with its state: the index reads on
/// by itself, what was registered before and after, nothing twice.
#[tokio::test]
async fn the_index_waits_out_a_node_restart_and_resumes_by_itself() {
    let mut chain = TestChain::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(&dir).await;
    let settings = dnavault_web::IndexSettings {
        from_block: chain.deploy_block(),
        confirmations: 0,
        batch_blocks: 100,
    };
    let running = dnavault_web::Indexer::new(
        chain.provider().clone(),
        chain.registry_address(),
        db.clone(),
        settings,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let indexing = tokio::spawn(running.run(std::time::Duration::from_millis(50), async {
        let _ = stopped.await;
    }));
    chain
        .register_vault(&chain.signer(1), "before the restart")
        .await
        .unwrap();
    let indexed = |count: u64| {
        let db = db.clone();
        async move {
            for _ in 0..100 {
                if db.index_state().await.unwrap().vaults == count {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(indexed(1).await, "the first vault was indexed");
    chain
        .restart_node(tokio::time::sleep(std::time::Duration::from_millis(500)))
        .await
        .unwrap();
    chain
        .register_vault(&chain.signer(1), "after the restart")
        .await
        .unwrap();
    assert!(indexed(2).await, "the index read on once the node was back");
    let _ = stop.send(());
    indexing.await.unwrap();
    assert_complete(&chain, &db).await;
}

#[tokio::test]
async fn without_its_database_the_website_says_so_and_resumes_when_it_is_back() {
    let chain = TestChain::start().await.unwrap();
    chain.register_vault(&chain.signer(1), "one").await.unwrap();
    let server = TestPostgres::start().unwrap();
    let db = Database::open(&server.database("outage").unwrap())
        .await
        .unwrap();
    indexer(&chain, &db, 0, 100).sync().await.unwrap();
    let app = crate::app_over(&chain, db.clone());
    let health = |app: axum::Router| async move {
        use tower::ServiceExt;
        let request = axum::http::Request::get("/healthz")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        crate::api::assert_documented("get", "/healthz", status, &body);
        (status, body)
    };
    assert_eq!(health(app.clone()).await.0, 200);

    server.stop().unwrap();
    chain.register_vault(&chain.signer(1), "two").await.unwrap();
    let (status, body) = health(app.clone()).await;
    assert_eq!(
        (status, body["check"].as_str()),
        (503, Some("database-unavailable")),
        "{body}"
    );
    assert!(
        indexer(&chain, &db, 0, 100).sync().await.is_err(),
        "nothing indexed while it is gone"
    );

    server.restart().unwrap();
    let mut synced = indexer(&chain, &db, 0, 100).sync().await;
    for _ in 0..50 {
        if synced.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        synced = indexer(&chain, &db, 0, 100).sync().await;
    }
    synced.unwrap();
    assert_eq!(health(app).await.0, 200);
    assert_complete(&chain, &db).await;
}
