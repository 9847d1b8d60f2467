//! Who you are, proven: passwords, tokens, the access/refresh decision, sessions starting and
//! ending, and login throttling. No HTTP type in here: the web layer reads cookies and headers,
//! hands the raw tokens in, and writes what comes back out.

pub mod accounts;
pub mod credentials;
pub mod crypto;
pub mod decide;
pub mod flow;
pub mod password;
pub mod session;
pub mod throttle;
pub mod tokens;

use time::Duration;

use crate::clock::Clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::sessions::SessionStore;
use tokens::Tokens;

/// What the authentication flow needs of the app, borrowed for one request: the keys, the
/// sessions, the clock, the lifetimes, and the counters it moves.
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    pub tokens: &'a Tokens,
    pub sessions: &'a SessionStore,
    pub clock: &'a dyn Clock,
    pub lifetimes: &'a Lifetimes,
    pub metrics: &'a Metrics,
}

/// How long tokens and sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// `ACCESS_TOKEN_TTL`.
    pub access: Duration,
    /// `REFRESH_TOKEN_TTL`, from the last rotation.
    pub refresh: Duration,
    /// `SESSION_MAX_LIFETIME`, from login.
    pub session_max: Duration,
    /// `REFRESH_REUSE_GRACE`.
    pub reuse_grace: Duration,
}

impl Lifetimes {
    pub fn of(config: &Config) -> Self {
        Self {
            access: config.access_token_ttl,
            refresh: config.refresh_token_ttl,
            session_max: config.session_max_lifetime,
            reuse_grace: config.refresh_reuse_grace,
        }
    }

    /// The grace window in milliseconds, as the lineage rule counts it.
    pub fn grace_ms(&self) -> i64 {
        self.reuse_grace.whole_milliseconds() as i64
    }
}
