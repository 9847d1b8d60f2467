//! What every handler may take (`web::Data<AppState>`): built once by `app`, shared by every
//! worker. Handlers hand `auth` and the credentials check only the parts those need.

use std::sync::Arc;

use super::teach::memory::Demo;
use crate::auth::Auth;
use crate::auth::credentials::Credentials;
use crate::auth::password::Passwords;
use crate::auth::throttle::Throttle;
use crate::auth::tokens::Tokens;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Db;
use crate::store::listener::ListenerHealth;
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
    /// Present in demo mode only: the teaching pages' own state.
    pub demo: Option<Demo>,
    /// The origins CORS lets call the API with credentials: `CORS_ALLOWED_ORIGINS`, and in
    /// demo mode the app's own client on another port.
    pub allowed_origins: Vec<String>,
}

impl AppState {
    /// Whether `origin` is one the operator trusts with the user's cookies.
    pub fn is_allowed_origin(&self, origin: &[u8]) -> bool {
        self.allowed_origins.iter().any(|o| o.as_bytes() == origin)
    }
}

impl AppState {
    /// What the authentication flow needs.
    pub fn auth(&self) -> Auth<'_> {
        Auth {
            tokens: &self.tokens,
            sessions: &self.sessions,
            clock: &*self.clock,
            lifetimes: &self.config.sessions,
            metrics: &self.metrics,
        }
    }

    /// What a credentials check (login, password change) needs.
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials {
            db: &self.db,
            passwords: &self.passwords,
            throttle: &self.throttle,
            shared_account: self.config.demo.shared_account(),
        }
    }
}
