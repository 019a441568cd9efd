//! The store's schema as numbered migrations, `migrations/NNNN_what.sql`, compiled into the binary and run
//! by sqlx's [`Migrator`] when the store opens; each is recorded in `_sqlx_migrations` and runs once. The
//! host's disk supplies none of them. (`sqlx::migrate!` would embed them the same way, but its proc macro
//! needs sqlx's `macros` feature, which builds SQLite's C source a second time for the compiler host.)
//!
//! A database an earlier store made without migrations is adopted: the first migration creates only what is
//! missing, and one from before objects had revisions gains the column first.

use std::borrow::Cow;

use sqlx::{
    AnyPool,
    migrate::{Migration, MigrationType, Migrator},
};

use crate::{StoreError, store::database};

/// Every migration, in order: (version, what it does, its SQL).
const MIGRATIONS: [(i64, &str, &str); 3] = [
    (
        1,
        "objects with revisions, counters, nonces, audit, receipts",
        include_str!("../migrations/0001_schema.sql"),
    ),
    (
        2,
        "queries counted against grants' budgets",
        include_str!("../migrations/0002_query_budgets.sql"),
    ),
    (
        3,
        "the audit log chained, and what each query spent in its entry",
        include_str!("../migrations/0003_audit_chain.sql"),
    ),
];

/// The migrator over [`MIGRATIONS`].
pub(crate) fn migrator() -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

/// Brings `db` to the current schema.
pub(crate) async fn run(db: &AnyPool) -> Result<(), StoreError> {
    adopt_before_revisions(db).await?;
    migrator()
        .run(db)
        .await
        .map_err(|error| StoreError::Database(format!("migrating the schema: {error}")))
}

/// A database made before objects had revisions (and before migrations) gains the column, existing objects
/// revision 0, so that the first migration finds the objects table it creates.
async fn adopt_before_revisions(db: &AnyPool) -> Result<(), StoreError> {
    let has = |sql: &'static str| async move { sqlx::query(sql).fetch_optional(db).await.is_ok() };
    if has("SELECT 1 FROM objects LIMIT 1").await
        && !has("SELECT revision FROM objects LIMIT 1").await
    {
        sqlx::query("ALTER TABLE objects ADD COLUMN revision BIGINT NOT NULL DEFAULT 0")
            .execute(db)
            .await
            .map_err(database)?;
    }
    Ok(())
}
