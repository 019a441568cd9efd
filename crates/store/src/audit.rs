//! The audit log, chained ([`dnavault_protocol::audit::chain`]). Only an unsealed vault appends: opening the
//! chain with the data key verifies the stored log from its chain start, through the head last anchored
//! on-chain, and keeps the key and the head in memory. Every append then checks that the stored log still ends
//! at that head (the host cut or added nothing since) and chains the new entry to it, in the transaction that
//! writes it.
//!
//! What the verified log says is what counts: opening rebuilds the nonces consumed and the budgets counted
//! from its query entries, restores the receipts queued for anchoring that the host removed, added or marked,
//! and learns each object's current revision from its uploads, so a version the host rolls back is refused
//! when it is read.

use std::collections::{HashMap, HashSet};

use dnavault_protocol::audit::{
    AuditHead, AuditKey, AuditLogEntry, BudgetFacts, ChainError, ChainVerifier, QueryFacts,
    chain::{CHAIN_START, GENESIS},
};
use sqlx::Row;

use crate::{
    DataKey, Store, StoreError,
    store::{database, now},
};

/// The chain's key and head, held while the vault is unsealed.
#[derive(Debug)]
pub(crate) struct Chain {
    key: AuditKey,
    head: AuditHead,
}

/// Each object's current revision, as the verified log records it, while the chain is open. Apart from the
/// chain, so reading an object does not wait for a write to commit; an append updates it as it commits.
pub(crate) type Versions = std::sync::Arc<std::sync::Mutex<Option<HashMap<String, i64>>>>;

/// What opening the chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOpened {
    /// The chain's head.
    pub head: AuditHead,
    /// Entries before the chain's start, which do not verify under this key.
    pub unverified: u64,
    /// Whether this opening started the chain (a fresh log, or one that did not verify and had no anchor).
    pub started: bool,
}

/// What the verified chain says was spent and issued.
#[derive(Debug, Default)]
struct Spending {
    /// Each query's nonce, with when its request expires (only those not yet expired are kept).
    nonces: HashMap<String, u64>,
    /// Each grant's count.
    counts: HashMap<String, u32>,
    receipts: HashSet<String>,
    /// Batches an `anchor` entry records anchored.
    batches: HashSet<String>,
    /// Batches set aside for anchoring that no `anchor` entry records yet.
    set_aside: HashSet<String>,
    versions: HashMap<String, i64>,
}

impl Store {
    /// Opens the audit chain under `data_key` (the vault has unsealed): verifies the stored log from its
    /// chain start and through `anchored`, the head last anchored on-chain, then rebuilds what the log says was
    /// spent. A log that does not verify is refused while a head is anchored; with none, a new chain starts
    /// after it and its entries are reported unverified.
    pub async fn open_audit_chain(
        &self,
        data_key: &DataKey,
        anchored: Option<AuditHead>,
    ) -> Result<ChainOpened, StoreError> {
        let key = AuditKey::derive(data_key.expose());
        let anchored = anchored.filter(|head| head.seq != 0);
        let mut chain = self.chain.lock().await;
        let last = self.last_seq().await?;
        let versions;
        let verified = match self.chain_start().await? {
            Some(start) => self.verify_from(&key, start, anchored).await?,
            None => Err(ChainError::NoStart {
                seq: 1,
                action: "nothing".into(),
            }),
        };
        let opened = match verified {
            Ok((start, head, mut spending)) => {
                let head = self.restore(&key, head, &spending).await?;
                versions = std::mem::take(&mut spending.versions);
                ChainOpened {
                    head,
                    unverified: u64::try_from(start - 1).unwrap_or_default(),
                    started: false,
                }
            }
            Err(error) if anchored.is_some() => return Err(error.into()),
            Err(error) => {
                let unverified = u64::try_from(last).unwrap_or_default();
                let head = self.start_chain(&key, unverified, &error).await?;
                let (head, adopted) = self.adopt_objects(&key, head).await?;
                versions = adopted;
                ChainOpened {
                    head,
                    unverified,
                    started: true,
                }
            }
        };
        let newest = versions.values().copied().max().unwrap_or_default();
        self.next_revision
            .fetch_max(newest, std::sync::atomic::Ordering::SeqCst);
        *chain = Some(Chain {
            key,
            head: opened.head,
        });
        *self.versions() = Some(versions);
        Ok(opened)
    }

    /// The revision of `object` the verified log says is current: reading any other is refused.
    pub(crate) fn recorded_revision(&self, object: &str) -> Result<i64, StoreError> {
        let versions = self.versions();
        let versions = versions.as_ref().ok_or(StoreError::AuditClosed)?;
        versions
            .get(object)
            .copied()
            .ok_or_else(|| StoreError::NotInLog {
                object: object.to_owned(),
            })
    }

    pub(crate) fn versions(&self) -> std::sync::MutexGuard<'_, Option<HashMap<String, i64>>> {
        self.versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a write in progress to commit (it holds the chain until then), so that the metadata and
    /// the revisions the log records agree.
    pub(crate) async fn settled(&self) -> tokio::sync::MutexGuard<'_, Option<Chain>> {
        self.chain.lock().await
    }

    /// Records, after a new chain's start, each object the store holds as adopted at its current revision
    /// (what the host's rows say: the entries before the chain do not verify).
    async fn adopt_objects(
        &self,
        key: &AuditKey,
        mut head: AuditHead,
    ) -> Result<(AuditHead, HashMap<String, i64>), StoreError> {
        let objects = self.list().await?;
        let mut versions = HashMap::new();
        if objects.is_empty() {
            return Ok((head, versions));
        }
        let mut transaction = self.write().await?;
        for object in objects {
            let detail = "kept from before the audit log's chain started: not verified";
            let mut adopt = entry("vault", "adopt", Some(object.id.as_str()), detail, None);
            adopt.revision = Some(object.revision);
            head = insert_chained(&mut transaction, key, head, adopt).await?;
            versions.insert(object.id.to_string(), object.revision);
        }
        transaction.commit().await.map_err(database)?;
        Ok((head, versions))
    }

    /// The chain's head, while it is open.
    pub async fn audit_head(&self) -> Option<AuditHead> {
        self.chain.lock().await.as_ref().map(|chain| chain.head)
    }

    /// Forgets the chain's key (the vault sealed): nothing more is appended.
    pub async fn close_audit_chain(&self) {
        *self.chain.lock().await = None;
        *self.versions() = None;
    }

    /// Begins appending: holds the chain until the entries commit or fail.
    pub(crate) async fn appender(&self) -> Result<Appender<'_>, StoreError> {
        let chain = self.chain.lock().await;
        let head = chain.as_ref().ok_or(StoreError::AuditClosed)?.head;
        Ok(Appender {
            chain,
            head,
            checked: false,
            versions: Vec::new(),
            current: &self.versions,
        })
    }

    async fn last_seq(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM audit")
            .fetch_one(&self.db)
            .await
            .map(Option::unwrap_or_default)
            .map_err(database)
    }

    async fn chain_start(&self) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM audit WHERE action = $1")
            .bind(CHAIN_START)
            .fetch_one(&self.db)
            .await
            .map_err(database)
    }

    /// Verifies the log from `start` to its end, through `anchored`; returns its head and what it spent, or
    /// why it does not verify.
    async fn verify_from(
        &self,
        key: &AuditKey,
        start: i64,
        anchored: Option<AuditHead>,
    ) -> Result<Result<(i64, AuditHead, Spending), ChainError>, StoreError> {
        let mut verifier = ChainVerifier::new(key);
        if let Some(head) = anchored {
            verifier.expect("anchored on-chain", head);
        }
        let mut spending = Spending::default();
        let now = u64::try_from(now()).unwrap_or_default();
        let mut after = start - 1;
        loop {
            let page = audit_page(&self.db, after, 1_000).await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            for (_, entry) in page {
                if let Err(error) = verifier.push(&entry) {
                    return Ok(Err(error));
                }
                if entry.action == "anchor"
                    && let Some(batch) = crate::receipts::anchored_batch(&entry.detail)
                {
                    spending.set_aside.remove(batch);
                    spending.batches.insert(batch.to_owned());
                }
                if entry.action == crate::receipts::SET_ASIDE
                    && let Some(batch) = crate::receipts::set_aside_batch(&entry.detail)
                {
                    spending.set_aside.insert(batch.to_owned());
                }
                note_version(&mut spending.versions, &entry);
                if let Some(query) = entry.query {
                    spending.spent(query, now);
                }
            }
        }
        let head = match verifier.finish() {
            Ok(Some(head)) => head,
            Ok(None) => {
                return Ok(Err(ChainError::NoStart {
                    seq: u64::try_from(start).unwrap_or_default(),
                    action: "nothing".into(),
                }));
            }
            Err(error) => return Ok(Err(error)),
        };
        Ok(Ok((start, head, spending)))
    }

    /// Takes back what the verified log says was spent (nonces, budget counts) into memory, and makes the
    /// queued receipts the ones it issued; returns the head after what this wrote.
    async fn restore(
        &self,
        key: &AuditKey,
        head: AuditHead,
        spending: &Spending,
    ) -> Result<AuditHead, StoreError> {
        self.spent().restore(&spending.nonces, &spending.counts);
        let repaired = self.repair_receipts(spending).await?;
        if repaired == Repaired::default() {
            return Ok(head);
        }
        let Repaired {
            removed,
            restored,
            unmarked,
        } = repaired;
        let detail = format!(
            "the receipts waiting for anchoring did not match the log: {removed} the log does not name were \
             removed, {restored} it names were queued again, {unmarked} marked anchored in a batch it does not \
             record anchored were queued again or put back in flight"
        );
        let mut transaction = self.write().await?;
        let entry = entry("vault", "receipts-repaired", None, &detail, None);
        let head = insert_chained(&mut transaction, key, head, entry).await?;
        transaction.commit().await.map_err(database)?;
        Ok(head)
    }

    /// Makes the receipts table agree with the verified log: queued receipts it does not name are removed,
    /// receipts it names that are missing are queued again, and so are those marked anchored in a batch no
    /// anchoring entry names.
    async fn repair_receipts(&self, spending: &Spending) -> Result<Repaired, StoreError> {
        let rows = sqlx::query("SELECT receipt_hash, batch, anchored_block FROM receipts")
            .fetch_all(&self.db)
            .await
            .map_err(database)?;
        let mut stored = HashSet::new();
        let (mut unknown, mut unmarked, mut in_flight) = (Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            let hash: String = row.try_get(0).map_err(database)?;
            let batch: Option<String> = row.try_get(1).map_err(database)?;
            let block: Option<i64> = row.try_get(2).map_err(database)?;
            let issued = spending.receipts.contains(&hash);
            match batch {
                None if !issued => unknown.push(hash.clone()),
                // Set aside and not recorded anchored: in flight, whatever the row says of a block.
                Some(batch) if issued && spending.set_aside.contains(&batch) => {
                    in_flight.extend(block.map(|_| hash.clone()));
                }
                Some(batch) if issued && !spending.batches.contains(&batch) => {
                    unmarked.push(hash.clone());
                }
                _ => {}
            }
            stored.insert(hash);
        }
        let missing: Vec<&String> = spending
            .receipts
            .iter()
            .filter(|h| !stored.contains(*h))
            .collect();
        let mut transaction = self.write().await?;
        for hash in &unknown {
            sqlx::query("DELETE FROM receipts WHERE receipt_hash = $1")
                .bind(hash)
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
        }
        for hash in &unmarked {
            sqlx::query(
                "UPDATE receipts SET batch = NULL, anchored_block = NULL WHERE receipt_hash = $1",
            )
            .bind(hash)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        }
        for hash in &in_flight {
            sqlx::query("UPDATE receipts SET anchored_block = NULL WHERE receipt_hash = $1")
                .bind(hash)
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
        }
        for hash in &missing {
            crate::receipts::queue_receipt(&mut transaction, hash).await?;
        }
        transaction.commit().await.map_err(database)?;
        Ok(Repaired {
            removed: unknown.len(),
            restored: missing.len(),
            unmarked: unmarked.len() + in_flight.len(),
        })
    }

    /// Starts a new chain after `unverified` entries that did not verify (`why`).
    async fn start_chain(
        &self,
        key: &AuditKey,
        unverified: u64,
        why: &ChainError,
    ) -> Result<AuditHead, StoreError> {
        let detail = match unverified {
            0 => "the audit log starts here, chained under this vault's key".to_owned(),
            n => format!(
                "the audit log's chain starts here: the {n} entries before it do not verify under this vault's \
                 key (written before the log was chained, under a previous owner's key, or altered: {why})"
            ),
        };
        let genesis = AuditHead {
            seq: unverified,
            tag: GENESIS,
        };
        let mut transaction = self.write().await?;
        let head = insert_chained(
            &mut transaction,
            key,
            genesis,
            entry("vault", CHAIN_START, None, &detail, None),
        )
        .await?;
        transaction.commit().await.map_err(database)?;
        Ok(head)
    }
}

impl Spending {
    /// Takes in one query the log recorded, at Unix time `now`.
    fn spent(&mut self, query: QueryFacts, now: u64) {
        if let Some(budget) = &query.budget {
            *self.counts.entry(budget.grant.clone()).or_insert(0) += 1;
        }
        if query.expires >= now {
            self.nonces.insert(query.nonce, query.expires);
        }
        self.receipts.insert(query.receipt);
    }
}

/// What [`Store::repair_receipts`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Repaired {
    removed: usize,
    restored: usize,
    unmarked: usize,
}

/// Appends chained entries in one write transaction.
pub(crate) struct Appender<'s> {
    chain: tokio::sync::MutexGuard<'s, Option<Chain>>,
    head: AuditHead,
    checked: bool,
    versions: Vec<(String, Option<i64>)>,
    current: &'s Versions,
}

impl Appender<'_> {
    /// Appends `entry` (its position, time and tag are set here).
    pub(crate) async fn append(
        &mut self,
        transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
        entry: AuditLogEntry,
    ) -> Result<(), StoreError> {
        let Some(chain) = self.chain.as_ref() else {
            return Err(StoreError::AuditClosed);
        };
        if !self.checked {
            check_ends_at(transaction, chain.head).await?;
            self.checked = true;
        }
        if let Some(object) = &entry.object {
            match (entry.action.as_str(), entry.revision) {
                ("delete", _) => self.versions.push((object.clone(), None)),
                (_, Some(revision)) => self.versions.push((object.clone(), Some(revision))),
                _ => {}
            }
        }
        self.head = insert_chained(transaction, &chain.key, self.head, entry).await?;
        Ok(())
    }

    /// The transaction committed: the chain's head moves to the last entry appended, and the objects it
    /// made current or removed are recorded.
    pub(crate) fn committed(mut self) {
        if let Some(chain) = self.chain.as_mut() {
            chain.head = self.head;
            let mut current = self
                .current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(current) = current.as_mut() else {
                return;
            };
            for (object, revision) in self.versions.drain(..) {
                match revision {
                    Some(revision) => current.insert(object, revision),
                    None => current.remove(&object),
                };
            }
        }
    }
}

/// Follows an object's current revision through the log: an entry naming an object and a revision made it
/// current (an upload, an adoption), a deletion removed it.
fn note_version(versions: &mut HashMap<String, i64>, entry: &AuditLogEntry) {
    let Some(object) = &entry.object else { return };
    match (entry.action.as_str(), entry.revision) {
        ("delete", _) => {
            versions.remove(object);
        }
        (_, Some(revision)) => {
            versions.insert(object.clone(), revision);
        }
        _ => {}
    }
}

/// An entry to append.
pub(crate) fn entry(
    actor: &str,
    action: &str,
    object: Option<&str>,
    detail: &str,
    query: Option<QueryFacts>,
) -> AuditLogEntry {
    AuditLogEntry {
        seq: 0,
        at: now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        object: object.map(str::to_owned),
        revision: None,
        detail: detail.to_owned(),
        query,
        tag: None,
    }
}

/// Refuses unless the stored log ends at `head`: entries the host removed from its end, or added, show here.
async fn check_ends_at(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    head: AuditHead,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT seq, tag FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **transaction)
        .await
        .map_err(database)?;
    let stored = match row {
        Some(row) => Some((
            row.try_get::<i64, _>(0).map_err(database)?,
            row.try_get::<Option<String>, _>(1).map_err(database)?,
        )),
        None => None,
    };
    let expected = (
        i64::try_from(head.seq).unwrap_or(i64::MAX),
        Some(head.tag.to_string()),
    );
    match stored {
        Some(stored) if stored == expected => Ok(()),
        _ => Err(ChainError::Short {
            what: "the running vault holds",
            head,
        }
        .into()),
    }
}

/// Writes `entry` chained after `previous`; returns the new head.
async fn insert_chained(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &AuditKey,
    previous: AuditHead,
    mut entry: AuditLogEntry,
) -> Result<AuditHead, StoreError> {
    let seq = previous.seq + 1;
    entry.seq = i64::try_from(seq).unwrap_or(i64::MAX);
    let tag = key.tag(&entry, &previous.tag);
    let query = entry.query.as_ref();
    let budget = query.and_then(|q| q.budget.as_ref());
    sqlx::query(
        "INSERT INTO audit (seq, at, actor, action, object, detail, tag, query_nonce, query_expires, \
         query_receipt, budget_grant, budget_limit, object_revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(entry.seq)
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.object)
    .bind(&entry.detail)
    .bind(tag.to_string())
    .bind(query.map(|q| q.nonce.clone()))
    .bind(query.map(|q| i64::try_from(q.expires).unwrap_or(i64::MAX)))
    .bind(query.map(|q| q.receipt.clone()))
    .bind(budget.map(|b| b.grant.clone()))
    .bind(budget.map(|b| i64::from(b.limit)))
    .bind(entry.revision)
    .execute(&mut **transaction)
    .await
    .map_err(database)?;
    Ok(AuditHead { seq, tag })
}

/// Up to `limit` entries after position `after`, with their positions.
pub(crate) async fn audit_page<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, AuditLogEntry)>, StoreError> {
    sqlx::query(
        "SELECT seq, at, actor, action, object, detail, tag, query_nonce, query_expires, query_receipt, \
         budget_grant, budget_limit, object_revision FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(executor)
    .await
    .map_err(database)?
    .iter()
    .map(|row| {
        let entry = read_entry(row)?;
        Ok((entry.seq, entry))
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(database)
}

fn read_entry(row: &sqlx::any::AnyRow) -> Result<AuditLogEntry, sqlx::Error> {
    let nonce: Option<String> = row.try_get(7)?;
    let budget = match (
        row.try_get::<Option<String>, _>(10)?,
        row.try_get::<Option<i64>, _>(11)?,
    ) {
        (Some(grant), Some(limit)) => Some(BudgetFacts {
            grant,
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
        }),
        _ => None,
    };
    let query = match nonce {
        Some(nonce) => Some(QueryFacts {
            nonce,
            expires: u64::try_from(row.try_get::<Option<i64>, _>(8)?.unwrap_or_default())
                .unwrap_or_default(),
            receipt: row.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
            budget,
        }),
        None => None,
    };
    Ok(AuditLogEntry {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        object: row.try_get(4)?,
        revision: row.try_get(12)?,
        detail: row.try_get(5)?,
        query,
        tag: row
            .try_get::<Option<String>, _>(6)?
            .and_then(|tag| tag.parse().ok()),
    })
}
