//! Login failure throttling, for one account and for one client address.
//!
//! - An account that failed [`ACCOUNT_FREE_FAILURES`] times in a row is locked for a back-off
//!   that doubles with each further failure, up to [`ACCOUNT_MAX_LOCK_SECS`]. While locked,
//!   every attempt is refused (even with the right password: otherwise the lock would not slow
//!   guessing at all). A success resets the count. The counts live in the database
//!   (`store::lockouts`), so every instance behind a load balancer sees the same lock.
//! - Each client address has a budget of *failed* attempts that refills slowly, which stops
//!   password spraying across many accounts. Successful logins never spend it, so a busy
//!   office behind one address is not locked out by its own users. This budget is kept in each
//!   instance's memory (a bounded moka cache): with N instances an address gets up to N
//!   budgets, which still caps spraying, while the per-account lock (the one that protects a
//!   user) is shared.
//!
//! Unknown userIds are tracked exactly like real ones, so the throttle does not reveal who
//! exists.

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use moka::sync::Cache;

use crate::clock::SharedClock;
use crate::store::{Db, lockouts};

/// Consecutive failures an account may have before it is locked.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// The first lock, doubled on each further failure.
pub const ACCOUNT_BASE_LOCK_SECS: i64 = 30;
/// The longest lock.
pub const ACCOUNT_MAX_LOCK_SECS: i64 = 15 * 60;
/// Failed attempts one address may make in a burst...
pub const ADDRESS_BUDGET: f64 = 30.0;
/// ...after which it gets one more every this many seconds.
pub const ADDRESS_REFILL_SECS: f64 = 10.0;

/// Addresses kept at most; far more than real traffic needs.
const MAX_ADDRESSES: u64 = 100_000;
/// An address untouched this long (real time) is forgotten; longer than any lock.
const FORGET_AFTER: StdDuration = StdDuration::from_secs(60 * 60);
/// Failure counts of accounts that have not failed for this long are pruned.
pub const FORGET_ACCOUNT_AFTER_SECS: i64 = 24 * 60 * 60;

/// How long an account is locked after its `consecutive`-th failure in a row.
pub fn lock_secs(consecutive: i64) -> i64 {
    if consecutive < ACCOUNT_FREE_FAILURES {
        return 0;
    }
    let doublings = (consecutive - ACCOUNT_FREE_FAILURES).min(16);
    (ACCOUNT_BASE_LOCK_SECS << doublings).min(ACCOUNT_MAX_LOCK_SECS)
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

/// Whether a login attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Try the password. `failures_on_record`: a success must clear the account's count.
    Proceed { failures_on_record: bool },
    /// Refused without trying: wait this many seconds.
    Wait(u64),
}

pub struct Throttle {
    db: Db,
    addresses: Cache<IpAddr, AddressBudget>,
    clock: SharedClock,
}

impl Throttle {
    /// Now, by the app's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self {
            db,
            addresses: Cache::builder()
                .max_capacity(MAX_ADDRESSES)
                .time_to_idle(FORGET_AFTER)
                .build(),
            clock,
        }
    }

    fn address_wait(&self, address: IpAddr, now: i64) -> i64 {
        match self.addresses.get(&address) {
            Some(budget) => {
                let left = budget.refilled(now);
                if left < 1.0 {
                    ((1.0 - left) * ADDRESS_REFILL_SECS).ceil() as i64
                } else {
                    0
                }
            }
            None => 0,
        }
    }

    /// Whether this attempt may be tried at all, and if not, for how long it must wait.
    pub async fn check(&self, account: &str, address: IpAddr) -> Result<Admission, sqlx::Error> {
        let now = self.clock.now();
        let failures = lockouts::find(&self.db, account).await?;
        let account_wait = failures.map_or(0, |f| f.locked_until - now).max(0);
        match account_wait.max(self.address_wait(address, now)) {
            0 => Ok(Admission::Proceed {
                failures_on_record: failures.is_some_and(|f| f.consecutive > 0),
            }),
            wait => Ok(Admission::Wait(wait as u64)),
        }
    }

    /// Records a wrong password (or unknown userId).
    pub async fn failed(&self, account: &str, address: IpAddr) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        self.addresses.entry(address).and_upsert_with(|old| {
            let left = old.map_or(ADDRESS_BUDGET, |e| e.into_value().refilled(now));
            AddressBudget {
                left: left - 1.0,
                at: now,
            }
        });
        lockouts::record_failure(&self.db, account, now, lock_secs).await?;
        Ok(())
    }

    /// A right password: the account starts afresh. The address budget is not touched.
    pub async fn succeeded(&self, account: &str, admission: Admission) -> Result<(), sqlx::Error> {
        if let Admission::Proceed {
            failures_on_record: true,
        } = admission
        {
            lockouts::clear(&self.db, account).await?;
        }
        Ok(())
    }

    /// Forgets accounts that stopped failing a day ago (run by the periodic sweep).
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        let now = self.clock.now();
        lockouts::prune(&self.db, now - FORGET_ACCOUNT_AFTER_SECS, now).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    async fn throttle() -> (Throttle, Arc<ManualClock>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let config =
            crate::config::Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone()))
                .unwrap();
        let db = crate::store::connect(&config).await.unwrap();
        let clock = ManualClock::starting_now();
        (Throttle::new(db, clock.clone()), clock, dir)
    }

    const GO: Admission = Admission::Proceed {
        failures_on_record: true,
    };

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    async fn wait(t: &Throttle, account: &str, address: IpAddr) -> u64 {
        match t.check(account, address).await.unwrap() {
            Admission::Wait(secs) => secs,
            Admission::Proceed { .. } => 0,
        }
    }

    #[test]
    fn the_back_off_doubles_and_is_capped() {
        let locks: Vec<i64> = (1..=12).map(lock_secs).collect();
        assert_eq!(locks[..5], [0, 0, 0, 0, 30]);
        assert_eq!(locks[5..8], [60, 120, 240]);
        assert_eq!(lock_secs(1000), ACCOUNT_MAX_LOCK_SECS);
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_with_a_growing_capped_back_off() {
        let (t, clock, _dir) = throttle().await;
        for _ in 0..4 {
            t.failed("kim", HOME).await.unwrap();
            assert_eq!(wait(&t, "kim", HOME).await, 0);
        }
        t.failed("kim", HOME).await.unwrap();
        assert_eq!(wait(&t, "kim", HOME).await, 30);
        assert_eq!(
            wait(&t, "lee", HOME).await,
            0,
            "other accounts are not locked"
        );
        clock.advance(time::Duration::seconds(30));
        assert_eq!(wait(&t, "kim", HOME).await, 0);
        t.failed("kim", HOME).await.unwrap();
        assert_eq!(wait(&t, "kim", HOME).await, 60);
        for _ in 0..10 {
            t.failed("kim", HOME).await.unwrap();
        }
        assert_eq!(wait(&t, "kim", HOME).await, ACCOUNT_MAX_LOCK_SECS as u64);
    }

    #[tokio::test]
    async fn success_resets_the_account() {
        let (t, _, _dir) = throttle().await;
        for _ in 0..4 {
            t.failed("kim", HOME).await.unwrap();
        }
        let admission = t.check("kim", HOME).await.unwrap();
        assert_eq!(admission, GO);
        t.succeeded("kim", admission).await.unwrap();
        t.failed("kim", HOME).await.unwrap();
        assert_eq!(wait(&t, "kim", HOME).await, 0);
        assert_eq!(
            t.check("kim", HOME).await.unwrap(),
            GO,
            "one failure on record, not five"
        );
    }

    #[tokio::test]
    async fn an_address_spraying_many_accounts_runs_out_of_budget_and_refills() {
        let (t, clock, _dir) = throttle().await;
        for i in 0..ADDRESS_BUDGET as usize {
            assert_eq!(wait(&t, &format!("user{i}"), HOME).await, 0);
            t.failed(&format!("user{i}"), HOME).await.unwrap();
        }
        assert_eq!(
            wait(&t, "someone-new", HOME).await,
            ADDRESS_REFILL_SECS as u64
        );
        let elsewhere: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(wait(&t, "someone-new", elsewhere).await, 0);
        clock.advance(time::Duration::seconds(ADDRESS_REFILL_SECS as i64));
        assert_eq!(wait(&t, "someone-new", HOME).await, 0);
    }
}
