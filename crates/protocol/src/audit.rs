//! What a vault's owner reads from it (`GET /v1/audit`, a page at a time): every entry of its audit log and
//! every receipt it issued, with where each was anchored. Entries name who acted, what and when, never genome
//! contents.

use serde::{Deserialize, Serialize};

/// A page of the audit log (`GET /v1/audit?entriesAfter=N&receiptsAfter=M&limit=L`; the first page without
/// them, at most [`MAX_AUDIT_PAGE`] of each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// The vault.
    pub vault_id: u64,
    /// The page's entries, oldest first.
    pub entries: Vec<AuditLogEntry>,
    /// The page's receipts, oldest first, with where each was anchored.
    pub receipts: Vec<AuditReceipt>,
    /// `entriesAfter` for the next page, when there are more entries.
    #[serde(default)]
    pub next_entries_after: Option<i64>,
    /// `receiptsAfter` for the next page, when there are more receipts.
    #[serde(default)]
    pub next_receipts_after: Option<i64>,
}

/// The most entries (and receipts) one page holds.
pub const MAX_AUDIT_PAGE: u32 = 1_000;

/// Which page of the audit log to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditPage {
    /// Entries after this position.
    #[serde(default)]
    pub entries_after: i64,
    /// Receipts after this position.
    #[serde(default)]
    pub receipts_after: i64,
    /// At most this many of each (default and most: [`MAX_AUDIT_PAGE`]).
    #[serde(default)]
    pub limit: Option<u32>,
}

impl AuditLog {
    /// The page after this one, if there is more to read.
    pub fn next_page(&self, limit: Option<u32>) -> Option<AuditPage> {
        if self.next_entries_after.is_none() && self.next_receipts_after.is_none() {
            return None;
        }
        Some(AuditPage {
            entries_after: self.next_entries_after.unwrap_or(i64::MAX),
            receipts_after: self.next_receipts_after.unwrap_or(i64::MAX),
            limit,
        })
    }
}

impl AuditPage {
    /// The page as a URL query.
    pub fn to_query(&self) -> String {
        let mut query = format!(
            "entriesAfter={}&receiptsAfter={}",
            self.entries_after, self.receipts_after
        );
        if let Some(limit) = self.limit {
            query.push_str(&format!("&limit={limit}"));
        }
        query
    }
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
