//! The store on disk: atomic versions, metadata and audit log, recovery after a crash; each case runs with
//! SQLite in the data directory and with a throwaway PostgreSQL server.

use std::io::{Cursor, Read};

use dnavault_store::{Budget, DataKey, Layout, ObjectId, QueryRecord, Store, StoreError};

pub(crate) static KEY: std::sync::LazyLock<DataKey> = std::sync::LazyLock::new(|| {
    DataKey::from_slice(b"distinct-data-key-for-the-store!").expect("32 bytes")
});

/// The store as an unsealed vault has it: opened, with its audit chain open under [`KEY`].
pub(crate) async fn unsealed(dir: &std::path::Path, url: Option<&str>) -> Store {
    let store = Store::open(dir, url).await.unwrap();
    store.open_audit_chain(&KEY, None).await.unwrap();
    store
}

fn id(name: &str) -> ObjectId {
    ObjectId::new(name).unwrap()
}

fn object_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("objects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn read_all(store: &Store, name: &str) -> Vec<u8> {
    let mut reader = store.open_object(&KEY, &id(name)).await.unwrap();
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain).unwrap();
    plain
}

async fn put(store: &Store, name: &str, bytes: &[u8]) {
    let staged = store
        .stage(
            &KEY,
            &id(name),
            "vcf",
            Layout::Fixed,
            Cursor::new(bytes.to_vec()),
        )
        .unwrap();
    store
        .commit(vec![staged], "owner", "ingest", None)
        .await
        .unwrap();
}

/// Fails after yielding `good` bytes: a connection dropped mid-upload.
struct Broken(usize);

impl Read for Broken {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("connection reset"));
        }
        let n = out.len().min(self.0);
        out[..n].fill(b'A');
        self.0 -= n;
        Ok(n)
    }
}

/// Where the metadata lives.
pub(crate) enum Db {
    Sqlite,
    Postgres(String),
}

impl Db {
    pub(crate) fn url(&self) -> Option<&str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres(url) => Some(url),
        }
    }
}

#[tokio::test]
async fn on_sqlite() {
    run_all(|_| Db::Sqlite).await;
}

#[tokio::test]
async fn on_postgres() {
    let server = dnavault_testkit::TestPostgres::start().unwrap();
    run_all(|case| Db::Postgres(server.database(case).unwrap())).await;
}

/// Every case, each with a fresh database from `db`.
async fn run_all(db: impl Fn(&str) -> Db) {
    versions_replace_each_other_atomically_and_are_audited(&db("versions")).await;
    a_failed_or_abandoned_write_leaves_the_previous_version(&db("failed")).await;
    a_crash_between_write_and_commit_is_cleaned_up_at_open(&db("crash")).await;
    a_tampered_or_truncated_file_on_disk_is_refused(&db("tampered")).await;
    nothing_in_clear_reaches_the_disk(&db("clear")).await;
    revisions_order_commits(&db("revisions")).await;
    a_database_from_before_migrations_is_migrated(&db("unversioned")).await;
    a_grants_query_budget_is_spent_once(&db("budget")).await;
    the_audit_log_and_receipts_are_read_as_one(&db("records")).await;
    the_audit_log_is_read_a_page_at_a_time(&db("pages")).await;
    rows_the_host_deletes_do_not_bring_back_a_nonce_or_a_query(&db("deleted")).await;
    crate::audit::run_all(&db).await;
}

/// The host deletes the nonce and budget rows under a running store: the replay and the query past the
/// budget are still refused, from memory. (A store opened again, after a restart the owner approves, has
/// only the rows.)
async fn rows_the_host_deletes_do_not_bring_back_a_nonce_or_a_query(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("vault.db").display()),
        Db::Postgres(url) => url.clone(),
    };
    let store = unsealed(dir.path(), db.url()).await;
    let budget = Budget {
        grant: "grant-a",
        limit: 1,
    };
    let record = |nonce| QueryRecord {
        nonce,
        expires: u64::MAX,
        actor: "0xresearcher",
        detail: "allele-counts",
        receipt_hash: nonce,
        budget: Some(budget),
    };
    store.record_query(record("n0")).await.unwrap();
    sqlx::any::install_default_drivers();
    let host = sqlx::AnyPool::connect(&url).await.unwrap();
    for statement in ["DELETE FROM nonces", "DELETE FROM query_budgets"] {
        sqlx::query(statement).execute(&host).await.unwrap();
    }
    assert!(matches!(
        store.record_query(record("n0")).await,
        Err(StoreError::Replayed { .. })
    ));
    assert!(matches!(
        store.record_query(record("n1")).await,
        Err(StoreError::BudgetSpent { limit: 1 })
    ));
    host.close().await;
}

/// Pages of entries and receipts, each with where the next starts, cover the log once, in order.
async fn the_audit_log_is_read_a_page_at_a_time(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    for i in 0..25 {
        store
            .audit(
                "0xresearcher",
                "query-refused",
                None,
                &format!("refusal {i}"),
            )
            .await
            .unwrap();
    }
    for i in 0..7 {
        let record = QueryRecord {
            nonce: &format!("n{i}"),
            expires: u64::MAX,
            actor: "0xresearcher",
            detail: "allele-counts",
            receipt_hash: &format!("0x{i:02x}"),
            budget: None,
        };
        store.record_query(record).await.unwrap();
    }
    let mut page = dnavault_store::Page::first(10);
    let (mut entries, mut receipts, mut pages) = (Vec::new(), Vec::new(), 0);
    loop {
        let records = store.records(page).await.unwrap();
        assert!(records.entries.len() <= 10 && records.receipts.len() <= 10);
        entries.extend(records.entries);
        receipts.extend(records.receipts);
        pages += 1;
        match (records.next_entries_after, records.next_receipts_after) {
            (None, None) => break,
            (next_entries, next_receipts) => {
                page = dnavault_store::Page {
                    entries_after: next_entries.unwrap_or(i64::MAX),
                    receipts_after: next_receipts.unwrap_or(i64::MAX),
                    limit: 10,
                };
            }
        }
    }
    // The chain's start, 25 refusals and 7 query entries; 7 receipts.
    assert_eq!((entries.len(), receipts.len(), pages), (33, 7, 4));
    let refusals: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "query-refused")
        .map(|e| e.detail.clone())
        .collect();
    let expected: Vec<_> = (0..25).map(|i| format!("refusal {i}")).collect();
    assert_eq!(refusals, expected, "in order, each once");
    let beyond = store
        .records(dnavault_store::Page {
            entries_after: i64::MAX,
            receipts_after: i64::MAX,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(beyond.entries.is_empty() && beyond.next_entries_after.is_none());
}

async fn versions_replace_each_other_atomically_and_are_audited(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    put(&store, "genome.vcf", b"version one").await;
    put(&store, "genome.vcf", b"version two, longer").await;
    assert_eq!(read_all(&store, "genome.vcf").await, b"version two, longer");
    // One file per object: the replaced version is gone.
    assert_eq!(object_files(dir.path()).len(), 1);
    let record = store.get(&id("genome.vcf")).await.unwrap().unwrap();
    assert_eq!(record.plaintext_len, 19);
    assert_eq!(record.kind, "vcf");
    let log = store.audit_log().await.unwrap();
    assert_eq!(log[0].action, "audit-chain-start");
    let log = &log[1..];
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|e| e.action == "ingest" && e.actor == "owner")
    );
    assert!(log[1].detail.contains("19 bytes"), "{:?}", log[1]);

    // Two objects become current together.
    let a = store
        .stage(
            &KEY,
            &id("x.vcf.gz"),
            "vcf.gz",
            Layout::Fixed,
            Cursor::new(vec![1; 10]),
        )
        .unwrap();
    let b = store
        .stage(
            &KEY,
            &id("x.vcf.gz.tbi"),
            "tbi",
            Layout::Fixed,
            Cursor::new(vec![2; 10]),
        )
        .unwrap();
    store
        .commit(vec![a, b], "owner", "ingest", None)
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(ids, ["genome.vcf", "x.vcf.gz", "x.vcf.gz.tbi"]);

    // An approval nonce commits once.
    let c = store
        .stage(
            &KEY,
            &id("y"),
            "vcf",
            Layout::Fixed,
            Cursor::new(vec![3; 10]),
        )
        .unwrap();
    store
        .commit(vec![c], "owner", "ingest", Some("n-1"))
        .await
        .unwrap();
    let d = store
        .stage(
            &KEY,
            &id("z"),
            "vcf",
            Layout::Fixed,
            Cursor::new(vec![4; 10]),
        )
        .unwrap();
    let replayed = store
        .commit(vec![d], "owner", "ingest", Some("n-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(replayed, StoreError::Replayed { .. }),
        "{replayed}"
    );
    assert!(store.get(&id("z")).await.unwrap().is_none());
    assert!(store.delete(&id("y"), "owner").await.unwrap());

    assert!(store.delete(&id("x.vcf.gz"), "owner").await.unwrap());
    assert!(!store.delete(&id("x.vcf.gz"), "owner").await.unwrap());
    assert!(matches!(
        store.open_object(&KEY, &id("x.vcf.gz")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(object_files(dir.path()).len(), 2);
}

async fn revision(store: &Store, name: &str) -> i64 {
    store.get(&id(name)).await.unwrap().unwrap().revision
}

async fn revisions_order_commits(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    put(&store, "genome.vcf.gz", b"the genome").await;
    put(&store, "genome.vcf.gz.tbi", b"its index").await;
    let (file, index) = (
        revision(&store, "genome.vcf.gz").await,
        revision(&store, "genome.vcf.gz.tbi").await,
    );
    assert!(file > 0 && index > file, "{file} then {index}");
    // Replaced in the same second: still later than the index it outdates.
    put(&store, "genome.vcf.gz", b"a new genome").await;
    assert!(revision(&store, "genome.vcf.gz").await > index);
    // A refused commit takes no revision from the next one's order.
    let refused = store
        .stage(&KEY, &id("a"), "vcf", Layout::Fixed, Cursor::new(vec![1]))
        .unwrap();
    store
        .commit(vec![refused], "owner", "ingest", Some("n"))
        .await
        .unwrap();
    let replayed = store
        .stage(&KEY, &id("b"), "vcf", Layout::Fixed, Cursor::new(vec![2]))
        .unwrap();
    assert!(
        store
            .commit(vec![replayed], "owner", "ingest", Some("n"))
            .await
            .is_err()
    );
    put(&store, "c", b"c").await;
    assert!(revision(&store, "c").await > revision(&store, "a").await);
    // Reopened, the counter carries on.
    drop(store);
    let store = unsealed(dir.path(), db.url()).await;
    let before = revision(&store, "c").await;
    put(&store, "d", b"d").await;
    assert_eq!(revision(&store, "d").await, before + 1);
}

/// A database of the schema the store kept before it used migrations (the tables the first migration
/// creates, without `_sqlx_migrations`) is migrated at open: its objects, audit log and revision counter
/// are kept, and the migration is recorded so it runs once.
async fn a_database_from_before_migrations_is_migrated(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("vault.db").display()),
        Db::Postgres(url) => url.clone(),
    };
    let migrations = |url: String| async move {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations")
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
        (pool, rows.into_iter().map(|(v,)| v).collect::<Vec<_>>())
    };
    {
        let store = unsealed(dir.path(), db.url()).await;
        put(&store, "kept.vcf", b"stored before migrations").await;
        put(&store, "kept.vcf", b"and replaced once").await;
    }
    let (pool, applied) = migrations(url.clone()).await;
    assert_eq!(applied, [1, 2, 3]);
    // Back to the tables the first migration creates.
    for statement in [
        "DROP TABLE _sqlx_migrations",
        "DROP TABLE query_budgets",
        "ALTER TABLE audit DROP COLUMN tag",
        "ALTER TABLE audit DROP COLUMN object_revision",
        "ALTER TABLE audit DROP COLUMN query_nonce",
        "ALTER TABLE audit DROP COLUMN query_expires",
        "ALTER TABLE audit DROP COLUMN query_receipt",
        "ALTER TABLE audit DROP COLUMN budget_grant",
        "ALTER TABLE audit DROP COLUMN budget_limit",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = unsealed(dir.path(), db.url()).await;
    assert_eq!(read_all(&store, "kept.vcf").await, b"and replaced once");
    let before = revision(&store, "kept.vcf").await;
    assert!(before >= 2, "the revision counter was kept: {before}");
    put(&store, "new.vcf", b"stored after").await;
    assert_eq!(revision(&store, "new.vcf").await, before + 1);
    let log = store.audit_log().await.unwrap();
    assert!(
        log.iter()
            .filter(|e| e.object.as_deref() == Some("kept.vcf"))
            .count()
            >= 2
    );
    drop(store);
    assert_eq!(migrations(url).await.1, [1, 2, 3], "recorded, and run once");
}

/// A data directory from before objects had revisions opens; its objects have revision 0 and new commits
/// are ordered after them.
#[tokio::test]
async fn a_database_from_before_revisions_opens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = unsealed(dir.path(), None).await;
        put(&store, "old.vcf", b"stored by an earlier version").await;
        // An earlier version wrote no revision into the object's header: the same object, as it wrote it.
        let file = object_files(dir.path()).pop().unwrap();
        let path = dir.path().join("objects").join(file);
        let mut writer = dnavault_store::ObjectWriter::new(
            std::fs::File::create(&path).unwrap(),
            &KEY,
            &id("old.vcf"),
            Layout::Fixed,
            dnavault_store::DEFAULT_CHUNK,
        )
        .unwrap();
        writer
            .copy_from(&b"stored by an earlier version"[..])
            .unwrap();
        writer.finish().unwrap().0.sync_all().unwrap();
    }
    // Take the database back to the earlier schema: no revision column, no counter, no migrations.
    let url = format!("sqlite://{}", dir.path().join("vault.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    for statement in [
        "DROP TABLE _sqlx_migrations",
        "DROP TABLE counters",
        "CREATE TABLE earlier AS SELECT id, file, kind, layout, plaintext_len, stored_len, chunks, updated_at FROM objects",
        "DROP TABLE objects",
        "ALTER TABLE earlier RENAME TO objects",
        "CREATE TABLE earlier_audit AS SELECT seq, at, actor, action, object, detail FROM audit",
        "DROP TABLE audit",
        "ALTER TABLE earlier_audit RENAME TO audit",
    ] {
        sqlx::query(statement).execute(&mut db).await.unwrap();
    }
    drop(db);
    let store = unsealed(dir.path(), None).await;
    assert_eq!(
        read_all(&store, "old.vcf").await,
        b"stored by an earlier version"
    );
    assert_eq!(revision(&store, "old.vcf").await, 0);
    put(&store, "new.vcf", b"stored now").await;
    assert_eq!(revision(&store, "new.vcf").await, 1);
    // Its entries from before the log was chained stay, reported as such, and the chain starts after them.
    let log = store.audit_log().await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "audit-chain-start",
            "ingest",
            "audit-chain-start",
            "adopt",
            "ingest"
        ]
    );
    assert_eq!(
        (log[3].object.as_deref(), log[3].revision),
        (Some("old.vcf"), Some(0)),
        "the object kept, at the revision its rows say"
    );
    assert!(log[1].tag.is_none(), "{:?}", log[1]);
    assert!(
        log[2]
            .detail
            .contains("the 2 entries before it do not verify"),
        "{}",
        log[2].detail
    );
}

async fn a_failed_or_abandoned_write_leaves_the_previous_version(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    put(&store, "genome.vcf", b"the good version").await;
    let error = store
        .stage(
            &KEY,
            &id("genome.vcf"),
            "vcf",
            Layout::Fixed,
            Broken(1 << 20),
        )
        .unwrap_err();
    assert!(matches!(error, StoreError::Io { .. }), "{error}");
    // Staged but never committed (dropped): removed.
    drop(
        store
            .stage(
                &KEY,
                &id("genome.vcf"),
                "vcf",
                Layout::Fixed,
                Cursor::new(vec![9; 99]),
            )
            .unwrap(),
    );
    assert_eq!(object_files(dir.path()).len(), 1);
    assert_eq!(read_all(&store, "genome.vcf").await, b"the good version");
}

async fn a_crash_between_write_and_commit_is_cleaned_up_at_open(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = unsealed(dir.path(), db.url()).await;
        put(&store, "genome.vcf", b"before the crash").await;
        // A new version written and synced, then the process dies before the metadata commit.
        let staged = store
            .stage(
                &KEY,
                &id("genome.vcf"),
                "vcf",
                Layout::Fixed,
                Cursor::new(vec![7; 5000]),
            )
            .unwrap();
        std::mem::forget(staged);
        // And a temporary file from a write killed earlier still.
        std::fs::write(
            dir.path().join("objects/genome.vcf.00ff00ff00ff00ff.tmp"),
            b"partial",
        )
        .unwrap();
        store.close().await;
    }
    assert_eq!(object_files(dir.path()).len(), 3);
    let store = unsealed(dir.path(), db.url()).await;
    // While it is open, no other store opens the directory (its clean-up would remove uploads in progress).
    assert!(matches!(
        Store::open(dir.path(), db.url()).await,
        Err(StoreError::Locked { .. })
    ));
    assert_eq!(object_files(dir.path()).len(), 1);
    assert_eq!(read_all(&store, "genome.vcf").await, b"before the crash");
}

async fn a_tampered_or_truncated_file_on_disk_is_refused(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    put(&store, "genome.vcf", &vec![5; 300_000]).await;
    let file = dir
        .path()
        .join("objects")
        .join(&object_files(dir.path())[0]);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[100_000] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let mut reader = store.open_object(&KEY, &id("genome.vcf")).await.unwrap();
    let error = reader.read_to_end(&mut Vec::new()).unwrap_err();
    assert!(
        error.to_string().contains("failed authentication"),
        "{error}"
    );
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&file, &bytes).unwrap();
    assert!(matches!(
        store.open_object(&KEY, &id("genome.vcf")).await,
        Err(StoreError::LengthMismatch { .. })
    ));
}

async fn nothing_in_clear_reaches_the_disk(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = unsealed(dir.path(), db.url()).await;
    let genome = b"22\t16050075\trs587697622\tA\tG\t.\tPASS\t.\tGT\t0|1\n".repeat(2000);
    put(&store, "genome.vcf", &genome).await;
    store.close().await;
    let needle = b"rs587697622";
    for entry in dnavault_testkit::disk::files_under(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "genome text in {}",
            entry.display()
        );
        assert!(
            !bytes.windows(32).any(|w| w == KEY.expose()),
            "data key in {}",
            entry.display()
        );
    }
}

/// A grant's query budget counts in the transaction that consumes the nonce: queries past it are refused
/// and leave nothing behind, racing requests cannot overspend it, and each grant has its own count.
async fn a_grants_query_budget_is_spent_once(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(unsealed(dir.path(), db.url()).await);
    let record = |nonce: String, grant: &'static str, limit: u32| {
        let store = std::sync::Arc::clone(&store);
        async move {
            store
                .record_query(QueryRecord {
                    nonce: &nonce,
                    expires: u64::MAX,
                    actor: "0xresearcher",
                    detail: "allele-counts",
                    receipt_hash: &format!("0x{nonce}"),
                    budget: Some(Budget { grant, limit }),
                })
                .await
        }
    };
    record("a1".into(), "grant-a", 2).await.unwrap();
    record("a2".into(), "grant-a", 2).await.unwrap();
    let spent = record("a3".into(), "grant-a", 2).await.unwrap_err();
    assert!(
        matches!(spent, StoreError::BudgetSpent { limit: 2 }),
        "{spent}"
    );
    assert!(
        !store.nonce_used("a3").await.unwrap(),
        "a refused query consumes no nonce"
    );
    assert_eq!(store.queries_counted("grant-a").await.unwrap(), 2);
    assert_eq!(
        store.audit_log().await.unwrap().len(),
        3,
        "nor writes the audit log (its chain's start and two queries)"
    );
    // Eight requests race for a budget of three: three run.
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..8 {
        racing.spawn(record(format!("b{i}"), "grant-b", 3));
    }
    let outcomes = racing.join_all().await;
    let ran = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(ran, 3, "{outcomes:?}");
    assert!(outcomes.iter().all(|outcome| match outcome {
        Ok(()) => true,
        Err(error) => matches!(error, StoreError::BudgetSpent { limit: 3 }),
    }));
    assert_eq!(store.queries_counted("grant-b").await.unwrap(), 3);
    assert_eq!(store.queries_counted("grant-c").await.unwrap(), 0);
    assert_eq!(store.pending_receipts(100).await.unwrap().len(), 5);
}

/// The audit log and the receipts are read as one snapshot: while receipts are anchored one by one, every
/// read shows as many anchored receipts as anchor entries.
async fn the_audit_log_and_receipts_are_read_as_one(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(unsealed(dir.path(), db.url()).await);
    let hashes: Vec<String> = (0..20).map(|i| format!("0x{i:02x}")).collect();
    for (i, hash) in hashes.iter().enumerate() {
        let record = QueryRecord {
            nonce: &format!("n{i}"),
            expires: u64::MAX,
            actor: "0xresearcher",
            detail: "allele-counts",
            receipt_hash: hash,
            budget: None,
        };
        store.record_query(record).await.unwrap();
    }
    let anchoring = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move {
            for (block, hash) in hashes.iter().enumerate() {
                let batch = format!("0xbatch{block}");
                store
                    .mark_anchored(std::slice::from_ref(hash), &batch, block as u64)
                    .await
                    .unwrap();
            }
        })
    };
    let mut reads = 0;
    loop {
        let records = store
            .records(dnavault_store::Page::first(1_000))
            .await
            .unwrap();
        let anchored = records
            .receipts
            .iter()
            .filter(|r| r.batch.is_some())
            .count();
        let entries = records
            .entries
            .iter()
            .filter(|e| e.action == "anchor")
            .count();
        assert_eq!(anchored, entries, "read {reads}");
        reads += 1;
        if anchored == 20 {
            break;
        }
    }
    anchoring.await.unwrap();
    assert!(reads > 1, "the reads ran beside the anchoring");
}
