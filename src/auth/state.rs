//! Everything a request handler may need, shared by all workers. It lives here, below the
//! handlers and above the store, so nothing in `auth` or `web` imports from `app.rs`.

use std::sync::Arc;

use super::password::Passwords;
use super::throttle::Throttle;
use super::tokens::Tokens;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Db;
use crate::store::invalidation::ListenerHealth;
use crate::store::sessions::SessionStore;

pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// Sessions, through their cache: every read and end of a session goes here.
    pub sessions: SessionStore,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub throttle: Throttle,
    pub clock: SharedClock,
    /// PostgreSQL only: the invalidation listener's state.
    pub listener: Option<Arc<ListenerHealth>>,
    pub metrics: Arc<Metrics>,
    /// A short random name for this process: the prefix of its request ids, and the name of its
    /// listener connection in `pg_stat_activity`.
    pub instance: String,
}
