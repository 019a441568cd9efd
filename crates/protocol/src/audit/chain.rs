//! The audit log's chain. Every entry carries an HMAC-SHA256 tag over its fields and the tag of the entry
//! before it, under a key derived with HKDF-SHA256 (info `dnavault/v1/audit-chain`) from the vault's data key.
//! Only the unsealed vault and its owner's wallet hold that key, so the host, which can read and edit the
//! vault's database, cannot add, alter, reorder or drop an entry inside the chain without breaking it. Cutting
//! entries off its end is caught against the running vault's own head and against the heads the vault anchors
//! on-chain (`anchorAuditHead`, `anchorReceipts`), which its owner's audit read compares.
//!
//! A chain opens with a [`CHAIN_START`] entry chained to [`GENESIS`]. The vault writes one when it first boots,
//! and again only when nothing is anchored and what is stored does not verify under the key it was given (a
//! log from before chaining, written under a previous owner's key, or altered before its first anchor); the
//! entries before it are shown as unverified.

use alloy::{primitives::B256, sol, sol_types::SolValue};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::AuditLogEntry;

/// The action of the entry a chain opens with.
pub const CHAIN_START: &str = "audit-chain-start";

/// The tag a chain's first entry is chained to.
pub const GENESIS: B256 = B256::ZERO;

/// The HKDF info the audit key is derived with.
const KEY_INFO: &[u8] = b"dnavault/v1/audit-chain";

sol! {
    /// What one audit tag authenticates, ABI-encoded: the entry's fields and the previous entry's tag.
    struct AuditRecord {
        uint64 seq;
        int64 at;
        string actor;
        string action;
        bool hasObject;
        string object;
        bool hasRevision;
        int64 revision;
        string detail;
        bool isQuery;
        string nonce;
        uint64 expires;
        string receipt;
        bool hasBudget;
        string grant;
        uint32 budget;
        bytes32 previous;
    }
}

/// The key audit tags are made with. Zeroized on drop; never printed.
pub struct AuditKey(Zeroizing<[u8; 32]>);

impl AuditKey {
    /// The audit key of the vault whose data key is `data_key`.
    pub fn derive(data_key: &[u8; 32]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, data_key)
            .expand(KEY_INFO, key.as_mut_slice())
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
        Self(key)
    }

    /// The tag of `entry` (its own tag ignored) chained to `previous`.
    pub fn tag(&self, entry: &AuditLogEntry, previous: &B256) -> B256 {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(&record(entry, previous).abi_encode());
        B256::from_slice(&mac.finalize().into_bytes())
    }

    /// Whether `entry`'s tag is the one chained to `previous` (compared in constant time).
    pub fn verifies(&self, entry: &AuditLogEntry, previous: &B256) -> bool {
        let Some(tag) = entry.tag else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(&record(entry, previous).abi_encode());
        mac.verify_slice(tag.as_slice()).is_ok()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(redacted)")
    }
}

/// A chain's last entry: its position and tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditHead {
    /// The entry's position in the log.
    pub seq: u64,
    /// Its tag.
    pub tag: B256,
}

/// Why a run of entries does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An entry's tag is missing or wrong: it was written, changed or moved by someone without the key.
    #[error(
        "audit entry {seq} does not verify: it was altered, inserted or moved, or an entry before it was"
    )]
    Broken {
        /// The entry.
        seq: u64,
    },
    /// Positions do not follow one another: entries were removed or reordered.
    #[error(
        "audit entry {found} follows entry {after}: entries between them were removed or reordered"
    )]
    Gap {
        /// The entry before.
        after: u64,
        /// The entry found next.
        found: u64,
    },
    /// The chain does not open with a chain-start entry.
    #[error("audit entry {seq} should open the chain (`{CHAIN_START}`) but is `{action}`")]
    NoStart {
        /// The entry.
        seq: u64,
        /// Its action.
        action: String,
    },
    /// The chain ends before, or disagrees with, a head it must contain.
    #[error("the audit log does not reach the head {what} (entry {}, tag {}): entries were cut off or replaced", .head.seq, .head.tag)]
    Short {
        /// Whose head: "anchored on-chain", "the vault holds".
        what: &'static str,
        /// The head.
        head: AuditHead,
    },
}

/// Follows a chain one entry at a time (the owner's audit read feeds it page after page, the vault its whole
/// stored log when it unseals), checking on the way that it passes through the heads it must contain.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    start: Option<u64>,
    head: Option<AuditHead>,
    expected: Vec<(&'static str, AuditHead)>,
}

impl<'k> ChainVerifier<'k> {
    /// A verifier for a chain whose first entry is a [`CHAIN_START`].
    pub fn new(key: &'k AuditKey) -> Self {
        Self {
            key,
            start: None,
            head: None,
            expected: Vec::new(),
        }
    }

    /// Requires the chain to pass through `head`; `what` names it in the error ("anchored on-chain").
    pub fn expect(&mut self, what: &'static str, head: AuditHead) {
        self.expected.push((what, head));
    }

    /// Checks the next entry, returning the head it makes.
    pub fn push(&mut self, entry: &AuditLogEntry) -> Result<AuditHead, ChainError> {
        let seq = u64::try_from(entry.seq).unwrap_or_default();
        let previous = match self.head {
            None if entry.action != CHAIN_START => {
                return Err(ChainError::NoStart {
                    seq,
                    action: entry.action.clone(),
                });
            }
            None => GENESIS,
            Some(head) if head.seq.checked_add(1) != Some(seq) => {
                return Err(ChainError::Gap {
                    after: head.seq,
                    found: seq,
                });
            }
            Some(head) => head.tag,
        };
        if !self.key.verifies(entry, &previous) {
            return Err(ChainError::Broken { seq });
        }
        let head = AuditHead {
            seq,
            tag: entry.tag.unwrap_or_default(),
        };
        if let Some(&(what, expected)) = self.expected.iter().find(|(_, e)| e.seq == seq)
            && expected != head
        {
            return Err(ChainError::Short {
                what,
                head: expected,
            });
        }
        self.start.get_or_insert(seq);
        self.head = Some(head);
        Ok(head)
    }

    /// The last entry checked.
    pub fn head(&self) -> Option<AuditHead> {
        self.head
    }

    /// Ends the walk: every expected head must have been passed (a head from before the chain opened was
    /// cut off with what came before it).
    pub fn finish(self) -> Result<Option<AuditHead>, ChainError> {
        let reached = self.head.map_or(0, |head| head.seq);
        let start = self.start.unwrap_or(u64::MAX);
        let missed = |head: &AuditHead| head.seq > reached || head.seq < start;
        match self.expected.iter().find(|(_, head)| missed(head)) {
            Some(&(what, head)) => Err(ChainError::Short { what, head }),
            None => Ok(self.head),
        }
    }
}

fn record(entry: &AuditLogEntry, previous: &B256) -> AuditRecord {
    let query = entry.query.as_ref();
    let budget = query.and_then(|query| query.budget.as_ref());
    AuditRecord {
        seq: u64::try_from(entry.seq).unwrap_or_default(),
        at: entry.at,
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        hasObject: entry.object.is_some(),
        object: entry.object.clone().unwrap_or_default(),
        hasRevision: entry.revision.is_some(),
        revision: entry.revision.unwrap_or_default(),
        detail: entry.detail.clone(),
        isQuery: query.is_some(),
        nonce: query.map(|q| q.nonce.clone()).unwrap_or_default(),
        expires: query.map_or(0, |q| q.expires),
        receipt: query.map(|q| q.receipt.clone()).unwrap_or_default(),
        hasBudget: budget.is_some(),
        grant: budget.map(|b| b.grant.clone()).unwrap_or_default(),
        budget: budget.map_or(0, |b| b.limit),
        previous: *previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditLogEntry {
        AuditLogEntry {
            seq: 1,
            at: 1_796_000_000,
            actor: "vault".into(),
            action: CHAIN_START.into(),
            object: None,
            revision: None,
            detail: "the audit log starts here, chained under this vault's key".into(),
            query: None,
            tag: None,
        }
    }

    /// The tag is fixed by the key derivation, the ABI encoding and HMAC: a wallet built elsewhere (the
    /// phone's wasm core) must compute the same. The vector was checked against Python's `hmac` and a
    /// hand-made `abi.encode` of the record.
    #[test]
    fn a_tag_is_the_hmac_of_the_abi_encoded_entry_and_its_predecessor() {
        let key = AuditKey::derive(&[1; 32]);
        let tag = key.tag(&entry(), &GENESIS);
        assert_eq!(tag, TAG_VECTOR.parse::<B256>().unwrap());
        let mut tagged = entry();
        tagged.tag = Some(tag);
        assert!(key.verifies(&tagged, &GENESIS));
        assert!(
            !key.verifies(&tagged, &B256::repeat_byte(1)),
            "another predecessor"
        );
        assert!(
            !AuditKey::derive(&[2; 32]).verifies(&tagged, &GENESIS),
            "another key"
        );
        tagged.at += 1;
        assert!(!key.verifies(&tagged, &GENESIS), "another time");
        assert_eq!(format!("{key:?}"), "AuditKey(redacted)");
    }

    const TAG_VECTOR: &str = "0xcd34138181017298c09d4b0e543b9da1cc5a2a86ba0399a2d840b02dca7f159c";
}
