-- The relay: inboxes as their accounts signed them, and the messages waiting in them. A message is kept
-- until its recipient acknowledges it or it expires; the relay holds only sealed payloads.
CREATE TABLE IF NOT EXISTS inboxes (
    topic TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    -- The signed registration, as JSON.
    registration TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inboxes_by_account ON inboxes (account, issued_at);

CREATE TABLE IF NOT EXISTS relay_messages (
    nonce TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    sender TEXT NOT NULL,
    kind BIGINT NOT NULL,
    received BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    -- The envelope, as JSON.
    envelope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_messages_by_topic ON relay_messages (topic, received);
