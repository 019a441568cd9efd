//! Where the relay keeps inboxes and waiting messages: the website's database.

use alloy::primitives::{Address, B256};
use dnavault_relay::{Envelope, SignedRegistration};
use sqlx::Row;

use crate::{
    Database, Result, WebError,
    db::{hex0x, signed},
};

/// Stores (or renews) `registration` under its topic.
pub(super) async fn register(db: &Database, registration: &SignedRegistration) -> Result<()> {
    let json =
        serde_json::to_string(registration).map_err(|e| WebError::Database(e.to_string()))?;
    sqlx::query(
        "INSERT INTO inboxes (topic, account, issued_at, registration) VALUES ($1, $2, $3, $4)
         ON CONFLICT (topic) DO UPDATE SET issued_at = excluded.issued_at,
             registration = excluded.registration
         WHERE excluded.issued_at > inboxes.issued_at",
    )
    .bind(hex0x(registration.topic()))
    .bind(hex0x(registration.registration.account))
    .bind(signed(registration.registration.issuedAt))
    .bind(json)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The inbox with `topic`.
pub(super) async fn inbox(db: &Database, topic: B256) -> Result<Option<SignedRegistration>> {
    let row = sqlx::query("SELECT registration FROM inboxes WHERE topic = $1")
        .bind(hex0x(topic))
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| parse(&row.try_get::<String, _>(0)?))
        .transpose()
}

/// `account`'s newest inbox.
pub(super) async fn newest_inbox(
    db: &Database,
    account: Address,
) -> Result<Option<SignedRegistration>> {
    let row = sqlx::query(
        "SELECT registration FROM inboxes WHERE account = $1 ORDER BY issued_at DESC LIMIT 1",
    )
    .bind(hex0x(account))
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| parse(&row.try_get::<String, _>(0)?))
        .transpose()
}

/// How many unexpired messages wait in `topic`.
pub(super) async fn waiting(db: &Database, topic: B256, now: u64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM relay_messages WHERE topic = $1 AND expires > $2")
            .bind(hex0x(topic))
            .bind(signed(now))
            .fetch_one(db.pool())
            .await?,
    )
}

/// Files `envelope` (once: a sender's retry of the same message is a no-op); forgets expired messages.
pub(super) async fn file(db: &Database, envelope: &Envelope, now: u64) -> Result<()> {
    sqlx::query("DELETE FROM relay_messages WHERE expires <= $1")
        .bind(signed(now))
        .execute(db.pool())
        .await?;
    let m = &envelope.message;
    let json = serde_json::to_string(envelope).map_err(|e| WebError::Database(e.to_string()))?;
    sqlx::query(
        "INSERT INTO relay_messages (nonce, topic, sender, kind, received, expires, envelope)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (nonce) DO NOTHING",
    )
    .bind(hex0x(m.nonce))
    .bind(hex0x(m.topic))
    .bind(hex0x(m.sender))
    .bind(i64::from(m.kind))
    .bind(signed(now))
    .bind(signed(m.expires))
    .bind(json)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The unexpired messages waiting in `topic`, oldest first (at most 100).
pub(super) async fn messages(db: &Database, topic: B256, now: u64) -> Result<Vec<Envelope>> {
    let rows = sqlx::query(
        "SELECT envelope FROM relay_messages WHERE topic = $1 AND expires > $2
         ORDER BY received, nonce LIMIT 100",
    )
    .bind(hex0x(topic))
    .bind(signed(now))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| parse(&row.try_get::<String, _>(0)?))
        .collect()
}

/// Forgets message `nonce` of `topic`; whether it was there.
pub(super) async fn forget(db: &Database, topic: B256, nonce: B256) -> Result<bool> {
    let done = sqlx::query("DELETE FROM relay_messages WHERE topic = $1 AND nonce = $2")
        .bind(hex0x(topic))
        .bind(hex0x(nonce))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| WebError::Database(format!("a stored relay record: {e}")))
}
