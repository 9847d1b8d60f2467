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
use crate::store::listener::ListenerHealth;
use crate::store::sessions::SessionStore;

/// What demo mode adds: the servers it runs beside the app, and what the demos remember.
pub struct Demo {
    /// Where the stateless verifier answers (`…/api/profile`), when it runs.
    pub verifier_url: Option<String>,
    /// The port of the "other site", when it runs.
    pub cross_site_port: Option<u16>,
    /// Copies of access tokens "kept as a thief would", by a random id: in memory only, never
    /// shown, gone when the token expires.
    pub copies: moka::sync::Cache<String, String>,
    /// The last requests another site made to the app, for the cross-site page's report.
    pub cross_site_seen: std::sync::Mutex<std::collections::VecDeque<CrossSiteRequest>>,
}

/// A request that came from another site, as the server saw it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossSiteRequest {
    pub at: i64,
    pub method: String,
    pub path: String,
    pub origin: String,
    pub sec_fetch_site: String,
    /// Whether the browser sent the access cookie along (SameSite=Strict says it must not).
    pub cookie_sent: bool,
    pub status: u16,
    /// Which defence of the server answered, if one did.
    pub refused_by: Option<&'static str>,
}

pub const CROSS_SITE_SEEN_MAX: usize = 20;

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
    /// Present in demo mode only.
    pub demo: Option<Demo>,
}
