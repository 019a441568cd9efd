-- The name and version of each analysis tool manifest an access request published, by the manifest's hash
-- (the tool's identity, which the hash makes self-certifying): what a vault's page names an installed tool by.
CREATE TABLE IF NOT EXISTS tool_manifests (
    tool TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL
);
