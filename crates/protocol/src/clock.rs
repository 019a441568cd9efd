//! The one clock every deadline is made and checked with.

// std's clock on native targets; the browser's on wasm32, where std's panics.
use web_time::{SystemTime, UNIX_EPOCH};

/// The system clock reads a time before 1970: nothing time-bound can be made or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system clock is set before 1970: set the clock, then try again")]
pub struct ClockError;

/// Seconds since the Unix epoch, or an error when the clock is before it: deadlines are neither made nor
/// accepted from a clock that cannot be read, so a broken clock fails closed.
pub fn unix_now() -> Result<u64, ClockError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| ClockError)
}

/// The deadline `lifetime_secs` from now.
pub fn deadline_in(lifetime_secs: u64) -> Result<u64, ClockError> {
    Ok(unix_now()?.saturating_add(lifetime_secs))
}

/// Unix seconds as RFC 3339 (`2027-01-01T00:00:00Z`), how times are shown; `Unix time N` for one that is not
/// a date.
pub fn format_time(unix: u64) -> String {
    use time::{OffsetDateTime, format_description::well_known::Rfc3339};
    i64::try_from(unix)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("Unix time {unix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_after_the_protocol_was_written() {
        // 2026-01-01: a clock that reads earlier is broken, not early.
        assert!(unix_now().unwrap() > 1_767_225_600);
        let now = unix_now().unwrap();
        let deadline = deadline_in(600).unwrap();
        assert!((now + 600..=now + 601).contains(&deadline));
        assert_eq!(
            deadline_in(u64::MAX).unwrap(),
            u64::MAX,
            "saturates, never wraps"
        );
    }
}
