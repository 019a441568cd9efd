//! Queries the vault ran: each one's nonce, audit entry and receipt are recorded in one transaction before
//! its result is released, and receipts wait here until their hashes are anchored on-chain.

use sqlx::Row;

use dnavault_protocol::audit::{BudgetFacts, QueryFacts};

use crate::{
    Store, StoreError,
    audit::entry,
    store::{consume_nonce, database, now},
};

/// A receipt the vault issued, and where it was anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    /// The receipt's hash (hex, `0x`-prefixed).
    pub receipt_hash: String,
    /// When it was issued (Unix seconds).
    pub at: i64,
    /// The anchored batch's hash, once anchored.
    pub batch: Option<String>,
    /// The block it was anchored in, once anchored.
    pub anchored_block: Option<u64>,
}

/// One query to record.
#[derive(Debug, Clone, Copy)]
pub struct QueryRecord<'a> {
    /// The request's nonce: consumed, so the request never runs twice.
    pub nonce: &'a str,
    /// When the request expires (Unix seconds): how long the nonce must be remembered.
    pub expires: u64,
    /// Who asked.
    pub actor: &'a str,
    /// What ran, for the audit log (never the result).
    pub detail: &'a str,
    /// The receipt's hash.
    pub receipt_hash: &'a str,
    /// The grant's query budget, when it has one: the query is counted against it, or refused.
    pub budget: Option<Budget<'a>>,
}

/// A grant's query budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    /// What the grant's count is kept under (the event that made it).
    pub grant: &'a str,
    /// How many queries it allows in its life (at least 1).
    pub limit: u32,
}

impl Store {
    /// Whether `nonce` was used: a cheap check before a query runs (the record is what decides).
    pub async fn nonce_used(&self, nonce: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT nonce FROM nonces WHERE nonce = $1")
            .bind(nonce)
            .fetch_optional(&self.db)
            .await
            .map_err(database)?;
        Ok(row.is_some())
    }

    /// How many queries ran under `grant`'s budget.
    pub async fn queries_counted(&self, grant: &str) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT used FROM query_budgets WHERE grant_key = $1")
            .bind(grant)
            .fetch_optional(&self.db)
            .await
            .map_err(database)?;
        row.map_or(Ok(0), |row| {
            let used: i64 = row.try_get("used").map_err(database)?;
            Ok(u64::try_from(used).unwrap_or_default())
        })
    }

    /// Records a query that ran: consumes its nonce (refusing a replay), counts it against its grant's
    /// budget (refusing one past it), appends an audit entry and queues its receipt for anchoring, all or
    /// nothing.
    ///
    /// What was spent since the store was opened is also kept in memory, and refused from there: rows the
    /// host deletes or rolls back do not bring back a nonce or a query.
    pub async fn record_query(&self, query: QueryRecord<'_>) -> Result<(), StoreError> {
        let at = u64::try_from(now()).unwrap_or_default();
        self.spent()
            .reserve(query.nonce, query.expires, query.budget, at)?;
        // Written with the queries that finish meanwhile, in one transaction (`group_commit`).
        let recorded = self.record_grouped(&query).await;
        if recorded.is_err() {
            self.spent().release(query.nonce, query.budget);
        }
        recorded
    }

    /// Writes `queries` in one transaction, appending to the chain `log` holds.
    pub(crate) async fn record_in_database(
        &self,
        mut log: crate::audit::Appender<'_>,
        queries: &[QueryRecord<'_>],
    ) -> Result<(), StoreError> {
        let mut transaction = self.write().await?;
        for query in queries {
            consume_nonce(&mut transaction, query.nonce).await?;
            if let Some(budget) = query.budget {
                count_against(&mut transaction, budget).await?;
            }
            let detail = format!("{}; receipt {}", query.detail, query.receipt_hash);
            let facts = QueryFacts {
                nonce: query.nonce.to_owned(),
                // Stored as a signed 64-bit number: what is tagged is what is stored.
                expires: query.expires.min(i64::MAX as u64),
                receipt: query.receipt_hash.to_owned(),
                budget: query.budget.map(|budget| BudgetFacts {
                    grant: budget.grant.to_owned(),
                    limit: budget.limit,
                }),
            };
            let entry = entry(query.actor, "query", None, &detail, Some(facts));
            log.append(&mut transaction, entry).await?;
            queue_receipt(&mut transaction, query.receipt_hash).await?;
        }
        transaction.commit().await.map_err(database)?;
        log.committed();
        Ok(())
    }

    /// The batch set aside for anchoring and not yet seen anchored (a transaction may be on its way, or
    /// the vault stopped before it knew): its hash and receipts, oldest first.
    pub async fn batch_in_flight(&self) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT batch, receipt_hash FROM receipts WHERE batch IS NOT NULL AND anchored_block IS NULL \
             ORDER BY seq",
        )
        .fetch_all(&self.db)
        .await
        .map_err(database)?;
        let mut in_flight: Option<(String, Vec<String>)> = None;
        for row in rows {
            let (batch, receipt): (String, String) = (
                row.try_get(0).map_err(database)?,
                row.try_get(1).map_err(database)?,
            );
            match &mut in_flight {
                None => in_flight = Some((batch, vec![receipt])),
                Some((first, receipts)) if *first == batch => receipts.push(receipt),
                // Batches are set aside one at a time: a second one waits for the first.
                Some(_) => break,
            }
        }
        Ok(in_flight)
    }

    /// Sets `receipts` aside as `batch` before its transaction is sent, with an audit entry naming it, so
    /// that a vault stopped after the transaction is mined but before it is recorded sends that same batch
    /// again (which the registry refuses, and the vault then records), never its receipts in another.
    pub async fn set_aside(&self, receipts: &[String], batch: &str) -> Result<(), StoreError> {
        let mut log = self.appender().await?;
        let mut transaction = self.write().await?;
        for receipt in receipts {
            sqlx::query("UPDATE receipts SET batch = $1 WHERE receipt_hash = $2 AND batch IS NULL")
                .bind(batch)
                .bind(receipt)
                .execute(&mut *transaction)
                .await
                .map_err(database)?;
        }
        let detail = set_aside_detail(receipts.len(), batch);
        log.append(
            &mut transaction,
            entry("vault", SET_ASIDE, None, &detail, None),
        )
        .await?;
        transaction.commit().await.map_err(database)?;
        log.committed();
        Ok(())
    }

    /// Up to `limit` receipts not yet anchored nor set aside, oldest first.
    pub async fn pending_receipts(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        sqlx::query("SELECT receipt_hash FROM receipts WHERE batch IS NULL ORDER BY seq LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await
            .map_err(database)?
            .iter()
            .map(|row| row.try_get(0).map_err(database))
            .collect()
    }

    /// Marks receipts as anchored in `batch` at `block`, with an audit entry.
    pub async fn mark_anchored(
        &self,
        receipts: &[String],
        batch: &str,
        block: u64,
    ) -> Result<(), StoreError> {
        let mut log = self.appender().await?;
        let mut transaction = self.write().await?;
        for receipt in receipts {
            sqlx::query(
                "UPDATE receipts SET batch = $1, anchored_block = $2 WHERE receipt_hash = $3",
            )
            .bind(batch)
            .bind(i64::try_from(block).unwrap_or(i64::MAX))
            .bind(receipt)
            .execute(&mut *transaction)
            .await
            .map_err(database)?;
        }
        let detail = anchor_detail(receipts.len(), batch, block);
        log.append(
            &mut transaction,
            entry("vault", "anchor", None, &detail, None),
        )
        .await?;
        transaction.commit().await.map_err(database)?;
        log.committed();
        Ok(())
    }

    /// Every receipt, oldest first.
    pub async fn receipts(&self) -> Result<Vec<ReceiptRecord>, StoreError> {
        Ok(receipt_page(&self.db, 0, i64::MAX)
            .await?
            .into_iter()
            .map(|(_, receipt)| receipt)
            .collect())
    }
}

/// The detail of an `anchor` entry.
fn anchor_detail(count: usize, batch: &str, block: u64) -> String {
    format!("{count} receipts in batch {batch}, block {block}")
}

/// The batch an `anchor` entry's detail names (the vault wrote it: [`anchor_detail`]).
pub(crate) fn anchored_batch(detail: &str) -> Option<&str> {
    let (_, rest) = detail.split_once(" receipts in batch ")?;
    rest.split_once(", block ").map(|(batch, _)| batch)
}

/// The audit action that sets a batch aside before its transaction is sent.
pub(crate) const SET_ASIDE: &str = "anchor-set-aside";

fn set_aside_detail(count: usize, batch: &str) -> String {
    format!("{count} receipts set aside as batch {batch}, to be anchored")
}

/// The batch a set-aside entry's detail names ([`set_aside_detail`]).
pub(crate) fn set_aside_batch(detail: &str) -> Option<&str> {
    let (_, rest) = detail.split_once(" receipts set aside as batch ")?;
    rest.split_once(", to be anchored").map(|(batch, _)| batch)
}

/// Queues `receipt_hash` for anchoring, in the caller's transaction.
pub(crate) async fn queue_receipt(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    receipt_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO receipts (seq, receipt_hash, at)
         SELECT COALESCE(MAX(seq), 0) + 1, $1, $2 FROM receipts",
    )
    .bind(receipt_hash)
    .bind(now())
    .execute(&mut **transaction)
    .await
    .map_err(database)?;
    Ok(())
}

/// Up to `limit` receipts after position `after`, with their positions.
pub(crate) async fn receipt_page<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, ReceiptRecord)>, StoreError> {
    sqlx::query(
        "SELECT seq, receipt_hash, at, batch, anchored_block FROM receipts WHERE seq > $1 \
         ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(executor)
    .await
    .map_err(database)?
    .iter()
    .map(|row| {
        Ok((
            row.try_get(0)?,
            ReceiptRecord {
                receipt_hash: row.try_get(1)?,
                at: row.try_get(2)?,
                batch: row.try_get(3)?,
                anchored_block: row
                    .try_get::<Option<i64>, _>(4)?
                    .map(|block| u64::try_from(block).unwrap_or_default()),
            },
        ))
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(database)
}

/// Counts one query against `budget`, in the caller's transaction: the count rises only while it is under
/// the limit.
async fn count_against(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    budget: Budget<'_>,
) -> Result<(), StoreError> {
    let counted = sqlx::query(
        "INSERT INTO query_budgets (grant_key, used) VALUES ($1, 1)
         ON CONFLICT (grant_key) DO UPDATE SET used = query_budgets.used + 1
         WHERE query_budgets.used < $2",
    )
    .bind(budget.grant)
    .bind(i64::from(budget.limit))
    .execute(&mut **transaction)
    .await
    .map_err(database)?;
    match counted.rows_affected() {
        1 => Ok(()),
        _ => Err(StoreError::BudgetSpent {
            limit: budget.limit,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(nonce: &'a str, receipt: &'a str) -> QueryRecord<'a> {
        QueryRecord {
            nonce,
            expires: u64::MAX,
            actor: "0xresearcher",
            detail: "allele-counts, request 0xabc",
            receipt_hash: receipt,
            budget: None,
        }
    }

    #[tokio::test]
    async fn a_query_is_recorded_once_and_its_receipt_waits_for_anchoring() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).await.unwrap();
        let key = crate::DataKey::from_slice(&[3; 32]).unwrap();
        store.open_audit_chain(&key, None).await.unwrap();
        assert!(!store.nonce_used("n1").await.unwrap());
        store.record_query(query("n1", "0x01")).await.unwrap();
        assert!(store.nonce_used("n1").await.unwrap());
        // A replay changes nothing: no second audit entry, no second receipt.
        let replay = store.record_query(query("n1", "0x02")).await.unwrap_err();
        assert!(matches!(replay, StoreError::Replayed { .. }), "{replay}");
        store.record_query(query("n2", "0x03")).await.unwrap();
        assert_eq!(store.pending_receipts(10).await.unwrap(), ["0x01", "0x03"]);
        assert_eq!(store.pending_receipts(1).await.unwrap(), ["0x01"]);

        // Set aside before its transaction goes: it stays the batch in flight, its receipts in no other,
        // until it is recorded anchored.
        assert_eq!(store.batch_in_flight().await.unwrap(), None);
        store.set_aside(&["0x01".into()], "0xbatch").await.unwrap();
        assert_eq!(store.pending_receipts(10).await.unwrap(), ["0x03"]);
        let in_flight = store.batch_in_flight().await.unwrap();
        assert_eq!(in_flight, Some(("0xbatch".into(), vec!["0x01".into()])));
        store
            .mark_anchored(&["0x01".into()], "0xbatch", 7)
            .await
            .unwrap();
        assert_eq!(store.batch_in_flight().await.unwrap(), None);
        assert_eq!(store.pending_receipts(10).await.unwrap(), ["0x03"]);
        let receipts = store.receipts().await.unwrap();
        assert_eq!(receipts.len(), 2);
        assert_eq!(receipts[0].batch.as_deref(), Some("0xbatch"));
        assert_eq!(receipts[0].anchored_block, Some(7));
        assert_eq!(receipts[1].anchored_block, None);
        let log = store.audit_log().await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["audit-chain-start", "query", "query", SET_ASIDE, "anchor"]
        );
        assert!(log[1].detail.contains("receipt 0x01"), "{}", log[1].detail);
        assert_eq!(log[1].actor, "0xresearcher");
        let facts = log[1].query.as_ref().unwrap();
        assert_eq!(
            (facts.nonce.as_str(), facts.receipt.as_str()),
            ("n1", "0x01")
        );
    }

    #[tokio::test]
    async fn a_receipt_hash_is_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).await.unwrap();
        let key = crate::DataKey::from_slice(&[3; 32]).unwrap();
        store.open_audit_chain(&key, None).await.unwrap();
        store.record_query(query("n1", "0x01")).await.unwrap();
        // Same receipt under another nonce: refused, and the nonce is not consumed (one transaction).
        assert!(store.record_query(query("n2", "0x01")).await.is_err());
        assert!(!store.nonce_used("n2").await.unwrap());
        assert_eq!(
            store.audit_log().await.unwrap().len(),
            2,
            "the chain's start and one query"
        );
    }
}
