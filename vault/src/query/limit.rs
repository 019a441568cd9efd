//! How many refusals of researchers' requests the owner's audit log records one by one: each researcher's
//! first [`PER_RESEARCHER`] in a minute, and [`IN_ALL`] in a minute in all. The rest are counted, and the
//! count is recorded with the next refusal recorded after their minute, so a flood of signed requests, from
//! one key or from many fresh ones, cannot grow the log without bound, and the owner still learns of it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use alloy::primitives::Address;

/// Refusals recorded per researcher per window.
pub(crate) const PER_RESEARCHER: u32 = 10;

/// Refusals recorded in all per window.
pub(crate) const IN_ALL: u32 = 600;

/// The window.
const WINDOW: Duration = Duration::from_secs(60);

/// Whether to record a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Record it, and first say how many refusals went unrecorded before (when any did).
    Record {
        /// Refusals counted, not recorded, in earlier windows.
        unrecorded: u64,
    },
    /// Count it only.
    Count,
}

/// The refusal counts of the current window.
#[derive(Debug)]
pub(crate) struct RefusalLimiter {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    recorded: u32,
    per: HashMap<Address, u32>,
    /// Counted, not recorded, in this window.
    counted: u64,
    /// Counted in earlier windows and not yet reported.
    unreported: u64,
}

impl RefusalLimiter {
    /// A limiter whose first window starts now.
    pub(crate) fn new() -> Self {
        Self {
            window: Mutex::new(Window {
                started: Instant::now(),
                recorded: 0,
                per: HashMap::new(),
                counted: 0,
                unreported: 0,
            }),
        }
    }

    /// Whether `researcher`'s refusal is recorded now.
    pub(crate) fn admit(&self, researcher: Address) -> Admit {
        self.admit_at(researcher, Instant::now())
    }

    fn admit_at(&self, researcher: Address, now: Instant) -> Admit {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now.duration_since(window.started) >= WINDOW {
            let carried = window.unreported + window.counted;
            *window = Window {
                started: now,
                recorded: 0,
                per: HashMap::new(),
                counted: 0,
                unreported: carried,
            };
        }
        let theirs = window.per.get(&researcher).copied().unwrap_or(0);
        if window.recorded >= IN_ALL || theirs >= PER_RESEARCHER {
            window.counted += 1;
            return Admit::Count;
        }
        window.recorded += 1;
        window.per.insert(researcher, theirs + 1);
        Admit::Record {
            unrecorded: std::mem::take(&mut window.unreported),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_researcher_and_many_are_each_bounded_and_the_rest_reported_later() {
        let limiter = RefusalLimiter::new();
        let start = Instant::now();
        let one = Address::repeat_byte(1);
        let recorded = (0..50)
            .filter(|_| matches!(limiter.admit_at(one, start), Admit::Record { .. }))
            .count();
        assert_eq!(recorded, PER_RESEARCHER as usize);
        // Fresh keys, one refusal each: recorded up to the window's cap, then counted.
        let fresh = (0..1_000u32)
            .filter(|i| {
                let key = Address::left_padding_from(&i.to_be_bytes());
                matches!(limiter.admit_at(key, start), Admit::Record { .. })
            })
            .count();
        assert_eq!(fresh, (IN_ALL - PER_RESEARCHER) as usize);
        // A minute later: the next recorded refusal carries the count of those not recorded.
        let later = start + WINDOW;
        let unrecorded = 40 + 1_000 - u64::from(IN_ALL - PER_RESEARCHER);
        assert_eq!(limiter.admit_at(one, later), Admit::Record { unrecorded });
        assert_eq!(
            limiter.admit_at(one, later),
            Admit::Record { unrecorded: 0 },
            "reported once"
        );
    }
}
