-- Analysis tools the owners installed in their vaults, by manifest hash, and whether each still is.
CREATE TABLE IF NOT EXISTS tools (
    vault_id BIGINT NOT NULL,
    tool TEXT NOT NULL,
    approved BOOLEAN NOT NULL,
    changed_block BIGINT NOT NULL,
    PRIMARY KEY (vault_id, tool)
);
