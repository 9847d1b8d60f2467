//! Login failure throttling, for one account and for one client address.
//!
//! - An account that failed [`ACCOUNT_FREE_FAILURES`] times in a row is locked for a back-off
//!   that doubles with each further failure, up to [`ACCOUNT_MAX_LOCK_SECS`]. While locked,
//!   every attempt is refused (even with the right password: otherwise the lock would not slow
//!   guessing at all). A success resets the count.
//! - Each client address has a budget of *failed* attempts that refills slowly, which stops
//!   password spraying across many accounts. Successful logins never spend it, so a busy
//!   office behind one address is not locked out by its own users.
//!
//! Unknown userIds are tracked exactly like real ones, so the throttle does not reveal who
//! exists. State lives in memory, in bounded caches (moka): an attacker cycling through
//! millions of names or addresses evicts old entries instead of growing the process.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use moka::sync::Cache;

use crate::clock::SharedClock;

/// Consecutive failures an account may have before it is locked.
pub const ACCOUNT_FREE_FAILURES: u32 = 5;
/// The first lock, doubled on each further failure.
pub const ACCOUNT_BASE_LOCK_SECS: i64 = 30;
/// The longest lock.
pub const ACCOUNT_MAX_LOCK_SECS: i64 = 15 * 60;
/// Failed attempts one address may make in a burst...
pub const ADDRESS_BUDGET: f64 = 30.0;
/// ...after which it gets one more every this many seconds.
pub const ADDRESS_REFILL_SECS: f64 = 10.0;

/// Entries kept at most, per table; far more than real traffic needs.
const MAX_ENTRIES: u64 = 100_000;
/// An entry untouched this long (real time) is forgotten; longer than any lock.
const FORGET_AFTER: StdDuration = StdDuration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy, Default)]
struct AccountFailures {
    consecutive: u32,
    locked_until: i64,
}

#[derive(Debug, Clone, Copy)]
struct AddressBudget {
    left: f64,
    at: i64,
}

impl AddressBudget {
    fn refilled(self, now: i64) -> f64 {
        let elapsed = (now - self.at).max(0) as f64;
        (self.left + elapsed / ADDRESS_REFILL_SECS).min(ADDRESS_BUDGET)
    }
}

pub struct Throttle {
    accounts: Cache<String, AccountFailures>,
    addresses: Cache<IpAddr, AddressBudget>,
    clock: SharedClock,
}

impl Throttle {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            accounts: Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_idle(FORGET_AFTER)
                .build(),
            addresses: Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_idle(FORGET_AFTER)
                .build(),
            clock,
        }
    }

    /// `Err(seconds)` when this attempt must wait that long before being tried at all.
    pub fn check(&self, account: &str, address: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        let account_wait = self
            .accounts
            .get(account)
            .map_or(0, |f| f.locked_until - now)
            .max(0);
        let address_wait = match self.addresses.get(&address) {
            Some(budget) => {
                let left = budget.refilled(now);
                if left < 1.0 {
                    ((1.0 - left) * ADDRESS_REFILL_SECS).ceil() as i64
                } else {
                    0
                }
            }
            None => 0,
        };
        match account_wait.max(address_wait) {
            0 => Ok(()),
            wait => Err(wait as u64),
        }
    }

    /// Records a wrong password (or unknown userId).
    pub fn failed(&self, account: &str, address: IpAddr) {
        let now = self.clock.now();
        self.accounts
            .entry(account.to_owned())
            .and_upsert_with(|old| {
                let mut f = old.map(|e| e.into_value()).unwrap_or_default();
                f.consecutive = f.consecutive.saturating_add(1);
                if f.consecutive >= ACCOUNT_FREE_FAILURES {
                    let doublings = (f.consecutive - ACCOUNT_FREE_FAILURES).min(16);
                    let lock = (ACCOUNT_BASE_LOCK_SECS << doublings).min(ACCOUNT_MAX_LOCK_SECS);
                    f.locked_until = now + lock;
                }
                f
            });
        self.addresses.entry(address).and_upsert_with(|old| {
            let left = old.map_or(ADDRESS_BUDGET, |e| e.into_value().refilled(now));
            AddressBudget {
                left: left - 1.0,
                at: now,
            }
        });
    }

    /// A right password: the account starts afresh. The address budget is not touched.
    pub fn succeeded(&self, account: &str) {
        self.accounts.invalidate(account);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    fn throttle() -> (Throttle, Arc<ManualClock>) {
        let clock = ManualClock::starting_now();
        (Throttle::new(clock.clone()), clock)
    }

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn five_failures_lock_the_account_with_a_growing_capped_back_off() {
        let (t, clock) = throttle();
        for _ in 0..4 {
            t.failed("kim", HOME);
            assert_eq!(t.check("kim", HOME), Ok(()));
        }
        t.failed("kim", HOME);
        assert_eq!(t.check("kim", HOME), Err(30));
        assert_eq!(
            t.check("lee", HOME),
            Ok(()),
            "other accounts are not locked"
        );
        clock.advance(time::Duration::seconds(30));
        assert_eq!(t.check("kim", HOME), Ok(()));
        t.failed("kim", HOME);
        assert_eq!(t.check("kim", HOME), Err(60));
        for _ in 0..10 {
            t.failed("kim", HOME);
        }
        assert_eq!(t.check("kim", HOME), Err(ACCOUNT_MAX_LOCK_SECS as u64));
    }

    #[test]
    fn success_resets_the_account() {
        let (t, _) = throttle();
        for _ in 0..4 {
            t.failed("kim", HOME);
        }
        t.succeeded("kim");
        t.failed("kim", HOME);
        assert_eq!(t.check("kim", HOME), Ok(()));
    }

    #[test]
    fn an_address_spraying_many_accounts_runs_out_of_budget_and_refills() {
        let (t, clock) = throttle();
        for i in 0..ADDRESS_BUDGET as usize {
            assert_eq!(t.check(&format!("user{i}"), HOME), Ok(()));
            t.failed(&format!("user{i}"), HOME);
        }
        assert_eq!(
            t.check("someone-new", HOME),
            Err(ADDRESS_REFILL_SECS as u64)
        );
        let elsewhere: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(t.check("someone-new", elsewhere), Ok(()));
        clock.advance(time::Duration::seconds(ADDRESS_REFILL_SECS as i64));
        assert_eq!(t.check("someone-new", HOME), Ok(()));
    }
}
