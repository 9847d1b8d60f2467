//! The `sessions` and `refresh_lineage` tables: creating, finding and ending sessions, and the
//! refresh-token lineage of each kept session (see `auth::decide` for the rule). Everything
//! goes through [`SessionStore`], so no session can change without its cache hearing of it.
//!
//! Every change that other instances must see happens in one transaction whose first statement
//! locks the session row (an `UPDATE` that also bumps `version`): on SQLite that takes the
//! write lock, on PostgreSQL the row lock, so two rotations of one session, on one instance or
//! two, never interleave. The same transaction announces the change (see [`backend::Announce`]).
//! The one exception is the common refresh, planned from the cached lineage: its first statement
//! is the guarded write itself, which bumps `version` only if it is still the version cached, and
//! otherwise writes nothing and leaves the refresh to the locking path. On SQLite those guarded
//! writes are committed several at a time ([`batch`]), each with its own guard.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use moka::ops::compute::Op;

use super::backend::Announce;
use super::invalidation::Invalidation;
use super::users::User;
use super::{Db, on_db};
use crate::auth::decide::{self, Presented, RefreshPlan, Theft};

mod batch;
pub use batch::BatchCounters;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_pk: i64,
    pub keep_logged_in: bool,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Session {
    /// Live: not revoked and inside its absolute lifetime.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Where a kept session's refresh tokens stand, by `jti`: what the hot path needs to place an
/// access token in the lineage without a database read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    pub current: Option<String>,
    pub pending: Option<String>,
    /// Children dropped because their parent came back (most recent first, bounded).
    pub dropped: Vec<String>,
}

/// Dropped branches remembered per session. A dropped branch appears only when a parent comes
/// back after its child was issued, so a real session has a handful at most.
const MAX_DROPPED: usize = 32;

/// A session as the cache holds it: the row, its user, its lineage and the row's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    pub lineage: Lineage,
    pub version: i64,
}

/// The join's row: session columns are aliased so they cannot collide with the user's `id`.
#[derive(sqlx::FromRow)]
struct SessionUserRow {
    sid: String,
    keep_logged_in: bool,
    user_agent: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    version: i64,
    refresh_current: Option<String>,
    refresh_pending: Option<String>,
    #[sqlx(flatten)]
    user: User,
}

const FIND_SESSION: &str = "SELECT s.id AS sid, s.keep_logged_in, s.user_agent, s.created_at, \
     s.last_seen_at, s.expires_at, s.revoked_at, s.version, s.refresh_current, s.refresh_pending, \
     u.id, u.user_id, u.email, u.name, u.position, u.location, u.bio \
     FROM sessions s JOIN users u ON u.id = s.user_pk WHERE s.id = $1";

const FIND_DROPPED: &str = "SELECT jti FROM refresh_lineage WHERE session_id = $1 AND state = 'dropped' \
     ORDER BY issued_ms DESC LIMIT 32";

/// A refresh token as stored: its fingerprint and `jti`, never the token.
#[derive(Clone, Copy)]
pub struct NewRefresh<'a> {
    pub fingerprint: &'a str,
    pub jti: &'a str,
    pub issued_ms: i64,
    pub expires_at: i64,
}

const INSERT_REFRESH: &str = "INSERT INTO refresh_lineage \
     (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Takes the session's lock for the rest of the transaction and reads its lineage; `None` when
/// the session is over. The version bump tells other instances' caches their copy is old.
const LOCK_SESSION: &str = "UPDATE sessions SET version = version + 1 \
     WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 \
     RETURNING version, refresh_current, refresh_pending, refresh_pending_ms";

#[derive(sqlx::FromRow)]
struct Locked {
    version: i64,
    refresh_current: Option<String>,
    refresh_pending: Option<String>,
    refresh_pending_ms: Option<i64>,
}

/// [`LOCK_SESSION`] for a refresh: also reads what the lineage knows of the presented token
/// (`$3`, its fingerprint; `NULL` for none), in the same round trip. By fingerprint, not by the
/// token's `jti` claim: a token from before the lineage was stored with its fingerprint as its
/// `jti`, and the demos present a token whose claims the request did not verify.
const LOCK_FOR_REFRESH: &str = "UPDATE sessions SET version = version + 1 \
     WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 \
     RETURNING version, refresh_current, refresh_pending, refresh_pending_ms, \
     (SELECT jti FROM refresh_lineage WHERE fingerprint = $3 AND session_id = $1) AS presented_jti, \
     (SELECT state FROM refresh_lineage WHERE fingerprint = $3 AND session_id = $1) AS presented_state, \
     (SELECT ended_ms FROM refresh_lineage WHERE fingerprint = $3 AND session_id = $1) AS presented_ended_ms";

#[derive(sqlx::FromRow)]
struct LockedForRefresh {
    #[sqlx(flatten)]
    locked: Locked,
    presented_jti: Option<String>,
    presented_state: Option<String>,
    presented_ended_ms: Option<i64>,
}

/// What a refresh did, for the flow to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A child was issued (pending until the client uses it). `confirmed`: the token presented
    /// was the pending child, now current. `dropped`: an unconfirmed child was dropped first.
    Issued {
        confirmed: bool,
        dropped: Option<String>,
    },
    /// Within the grace window: a new access token on the current branch, named here.
    Grace { current: Option<String> },
    /// Theft: the session is now ended.
    Theft(Theft),
    /// Not a token of this session.
    Unknown,
    /// The session was already over.
    SessionEnded,
}

/// What confirming a child through its access token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The child is now the current token.
    Confirmed,
    /// Someone else confirmed it first, or the branch is older: nothing to do.
    Nothing,
    /// The branch had been dropped: theft; the session is now ended.
    Theft,
    SessionEnded,
}

/// One refresh token of a session, for the lineage picture on `/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineageEntry {
    pub jti: String,
    pub parent_jti: Option<String>,
    pub state: String,
    pub issued_ms: i64,
    pub confirmed_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

/// Why a session ended, for the log and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    Logout,
    Revoke,
    RevokeOthers,
    PasswordChange,
    Reuse,
}

impl EndCause {
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::Logout => "logout",
            EndCause::Revoke => "revoke",
            EndCause::RevokeOthers => "revoke_others",
            EndCause::PasswordChange => "password_change",
            EndCause::Reuse => "reuse",
        }
    }
}

/// What a prune removed: every ended session, of which `expired` ended by running out of their
/// lifetime (the others were revoked, and were counted when they were).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub expired: u64,
}

/// What the cache knows of a session.
#[derive(Clone)]
enum Cached {
    Live(Arc<LiveSession>),
    /// It has ended; nothing may put a live copy over this.
    Ended,
    /// It changed to at least this version; an older copy must not be cached.
    Stale(i64),
}

/// Whether the cache may be used. On PostgreSQL it is closed while the invalidation listener is
/// disconnected (nothing would tell us of another instance's logout); `epoch` moves on each
/// opening and closing, so a read that began before one is never cached after it.
#[derive(Debug)]
pub struct CacheGate {
    open: AtomicBool,
    epoch: AtomicU64,
}

impl CacheGate {
    fn new(open: bool) -> Self {
        Self {
            open: AtomicBool::new(open),
            epoch: AtomicU64::new(0),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }
}

/// Cache hits, misses and invalidations, for the metrics.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub invalidations: AtomicU64,
}

/// Sessions with a bounded in-memory cache in front of the hot read, so a request with a valid
/// access token costs one signature check and no database round trip.
///
/// Correctness first: every way a session ends writes an `Ended` marker after the database
/// commit; every lineage change leaves the newer version (or a `Stale` marker) after it. A
/// reader only caches what it read if nothing newer is known, so it can never put an older copy
/// over a newer one. Other instances learn of changes through [`Invalidation`]s; should one be
/// lost, no entry lives longer than the cache's time to live (`SESSION_CACHE_TTL`).
#[derive(Clone)]
pub struct SessionStore {
    db: Db,
    /// SQLite: the rotations planned from the cache, committed together.
    batch: Option<Arc<batch::Batcher>>,
    cache: moka::sync::Cache<String, Cached>,
    gate: Arc<CacheGate>,
    pub counters: Arc<CacheCounters>,
}

/// Sessions kept in memory at most.
pub const CACHE_CAPACITY: u64 = 10_000;

fn mark_ended_sql() -> &'static str {
    "UPDATE sessions SET revoked_at = $1, version = version + 1 WHERE id = $2 AND revoked_at IS NULL"
}

impl SessionStore {
    /// `gate_open`: whether the cache starts usable (on PostgreSQL it opens once the listener
    /// is connected).
    pub fn new(db: Db, ttl: std::time::Duration, gate_open: bool) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(CACHE_CAPACITY)
            .time_to_live(ttl)
            .build();
        let batch = match &db {
            Db::Sqlite(pool) => Some(batch::Batcher::beside(pool)),
            Db::Postgres(_) => None,
        };
        Self {
            db,
            batch,
            cache,
            gate: Arc::new(CacheGate::new(gate_open)),
            counters: Arc::new(CacheCounters::default()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// SQLite: what the rotation batches did (see `batch`); `None` on PostgreSQL.
    pub fn batch_counters(&self) -> Option<&BatchCounters> {
        self.batch.as_ref().map(|b| &b.counters)
    }

    pub fn gate(&self) -> &CacheGate {
        &self.gate
    }

    /// Opens (or closes) the cache, forgetting everything in it either way.
    pub fn set_cache_open(&self, open: bool) {
        self.gate.epoch.fetch_add(1, Ordering::SeqCst);
        self.gate.open.store(open, Ordering::SeqCst);
        self.cache.invalidate_all();
        self.gate.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Applies a change heard from another instance (or from our own transaction).
    pub fn apply(&self, change: &Invalidation) {
        self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
        match change {
            Invalidation::Ended(sid) => self.mark_ended(sid),
            Invalidation::Changed { sid, version } => self.mark_changed(sid, *version),
        }
    }

    fn mark_ended(&self, sid: &str) {
        self.cache.insert(sid.to_owned(), Cached::Ended);
    }

    fn mark_changed(&self, sid: &str, version: i64) {
        self.cache
            .entry(sid.to_owned())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(Cached::Ended) => Op::Nop,
                Some(Cached::Live(live)) if live.version >= version => Op::Nop,
                Some(Cached::Stale(min)) if min >= version => Op::Nop,
                _ => Op::Put(Cached::Stale(version)),
            });
    }

    /// Puts a copy we know is current (just read, or just written) unless something newer is
    /// known. Returns false when the session turned out to be ended.
    fn remember(&self, live: Arc<LiveSession>) -> bool {
        let sid = live.session.id.clone();
        let mut ended = false;
        self.cache
            .entry(sid)
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(Cached::Ended) => {
                    ended = true;
                    Op::Nop
                }
                Some(Cached::Live(old)) if old.version >= live.version => Op::Nop,
                Some(Cached::Stale(min)) if min > live.version => Op::Nop,
                _ => Op::Put(Cached::Live(live.clone())),
            });
        !ended
    }

    async fn load(&self, sid: &str) -> Result<Option<LiveSession>, sqlx::Error> {
        on_db!(&self.db, pool => {
            let row: Option<SessionUserRow> =
                sqlx::query_as(FIND_SESSION).bind(sid).fetch_optional(pool).await?;
            let Some(r) = row else { return Ok(None) };
            let dropped: Vec<String> = if r.keep_logged_in {
                sqlx::query_scalar(FIND_DROPPED).bind(sid).fetch_all(pool).await?
            } else {
                Vec::new()
            };
            let session = Session {
                id: r.sid,
                user_pk: r.user.id,
                keep_logged_in: r.keep_logged_in,
                user_agent: r.user_agent,
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
            };
            Ok(Some(LiveSession {
                session,
                user: r.user,
                lineage: Lineage {
                    current: r.refresh_current,
                    pending: r.refresh_pending,
                    dropped,
                },
                version: r.version,
            }))
        })
    }

    /// The session, its user and its lineage; `None` if there is no such session. An ended
    /// session is returned as such (with `revoked_at` set), so callers can tell "ended" from
    /// "unknown".
    pub async fn find(&self, sid: &str, now: i64) -> Result<Option<Arc<LiveSession>>, sqlx::Error> {
        let mut known_ended = false;
        if self.gate.is_open() {
            match self.cache.get(sid) {
                Some(Cached::Live(live)) => {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(live));
                }
                Some(Cached::Ended) => known_ended = true,
                Some(Cached::Stale(_)) | None => {}
            }
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        // Twice at most: a read that turns out older than a change we heard of meanwhile is
        // read again.
        for _ in 0..2 {
            let epoch = self.gate.epoch.load(Ordering::SeqCst);
            // Boxed: the database read is the rare path, and its future would otherwise make
            // every request's future (moved a few times per request) several KiB larger.
            let Some(mut live) = Box::pin(self.load(sid)).await? else {
                return Ok(None);
            };
            if known_ended || live.session.revoked_at.is_some() {
                live.session.revoked_at.get_or_insert(now);
                self.mark_ended(sid);
                return Ok(Some(Arc::new(live)));
            }
            let live = Arc::new(live);
            if !self.gate.is_open() || self.gate.epoch.load(Ordering::SeqCst) != epoch {
                return Ok(Some(live));
            }
            if !self.remember(live.clone()) {
                let mut ended = (*live).clone();
                ended.session.revoked_at = Some(now);
                return Ok(Some(Arc::new(ended)));
            }
            match self.cache.get(sid) {
                Some(Cached::Stale(min)) if min > live.version => continue,
                _ => return Ok(Some(live)),
            }
        }
        // Still behind after a second read: serve what the database says without caching it.
        Ok(Box::pin(self.load(sid)).await?.map(Arc::new))
    }

    /// Starts a session and, for "keep me logged in", its first (current) refresh token.
    pub async fn create(
        &self,
        session: &Session,
        refresh: Option<&NewRefresh<'_>>,
    ) -> Result<(), sqlx::Error> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO sessions (id, user_pk, keep_logged_in, user_agent, created_at, \
                 last_seen_at, expires_at, refresh_current) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&session.id)
            .bind(session.user_pk)
            .bind(session.keep_logged_in)
            .bind(&session.user_agent)
            .bind(session.created_at)
            .bind(session.last_seen_at)
            .bind(session.expires_at)
            .bind(refresh.map(|r| r.jti))
            .execute(&mut *tx)
            .await?;
            if let Some(r) = refresh {
                sqlx::query(INSERT_REFRESH)
                    .bind(r.fingerprint)
                    .bind(r.jti)
                    .bind(&session.id)
                    .bind(None::<&str>)
                    .bind("current")
                    .bind(r.issued_ms)
                    .bind(Some(r.issued_ms))
                    .bind(r.expires_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
    }

    /// Records activity (for `/sessions`; now and then, not per request), in the background: a
    /// request served from the cache must neither wait for this write nor fail because the
    /// database cannot take it now. It checks on the way that the cached copy is still the
    /// row's: the write only happens while the row has the cached version and is not ended.
    /// Then the cached copy is renewed (its lifetime starts again, rightly: it was just
    /// checked); otherwise it is dropped, and the next request reads the session again. So a
    /// copy that missed a change lives at most `SESSION_CACHE_TTL`, however busy the session.
    pub fn touch(&self, live: &LiveSession, now: i64) {
        let store = self.clone();
        let (sid, version) = (live.session.id.clone(), live.version);
        tokio::spawn(async move { store.record_activity(&sid, version, now).await });
    }

    /// [`touch`](Self::touch)'s work, awaited: the write, then the cache.
    pub async fn record_activity(&self, sid: &str, version: i64, now: i64) {
        let written = on_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1 \
                 WHERE id = $2 AND version = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(sid)
            .bind(version)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
        });
        let written = match written {
            Ok(written) => written,
            Err(e) => {
                tracing::debug!(error = %e, "could not record session activity");
                return;
            }
        };
        self.cache
            .entry(sid.to_owned())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                // Only the copy that was checked: a newer one (a rotation racing this write)
                // stays as it is.
                Some(Cached::Live(live)) if live.version == version => {
                    if written {
                        let mut updated = (*live).clone();
                        updated.session.last_seen_at = now;
                        Op::Put(Cached::Live(Arc::new(updated)))
                    } else {
                        // The row moved on, or ended, since this copy was cached.
                        Op::Remove
                    }
                }
                _ => Op::Nop,
            });
    }

    /// Follows the lineage rule for a refresh token (`presented`: its fingerprint) or, with
    /// `None`, for a kept session whose client proved it is on the current branch with a valid
    /// access token but lost its refresh cookie. Issues `child` if the rule says so. One
    /// transaction; see the module's note on locking.
    pub async fn refresh(
        &self,
        cached: &LiveSession,
        presented: Option<PresentedRefresh<'_>>,
        child: &NewRefresh<'_>,
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<RefreshOutcome, sqlx::Error> {
        let sid = cached.session.id.as_str();
        let now = now_ms.div_euclid(1000);
        // The usual cases (the client presents its newest refresh token) are planned from the
        // cached lineage and written in one guarded round trip; anything else, or a cached copy
        // that turns out to be behind, takes the session's lock and reads the lineage first.
        let from_cache = plan_from_cache(cached, presented);
        if let Some(plan) = from_cache {
            let rotation = Rotation {
                sid,
                now_ms,
                now,
                plan,
                current: cached.lineage.current.as_deref(),
                pending: cached.lineage.pending.as_deref(),
                read_version: cached.version,
                presented: presented.map(|p| (p.fingerprint, p.jti)),
                child: *child,
            };
            let written = match &self.batch {
                Some(batch) => batch
                    .write(batch::Queued::of(&rotation))
                    .await?
                    .then(|| rotation.outcome()),
                None => on_db!(&self.db, pool => {
                    let mut tx = pool.begin().await?;
                    let written = rotation.write(&mut tx, pool).await?;
                    if written.is_some() {
                        tx.commit().await?;
                    }
                    written
                }),
            };
            if let Some(outcome) = written {
                self.after_refresh(cached, &outcome, cached.version + 1, child, now);
                return Ok(outcome);
            }
        }
        let (outcome, version, lineage_as_cached) = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let found: Option<LockedForRefresh> = sqlx::query_as(LOCK_FOR_REFRESH)
                .bind(sid)
                .bind(now)
                .bind(presented.map(|p| p.fingerprint))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(found) = found else {
                return Ok(RefreshOutcome::SessionEnded);
            };
            let lineage_as_cached = found.locked.refresh_current == cached.lineage.current
                && found.locked.refresh_pending == cached.lineage.pending;
            let position = match presented {
                None => Presented::Current,
                Some(_) => place(&found),
            };
            let locked = &found.locked;
            let plan = decide::plan_refresh(position, locked.refresh_pending_ms, now_ms, grace_ms);
            let (outcome, version) = match plan {
                RefreshPlan::Reject => (RefreshOutcome::Unknown, locked.version),
                RefreshPlan::Grace => (
                    RefreshOutcome::Grace {
                        current: locked.refresh_current.clone(),
                    },
                    locked.version,
                ),
                RefreshPlan::Theft(why) => {
                    sqlx::query(mark_ended_sql())
                        .bind(now)
                        .bind(sid)
                        .execute(&mut *tx)
                        .await?;
                    tx.announce(&Invalidation::Ended(sid.to_owned())).await?;
                    (RefreshOutcome::Theft(why), locked.version)
                }
                RefreshPlan::IssueChild { .. } | RefreshPlan::ConfirmThenIssueChild => {
                    let rotation = Rotation {
                        sid,
                        now_ms,
                        now,
                        plan,
                        current: locked.refresh_current.as_deref(),
                        pending: locked.refresh_pending.as_deref(),
                        read_version: locked.version,
                        presented: presented
                            .zip(found.presented_jti.as_deref())
                            .map(|(p, jti)| (p.fingerprint, jti)),
                        child: *child,
                    };
                    // We hold the session's lock: the guard cannot fail.
                    let outcome = rotation
                        .write(&mut tx, pool)
                        .await?
                        .ok_or(sqlx::Error::RowNotFound)?;
                    (outcome, locked.version + 1)
                }
            };
            tx.commit().await?;
            (outcome, version, lineage_as_cached)
        });
        match &outcome {
            RefreshOutcome::Theft(_) => self.mark_ended(sid),
            RefreshOutcome::Issued { .. } => {
                self.after_refresh(cached, &outcome, version, child, now);
            }
            // Locking the row moved its version on and changed nothing else: keep the cached
            // copy in step, or the next refresh planned from it would fail its guard and take
            // the locking path for nothing.
            RefreshOutcome::Grace { .. } | RefreshOutcome::Unknown if lineage_as_cached => {
                let mut next = cached.clone();
                next.version = version;
                self.remember(Arc::new(next));
            }
            RefreshOutcome::Grace { .. } | RefreshOutcome::Unknown => {
                self.mark_changed(sid, version)
            }
            RefreshOutcome::SessionEnded => {}
        }
        Ok(outcome)
    }

    /// The cache after this instance issued a child: the lineage moved on one step.
    fn after_refresh(
        &self,
        cached: &LiveSession,
        outcome: &RefreshOutcome,
        version: i64,
        child: &NewRefresh<'_>,
        now: i64,
    ) {
        let RefreshOutcome::Issued { confirmed, dropped } = outcome else {
            return;
        };
        let mut next = cached.clone();
        next.version = version;
        if *confirmed {
            next.lineage.current = next.lineage.pending.take();
        }
        if let Some(d) = dropped {
            next.lineage.dropped.insert(0, d.clone());
            next.lineage.dropped.truncate(MAX_DROPPED);
        }
        next.lineage.pending = Some(child.jti.to_owned());
        next.session.last_seen_at = now;
        self.remember(Arc::new(next));
    }

    /// An access token issued with the pending child came back: the client has the child, which
    /// becomes current. If the branch was dropped meanwhile, that is theft.
    pub async fn confirm(
        &self,
        cached: &LiveSession,
        jti: &str,
        now_ms: i64,
    ) -> Result<Confirmation, sqlx::Error> {
        let sid = cached.session.id.as_str();
        let now = now_ms.div_euclid(1000);
        let (confirmation, version) = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let locked: Option<Locked> = sqlx::query_as(LOCK_SESSION)
                .bind(sid)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(locked) = locked else {
                return Ok(Confirmation::SessionEnded);
            };
            let confirmation = if locked.refresh_pending.as_deref() == Some(jti) {
                confirm_pending(&mut tx, sid, &locked, now_ms).await?;
                sqlx::query(
                    "UPDATE sessions SET refresh_current = $1, refresh_pending = NULL, \
                     refresh_pending_ms = NULL WHERE id = $2",
                )
                .bind(jti)
                .bind(sid)
                .execute(&mut *tx)
                .await?;
                tx.announce(&Invalidation::Changed {
                    sid: sid.to_owned(),
                    version: locked.version,
                })
                .await?;
                Confirmation::Confirmed
            } else {
                let state: Option<String> = sqlx::query_scalar(
                    "SELECT state FROM refresh_lineage WHERE jti = $1 AND session_id = $2",
                )
                .bind(jti)
                .bind(sid)
                .fetch_optional(&mut *tx)
                .await?;
                if state.as_deref() == Some("dropped") {
                    sqlx::query(mark_ended_sql())
                        .bind(now)
                        .bind(sid)
                        .execute(&mut *tx)
                        .await?;
                    tx.announce(&Invalidation::Ended(sid.to_owned())).await?;
                    Confirmation::Theft
                } else {
                    Confirmation::Nothing
                }
            };
            tx.commit().await?;
            (confirmation, locked.version)
        });
        match confirmation {
            Confirmation::Confirmed => {
                let mut next = cached.clone();
                next.version = version;
                next.lineage.current = Some(jti.to_owned());
                next.lineage.pending = None;
                self.remember(Arc::new(next));
            }
            Confirmation::Theft => self.mark_ended(sid),
            // Our copy was behind (another instance moved on): read it again next time.
            Confirmation::Nothing => self.mark_changed(sid, version),
            Confirmation::SessionEnded => self.mark_ended(sid),
        }
        Ok(confirmation)
    }

    /// Ends a session; its tokens are refused from now on. Ending an ended session is a no-op
    /// and answers false.
    pub async fn revoke(&self, sid: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = self.end_where(sid, None, now).await?;
        self.mark_ended(sid);
        Ok(done)
    }

    /// Ends one of the user's sessions, only if it is theirs.
    pub async fn revoke_for_user(
        &self,
        user_pk: i64,
        sid: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = self.end_where(sid, Some(user_pk), now).await?;
        if done {
            self.mark_ended(sid);
        }
        Ok(done)
    }

    async fn end_where(
        &self,
        sid: &str,
        user_pk: Option<i64>,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE sessions SET revoked_at = $1, version = version + 1 \
                 WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR user_pk = $3)",
            )
            .bind(now)
            .bind(sid)
            .bind(user_pk)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                tx.announce(&Invalidation::Ended(sid.to_owned())).await?;
            }
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(done)
        })
    }

    /// Ends every live session of the user but `keep`; returns the ids ended. With
    /// `new_password_hash`, the password changes in the same transaction, so there is no moment
    /// where the new password is set and an old session still works.
    pub async fn revoke_others(
        &self,
        user_pk: i64,
        keep: &str,
        now: i64,
        new_password_hash: Option<&str>,
    ) -> Result<Vec<String>, sqlx::Error> {
        let ended: Vec<String> = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            if let Some(hash) = new_password_hash {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user_pk)
                    .execute(&mut *tx)
                    .await?;
            }
            let ended: Vec<String> = sqlx::query_scalar(
                "UPDATE sessions SET revoked_at = $1, version = version + 1 \
                 WHERE user_pk = $2 AND id <> $3 AND revoked_at IS NULL RETURNING id",
            )
            .bind(now)
            .bind(user_pk)
            .bind(keep)
            .fetch_all(&mut *tx)
            .await?;
            for sid in &ended {
                tx.announce(&Invalidation::Ended(sid.clone())).await?;
            }
            tx.commit().await?;
            ended
        });
        for sid in &ended {
            self.mark_ended(sid);
        }
        Ok(ended)
    }

    /// The user's live sessions, newest first.
    pub async fn list_active(&self, user_pk: i64, now: i64) -> Result<Vec<Session>, sqlx::Error> {
        on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, user_pk, keep_logged_in, user_agent, created_at, last_seen_at, \
                 expires_at, revoked_at FROM sessions \
                 WHERE user_pk = $1 AND revoked_at IS NULL AND expires_at > $2 \
                 ORDER BY created_at DESC, id",
            )
            .bind(user_pk)
            .bind(now)
            .fetch_all(pool)
            .await
        })
    }

    /// Every refresh token a session has had, oldest first (for the lineage picture).
    pub async fn lineage_of(&self, sid: &str) -> Result<Vec<LineageEntry>, sqlx::Error> {
        on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT jti, parent_jti, state, issued_ms, confirmed_ms, ended_ms \
                 FROM refresh_lineage WHERE session_id = $1 ORDER BY issued_ms, jti",
            )
            .bind(sid)
            .fetch_all(pool)
            .await
        })
    }

    /// Deletes sessions that are over (revoked, or past their absolute lifetime) and refresh
    /// tokens past their expiry.
    pub async fn prune(&self, now: i64) -> Result<Pruned, sqlx::Error> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let expired = sqlx::query(
                "DELETE FROM sessions WHERE revoked_at IS NULL AND expires_at <= $1",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let revoked = sqlx::query("DELETE FROM sessions WHERE revoked_at IS NOT NULL")
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM refresh_lineage WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Pruned {
                sessions: expired + revoked,
                expired,
            })
        })
    }

    /// How many refresh tokens of the session are current; exactly one for a healthy kept
    /// session (checked by the tests after concurrent and crashing loads).
    pub async fn current_refresh_count(&self, sid: &str) -> Result<i64, sqlx::Error> {
        on_db!(&self.db, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM refresh_lineage WHERE session_id = $1 AND state = 'current'",
            )
            .bind(sid)
            .fetch_one(pool)
            .await
        })
    }
}

/// Where the presented token (its row, if any) stands, against the locked session's lineage.
/// The refresh token a client presented: its fingerprint, and the `jti` its verified claims
/// name.
#[derive(Debug, Clone, Copy)]
pub struct PresentedRefresh<'a> {
    pub fingerprint: &'a str,
    pub jti: &'a str,
}

/// The plan for the common cases, from the cached lineage alone: the presented token is the
/// pending child (confirm it, issue the next), or the current one with no child pending (issue
/// one). The guarded write checks the cache was right; any other case needs the row's times
/// (the grace window) or the lineage's history, so it is left to the locked path.
fn plan_from_cache(
    cached: &LiveSession,
    presented: Option<PresentedRefresh<'_>>,
) -> Option<RefreshPlan> {
    let lineage = &cached.lineage;
    let position = match presented {
        None => Presented::Current,
        Some(p) if lineage.pending.as_deref() == Some(p.jti) => Presented::Pending,
        Some(p) if lineage.current.as_deref() == Some(p.jti) => Presented::Current,
        Some(_) => return None,
    };
    if position == Presented::Current && lineage.pending.is_some() {
        return None;
    }
    // No pending child, so no time enters the rule.
    let plan = decide::plan_refresh(position, None, 0, 0);
    matches!(
        plan,
        RefreshPlan::IssueChild { .. } | RefreshPlan::ConfirmThenIssueChild
    )
    .then_some(plan)
}

/// Binds a [`Rotation`]'s parameters, in the order [`super::backend::Dialect::ROTATE`] numbers
/// them, to `query` (any backend, any kind of query).
macro_rules! bind_rotation {
    ($query:expr, $r:expr, $drop_pending:expr, $confirmed:expr) => {{
        let r = $r;
        // Confirming makes the pending child the parent of the next one.
        let parent = if $confirmed { r.pending } else { r.current };
        $query
            .bind(r.sid)
            .bind(r.now_ms)
            .bind($drop_pending)
            .bind(r.pending)
            .bind($confirmed)
            .bind(r.current)
            .bind(r.child.fingerprint)
            .bind(r.child.jti)
            .bind(parent)
            .bind(r.child.issued_ms)
            .bind(r.child.expires_at)
            .bind(r.read_version)
            .bind(r.now)
            .bind(r.presented.map(|p| p.0))
            .bind(r.presented.map(|p| p.1))
    }};
}
use bind_rotation;

/// One rotation's writes ([`super::backend::Dialect::ROTATE`]), guarded by the version read.
struct Rotation<'a> {
    sid: &'a str,
    now_ms: i64,
    now: i64,
    plan: RefreshPlan,
    current: Option<&'a str>,
    pending: Option<&'a str>,
    read_version: i64,
    presented: Option<(&'a str, &'a str)>,
    child: NewRefresh<'a>,
}

impl Rotation<'_> {
    /// `None` when the guard failed: the session changed since it was read.
    async fn write<'c, DB>(
        &self,
        tx: &mut sqlx::Transaction<'c, DB>,
        pool: &sqlx::Pool<DB>,
    ) -> Result<Option<RefreshOutcome>, sqlx::Error>
    where
        DB: sqlx::Database + super::backend::Dialect,
        sqlx::Transaction<'c, DB>: Announce,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
        for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
        usize: sqlx::ColumnIndex<DB::Row>,
    {
        let (drop_pending, confirmed) = self.flags();
        let query = sqlx::query_scalar(super::backend::rotate_sql(pool));
        let written: Option<String> = bind_rotation!(query, self, drop_pending, confirmed)
            .fetch_optional(&mut **tx)
            .await?;
        if written.is_none() {
            return Ok(None);
        }
        tx.announce(&Invalidation::Changed {
            sid: self.sid.to_owned(),
            version: self.read_version + 1,
        })
        .await?;
        Ok(Some(self.outcome()))
    }

    /// Drop the pending child? Confirm it?
    fn flags(&self) -> (bool, bool) {
        (
            self.plan == (RefreshPlan::IssueChild { drop_pending: true }),
            self.plan == RefreshPlan::ConfirmThenIssueChild,
        )
    }

    fn outcome(&self) -> RefreshOutcome {
        let (drop_pending, confirmed) = self.flags();
        let dropped = drop_pending
            .then(|| self.pending.map(str::to_owned))
            .flatten();
        RefreshOutcome::Issued { confirmed, dropped }
    }
}

fn place(found: &LockedForRefresh) -> Presented {
    let Some(jti) = found.presented_jti.as_deref() else {
        return Presented::Unknown;
    };
    if found.locked.refresh_current.as_deref() == Some(jti) {
        return Presented::Current;
    }
    if found.locked.refresh_pending.as_deref() == Some(jti) {
        return Presented::Pending;
    }
    match (found.presented_state.as_deref(), found.presented_ended_ms) {
        (Some("retired"), Some(ended_ms)) => Presented::Retired { ended_ms },
        (Some("dropped"), _) => Presented::Dropped,
        _ => Presented::Unknown,
    }
}

/// The pending child becomes current and its parent retires, inside the caller's transaction.
/// The caller then updates the session row's pointers.
async fn confirm_pending<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    sid: &str,
    locked: &Locked,
    now_ms: i64,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    // One statement: the parent retires and the child becomes current.
    sqlx::query::<DB>(
        "UPDATE refresh_lineage SET \
         state = CASE WHEN jti = $2 THEN 'retired' ELSE 'current' END, \
         ended_ms = CASE WHEN jti = $2 THEN $1 ELSE ended_ms END, \
         confirmed_ms = CASE WHEN jti = $2 THEN confirmed_ms ELSE $1 END \
         WHERE session_id = $4 AND jti IN ($2, $3)",
    )
    .bind(now_ms)
    .bind(locked.refresh_current.as_deref())
    .bind(locked.refresh_pending.as_deref())
    .bind(sid)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(current: Option<&str>, pending: Option<&str>) -> LiveSession {
        LiveSession {
            session: Session {
                id: "s".into(),
                user_pk: 1,
                keep_logged_in: true,
                user_agent: String::new(),
                created_at: 0,
                last_seen_at: 0,
                expires_at: 100,
                revoked_at: None,
            },
            user: User {
                id: 1,
                user_id: "kimcoding".into(),
                email: String::new(),
                name: String::new(),
                position: String::new(),
                location: String::new(),
                bio: String::new(),
            },
            lineage: Lineage {
                current: current.map(Into::into),
                pending: pending.map(Into::into),
                dropped: vec!["d".into()],
            },
            version: 7,
        }
    }

    fn presented(jti: &str) -> Option<PresentedRefresh<'_>> {
        Some(PresentedRefresh {
            fingerprint: "f",
            jti,
        })
    }

    /// Only the two cases that need neither a time nor the lineage's history are planned
    /// without reading the row; everything the grace and theft rules decide takes the lock.
    #[test]
    fn the_cache_plans_only_the_plain_rotations() {
        let settled = live(Some("c"), None);
        assert_eq!(
            plan_from_cache(&settled, presented("c")),
            Some(RefreshPlan::IssueChild {
                drop_pending: false
            })
        );
        assert_eq!(
            plan_from_cache(&settled, None),
            Some(RefreshPlan::IssueChild {
                drop_pending: false
            })
        );
        let waiting = live(Some("c"), Some("p"));
        assert_eq!(
            plan_from_cache(&waiting, presented("p")),
            Some(RefreshPlan::ConfirmThenIssueChild)
        );
        // The parent again while a child waits: grace or a dropped branch, by the clock.
        assert_eq!(plan_from_cache(&waiting, presented("c")), None);
        assert_eq!(plan_from_cache(&waiting, None), None);
        // Retired, dropped or unknown tokens: the lineage's history decides.
        for jti in ["old", "d", ""] {
            assert_eq!(plan_from_cache(&waiting, presented(jti)), None, "{jti}");
        }
    }
}
