//! Each instance's `LISTEN` on its own connection to PostgreSQL: every change announced on
//! [`CHANNEL`] is applied to this instance's session cache.
//!
//! sqlx's `PgListener::recv()` reconnects silently when its connection drops, and whatever was
//! announced meanwhile is lost; `try_recv()` says so (`Ok(None)`, or an error when the server
//! ended the connection). So the listener here uses `try_recv()`, and on any loss closes the
//! cache (every request reads the database), reconnects, listens again, and only then reopens
//! an empty cache. A message lost for any other reason is bounded by the cache's time to live.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};

use super::backend::postgres_options;
use super::invalidation::{CHANNEL, Invalidation};
use super::sessions::cache::SessionCache;
use crate::config::DatabaseSettings;

/// How often the listener checks that its connection still answers, and how long it waits.
/// A connection that dies is noticed within about the sum of the two, whatever the socket says:
/// an idle sqlx connection does not always wake its reader when the server goes away (seen
/// here with PostgreSQL stopped; a query in flight always notices), and a network cut sends no
/// word at all. One `SELECT 1` a second per instance is the price.
const PING_EVERY: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The listener's state, for `/readyz` and the metrics.
#[derive(Debug, Default)]
pub struct ListenerHealth {
    pub connected: AtomicBool,
    pub reconnects: AtomicU64,
    /// Shown in `pg_stat_activity.application_name`, so an operator (or a test) can find this
    /// instance's listener connection.
    pub application_name: String,
}

impl ListenerHealth {
    pub fn new(instance: &str) -> Self {
        Self {
            application_name: format!("jwt-cookie-lab listener {instance}"),
            ..Self::default()
        }
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
}

async fn connect(
    url: &str,
    settings: &DatabaseSettings,
    application_name: &str,
) -> Result<PgListener, sqlx::Error> {
    let options = postgres_options(url, settings)?.application_name(application_name);
    let timeout = settings
        .connect_timeout
        .try_into()
        .unwrap_or(Duration::from_secs(10));
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(timeout)
        .connect_with(options)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Applies every change heard to `cache` until the connection is lost; says why it was.
async fn listen_until_lost(listener: &mut PgListener, cache: &SessionCache) -> String {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            got = listener.try_recv() => match got {
                Ok(Some(notification)) => match Invalidation::parse(notification.payload()) {
                    Some(change) => cache.apply(&change),
                    None => tracing::warn!(
                        payload = notification.payload(),
                        "ignored an unreadable invalidation"
                    ),
                },
                Ok(None) => return "the connection was lost".to_owned(),
                Err(e) => return e.to_string(),
            },
            // Ask the connection whether it is alive (see PING_EVERY). Dropping a pending
            // `try_recv` for this is safe: sqlx only consumes whole messages.
            _ = ping.tick() => {
                let answer = tokio::time::timeout(
                    PING_TIMEOUT,
                    sqlx::query("SELECT 1").execute(&mut *listener),
                )
                .await;
                match answer {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return e.to_string(),
                    Err(_) => return "the connection stopped answering".to_owned(),
                }
            }
        }
    }
}

/// Runs for the life of the server: listens, applies every change to `cache`, and
/// survives the connection dropping any number of times.
pub async fn run(
    url: String,
    settings: DatabaseSettings,
    cache: Arc<SessionCache>,
    health: Arc<ListenerHealth>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match connect(&url, &settings, &health.application_name).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "session invalidation listener cannot connect; the session cache stays off");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        // Whatever happened while we were not listening, an empty cache cannot have missed it.
        cache.set_open(true);
        health.connected.store(true, Ordering::SeqCst);
        tracing::info!("session invalidation listener connected; session cache on");
        let why = listen_until_lost(&mut listener, &cache).await;
        // Cache off first: from here on nothing may be served from memory.
        cache.set_open(false);
        health.connected.store(false, Ordering::SeqCst);
        health.reconnects.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(reason = %why,
            "session invalidation listener disconnected; session cache emptied and off until it reconnects");
        drop(listener);
    }
}
