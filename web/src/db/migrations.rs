//! The schema as numbered migrations, run by sqlx's [`Migrator`] when the database opens; each is recorded
//! in `_sqlx_migrations` and runs once. (Not `sqlx::migrate!`: its proc macro needs sqlx's `macros` feature,
//! which builds SQLite a second time for the compiler host.)

use std::borrow::Cow;

use sqlx::{
    AnyPool,
    migrate::{Migration, MigrationType, Migrator},
};

use crate::{Result, WebError};

/// Every migration, in order: (version, what it does, its SQL).
const MIGRATIONS: [(i64, &str, &str); 5] = [
    (
        1,
        "the registry's events and what they add up to",
        include_str!("../../migrations/0001_index.sql"),
    ),
    (
        2,
        "sign-in nonces and sessions",
        include_str!("../../migrations/0002_sessions.sql"),
    ),
    (
        3,
        "the relay's inboxes and messages",
        include_str!("../../migrations/0003_relay.sql"),
    ),
    (
        4,
        "the analysis tools installed in each vault",
        include_str!("../../migrations/0004_tools.sql"),
    ),
    (
        5,
        "the names of the tool manifests access requests published",
        include_str!("../../migrations/0005_tool_manifests.sql"),
    ),
];

/// Brings `pool` to the current schema.
pub(super) async fn run(pool: &AnyPool) -> Result<()> {
    let migrations = MIGRATIONS
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
        .collect();
    let migrator = Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    };
    migrator
        .run(pool)
        .await
        .map_err(|error| WebError::Database(format!("migrating the schema: {error}")))
}
