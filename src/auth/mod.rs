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

use crate::clock::Clock;
use crate::config::SessionSettings;
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
    pub lifetimes: &'a SessionSettings,
    pub metrics: &'a Metrics,
}
