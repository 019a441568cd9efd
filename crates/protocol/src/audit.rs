//! What a vault's owner reads from it (`GET /v1/audit`, a page at a time): every entry of its audit log and
//! every receipt it issued, with where each was anchored. Entries name who acted, what and when, never genome
//! contents.

pub mod chain;

use alloy::primitives::B256;
use serde::{Deserialize, Serialize};

pub use chain::{AuditHead, AuditKey, ChainError, ChainVerifier};

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
    /// The chain's head as the running vault holds it (in memory since it unsealed, so cutting entries off
    /// the stored log shows): the log must reach it.
    #[serde(default)]
    pub head: Option<AuditHead>,
}

/// A page of the audit log as the vault answers it: the [`AuditLog`]'s JSON sealed (HPKE, the envelope
/// crate's `audit-log` context) to the `recipientKey` of the signed [`crate::OwnerRead`] that asked, bound to
/// that read's EIP-712 digest. Whoever carries it (the website, for a phone that cannot pin the vault's TLS
/// key) learns nothing of who queried what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedAuditLog {
    /// The vault.
    pub vault_id: u64,
    /// The sealed page: `enc || ciphertext`.
    pub sealed: alloy::primitives::Bytes,
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

/// One audit entry, chained to the one before it by its tag ([`chain`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Its position in the log, from 1.
    #[serde(default)]
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who acted: a researcher's address, `owner` or `vault`.
    pub actor: String,
    /// `ingest`, `query`, `query-refused`, `query-failed`, `anchor-set-aside` (a batch about to be
    /// anchored), `anchor`, `delete`, `seal`,
    /// [`chain::CHAIN_START`], `adopt` (an object kept from before the chain started), `receipts-repaired`.
    pub action: String,
    /// The object, for object actions.
    pub object: Option<String>,
    /// The object's revision this entry made current (an upload, an adoption); its chunks name it too.
    #[serde(default)]
    pub revision: Option<i64>,
    /// What happened.
    pub detail: String,
    /// For a query that ran: what it spent and the receipt it was given.
    #[serde(default)]
    pub query: Option<QueryFacts>,
    /// Its tag; none on entries written before the log was chained.
    #[serde(default)]
    pub tag: Option<B256>,
}

/// What a query that ran spent: its nonce (until its request expires), a count against its grant's budget,
/// and its receipt. Tagged with its entry, so the vault rebuilds from the log what it has spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFacts {
    /// The request's nonce.
    pub nonce: String,
    /// When the request expires (Unix seconds).
    pub expires: u64,
    /// The receipt's hash.
    pub receipt: String,
    /// The grant's budget the query counted against, when it has one.
    pub budget: Option<BudgetFacts>,
}

/// A query budget a query counted against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetFacts {
    /// The grant (the event that made it).
    pub grant: String,
    /// How many queries it allows.
    pub limit: u32,
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
