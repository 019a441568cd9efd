//! How often one account may have something done: at most `limit` times in any `window` seconds.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use alloy::primitives::Address;

/// Each account's recent uses, within a sliding window.
#[derive(Debug)]
pub(crate) struct Allowance {
    window_secs: u64,
    limit: usize,
    recent: Mutex<HashMap<Address, VecDeque<u64>>>,
}

impl Allowance {
    /// At most `limit` uses per account in any `window_secs` seconds.
    pub(crate) fn new(limit: usize, window_secs: u64) -> Self {
        Self {
            window_secs,
            limit,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// The most uses in a window.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Counts a use by `account` at `now`; when its allowance is spent, refuses with the seconds until a
    /// use frees up. Forgets uses older than the window.
    pub(crate) fn spend(&self, account: Address, now: u64) -> Result<(), u64> {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = self.window_secs;
        recent.retain(|_, times| {
            times.retain(|t| now.saturating_sub(*t) < window);
            !times.is_empty()
        });
        let times = recent.entry(account).or_default();
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.saturating_sub(oldest)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allowance_refills_as_its_window_slides() {
        let allowance = Allowance::new(2, 60);
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        assert_eq!(allowance.spend(a, 100), Ok(()));
        assert_eq!(allowance.spend(a, 110), Ok(()));
        assert_eq!(allowance.spend(a, 120), Err(40));
        assert_eq!(allowance.spend(b, 120), Ok(()), "each account has its own");
        assert_eq!(
            allowance.spend(a, 160),
            Ok(()),
            "the first use left the window"
        );
        assert_eq!(allowance.spend(a, 161), Err(9));
    }
}
