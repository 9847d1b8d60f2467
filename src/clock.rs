//! "Now", behind a small trait: the system clock in production, a clock that tests move by
//! hand so expiry and refresh are tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch: the resolution JWT `exp`/`iat` claims use.
    fn now(&self) -> i64;
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// Starts at the real current time, so tokens it stamps look ordinary.
    pub fn starting_now() -> Arc<Self> {
        Arc::new(Self {
            now: AtomicI64::new(SystemClock.now()),
        })
    }

    pub fn advance(&self, by: Duration) {
        self.now.fetch_add(by.whole_seconds(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Formats a Unix time for people, in UTC.
pub fn format_unix(ts: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + 7200);
    }

    #[test]
    fn formats_unix_times_in_utc() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00 UTC");
    }
}
