-- The registry's events as the chain gave them, and what they add up to. Addresses, hashes and byte strings
-- are lowercase 0x-hex text; block numbers, ids and times are integers. Every derived table can be rebuilt
-- from `events` alone, which is what a reorganisation does.

-- How far the index has read: the last block it took, and that block's hash (a reorganisation changes it).
CREATE TABLE IF NOT EXISTS cursor (
    id INTEGER PRIMARY KEY,
    block_number BIGINT NOT NULL,
    block_hash TEXT NOT NULL
);

-- The hash of every block the index took an event from: where a reorganisation is found.
CREATE TABLE IF NOT EXISTS blocks (
    number BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    timestamp BIGINT
);

-- Every registry log, undecoded: topics joined by commas, data as hex.
CREATE TABLE IF NOT EXISTS events (
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    tx_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    topics TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

CREATE TABLE IF NOT EXISTS vaults (
    id BIGINT PRIMARY KEY,
    owner TEXT NOT NULL,
    pending_owner TEXT,
    uri TEXT NOT NULL,
    -- Counts ownership transfers, as the registry does: a grant made under an earlier epoch is over.
    epoch BIGINT NOT NULL,
    vault_key TEXT,
    key_measurement_hash TEXT,
    audit_seq BIGINT,
    audit_tag TEXT,
    registered_block BIGINT NOT NULL,
    changed_block BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS vaults_by_owner ON vaults (owner);

CREATE TABLE IF NOT EXISTS measurements (
    vault_id BIGINT NOT NULL,
    hash TEXT NOT NULL,
    measurement TEXT NOT NULL,
    approved BOOLEAN NOT NULL,
    changed_block BIGINT NOT NULL,
    PRIMARY KEY (vault_id, hash)
);

CREATE TABLE IF NOT EXISTS grants (
    vault_id BIGINT NOT NULL,
    grantee TEXT NOT NULL,
    scope TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expiry BIGINT NOT NULL,
    per_query_approval BOOLEAN NOT NULL,
    max_queries BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL,
    epoch BIGINT NOT NULL,
    granted_block BIGINT NOT NULL,
    changed_block BIGINT NOT NULL,
    PRIMARY KEY (vault_id, grantee, scope)
);
CREATE INDEX IF NOT EXISTS grants_by_grantee ON grants (grantee);

CREATE TABLE IF NOT EXISTS access_requests (
    id BIGINT PRIMARY KEY,
    vault_id BIGINT NOT NULL,
    researcher TEXT NOT NULL,
    scope TEXT NOT NULL,
    purpose TEXT NOT NULL,
    requested_expiry BIGINT NOT NULL,
    protocol_hash TEXT NOT NULL,
    protocol_uri TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    -- pending, granted, denied or withdrawn; a pending request past its expiry is shown expired.
    status TEXT NOT NULL,
    filed_block BIGINT NOT NULL,
    changed_block BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_requests_by_vault ON access_requests (vault_id);
CREATE INDEX IF NOT EXISTS access_requests_by_researcher ON access_requests (researcher);

CREATE TABLE IF NOT EXISTS receipt_batches (
    batch_hash TEXT PRIMARY KEY,
    vault_id BIGINT NOT NULL,
    -- The receipts' hashes, joined by commas.
    receipt_hashes TEXT NOT NULL,
    receipt_count BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipt_batches_by_vault ON receipt_batches (vault_id, block_number);

CREATE TABLE IF NOT EXISTS nonce_cancellations (
    vault_id BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
