//! The chained audit log against a host that owns the database: it edits, removes and adds rows while the
//! vault runs and between its boots, and every change to what the vault wrote is caught.

use std::io::Cursor;

use dnavault_store::{
    AuditHead, Budget, DataKey, Layout, ObjectId, QueryRecord, Store, StoreError,
};

use crate::store::{Db, KEY, unsealed};

/// Every case, each with a fresh database from `db`.
pub(crate) async fn run_all(db: &impl Fn(&str) -> Db) {
    an_edited_entry_is_caught_at_the_next_unseal(&db("audit-edited")).await;
    a_log_cut_below_its_anchored_head_is_refused(&db("audit-cut")).await;
    a_hole_in_the_log_is_refused(&db("audit-hole")).await;
    rows_cut_under_the_running_vault_are_refused(&db("audit-running")).await;
    rows_added_under_the_running_vault_are_refused(&db("audit-added")).await;
    what_the_log_spent_stays_spent_across_a_restart(&db("audit-restart")).await;
    a_batch_set_aside_stays_in_flight_across_a_restart(&db("audit-in-flight")).await;
    a_version_the_host_rolls_back_is_refused(&db("audit-rollback")).await;
    a_version_staged_earlier_cannot_commit_after_a_later_one(&db("audit-order")).await;
    queries_finishing_together_are_written_together_each_once(&db("audit-grouped")).await;
}

/// The host's own connection to the vault's database.
async fn host(dir: &std::path::Path, db: &Db) -> sqlx::AnyPool {
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.join("vault.db").display()),
        Db::Postgres(url) => url.clone(),
    };
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url).await.unwrap()
}

async fn run(host: &sqlx::AnyPool, statement: &str) {
    sqlx::query(statement).execute(host).await.unwrap();
}

fn query<'a>(nonce: &'a str, budget: Option<Budget<'a>>) -> QueryRecord<'a> {
    QueryRecord {
        nonce,
        expires: u64::MAX,
        actor: "0xresearcher",
        detail: "allele-counts",
        receipt_hash: nonce,
        budget,
    }
}

/// Queries that finish together are written in groups, each with its own outcome: a request sent twice at
/// once runs once; a nonce the host planted in the database fails its group's transaction, and the others
/// in it are then written one by one. The log they leave verifies at the next unseal.
async fn queries_finishing_together_are_written_together_each_once(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    let host = host(dir.path(), db).await;
    run(
        &host,
        "INSERT INTO nonces (nonce, at) VALUES ('planted', 0)",
    )
    .await;
    let mut nonces: Vec<String> = (0..64).map(|i| format!("n{i}")).collect();
    nonces.extend(["n7".to_owned(), "planted".to_owned()]);
    let mut running = tokio::task::JoinSet::new();
    for nonce in nonces {
        let store = store.clone();
        running.spawn(async move {
            let recorded = store.record_query(query(&nonce, None)).await;
            (nonce, recorded)
        });
    }
    let mut refused = Vec::new();
    while let Some(done) = running.join_next().await {
        let (nonce, recorded) = done.unwrap();
        match recorded {
            Ok(()) => {}
            Err(StoreError::Replayed { .. }) => refused.push(nonce),
            Err(other) => panic!("{nonce}: {other}"),
        }
    }
    refused.sort();
    assert_eq!(refused, ["n7", "planted"]);
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.seq, 1 + 64, "the chain's start and each query once");
    drop(store);
    let store = reopen(dir.path(), db).await;
    store
        .open_audit_chain(&KEY, Some(head))
        .await
        .expect("the log verifies through its head");
    assert_eq!(store.pending_receipts(1000).await.unwrap().len(), 64);
}

/// A store with a few entries, and the head an anchoring would have put on-chain.
async fn written(dir: &std::path::Path, db: &Db) -> AuditHead {
    let store = unsealed(dir, db.url()).await;
    for nonce in ["n1", "n2", "n3"] {
        store.record_query(query(nonce, None)).await.unwrap();
    }
    store
        .audit("0xresearcher", "query-refused", None, "no grant")
        .await
        .unwrap();
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.seq, 5, "the chain's start, three queries, one refusal");
    head
}

async fn reopen(dir: &std::path::Path, db: &Db) -> Store {
    Store::open(dir, db.url()).await.unwrap()
}

/// One changed character in an entry, a swapped actor, an entry moved: the vault refuses to unseal on a log
/// whose head is anchored; with no anchor it starts a new chain and says the old entries do not verify.
async fn an_edited_entry_is_caught_at_the_next_unseal(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let anchored = written(dir.path(), db).await;
    let host = host(dir.path(), db).await;
    run(
        &host,
        "UPDATE audit SET detail = 'allele-count' WHERE seq = 2",
    )
    .await;
    let store = reopen(dir.path(), db).await;
    let refused = store
        .open_audit_chain(&KEY, Some(anchored))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("audit entry 2 does not verify"),
        "{refused}"
    );
    assert!(store.audit_head().await.is_none(), "the chain stays closed");
    assert!(matches!(
        store.audit("owner", "delete", None, "").await,
        Err(StoreError::AuditClosed)
    ));
    // Under another owner's key (or with the right key after the edit) and nothing anchored: a new chain.
    let other = DataKey::from_slice(&[9; 32]).unwrap();
    let opened = store.open_audit_chain(&other, None).await.unwrap();
    assert!(opened.started);
    assert_eq!((opened.unverified, opened.head.seq), (5, 6));
    let log = store.audit_log().await.unwrap();
    assert!(
        log[5]
            .detail
            .contains("the 5 entries before it do not verify"),
        "{}",
        log[5].detail
    );
    drop(store);
    // The new chain verifies from its start under that key; the old key no longer reaches the anchor.
    let store = reopen(dir.path(), db).await;
    let again = store
        .open_audit_chain(&other, Some(opened.head))
        .await
        .unwrap();
    assert_eq!((again.started, again.unverified), (false, 5));
    drop(store);
    let store = reopen(dir.path(), db).await;
    assert!(
        store
            .open_audit_chain(&KEY, Some(opened.head))
            .await
            .is_err()
    );
    host.close().await;
}

/// The host rolls the database back to before the anchored head (cuts the last entries): refused. Cutting
/// entries after the anchor cannot be told from a crash, and is not.
async fn a_log_cut_below_its_anchored_head_is_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let anchored = written(dir.path(), db).await;
    let host = host(dir.path(), db).await;
    run(&host, "DELETE FROM audit WHERE seq >= 4").await;
    let store = reopen(dir.path(), db).await;
    let refused = store
        .open_audit_chain(&KEY, Some(anchored))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("does not reach the head anchored on-chain (entry 5"),
        "{refused}"
    );
    host.close().await;
}

/// A hole in the middle of the log is refused.
async fn a_hole_in_the_log_is_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let anchored = written(dir.path(), db).await;
    let host = self::host(dir.path(), db).await;
    run(&host, "DELETE FROM audit WHERE seq = 3").await;
    let store = reopen(dir.path(), db).await;
    let refused = store
        .open_audit_chain(&KEY, Some(anchored))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("entry 4 follows entry 2"),
        "{refused}"
    );
    host.close().await;
}

/// While the vault runs, it holds its chain's head in memory: the host cutting the last entry makes the next
/// write fail instead of chaining onto what the host left.
async fn rows_cut_under_the_running_vault_are_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    store.record_query(query("n1", None)).await.unwrap();
    let host = host(dir.path(), db).await;
    run(&host, "DELETE FROM audit WHERE seq = 2").await;
    let refused = store.record_query(query("n2", None)).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("does not reach the head the running vault holds (entry 2"),
        "{refused}"
    );
    assert!(
        !store.nonce_used("n2").await.unwrap(),
        "the refused write left nothing"
    );
    drop(store);
    host.close().await;
}

/// An entry the host adds under the running vault makes the next write fail.
async fn rows_added_under_the_running_vault_are_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    let host = self::host(dir.path(), db).await;
    run(
        &host,
        "INSERT INTO audit (seq, at, actor, action, object, detail) \
         VALUES (2, 0, 'owner', 'delete', 'genome.vcf.gz', '')",
    )
    .await;
    let refused = store.audit("vault", "seal", None, "").await.unwrap_err();
    assert!(matches!(refused, StoreError::AuditTampered(_)), "{refused}");
    host.close().await;
}

/// Between two boots the host deletes the nonce and budget rows and a waiting receipt, marks another as
/// anchored in a batch that never was, and queues a receipt of its own: the unsealing vault takes back from
/// its verified log what was spent and issued.
async fn what_the_log_spent_stays_spent_across_a_restart(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let budget = Budget {
        grant: "grant-a",
        limit: 1,
    };
    let anchored = {
        let store = unsealed(dir.path(), db.url()).await;
        store
            .record_query(query("0x0a", Some(budget)))
            .await
            .unwrap();
        store.record_query(query("0x0c", None)).await.unwrap();
        store.record_query(query("0x0d", None)).await.unwrap();
        store
            .mark_anchored(&["0x0d".to_owned()], "0xbatch", 9)
            .await
            .unwrap();
        store.audit_head().await.unwrap()
    };
    let host = host(dir.path(), db).await;
    for statement in [
        "DELETE FROM nonces",
        "DELETE FROM query_budgets",
        "DELETE FROM receipts WHERE receipt_hash = '0x0a'",
        "UPDATE receipts SET batch = '0xforged', anchored_block = 1 WHERE receipt_hash = '0x0c'",
        "INSERT INTO receipts (seq, receipt_hash, at) VALUES (7, '0xhost', 0)",
    ] {
        run(&host, statement).await;
    }
    let store = reopen(dir.path(), db).await;
    store.open_audit_chain(&KEY, Some(anchored)).await.unwrap();
    assert!(matches!(
        store.record_query(query("0x0a", None)).await,
        Err(StoreError::Replayed { .. })
    ));
    assert!(matches!(
        store.record_query(query("0x0b", Some(budget))).await,
        Err(StoreError::BudgetSpent { limit: 1 })
    ));
    let mut pending = store.pending_receipts(10).await.unwrap();
    pending.sort();
    assert_eq!(
        pending,
        ["0x0a", "0x0c"],
        "0x0d stays anchored in its batch"
    );
    let log = store.audit_log().await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.action, "receipts-repaired");
    assert!(
        last.detail.contains(
            "1 the log does not name were removed, 1 it names were queued again, 1 marked anchored"
        ),
        "{}",
        last.detail
    );
    host.close().await;
}

/// A batch set aside for anchoring when the vault stops (its transaction may have been mined) is the batch
/// in flight after the restart, its receipts in no other, even when the host marks it anchored or another
/// batch aside; the host's own batch tag on a waiting receipt is undone.
async fn a_batch_set_aside_stays_in_flight_across_a_restart(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let anchored = {
        let store = unsealed(dir.path(), db.url()).await;
        for nonce in ["0x0a", "0x0b", "0x0c"] {
            store.record_query(query(nonce, None)).await.unwrap();
        }
        store
            .set_aside(&["0x0a".to_owned(), "0x0b".to_owned()], "0xflight")
            .await
            .unwrap();
        let head = store.audit_head().await.unwrap();
        store.close().await;
        head
    };
    let host = host(dir.path(), db).await;
    for statement in [
        "UPDATE receipts SET anchored_block = 5 WHERE receipt_hash = '0x0a'",
        "UPDATE receipts SET batch = '0xhost' WHERE receipt_hash = '0x0c'",
    ] {
        run(&host, statement).await;
    }
    let store = reopen(dir.path(), db).await;
    store.open_audit_chain(&KEY, Some(anchored)).await.unwrap();
    let in_flight = store.batch_in_flight().await.unwrap();
    assert_eq!(
        in_flight,
        Some((
            "0xflight".to_owned(),
            vec!["0x0a".to_owned(), "0x0b".to_owned()]
        ))
    );
    assert_eq!(store.pending_receipts(10).await.unwrap(), ["0x0c"]);
    host.close().await;
}

async fn put(store: &Store, name: &str, bytes: &[u8]) {
    let staged = stage(store, name, bytes);
    store
        .commit(vec![staged], "owner", "ingest", None)
        .await
        .unwrap();
}

fn stage(store: &Store, name: &str, bytes: &[u8]) -> dnavault_store::Staged {
    let id = ObjectId::new(name).unwrap();
    store
        .stage(&KEY, &id, "vcf", Layout::Fixed, Cursor::new(bytes.to_vec()))
        .unwrap()
}

/// The object's file and revision, as its metadata row says.
async fn row(host: &sqlx::AnyPool, name: &str) -> (String, i64) {
    sqlx::query_as("SELECT file, revision FROM objects WHERE id = $1")
        .bind(name)
        .fetch_one(host)
        .await
        .unwrap()
}

fn rolled_back(result: Result<impl Sized, StoreError>, found: i64, expected: i64) {
    match result {
        Err(StoreError::RolledBack {
            found: f,
            expected: e,
            ..
        }) => assert_eq!((f, e), (found, expected)),
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("the rolled-back version was read"),
    }
}

/// The host keeps a copy of a genome's first version, its file and its row, and puts it back after the owner
/// replaced it: refused while the vault runs and after it unseals again, whether the host restores the row
/// too or only the file (whose chunks name its revision).
async fn a_version_the_host_rolls_back_is_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    let id = ObjectId::new("genome.vcf").unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    let host = host(dir.path(), db).await;
    put(&store, "genome.vcf", b"version one").await;
    let (first_file, first) = row(&host, "genome.vcf").await;
    let copy = std::fs::read(objects.join(&first_file)).unwrap();
    put(&store, "genome.vcf", b"version two").await;
    let (second_file, second) = row(&host, "genome.vcf").await;
    assert!(second > first);

    // The first version's bytes under the second's name and row.
    std::fs::write(objects.join(&second_file), &copy).unwrap();
    rolled_back(store.open_object(&KEY, &id).await, first, second);
    // The first version's file and row, both back.
    std::fs::write(objects.join(&first_file), &copy).unwrap();
    sqlx::query("UPDATE objects SET file = $1, revision = $2 WHERE id = 'genome.vcf'")
        .bind(&first_file)
        .bind(first)
        .execute(&host)
        .await
        .unwrap();
    rolled_back(store.open_object(&KEY, &id).await, first, second);
    // And after a restart: the log says which revision is current.
    let head = store.audit_head().await.unwrap();
    drop(store);
    let store = reopen(dir.path(), db).await;
    store.open_audit_chain(&KEY, Some(head)).await.unwrap();
    rolled_back(store.open_object(&KEY, &id).await, first, second);
    host.close().await;
}

/// Two uploads of one object staged together: the one staged later commits, then the earlier one is refused,
/// so a later commit always has the larger revision.
async fn a_version_staged_earlier_cannot_commit_after_a_later_one(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    let earlier = stage(&store, "genome.vcf", b"earlier");
    let later = stage(&store, "genome.vcf", b"later");
    store
        .commit(vec![later], "owner", "ingest", None)
        .await
        .unwrap();
    let refused = store
        .commit(vec![earlier], "owner", "ingest", None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::Superseded { .. }),
        "{refused}"
    );
    let mut reader = store
        .open_object(&KEY, &ObjectId::new("genome.vcf").unwrap())
        .await
        .unwrap();
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut read).unwrap();
    assert_eq!(read, b"later");
    // Other objects' versions commit in any order.
    let first = stage(&store, "a.vcf", b"staged first");
    let second = stage(&store, "b.vcf", b"staged second");
    for staged in [second, first] {
        store
            .commit(vec![staged], "owner", "ingest", None)
            .await
            .unwrap();
    }
    assert_eq!(store.list().await.unwrap().len(), 3);
    // The counter stays at the newest revision: a version staged after a restart is newer still.
    let newest = store.list().await.unwrap().iter().map(|r| r.revision).max();
    drop(store);
    let store = reopen(dir.path(), db).await;
    store.open_audit_chain(&KEY, None).await.unwrap();
    let again = stage(&store, "a.vcf", b"after the restart");
    let committed = store
        .commit(vec![again], "owner", "ingest", None)
        .await
        .unwrap();
    assert!(Some(committed[0].revision) > newest);
}
