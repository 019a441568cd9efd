//! The store: objects as files under `objects/`, their metadata and the audit log in a database (SQLite in
//! the data directory by default, PostgreSQL by URL).
//!
//! A write is atomic: the object is encrypted to `objects/<id>.<random>.tmp`, synced, renamed to `.obj` and
//! the directory synced ([`Store::stage`]); then one transaction points the metadata at the new file and
//! appends to the audit log ([`Store::commit`]); only then is the previous version's file removed. A crash at
//! any point leaves the previous version readable: at the next [`Store::open`], temporary files and files
//! the metadata does not name are removed.

use std::{
    fs::File,
    io::Read,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use sqlx::{AnyPool, Row, any::AnyPoolOptions};

use crate::{
    DataKey, Layout, ObjectId, ObjectReader, ObjectSummary, ObjectWriter, StoreError,
    audit::{audit_page, entry},
};

/// The objects directory, under the data directory.
const OBJECTS: &str = "objects";
/// The lock file, under the data directory.
const LOCK: &str = "store.lock";
/// The default database, under the data directory.
const DATABASE: &str = "vault.db";

/// An object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRecord {
    /// The object.
    pub id: ObjectId,
    /// What it holds (`vcf.gz`, `tbi`, ...), as the ingest named it.
    pub kind: String,
    /// How it is cut.
    pub layout: Layout,
    /// Plaintext bytes.
    pub plaintext_len: u64,
    /// Bytes on disk.
    pub stored_len: u64,
    /// Chunks.
    pub chunks: u32,
    /// When it was written (Unix seconds).
    pub updated_at: i64,
    /// Its revision, reserved when it was staged and named by its chunks: a later commit has larger
    /// revisions. Objects stored before revisions were kept have 0.
    pub revision: i64,
    file: String,
}

/// The audit log and the receipts, read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    /// The audit log's entries on the page, oldest first.
    pub entries: Vec<crate::AuditLogEntry>,
    /// The receipts on the page, oldest first.
    pub receipts: Vec<crate::ReceiptRecord>,
    /// Where the next page of entries starts (`Page::entries_after`), when there are more.
    pub next_entries_after: Option<i64>,
    /// Where the next page of receipts starts, when there are more.
    pub next_receipts_after: Option<i64>,
}

/// Which part of the audit log and receipts to read: those after the given positions, at most `limit` of
/// each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Entries after this position (0: from the first).
    pub entries_after: i64,
    /// Receipts after this position (0: from the first).
    pub receipts_after: i64,
    /// At most this many of each.
    pub limit: u32,
}

impl Page {
    /// The most a page holds.
    pub const MAX_LIMIT: u32 = 1_000;

    /// The first page, of `limit` of each.
    pub fn first(limit: u32) -> Self {
        Self {
            entries_after: 0,
            receipts_after: 0,
            limit,
        }
    }
}

/// An object written and synced but not yet in the metadata; removed if dropped uncommitted.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    record: ObjectRecord,
    committed: bool,
}

impl Staged {
    /// What was written.
    pub fn record(&self) -> &ObjectRecord {
        &self.record
    }

    /// Opens the staged object for reading (to validate it before it becomes current).
    pub fn open(&self, key: &DataKey) -> Result<ObjectReader<File>, StoreError> {
        let id = &self.record.id;
        let file =
            File::open(&self.path).map_err(StoreError::io(format!("opening object `{id}`")))?;
        ObjectReader::open_checked(file, key, id, self.record.stored_len)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The vault's object store.
#[derive(Debug, Clone)]
pub struct Store {
    objects: PathBuf,
    pub(crate) db: AnyPool,
    /// Whether the metadata is in SQLite, whose write transactions must take the write lock as they begin.
    sqlite: bool,
    /// The data directory's exclusive lock, held while any clone lives.
    _lock: std::sync::Arc<File>,
    /// What was spent since the store was opened.
    spent: std::sync::Arc<std::sync::Mutex<crate::spent::Spent>>,
    /// The audit chain's key and head, while the vault is unsealed.
    pub(crate) chain: std::sync::Arc<tokio::sync::Mutex<Option<crate::audit::Chain>>>,
    /// Each object's current revision, while the chain is open.
    pub(crate) versions: crate::audit::Versions,
    /// Queries waiting for their records to be written together.
    pub(crate) waiting: crate::group_commit::Waiting,
    /// The last revision reserved for a staged version.
    pub(crate) next_revision: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Store {
    /// Opens (creating) the store in `data_dir`, with its metadata in `database_url` or in SQLite at
    /// `data_dir/vault.db`, and removes what an interrupted write left behind.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Self, StoreError> {
        let objects = data_dir.join(OBJECTS);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&objects)
            .map_err(StoreError::io(format!("creating {}", objects.display())))?;
        // One store per data directory: opening cleans up what no metadata names, which would remove
        // another process's upload in progress.
        let lock_path = data_dir.join(LOCK);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(StoreError::io(format!("opening {}", lock_path.display())))?;
        lock.try_lock().map_err(|_| StoreError::Locked {
            dir: data_dir.display().to_string(),
        })?;
        sqlx::any::install_default_drivers();
        let url = match database_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}?mode=rwc", data_dir.join(DATABASE).display()),
        };
        let db = AnyPoolOptions::new()
            .max_connections(4)
            .connect(&url)
            .await
            .map_err(database)?;
        crate::migrations::run(&db).await?;
        let revision: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'revision'")
                .fetch_one(&db)
                .await
                .map_err(database)?;
        let store = Self {
            objects,
            db,
            sqlite: url.starts_with("sqlite:"),
            _lock: std::sync::Arc::new(lock),
            spent: Default::default(),
            chain: Default::default(),
            versions: Default::default(),
            waiting: Default::default(),
            next_revision: std::sync::Arc::new(revision.into()),
        };
        store.recover().await?;
        Ok(store)
    }

    /// What was spent since the store was opened.
    pub(crate) fn spent(&self) -> std::sync::MutexGuard<'_, crate::spent::Spent> {
        self.spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Begins a transaction that writes. SQLite's default (deferred) transaction takes the write lock only
    /// at its first write, and two that read first then both write deadlock: one fails at once with
    /// "database is locked", whatever the busy timeout. `BEGIN IMMEDIATE` takes the lock at the start, so
    /// concurrent writers wait their turn instead. (PostgreSQL locks rows as they are written.)
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let transaction = match self.sqlite {
            true => self.db.begin_with("BEGIN IMMEDIATE").await,
            false => self.db.begin().await,
        };
        transaction.map_err(database)
    }

    /// Removes temporary files and files no metadata names.
    async fn recover(&self) -> Result<(), StoreError> {
        let named: Vec<String> = sqlx::query("SELECT file FROM objects")
            .fetch_all(&self.db)
            .await
            .map_err(database)?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .map_err(database)?;
        let listing = std::fs::read_dir(&self.objects).map_err(StoreError::io(format!(
            "listing {}",
            self.objects.display()
        )))?;
        for entry in listing {
            let entry = entry.map_err(StoreError::io("listing objects"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !named.contains(&name) {
                std::fs::remove_file(entry.path())
                    .map_err(StoreError::io(format!("removing leftover {name}")))?;
            }
        }
        sync_dir(&self.objects)
    }

    /// Encrypts `input` as a new version of `id` with `layout` and syncs it to disk, not yet visible.
    pub fn stage<R: Read + Send>(
        &self,
        key: &DataKey,
        id: &ObjectId,
        kind: &str,
        layout: Layout,
        input: R,
    ) -> Result<Staged, StoreError> {
        self.stage_with(key, id, kind, layout, |mut writer| {
            writer.copy_from(input)?;
            writer.finish()
        })
    }

    /// Like [`stage`](Self::stage), with the caller feeding the writer (a BGZF copy, a converter).
    pub fn stage_with(
        &self,
        key: &DataKey,
        id: &ObjectId,
        kind: &str,
        layout: Layout,
        write: impl FnOnce(ObjectWriter<File>) -> Result<(File, ObjectSummary), StoreError>,
    ) -> Result<Staged, StoreError> {
        let mut random = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
        let stem = format!("{id}.{}", hex::encode(random));
        let temporary = self.objects.join(format!("{stem}.tmp"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(StoreError::io(format!("creating {}", temporary.display())))?;
        // From here on, a failure removes the temporary file.
        let mut staged = Staged {
            path: temporary,
            record: ObjectRecord {
                id: id.clone(),
                kind: kind.to_owned(),
                layout,
                plaintext_len: 0,
                stored_len: 0,
                chunks: 0,
                updated_at: now(),
                revision: self
                    .next_revision
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    + 1,
                file: format!("{stem}.obj"),
            },
            committed: false,
        };
        let revision = u64::try_from(staged.record.revision).unwrap_or_default();
        let writer =
            ObjectWriter::for_revision(file, key, id, layout, crate::DEFAULT_CHUNK, revision)?;
        let (file, summary) = write(writer)?;
        file.sync_all()
            .map_err(StoreError::io(format!("syncing object `{id}`")))?;
        drop(file);
        let path = self.objects.join(&staged.record.file);
        std::fs::rename(&staged.path, &path)
            .map_err(StoreError::io(format!("renaming object `{id}`")))?;
        staged.path = path;
        sync_dir(&self.objects)?;
        staged.record.plaintext_len = summary.plaintext_len;
        staged.record.stored_len = summary.stored_len;
        staged.record.chunks = summary.chunks;
        Ok(staged)
    }

    /// Makes staged objects current, in one transaction with an audit entry; then removes the versions they
    /// replace. Either all become current or none does. A `nonce` (of the approval that allowed the write) is
    /// consumed in the same transaction: a nonce seen before refuses the commit.
    pub async fn commit(
        &self,
        staged: Vec<Staged>,
        actor: &str,
        action: &str,
        nonce: Option<&str>,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        let mut log = self.appender().await?;
        let mut transaction = self.write().await?;
        if let Some(nonce) = nonce {
            consume_nonce(&mut transaction, nonce).await?;
        }
        advance_revision(&mut transaction, &staged).await?;
        let mut replaced = Vec::new();
        for object in &staged {
            let record = &object.record;
            let previous = sqlx::query("SELECT file FROM objects WHERE id = $1")
                .bind(record.id.as_str())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(database)?;
            if let Some(row) = previous {
                replaced.push(row.try_get::<String, _>(0).map_err(database)?);
            }
            sqlx::query("DELETE FROM objects WHERE id = $1")
                .bind(record.id.as_str())
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
            sqlx::query(
                "INSERT INTO objects (id, file, kind, layout, plaintext_len, stored_len, chunks, updated_at, revision)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(record.id.as_str())
            .bind(&record.file)
            .bind(&record.kind)
            .bind(layout_code(record.layout))
            .bind(to_i64(record.plaintext_len))
            .bind(to_i64(record.stored_len))
            .bind(i64::from(record.chunks))
            .bind(record.updated_at)
            .bind(record.revision)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
            let detail = format!(
                "{} bytes in {} chunks ({})",
                record.plaintext_len, record.chunks, record.kind
            );
            let mut entry = entry(actor, action, Some(record.id.as_str()), &detail, None);
            entry.revision = Some(record.revision);
            log.append(&mut transaction, entry).await?;
        }
        transaction.commit().await.map_err(database)?;
        log.committed();
        let records = staged
            .into_iter()
            .map(|mut object| {
                object.committed = true;
                object.record.clone()
            })
            .collect();
        for file in replaced {
            let _ = std::fs::remove_file(self.objects.join(file));
        }
        sync_dir(&self.objects)?;
        Ok(records)
    }

    /// An object's metadata.
    pub async fn get(&self, id: &ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, file, kind, layout, plaintext_len, stored_len, chunks, updated_at, revision FROM objects WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.db)
        .await
        .map_err(database)?;
        row.map(|row| record(&row)).transpose()
    }

    /// All objects, by id.
    pub async fn list(&self) -> Result<Vec<ObjectRecord>, StoreError> {
        sqlx::query(
            "SELECT id, file, kind, layout, plaintext_len, stored_len, chunks, updated_at, revision FROM objects ORDER BY id",
        )
        .fetch_all(&self.db)
        .await
        .map_err(database)?
        .iter()
        .map(record)
        .collect()
    }

    /// Opens an object for reading, checking its length against the metadata and its revision against the
    /// audit log: the metadata, and the revision the file's chunks name, must be the one the verified log
    /// last recorded, so a version the host rolled back is refused.
    pub async fn open_object(
        &self,
        key: &DataKey,
        id: &ObjectId,
    ) -> Result<ObjectReader<File>, StoreError> {
        let mut record = self.get(id).await?;
        let mut expected = self.recorded_revision(id.as_str());
        if !matches!((&record, &expected), (Some(record), Ok(expected)) if record.revision == *expected)
        {
            // A write may have committed between the two reads: read both again once none is in progress.
            let _settled = self.settled().await;
            record = self.get(id).await?;
            expected = self.recorded_revision(id.as_str());
        }
        let record = record.ok_or_else(|| StoreError::NotFound {
            object: id.to_string(),
        })?;
        let expected = expected?;
        let path = self.objects.join(&record.file);
        let file = File::open(&path).map_err(StoreError::io(format!("opening object `{id}`")))?;
        let reader = ObjectReader::open_checked(file, key, id, record.stored_len)?;
        // Objects written before their chunks named a revision carry 0 there.
        let named = i64::try_from(reader.revision()).unwrap_or(i64::MAX);
        for found in [record.revision, if named == 0 { expected } else { named }] {
            if found != expected {
                return Err(StoreError::RolledBack {
                    object: id.to_string(),
                    found,
                    expected,
                });
            }
        }
        Ok(reader)
    }

    /// Removes an object. Returns whether it existed.
    pub async fn delete(&self, id: &ObjectId, actor: &str) -> Result<bool, StoreError> {
        let mut log = self.appender().await?;
        let mut transaction = self.write().await?;
        let row = sqlx::query("SELECT file FROM objects WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *transaction)
            .await
            .map_err(database)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let file: String = row.try_get(0).map_err(database)?;
        sqlx::query("DELETE FROM objects WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        let entry = entry(actor, "delete", Some(id.as_str()), "", None);
        log.append(&mut transaction, entry).await?;
        transaction.commit().await.map_err(database)?;
        log.committed();
        let _ = std::fs::remove_file(self.objects.join(file));
        sync_dir(&self.objects)?;
        Ok(true)
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        object: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut log = self.appender().await?;
        let mut transaction = self.write().await?;
        let entry = entry(actor, action, object, detail, None);
        log.append(&mut transaction, entry).await?;
        transaction.commit().await.map_err(database)?;
        log.committed();
        Ok(())
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<crate::AuditLogEntry>, StoreError> {
        Ok(audit_page(&self.db, 0, i64::MAX)
            .await?
            .into_iter()
            .map(|(_, entry)| entry)
            .collect())
    }

    /// A page of the audit log and of the receipts as one consistent snapshot: an anchoring committed while
    /// they are read shows in both or in neither. A limit over [`Page::MAX_LIMIT`] reads that many.
    pub async fn records(&self, page: Page) -> Result<Records, StoreError> {
        let limit = i64::from(page.limit.clamp(1, Page::MAX_LIMIT));
        // PostgreSQL's default isolation gives each statement its own snapshot; SQLite's read transaction
        // already reads one.
        let begin = match self.sqlite {
            true => "BEGIN",
            false => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let mut transaction = self.db.begin_with(begin).await.map_err(database)?;
        let (entries, next_entries_after) = paged(
            audit_page(&mut *transaction, page.entries_after, limit + 1).await?,
            limit,
        );
        let receipts =
            crate::receipts::receipt_page(&mut *transaction, page.receipts_after, limit + 1)
                .await?;
        let (receipts, next_receipts_after) = paged(receipts, limit);
        transaction.commit().await.map_err(database)?;
        Ok(Records {
            entries,
            receipts,
            next_entries_after,
            next_receipts_after,
        })
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// Moves the revision counter to the newest of `staged`, in the caller's transaction (the counter's row stays
/// locked until commit), and refuses a version staged before the one its object holds now: an object's
/// versions commit in the order they were staged. Other objects' uploads, staged and committed in any order,
/// do not stand in each other's way.
async fn advance_revision(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    staged: &[Staged],
) -> Result<(), StoreError> {
    let Some(highest) = staged.iter().map(|object| object.record.revision).max() else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE counters SET value = CASE WHEN value < $1 THEN $1 ELSE value END WHERE name = 'revision'",
    )
    .bind(highest)
    .execute(&mut **transaction)
    .await
    .map_err(database)?;
    for object in staged {
        let record = &object.record;
        let current: Option<i64> = sqlx::query_scalar("SELECT revision FROM objects WHERE id = $1")
            .bind(record.id.as_str())
            .fetch_optional(&mut **transaction)
            .await
            .map_err(database)?;
        if current.is_some_and(|current| current > record.revision) {
            return Err(StoreError::Superseded {
                object: record.id.to_string(),
            });
        }
    }
    Ok(())
}

/// Records `nonce` as used; refuses one seen before.
pub(crate) async fn consume_nonce(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    nonce: &str,
) -> Result<(), StoreError> {
    let seen = sqlx::query("SELECT nonce FROM nonces WHERE nonce = $1")
        .bind(nonce)
        .fetch_optional(&mut **transaction)
        .await
        .map_err(database)?;
    if seen.is_some() {
        return Err(StoreError::Replayed {
            nonce: nonce.to_owned(),
        });
    }
    sqlx::query("INSERT INTO nonces (nonce, at) VALUES ($1, $2)")
        .bind(nonce)
        .bind(now())
        .execute(&mut **transaction)
        .await
        .map_err(database)?;
    Ok(())
}

/// `rows` (read with one more than `limit`) cut to `limit`, and the position the next page starts after
/// when there was more.
pub(crate) fn paged<T>(mut rows: Vec<(i64, T)>, limit: i64) -> (Vec<T>, Option<i64>) {
    let keep = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > keep;
    rows.truncate(keep);
    let next = more.then(|| rows.last().map(|(seq, _)| *seq)).flatten();
    (rows.into_iter().map(|(_, row)| row).collect(), next)
}

fn record(row: &sqlx::any::AnyRow) -> Result<ObjectRecord, StoreError> {
    let id: String = row.try_get(0).map_err(database)?;
    let layout: i64 = row.try_get(3).map_err(database)?;
    let count = |column| {
        row.try_get::<i64, _>(column)
            .map_err(database)
            .map(|value| u64::try_from(value).unwrap_or_default())
    };
    Ok(ObjectRecord {
        id: ObjectId::new(id)?,
        file: row.try_get(1).map_err(database)?,
        kind: row.try_get(2).map_err(database)?,
        layout: if layout == 1 {
            Layout::Bgzf
        } else {
            Layout::Fixed
        },
        plaintext_len: count(4)?,
        stored_len: count(5)?,
        chunks: u32::try_from(count(6)?).unwrap_or(u32::MAX),
        updated_at: row.try_get(7).map_err(database)?,
        revision: row.try_get(8).map_err(database)?,
    })
}

fn layout_code(layout: Layout) -> i64 {
    match layout {
        Layout::Fixed => 0,
        Layout::Bgzf => 1,
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn database(error: sqlx::Error) -> StoreError {
    match unreachable(&error) {
        true => StoreError::Unavailable(error.to_string()),
        false => StoreError::Database(error.to_string()),
    }
}

/// Whether `error` says the database cannot be reached now rather than that it refused: no connection, or
/// the server shutting down or starting (SQLSTATE classes 08 and 57P).
fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io(format!("syncing {}", dir.display())))
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
