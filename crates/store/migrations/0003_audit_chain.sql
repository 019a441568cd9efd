-- The audit log becomes a chain: each entry's tag (an HMAC under a key derived from the vault's data key, see
-- dnavault_protocol::audit::chain) covers its fields and the entry before it. A query's entry also records
-- what it spent (nonce, expiry, budget) and its receipt, and an upload's the revision it made current, so an
-- unsealing vault rebuilds them from the log it verified rather than from rows the host can edit.

ALTER TABLE audit ADD COLUMN tag TEXT;
ALTER TABLE audit ADD COLUMN object_revision BIGINT;
ALTER TABLE audit ADD COLUMN query_nonce TEXT;
ALTER TABLE audit ADD COLUMN query_expires BIGINT;
ALTER TABLE audit ADD COLUMN query_receipt TEXT;
ALTER TABLE audit ADD COLUMN budget_grant TEXT;
ALTER TABLE audit ADD COLUMN budget_limit BIGINT;
