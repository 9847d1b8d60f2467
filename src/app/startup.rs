//! What start-up (and the sweep) does besides serving: the PostgreSQL listener, the course's
//! demo user, pruning ended sessions, and the operators' `user add`.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::web;
use secrecy::SecretString;

use super::{DEMO_PASSWORD, DEMO_USER_ID, StartError};
use crate::auth::accounts;
use crate::auth::password::Passwords;
use crate::clock::Clock;
use crate::config::{Config, redact_url};
use crate::domain::{AccountForm, NewAccount};
use crate::store::listener::{self, ListenerHealth};
use crate::store::sessions::SessionStore;
use crate::store::{self, Db, class, users};
use crate::web::AppState;

/// Removes ended sessions and stale lock-out counts, counting sessions that ran out of time;
/// for `budget` at most, if given. Returns whether sessions are left to prune.
pub(super) async fn prune(state: &AppState, budget: Option<StdDuration>) -> bool {
    let mut more = false;
    let now = state.clock.now();
    // Demo mode keeps ended sessions for the lesson (their lineage on /sessions), and sweeps
    // the learners' own demo accounts once they expire.
    let ended_before = match state.config.demo.mode {
        true => now - KEEP_ENDED_IN_DEMO,
        false => now,
    };
    if state.config.demo.mode
        && let Err(e) = class::sweep_demo_accounts(&state.db, now).await
    {
        tracing::warn!(error = %e, "could not sweep expired demo accounts");
    }
    match state.sessions.prune_within(now, ended_before, budget).await {
        Ok(pruned) => {
            more = pruned.more;
            state.metrics.sessions_expired(pruned.expired);
            if pruned.sessions > 0 {
                tracing::info!(
                    pruned = pruned.sessions,
                    expired = pruned.expired,
                    "removed ended sessions"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not prune sessions"),
    }
    if let Err(e) = state.throttle.prune().await {
        tracing::warn!(error = %e, "could not prune login failures");
    }
    more
}

/// How long demo mode keeps an ended session (seconds): a lesson's length, and more.
const KEEP_ENDED_IN_DEMO: i64 = 12 * 3600;

/// Writes the "last seen" times noted, every `SESSION_ACTIVITY_INTERVAL`, until `stop` says so
/// (never in the middle of a batch), and then once more.
pub(super) async fn write_activity(
    state: web::Data<AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let interval = state
        .config
        .sessions
        .activity_interval
        .try_into()
        .unwrap_or(StdDuration::from_secs(5));
    let mut every = tokio::time::interval(interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        tokio::select! {
            _ = every.tick() => flush_activity(&state).await,
            _ = stop.changed() => break,
        }
    }
    flush_activity(&state).await;
}

/// Stops the server as signals ask: SIGTERM or SIGINT (Ctrl-C) gracefully, once the "last
/// seen" times noted so far are written (the workers, which opened most database connections,
/// are still running then); SIGQUIT at once.
pub(super) async fn on_signal(state: web::Data<AppState>, server: actix_web::dev::ServerHandle) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut quit)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
    ) else {
        tracing::warn!("cannot listen for signals; stop the server by killing it");
        return;
    };
    let graceful = tokio::select! {
        _ = term.recv() => true,
        _ = int.recv() => true,
        _ = quit.recv() => false,
    };
    if graceful {
        tracing::info!("stopping: writing what is noted, then finishing the requests in flight");
        flush_activity(&state).await;
    }
    server.stop(graceful).await;
}

/// One batch of "last seen" times; a failure keeps them for the next.
pub(super) async fn flush_activity(state: &AppState) {
    if let Err(e) = state.sessions.flush_activity().await {
        tracing::warn!(error = %e, "could not write session activity; kept for the next batch");
    }
}

/// Starts the PostgreSQL invalidation listener and gives it until `DATABASE_CONNECT_TIMEOUT`
/// to connect, so a healthy instance starts with its session cache on. It keeps trying in the
/// background either way.
pub(super) async fn start_listener(
    config: &Config,
    sessions: &SessionStore,
    instance: &str,
) -> Arc<ListenerHealth> {
    let health = Arc::new(ListenerHealth::new(instance));
    let url = config
        .database
        .listen_url
        .clone()
        .unwrap_or_else(|| config.database.url.clone());
    tokio::spawn(listener::run(
        url,
        config.database.clone(),
        sessions.cache().clone(),
        health.clone(),
    ));
    let deadline = tokio::time::Instant::now()
        + config
            .database
            .connect_timeout
            .try_into()
            .unwrap_or(StdDuration::from_secs(10));
    while !health.is_connected() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    health
}

/// Creates the course's demo user if it is missing; an existing one is never touched.
pub(super) async fn seed_demo_user(state: &AppState) -> Result<(), StartError> {
    create_demo_user(&state.db, &state.passwords, state.clock.now()).await
}

async fn create_demo_user(db: &Db, passwords: &Passwords, now: i64) -> Result<(), StartError> {
    if users::exists(db, DEMO_USER_ID).await? {
        return Ok(());
    }
    let hash = passwords.hash(SecretString::from(DEMO_PASSWORD)).await?;
    let demo = users::NewUser {
        user_id: DEMO_USER_ID,
        password_hash: &hash,
        email: "kimcoding@authstates.com",
        name: "김코딩",
        position: "Frontend Developer",
        location: "Seoul, South Korea",
        bio: "Learning how cookies, JWTs and sessions fit together — one request at a time.",
        expires_at: None,
    };
    if users::insert(db, &demo, now).await?.is_some() {
        tracing::info!(user = DEMO_USER_ID, "created the demo user");
    }
    Ok(())
}

/// `jwt-cookie-lab demo reset`: the teacher's reset (see `store::class::reset`), with the
/// shared demo account's password hashed anew, and the account created if it was missing.
/// Running instances notice within a second (they poll the reset's time).
/// The database of `config`, or a start-up error that names it (its password hidden).
pub(super) async fn open_database(config: &Config) -> Result<Db, StartError> {
    store::connect(config).await.map_err(|e| {
        format!(
            "cannot open the database {}: {e}",
            redact_url(&config.database.url)
        )
        .into()
    })
}

pub async fn demo_reset(config: &Config) -> Result<class::Reset, StartError> {
    let db = open_database(config).await?;
    let passwords = Passwords::new().await?;
    let hash = passwords.hash(SecretString::from(DEMO_PASSWORD)).await?;
    let clock = crate::clock::SystemClock;
    let reset = class::reset(&db, clock.now_ms(), DEMO_USER_ID, &hash).await?;
    if !reset.demo_restored {
        create_demo_user(&db, &passwords, clock.now()).await?;
    }
    db.close().await;
    Ok(reset)
}

/// Demo mode: polls the reset's time every half second, and when it moves on drops what this
/// instance keeps in memory for the class (the session cache, the learners, the demos' copies
/// and reports), until aborted.
pub(super) async fn watch_for_resets(state: web::Data<AppState>) {
    let mut seen = class::last_reset(&state.db).await.ok().flatten();
    let mut every = tokio::time::interval(StdDuration::from_millis(500));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Ok(now) = class::last_reset(&state.db).await else {
            continue;
        };
        if now == seen {
            continue;
        }
        seen = now;
        let cache = state.sessions.cache();
        cache.set_open(cache.gate().is_open());
        if let Some(demo) = &state.demo {
            demo.forget_the_class();
        }
        tracing::info!("the class was reset: forgot its sessions and progress");
    }
}

/// An account made by an operator on the command line.
pub struct OperatorAccount {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// `jwt-cookie-lab user add`: the same rules as the sign-up page, straight into the database.
pub async fn add_user(
    config: &Config,
    account: OperatorAccount,
    password: SecretString,
) -> Result<(), StartError> {
    use secrecy::ExposeSecret;
    let account = NewAccount::parse(AccountForm {
        user_id: &account.user_id,
        password: password.expose_secret(),
        email: &account.email,
        name: &account.name,
        ..Default::default()
    })?;
    let db = open_database(config).await?;
    let passwords = Passwords::new().await?;
    let now = crate::clock::SystemClock.now();
    match accounts::create(&db, &passwords, account, now).await? {
        Some(_) => Ok(()),
        None => Err("that user ID is taken".into()),
    }
}
