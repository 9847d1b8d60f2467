//! "Now", behind a small trait: the system clock in production, a clock that tests move by
//! hand so expiry and refresh are tested without sleeping.
//!
//! The clock counts milliseconds. JWT claims are whole seconds, but the refresh grace window
//! is not: a 1 s grace must mean 1 s, not "the rest of this second and the next one".

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch: the resolution JWT `exp`/`iat` claims use.
    fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicI64,
}

impl ManualClock {
    /// Starts at the real current time, so tokens it stamps look ordinary.
    pub fn starting_now() -> Arc<Self> {
        Arc::new(Self {
            now_ms: AtomicI64::new(SystemClock.now_ms()),
        })
    }

    /// Moves time on, to the millisecond.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
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

/// Formats a Unix time as RFC 3339 (`2026-11-24T18:00:00Z`), for JSON.
pub fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
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
        let ms = clock.now_ms();
        clock.advance(Duration::milliseconds(999));
        assert_eq!(clock.now_ms(), ms + 999);
    }

    #[test]
    fn formats_unix_times_in_utc() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
