//! The indexer: follows the registry's events into the database, a confirmation depth behind the chain's
//! head, resuming from its last block after a restart.
//!
//! A reorganisation is found by the hash of the last block read: when the chain's block at that height has
//! another hash, the index walks back through the blocks it took events from to the newest one the chain
//! still holds, removes every event after it, rebuilds the derived tables from the events left and reads on
//! from there. Every batch is one database transaction (its events, their effects, the blocks' hashes and
//! the cursor), so a crash leaves the index at a batch boundary. The endpoint is trusted to answer each call
//! from one chain; a chain that changes between the calls of a batch is caught by the hash checks around them
//! and the batch is read again.

mod event;

use std::time::Duration;

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
};
use sqlx::{AnyConnection, Row};

pub use event::{RegistryLog, name};

use crate::{
    Database, Result, WebError,
    db::{apply, hex0x},
    error::chain,
};

/// How the index reads the chain.
#[derive(Debug, Clone, Copy)]
pub struct IndexSettings {
    /// The registry's deployment block: nothing before it is read.
    pub from_block: u64,
    /// How many blocks behind the head the index stays (0: at the head).
    pub confirmations: u64,
    /// The most blocks asked for in one `eth_getLogs` (halved while an endpoint refuses a range).
    pub batch_blocks: u64,
}

/// What one pass of [`Indexer::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// The newest block the index now holds, if any.
    pub block: Option<u64>,
    /// Events taken in this pass.
    pub events: u64,
    /// Where a reorganisation was found: the newest block kept.
    pub rolled_back_to: Option<u64>,
}

/// The last block the index read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    number: u64,
    hash: B256,
}

/// Follows one registry into one database.
#[derive(Clone)]
pub struct Indexer {
    provider: DynProvider,
    registry: Address,
    db: Database,
    settings: IndexSettings,
}

impl Indexer {
    /// An indexer of `registry`'s events over `provider`, into `db`.
    pub fn new(
        provider: DynProvider,
        registry: Address,
        db: Database,
        settings: IndexSettings,
    ) -> Self {
        Self {
            provider,
            registry,
            db,
            settings,
        }
    }

    /// Reads up to the confirmed head once: undoes a reorganisation first, then takes every new event.
    pub async fn sync(&self) -> Result<Synced> {
        let mut synced = Synced {
            rolled_back_to: self.undo_reorganisation().await?,
            ..Synced::default()
        };
        let head = self.provider.get_block_number().await.map_err(chain)?;
        let target = head.saturating_sub(self.settings.confirmations);
        let mut cursor = cursor(&self.db).await?;
        let mut batch = self.settings.batch_blocks.max(1);
        loop {
            let from = cursor.map_or(self.settings.from_block, |c| c.number + 1);
            if from > target {
                break;
            }
            let to = target.min(from.saturating_add(batch - 1));
            match self.read_batch(cursor, from, to).await {
                Ok(Some((next, events))) => {
                    cursor = Some(next);
                    synced.events += events;
                }
                // The chain moved under the batch: the next pass finds the fork.
                Ok(None) => break,
                Err(WebError::Chain(error)) if to > from => {
                    tracing::debug!(%error, from, to, "narrowing the log range");
                    batch = (to - from).div_ceil(2);
                }
                Err(error) => return Err(error),
            }
        }
        synced.block = cursor.map(|c| c.number);
        Ok(synced)
    }

    /// Follows the chain until `shutdown` resolves, a pass every `poll`; an error is logged and the pass
    /// tried again.
    pub async fn run(self, poll: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.sync().await {
                Ok(synced) if synced.events > 0 || synced.rolled_back_to.is_some() => {
                    tracing::info!(?synced, "indexed");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "indexing failed; trying again"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Takes blocks `from..=to` after `cursor` in one transaction; `None` when the chain changed meanwhile.
    async fn read_batch(
        &self,
        cursor: Option<Cursor>,
        from: u64,
        to: u64,
    ) -> Result<Option<(Cursor, u64)>> {
        let Some((end, end_time)) = self.block(to).await? else {
            return Ok(None);
        };
        let filter = Filter::new()
            .address(self.registry)
            .from_block(from)
            .to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(chain)?;
        let logs = logs
            .iter()
            .map(RegistryLog::from_rpc)
            .collect::<Result<Vec<_>>>()?;
        let unchanged_end = self.block_hash(to).await? == Some(end);
        let unchanged_start = match cursor {
            Some(c) => self.block_hash(c.number).await? == Some(c.hash),
            None => true,
        };
        let same_end = logs
            .iter()
            .filter(|log| log.block_number == to)
            .all(|log| log.block_hash == end);
        if !(unchanged_end && unchanged_start && same_end) {
            return Ok(None);
        }
        let next = Cursor {
            number: to,
            hash: end,
        };
        let mut tx = self.db.pool().begin().await?;
        for log in &logs {
            apply::store(&mut tx, log).await?;
            keep_block(
                &mut tx,
                log.block_number,
                log.block_hash,
                log.block_timestamp,
            )
            .await?;
        }
        keep_block(&mut tx, to, end, Some(end_time)).await?;
        set_cursor(&mut tx, Some(next)).await?;
        tx.commit().await?;
        Ok(Some((next, logs.len() as u64)))
    }

    /// Finds and undoes a reorganisation below the cursor; the newest block kept, if one was undone.
    async fn undo_reorganisation(&self) -> Result<Option<u64>> {
        let Some(cursor) = cursor(&self.db).await? else {
            return Ok(None);
        };
        if self.block_hash(cursor.number).await? == Some(cursor.hash) {
            return Ok(None);
        }
        let ancestor = self.common_ancestor(cursor.number).await?;
        tracing::warn!(
            at = cursor.number,
            kept = ?ancestor.map(|a| a.number),
            "the chain reorganised under the index"
        );
        self.roll_back(ancestor).await?;
        Ok(Some(
            ancestor.map_or(self.settings.from_block.saturating_sub(1), |a| a.number),
        ))
    }

    /// The newest block below `number` that the index read and the chain still holds.
    async fn common_ancestor(&self, number: u64) -> Result<Option<Cursor>> {
        let mut below = number;
        loop {
            let rows = sqlx::query(
                "SELECT number, hash FROM blocks WHERE number < $1 ORDER BY number DESC LIMIT 64",
            )
            .bind(apply::int(below)?)
            .fetch_all(self.db.pool())
            .await?;
            if rows.is_empty() {
                return Ok(None);
            }
            for row in rows {
                let block = Cursor {
                    number: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or_default(),
                    hash: parse_hash(&row.try_get::<String, _>(1)?)?,
                };
                if self.block_hash(block.number).await? == Some(block.hash) {
                    return Ok(Some(block));
                }
                below = block.number;
            }
        }
    }

    /// Removes everything after `kept` (everything, for `None`) and rebuilds the derived tables from the
    /// events left, in one transaction.
    async fn roll_back(&self, kept: Option<Cursor>) -> Result<()> {
        let after = kept.map_or(-1, |c| i64::try_from(c.number).unwrap_or(i64::MAX));
        let mut tx = self.db.pool().begin().await?;
        sqlx::query("DELETE FROM events WHERE block_number > $1")
            .bind(after)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM blocks WHERE number > $1")
            .bind(after)
            .execute(&mut *tx)
            .await?;
        rebuild(&mut tx).await?;
        set_cursor(&mut tx, kept).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The hash of the chain's block `number`; `None` past its head.
    async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        Ok(self.block(number).await?.map(|(hash, _)| hash))
    }

    /// The hash and time of the chain's block `number`; `None` past its head.
    async fn block(&self, number: u64) -> Result<Option<(B256, u64)>> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(chain)?;
        Ok(block.map(|block| (block.header.hash, block.header.timestamp)))
    }
}

/// Empties the derived tables and applies every stored event again, oldest first.
async fn rebuild(db: &mut AnyConnection) -> Result<()> {
    for table in apply::DERIVED {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *db)
            .await?;
    }
    let rows = sqlx::query(
        "SELECT e.block_number, b.hash, e.log_index, e.tx_hash, e.topics, e.data
         FROM events e JOIN blocks b ON b.number = e.block_number
         ORDER BY e.block_number, e.log_index",
    )
    .fetch_all(&mut *db)
    .await?;
    for row in rows {
        let topics: String = row.try_get(4)?;
        let log = RegistryLog::decode(
            u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or_default(),
            parse_hash(&row.try_get::<String, _>(1)?)?,
            None,
            u64::try_from(row.try_get::<i64, _>(2)?).unwrap_or_default(),
            parse_hash(&row.try_get::<String, _>(3)?)?,
            topics
                .split(',')
                .filter(|t| !t.is_empty())
                .map(parse_hash)
                .collect::<Result<_>>()?,
            parse_bytes(&row.try_get::<String, _>(5)?)?.into(),
        )?;
        apply::apply(db, &log).await?;
    }
    Ok(())
}

async fn cursor(db: &Database) -> Result<Option<Cursor>> {
    let row = sqlx::query("SELECT block_number, block_hash FROM cursor WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| {
        Ok(Cursor {
            number: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or_default(),
            hash: parse_hash(&row.try_get::<String, _>(1)?)?,
        })
    })
    .transpose()
}

async fn set_cursor(db: &mut AnyConnection, cursor: Option<Cursor>) -> Result<()> {
    sqlx::query("DELETE FROM cursor").execute(&mut *db).await?;
    if let Some(cursor) = cursor {
        sqlx::query("INSERT INTO cursor (id, block_number, block_hash) VALUES (1, $1, $2)")
            .bind(apply::int(cursor.number)?)
            .bind(hex0x(cursor.hash))
            .execute(db)
            .await?;
    }
    Ok(())
}

async fn keep_block(
    db: &mut AnyConnection,
    number: u64,
    hash: B256,
    timestamp: Option<u64>,
) -> Result<()> {
    let timestamp = timestamp.map(apply::int).transpose()?;
    sqlx::query(
        "INSERT INTO blocks (number, hash, timestamp) VALUES ($1, $2, $3)
         ON CONFLICT (number) DO UPDATE SET hash = excluded.hash,
             timestamp = COALESCE(excluded.timestamp, blocks.timestamp)",
    )
    .bind(apply::int(number)?)
    .bind(hex0x(hash))
    .bind(timestamp)
    .execute(db)
    .await?;
    Ok(())
}

fn parse_hash(text: &str) -> Result<B256> {
    text.parse()
        .map_err(|_| WebError::Database(format!("not a 32-byte hash: {text:?}")))
}

fn parse_bytes(text: &str) -> Result<Vec<u8>> {
    hex::decode(text.trim_start_matches("0x"))
        .map_err(|_| WebError::Database(format!("not hex: {text:?}")))
}
