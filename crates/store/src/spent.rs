//! What the store has spent since it was opened, kept in memory: the nonces it consumed (until their requests
//! expire) and each grant's query count. The host owns the database and can delete or roll back its rows;
//! while the vault runs, a nonce it consumed stays consumed and a count never goes down, whatever the rows
//! say. Across a restart they are rebuilt from the audit log the unsealing vault verified (`crate::audit`).

use std::collections::HashMap;

use crate::{Budget, StoreError};

/// Nonces and counts spent since the store was opened.
#[derive(Debug, Default)]
pub(crate) struct Spent {
    /// Each consumed nonce, with when its request expires (Unix seconds).
    nonces: HashMap<String, u64>,
    /// Each grant's count.
    counts: HashMap<String, u32>,
    /// How many nonces there were after the last pruning.
    pruned_at: usize,
}

impl Spent {
    /// Spends `nonce` (until `expires`) and one query of `budget`, at Unix time `now`; refuses what memory
    /// says is spent already: a nonce consumed since open, a budget counted to its limit. Nonces of expired
    /// requests are forgotten now and then (an expired request is refused anyway).
    pub(crate) fn reserve(
        &mut self,
        nonce: &str,
        expires: u64,
        budget: Option<Budget<'_>>,
        now: u64,
    ) -> Result<(), StoreError> {
        if self.nonces.contains_key(nonce) {
            return Err(StoreError::Replayed {
                nonce: nonce.to_owned(),
            });
        }
        if let Some(budget) = budget
            && self.counts.get(budget.grant).copied().unwrap_or(0) >= budget.limit
        {
            return Err(StoreError::BudgetSpent {
                limit: budget.limit,
            });
        }
        self.nonces.insert(nonce.to_owned(), expires);
        if let Some(budget) = budget {
            *self.counts.entry(budget.grant.to_owned()).or_insert(0) += 1;
        }
        if self.nonces.len() >= 2 * self.pruned_at.max(1024) {
            self.nonces.retain(|_, expires| *expires >= now);
            self.pruned_at = self.nonces.len();
        }
        Ok(())
    }

    /// Takes back what the verified audit log records as spent (the vault unsealed again): its nonces, and
    /// each grant's count (the larger of memory's and the log's, so restoring twice counts nothing twice).
    pub(crate) fn restore(&mut self, nonces: &HashMap<String, u64>, counts: &HashMap<String, u32>) {
        self.nonces.extend(
            nonces
                .iter()
                .map(|(nonce, expires)| (nonce.clone(), *expires)),
        );
        for (grant, count) in counts {
            let held = self.counts.entry(grant.clone()).or_insert(0);
            *held = (*held).max(*count);
        }
    }

    /// Gives back what [`reserve`](Self::reserve) spent, when the record it was for did not commit.
    pub(crate) fn release(&mut self, nonce: &str, budget: Option<Budget<'_>>) {
        self.nonces.remove(nonce);
        if let Some(count) = budget.and_then(|budget| self.counts.get_mut(budget.grant)) {
            *count = count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spent_nonces_and_counts_refuse_and_expired_nonces_are_forgotten() {
        let mut spent = Spent::default();
        let budget = Budget {
            grant: "grant",
            limit: 2,
        };
        spent.reserve("n0", 100, Some(budget), 10).unwrap();
        assert!(matches!(
            spent.reserve("n0", 100, None, 10),
            Err(StoreError::Replayed { .. })
        ));
        spent.reserve("n1", 100, Some(budget), 10).unwrap();
        assert!(matches!(
            spent.reserve("n2", 100, Some(budget), 10),
            Err(StoreError::BudgetSpent { limit: 2 })
        ));
        spent.release("n1", Some(budget));
        spent.reserve("n2", 100, Some(budget), 10).unwrap();
        // Thousands of requests later, the expired ones are forgotten; the live ones are not.
        for i in 0..3_000 {
            spent.reserve(&format!("old{i}"), 50, None, 60).unwrap();
        }
        assert!(spent.nonces.len() < 3_000);
        assert!(
            spent.reserve("n0", 100, None, 60).is_err(),
            "still live at 60"
        );
        assert!(
            spent.reserve("old0", 100, None, 60).is_ok(),
            "expired at 50, forgotten"
        );
    }
}
