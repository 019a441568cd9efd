//! The website's database: SQLite by default, PostgreSQL by URL, its schema as migrations
//! (`migrations/NNNN_what.sql`) compiled into the binary. [`apply`] turns registry events into rows; [`read`]
//! answers the pages and the API, which call the same functions.

pub mod apply;
mod migrations;
pub mod read;

use sqlx::{AnyPool, any::AnyPoolOptions};

use crate::Result;

/// The index's database.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
}

impl Database {
    /// Opens (creating if missing) the database at `url` (`sqlite://path?mode=rwc` or
    /// `postgres://...`) and brings it to the current schema.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        // SQLite serialises writers; a pool of one writer keeps its "database is locked" out of the index.
        let connections = if url.starts_with("sqlite:") { 1 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .connect(url)
            .await?;
        migrations::run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A count, time or block number as the database's integer (saturating: no chain value reaches it).
pub(crate) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `bytes` as lowercase 0x-hex, how the database spells addresses and hashes.
pub(crate) fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}
