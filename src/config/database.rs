//! The database section: which database (`DATABASE_URL`), and how the app talks to it.

use time::Duration;

use super::{ConfigError, Env, redact_url};

/// The two backends, told apart by the URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// What stands between the app and PostgreSQL (`DATABASE_POOLER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Pooler {
    /// Nothing, or a pooler in session mode: statements are prepared once and reused by name.
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`): every statement
    /// unnamed and inside a transaction; migrations and `LISTEN` on `DATABASE_LISTEN_URL`.
    Transaction,
}

/// How the app talks to its database. Defaults suit SQLite on one machine and a small
/// PostgreSQL; the timeouts keep a database that is down from turning into hung requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub url: String,
    /// Told by the URL's scheme.
    pub backend: Backend,
    /// Connections in the pool (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long start-up waits for the database to answer (`DATABASE_CONNECT_TIMEOUT`).
    pub connect_timeout: Duration,
    /// How long a request waits for a free connection before it gets a 503
    /// (`DATABASE_ACQUIRE_TIMEOUT`, at most 5 s).
    pub acquire_timeout: Duration,
    /// SQLite only: how long a statement waits on a lock held by another connection or
    /// process before giving up (`DATABASE_BUSY_TIMEOUT`).
    pub busy_timeout: Duration,
    /// PostgreSQL only: where the invalidation listener connects (`DATABASE_LISTEN_URL`).
    /// It must reach PostgreSQL directly: LISTEN does not work through a transaction pooler.
    pub listen_url: Option<String>,
    /// PostgreSQL only: a transaction pooler in front of it (`DATABASE_POOLER`).
    pub pooler: Pooler,
}

/// The longest a request may be kept waiting by the database before its 503.
const MAX_WAIT: Duration = Duration::seconds(5);

/// `DATABASE_URL` and the backend its scheme names.
pub(super) fn url(env: &Env) -> Result<(String, Backend), ConfigError> {
    let url = env
        .get("DATABASE_URL")
        .unwrap_or_else(|| "sqlite://data/app.db".into());
    match Backend::of_url(&url) {
        Some(backend) => Ok((url, backend)),
        None => Err(ConfigError::new(
            "DATABASE_URL",
            format!(
                "must be a sqlite: or postgres: URL, e.g. sqlite://data/app.db or \
                 postgres://user@localhost/jwt_cookie_lab (got {:?})",
                redact_url(&url)
            ),
        )),
    }
}

/// `DATABASE_POOLER`: what sits between the app and PostgreSQL.
fn pooler(env: &Env, backend: Backend, listens_directly: bool) -> Result<Pooler, ConfigError> {
    let pooler = match env.get("DATABASE_POOLER").as_deref() {
        None | Some("none") => Pooler::None,
        Some("transaction") => Pooler::Transaction,
        Some(other) => {
            return Err(ConfigError::new(
                "DATABASE_POOLER",
                format!("expected none or transaction, got {other:?}"),
            ));
        }
    };
    if pooler == Pooler::Transaction && (backend != Backend::Postgres || !listens_directly) {
        return Err(ConfigError::new(
            "DATABASE_POOLER",
            "transaction needs a postgres DATABASE_URL (the pooler) and DATABASE_LISTEN_URL \
             (PostgreSQL itself, for migrations and LISTEN)",
        ));
    }
    Ok(pooler)
}

pub(super) fn read(
    env: &Env,
    url: String,
    backend: Backend,
) -> Result<DatabaseSettings, ConfigError> {
    let max_connections = match env.get("DATABASE_MAX_CONNECTIONS") {
        None => 8,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ConfigError::new(
                    "DATABASE_MAX_CONNECTIONS",
                    format!("expected a number from 1 to 1000, got {v:?}"),
                ));
            }
        },
    };
    let short_wait = |name: &'static str| -> Result<Duration, ConfigError> {
        let wait = env.duration(name, Duration::seconds(2))?;
        if wait > MAX_WAIT {
            return Err(ConfigError::new(
                name,
                "must be at most 5s: past it a request gets a quick 503 instead of hanging",
            ));
        }
        Ok(wait)
    };
    let acquire_timeout = short_wait("DATABASE_ACQUIRE_TIMEOUT")?;
    let busy_timeout = short_wait("DATABASE_BUSY_TIMEOUT")?;
    let listen_url = env.get("DATABASE_LISTEN_URL");
    if let Some(url) = &listen_url
        && Backend::of_url(url) != Some(Backend::Postgres)
    {
        return Err(ConfigError::new(
            "DATABASE_LISTEN_URL",
            "must be a postgres: URL (it is only used with a postgres DATABASE_URL)",
        ));
    }
    let pooler = pooler(env, backend, listen_url.is_some())?;
    Ok(DatabaseSettings {
        url,
        backend,
        pooler,
        max_connections,
        connect_timeout: env.duration("DATABASE_CONNECT_TIMEOUT", Duration::seconds(10))?,
        acquire_timeout,
        busy_timeout,
        listen_url,
    })
}
