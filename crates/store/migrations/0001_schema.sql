-- The store's schema as it stood when migrations began (2026-12): objects with the revision of the
-- commit that made them current, the revision counter, consumed nonces, the audit log and receipts.
-- IF NOT EXISTS and ON CONFLICT let it adopt a database that an earlier store made without migrations.

CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    kind TEXT NOT NULL,
    layout INTEGER NOT NULL,
    plaintext_len BIGINT NOT NULL,
    stored_len BIGINT NOT NULL,
    chunks BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);

INSERT INTO counters (name, value) VALUES ('revision', 0) ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, at BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT,
    detail TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS receipts (
    seq BIGINT PRIMARY KEY,
    receipt_hash TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    batch TEXT,
    anchored_block BIGINT
);
