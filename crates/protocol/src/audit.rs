//! What a vault's owner reads from it (`GET /v1/audit`): every entry of its audit log and every receipt it
//! issued, with where each was anchored. Entries name who acted, what and when, never genome contents.

use serde::{Deserialize, Serialize};

/// The audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// The vault.
    pub vault_id: u64,
    /// Every entry, oldest first.
    pub entries: Vec<AuditLogEntry>,
    /// Every receipt issued, oldest first, with where it was anchored.
    pub receipts: Vec<AuditReceipt>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who acted: a researcher's address, `owner` or `vault`.
    pub actor: String,
    /// `ingest`, `query`, `query-refused`, `query-failed`, `anchor`, `delete`.
    pub action: String,
    /// The object, for object actions.
    pub object: Option<String>,
    /// What happened.
    pub detail: String,
}

/// One receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReceipt {
    /// Its EIP-712 hash.
    pub receipt_hash: String,
    /// Unix seconds it was issued.
    pub at: i64,
    /// The anchored batch, once anchored.
    pub batch: Option<String>,
    /// The block it was anchored in, once anchored.
    pub anchored_block: Option<u64>,
}
