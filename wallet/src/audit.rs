//! Checking a vault's audit log as its owner reads it. The log is chained under a key derived from the
//! vault's data key, which the owner's seed derives too ([`dnavault_protocol::audit::chain`]): the wallet
//! verifies every entry's tag from the chain's start, and that the chain passes through the head the running
//! vault holds and the head anchored on-chain. The host that stores the log can neither alter an entry nor
//! cut entries off without this check failing.

mod read;

pub use read::{AuditRead, Header, READ_LIFETIME_SECS, fetch_through_website, read_checked};

use dnavault_protocol::audit::{
    AuditHead, AuditKey, AuditLog, ChainError, ChainVerifier,
    chain::{CHAIN_START, GENESIS},
};

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedLog {
    /// The position of the entry the chain starts at.
    pub chain_start: u64,
    /// Entries before it, which do not verify (written before chaining or under a previous owner's key).
    pub unverified: usize,
    /// The chain's last entry.
    pub head: AuditHead,
    /// The head anchored on-chain, which the chain passes through (`None` if none is anchored yet).
    pub anchored: Option<AuditHead>,
}

/// Why a log is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditCheckError {
    /// No entry starts a chain under this key.
    #[error(
        "no entry of the log verifies under your key: it is not this vault's log under your ownership, or it was replaced"
    )]
    NoChain,
    /// The vault did not say which head it holds.
    #[error("the vault did not say the head of its log (is it unsealed?)")]
    NoHead,
    /// The chain is broken, cut or does not reach a head.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A page could not be fetched, or the pages do not move on.
    #[error("the log could not be read: {0}")]
    Fetch(String),
    /// A page does not open under the read's key: altered on the way, or not the vault's answer to it.
    #[error("a page of the log does not open as the vault's answer to this read: {0}")]
    Unopened(String),
}

/// Checks `log` (every page, in order) under `key`, against `anchored`, the head the registry holds for the
/// vault (all zero when none).
pub fn check(
    log: &AuditLog,
    key: &AuditKey,
    anchored: AuditHead,
) -> Result<CheckedLog, AuditCheckError> {
    let head = log.head.ok_or(AuditCheckError::NoHead)?;
    // The current chain starts at the last entry that opens a chain under this key.
    let start = log
        .entries
        .iter()
        .rposition(|entry| entry.action == CHAIN_START && key.verifies(entry, &GENESIS))
        .ok_or(AuditCheckError::NoChain)?;
    let anchored = (anchored.seq != 0).then_some(anchored);
    let mut verifier = ChainVerifier::new(key);
    verifier.expect("the running vault holds", head);
    if let Some(anchored) = anchored {
        verifier.expect("anchored on-chain", anchored);
    }
    for entry in &log.entries[start..] {
        verifier.push(entry)?;
    }
    let last = verifier.finish()?.ok_or(AuditCheckError::NoChain)?;
    Ok(CheckedLog {
        chain_start: u64::try_from(log.entries[start].seq).unwrap_or_default(),
        unverified: start,
        head: last,
        anchored,
    })
}

#[cfg(test)]
mod tests {
    use dnavault_protocol::audit::AuditLogEntry;

    use super::*;

    fn key(byte: u8) -> AuditKey {
        AuditKey::derive(&[byte; 32])
    }

    /// A log as a vault writes it: an unverified entry, then a chain of `n` entries under `key`.
    fn log(key: &AuditKey, n: usize) -> AuditLog {
        let mut entries = vec![AuditLogEntry {
            seq: 1,
            at: 1,
            actor: "owner".into(),
            action: "ingest".into(),
            object: Some("genome.vcf.gz".into()),
            revision: Some(1),
            detail: "before chaining".into(),
            query: None,
            tag: None,
        }];
        let mut previous = GENESIS;
        for i in 0..n {
            let mut entry = AuditLogEntry {
                seq: i64::try_from(i).unwrap() + 2,
                at: 100,
                actor: "vault".into(),
                action: if i == 0 { CHAIN_START } else { "query" }.into(),
                object: None,
                revision: None,
                detail: format!("entry {i}"),
                query: None,
                tag: None,
            };
            let tag = key.tag(&entry, &previous);
            entry.tag = Some(tag);
            previous = tag;
            entries.push(entry);
        }
        let last = entries.last().unwrap();
        AuditLog {
            vault_id: 1,
            head: Some(AuditHead {
                seq: u64::try_from(last.seq).unwrap(),
                tag: last.tag.unwrap(),
            }),
            entries,
            receipts: Vec::new(),
            next_entries_after: None,
            next_receipts_after: None,
        }
    }

    fn head_at(log: &AuditLog, seq: usize) -> AuditHead {
        let entry = &log.entries[seq - 1];
        AuditHead {
            seq: u64::try_from(entry.seq).unwrap(),
            tag: entry.tag.unwrap(),
        }
    }

    #[test]
    fn a_whole_chain_through_its_anchor_verifies() {
        let key = key(1);
        let log = log(&key, 5);
        let checked = check(&log, &key, head_at(&log, 4)).unwrap();
        assert_eq!((checked.chain_start, checked.unverified), (2, 1));
        assert_eq!(checked.head.seq, 6);
        assert_eq!(checked.anchored.unwrap().seq, 4);
        let none = AuditHead {
            seq: 0,
            tag: GENESIS,
        };
        assert!(check(&log, &key, none).unwrap().anchored.is_none());
    }

    #[test]
    fn an_edited_moved_or_missing_entry_or_a_cut_log_is_refused() {
        let key = key(1);
        let good = log(&key, 5);
        let anchored = head_at(&good, 5);

        let mut edited = good.clone();
        edited.entries[3].detail.push('!');
        assert!(matches!(
            check(&edited, &key, anchored),
            Err(AuditCheckError::Chain(ChainError::Broken { seq: 4 }))
        ));

        let mut removed = good.clone();
        removed.entries.remove(3);
        assert!(matches!(
            check(&removed, &key, anchored),
            Err(AuditCheckError::Chain(ChainError::Gap {
                after: 3,
                found: 5
            }))
        ));

        // Cut after the anchor: the running vault's head is not reached.
        let mut cut = good.clone();
        cut.entries.truncate(5);
        assert!(matches!(
            check(&cut, &key, anchored),
            Err(AuditCheckError::Chain(ChainError::Short {
                what: "the running vault holds",
                ..
            }))
        ));
        // Cut below the anchor, with the head the host's vault would now report.
        cut.entries.truncate(4);
        cut.head = Some(head_at(&cut, 4));
        assert!(matches!(
            check(&cut, &key, anchored),
            Err(AuditCheckError::Chain(ChainError::Short {
                what: "anchored on-chain",
                ..
            }))
        ));

        // Another key, or another head at the anchor's position.
        assert_eq!(
            check(&good, &self::key(2), anchored),
            Err(AuditCheckError::NoChain)
        );
        let forged = AuditHead {
            seq: 5,
            tag: alloy::primitives::B256::repeat_byte(7),
        };
        assert!(check(&good, &key, forged).is_err());
    }
}
