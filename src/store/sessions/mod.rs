//! Sessions and their refresh-token lineage, always through [`SessionStore`], so no session can
//! change without its cache hearing of it. Each part owns one thing:
//!
//! - [`model`]: the values (a session, a session as cached, a stored refresh token, outcomes);
//! - [`cache`]: each instance's memory of sessions, and the rules that keep it honest;
//! - [`repo`]: every SQL statement about sessions but the rotation; `reads`: cache misses
//!   read together;
//! - [`rotation`]: the rotation write (named parameters, bound in one place) and the locking
//!   path; [`batch`]: SQLite's group commit of the rotations planned from the cache;
//! - [`activity`]: "last seen".
//!
//! Every change that other instances must see happens in one transaction that announces it
//! (see `invalidation`), and is applied to this instance's cache after the commit. A change
//! that must not interleave with another (a rotation, a confirmation) locks the session row
//! first (an `UPDATE` that also bumps `version`: SQLite's write lock, PostgreSQL's row lock);
//! the one exception is the common refresh, planned from the cached lineage, whose first
//! statement is the guarded write itself.

mod activity;
mod batch;
pub mod cache;
mod model;
mod reads;
mod repo;
mod rotation;

use std::sync::Arc;
use std::sync::atomic::Ordering;

pub use activity::{Activity, ActivityCounters};
pub use batch::BatchCounters;
pub use cache::{CacheCounters, CacheGate};
pub use model::{
    Confirmation, EndCause, LineageEntry, LiveSession, NewRefresh, PresentedRefresh, Pruned,
    RefreshOutcome, Session,
};

use self::cache::{Lookup, SessionCache, Turn};
use self::rotation::RotationParams;
use super::{Db, Statements, on_db};
use crate::lineage::{Rotation, plan_from_cache};

/// How often a busy session's "last seen" is noted for writing, at most (seconds).
pub const TOUCH_EVERY: i64 = 60;
/// The sweep's pause between two steps.
const PRUNE_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

#[derive(Clone)]
pub struct SessionStore {
    db: Db,
    /// SQLite: the rotations planned from the cache, committed together.
    batch: Option<Arc<batch::Batcher>>,
    cache: Arc<SessionCache>,
    activity: Arc<Activity>,
    /// Cache misses, read together (see `reads`).
    reads: Arc<reads::Reads>,
    /// Demo mode: sessions whose next refresh is judged as if it came much later (see
    /// [`SessionStore::next_refresh_without_grace`]).
    without_grace: Arc<quick_cache::sync::Cache<String, ()>>,
}

impl SessionStore {
    /// `gate_open`: whether the cache starts usable (on PostgreSQL it opens once the listener
    /// is connected); `memory`: the bytes the cache may hold.
    pub fn new(db: Db, ttl: std::time::Duration, gate_open: bool, memory: u64) -> Self {
        let batch = match &db {
            Db::Sqlite(pool) => Some(batch::Batcher::beside(pool)),
            Db::Postgres(_) => None,
        };
        Self {
            without_grace: Arc::new(quick_cache::sync::Cache::new(1000)),
            reads: reads::Reads::new(db.clone()),
            db,
            batch,
            cache: Arc::new(SessionCache::new(ttl, gate_open, memory)),
            activity: Arc::default(),
        }
    }

    /// Demo mode: the next refresh of `sid` is judged without the grace window for a token
    /// just used, as if it came long after the last one. The demos that rotate behind the
    /// browser's back use it, so the lineage keeps true times (nothing is backdated).
    pub fn next_refresh_without_grace(&self, sid: &str) {
        self.without_grace.insert(sid.to_owned(), ());
    }

    /// The grace window for the next refresh of `sid`: `grace_ms`, or none once after
    /// [`next_refresh_without_grace`](Self::next_refresh_without_grace) (not even a token used
    /// in the same millisecond is within it).
    pub fn grace_ms(&self, sid: &str, grace_ms: i64) -> i64 {
        if self.without_grace.is_empty() || self.without_grace.remove(sid).is_none() {
            return grace_ms;
        }
        i64::MIN
    }

    /// "Last seen", noted and written in batches (for the metrics).
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The cache, for the invalidation listener and the metrics.
    pub fn cache(&self) -> &Arc<SessionCache> {
        &self.cache
    }

    pub fn counters(&self) -> &CacheCounters {
        &self.cache.counters
    }

    pub fn gate(&self) -> &CacheGate {
        self.cache.gate()
    }

    /// SQLite: what the rotation batches did (see `batch`); `None` on PostgreSQL.
    pub fn batch_counters(&self) -> Option<&BatchCounters> {
        self.batch.as_ref().map(|b| &b.counters)
    }

    /// The session, its user and its lineage; `None` if there is no such session. An ended
    /// session is returned as such (with `revoked_at` set), so callers can tell "ended" from
    /// "unknown".
    pub async fn find(&self, sid: &str, now: i64) -> Result<Option<Arc<LiveSession>>, sqlx::Error> {
        let known_ended = match self.cache.lookup(sid) {
            Lookup::Live(live) => return Ok(Some(live)),
            Lookup::Ended => true,
            Lookup::Miss => false,
        };
        // Boxed: the database read is the rare path, and its future would otherwise make
        // every request's future (moved a few times per request) several KiB larger.
        Box::pin(self.read_through(sid, now, known_ended)).await
    }

    /// A miss: read the row and cache it, unless something newer was heard of meanwhile (then
    /// read once more; still behind, serve what the database says without caching it). When
    /// another request is reading the same session already, wait for its read and look again.
    async fn read_through(
        &self,
        sid: &str,
        now: i64,
        known_ended: bool,
    ) -> Result<Option<Arc<LiveSession>>, sqlx::Error> {
        let _reading = match self.cache.turn(sid) {
            Turn::Read(reading) => reading,
            Turn::Wait(mut done) => {
                let _ = done.changed().await;
                if let Lookup::Live(live) = self.cache.lookup(sid) {
                    return Ok(Some(live));
                }
                match self.cache.turn(sid) {
                    Turn::Read(reading) => reading,
                    // Still someone else's: read it ourselves rather than wait twice.
                    Turn::Wait(_) => return self.read(sid, now, known_ended).await,
                }
            }
        };
        self.read(sid, now, known_ended).await
    }

    async fn read(
        &self,
        sid: &str,
        now: i64,
        known_ended: bool,
    ) -> Result<Option<Arc<LiveSession>>, sqlx::Error> {
        for _ in 0..2 {
            let epoch = self.cache.gate().epoch();
            self.cache.counters.loads.fetch_add(1, Ordering::Relaxed);
            let Some(live) = self.reads.load(sid).await? else {
                return Ok(None);
            };
            let live = Arc::new(live);
            if known_ended || live.session.revoked_at.is_some() {
                self.cache.mark_ended(sid);
                return Ok(Some(live.ended(now)));
            }
            let gate = self.cache.gate();
            if !gate.is_open() || gate.epoch() != epoch {
                return Ok(Some(live));
            }
            if !self.cache.remember(live.clone()) {
                return Ok(Some(live.ended(now)));
            }
            if !self.cache.knows_newer_than(sid, live.version) {
                return Ok(Some(live));
            }
        }
        self.cache.counters.loads.fetch_add(1, Ordering::Relaxed);
        Ok(self.reads.load(sid).await?.map(Arc::new))
    }

    /// Starts a session and, for "keep me logged in", its first (current) refresh token.
    pub async fn create(
        &self,
        session: &Session,
        refresh: Option<&NewRefresh<'_>>,
    ) -> Result<(), sqlx::Error> {
        repo::insert(&self.db, session, refresh).await
    }

    /// Notes that a session was used at `now`, for the next "last seen" batch: only when its
    /// "last seen" is [`TOUCH_EVERY`] old, and once per cached copy in that time, however many
    /// requests it serves. A plain memory write: no request waits for the database.
    pub fn touch(&self, live: &LiveSession, now: i64) {
        if now - live.session.last_seen_at < TOUCH_EVERY || now - live.noted.at() < TOUCH_EVERY {
            return;
        }
        live.noted.set(now);
        self.activity.note(&live.session.id, live.version, now);
    }

    /// Writes the "last seen" times noted so far, in one batch (see `activity`); how many.
    pub async fn flush_activity(&self) -> Result<usize, sqlx::Error> {
        self.activity.flush(&self.db, &self.cache).await
    }

    /// Notes the copy of `sid` at `version` as used at `now`, and writes it at once.
    pub async fn record_activity(&self, sid: &str, version: i64, now: i64) {
        self.activity.note(sid, version, now);
        if let Err(e) = self.flush_activity().await {
            tracing::debug!(error = %e, "could not record session activity");
        }
    }

    /// Follows the lineage rule for a refresh token (`presented`: its fingerprint) or, with
    /// `None`, for a kept session whose client proved it is on the current branch with a valid
    /// access token but lost its refresh cookie. Issues `child` if the rule says so. The usual
    /// cases (the client presents its newest refresh token) are planned from the cached lineage
    /// and written in one guarded round trip; anything else, or a cached copy that turns out to
    /// be behind, takes the session's lock and reads the lineage first.
    pub async fn refresh(
        &self,
        cached: &LiveSession,
        presented: Option<PresentedRefresh<'_>>,
        child: &NewRefresh<'_>,
        now_ms: i64,
        grace_ms: i64,
    ) -> Result<RefreshOutcome, sqlx::Error> {
        if let Some(outcome) = self
            .refresh_from_cache(cached, presented, child, now_ms)
            .await?
        {
            return Ok(outcome);
        }
        let locked =
            rotation::refresh_locked(&self.db, cached, presented, *child, now_ms, grace_ms).await?;
        let sid = cached.session.id.as_str();
        match &locked.outcome {
            RefreshOutcome::Theft(_) => self.cache.mark_ended(sid),
            RefreshOutcome::Issued { .. } if locked.lineage_as_cached => {
                self.after_rotation(cached, &locked.outcome, locked.version, child, now_ms);
            }
            // The cached lineage was behind the row's: the next request reads it again rather
            // than trust a step taken from the wrong place.
            RefreshOutcome::Issued { .. } => self.cache.mark_changed(sid, locked.version),
            // Locking the row moved its version on and changed nothing else: keep the cached
            // copy in step, or the next refresh planned from it would fail its guard and take
            // the locking path for nothing.
            RefreshOutcome::Grace { .. } | RefreshOutcome::Unknown if locked.lineage_as_cached => {
                let mut next = cached.clone();
                next.version = locked.version;
                self.cache.remember(Arc::new(next));
            }
            RefreshOutcome::Grace { .. } | RefreshOutcome::Unknown => {
                self.cache.mark_changed(sid, locked.version)
            }
            RefreshOutcome::SessionEnded => {}
        }
        Ok(locked.outcome)
    }

    /// The rotations the cache can plan, written with a guard on the cached version: `None`
    /// when there is no such plan or the guard failed (the locking path decides then).
    async fn refresh_from_cache(
        &self,
        cached: &LiveSession,
        presented: Option<PresentedRefresh<'_>>,
        child: &NewRefresh<'_>,
        now_ms: i64,
    ) -> Result<Option<RefreshOutcome>, sqlx::Error> {
        let lineage = &cached.lineage;
        let Some(rotation) =
            plan_from_cache(lineage, presented.map(|p| p.jti)).and_then(Rotation::of)
        else {
            return Ok(None);
        };
        let params = RotationParams::new(
            &cached.session.id,
            now_ms,
            rotation,
            lineage,
            cached.version,
            presented.map(|p| (p.fingerprint, p.jti)),
            *child,
        );
        let written = match &self.batch {
            Some(batch) => batch
                .write(batch::Queued::of(&params))
                .await?
                .then(|| params.outcome()),
            None => on_db!(&self.db, pool => {
                    let named = pool.named();
            let mut tx = pool.begin().await?;
                    let written = params.write(&mut tx, named).await?;
                    if written.is_some() {
                        tx.commit().await?;
                    }
                    written
                }),
        };
        if let Some(outcome) = &written {
            self.after_rotation(cached, outcome, cached.version + 1, child, now_ms);
        }
        Ok(written)
    }

    /// The cache after this instance issued a child: the lineage moved on one step.
    fn after_rotation(
        &self,
        before: &LiveSession,
        outcome: &RefreshOutcome,
        version: i64,
        child: &NewRefresh<'_>,
        now_ms: i64,
    ) {
        let RefreshOutcome::Issued { confirmed, dropped } = outcome else {
            return;
        };
        let rotation = Rotation {
            drop_pending: dropped.is_some(),
            confirm: *confirmed,
        };
        let mut next = before.clone();
        next.version = version;
        next.lineage = rotation.next(&before.lineage, child.jti);
        next.session.last_seen_at = now_ms.div_euclid(1000);
        self.cache.remember(Arc::new(next));
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
        let (confirmation, version) = rotation::confirm_locked(&self.db, sid, jti, now_ms).await?;
        match confirmation {
            Confirmation::Confirmed => {
                let mut next = cached.clone();
                next.version = version;
                next.lineage = cached.lineage.confirmed(jti);
                self.cache.remember(Arc::new(next));
            }
            // Our copy was behind (another instance moved on): read it again next time.
            Confirmation::Nothing => self.cache.mark_changed(sid, version),
            Confirmation::Theft | Confirmation::SessionEnded => self.cache.mark_ended(sid),
        }
        Ok(confirmation)
    }

    /// Ends a session for `cause`; its tokens are refused from now on. Ending an ended session
    /// is a no-op and answers false.
    pub async fn revoke(&self, sid: &str, now: i64, cause: EndCause) -> Result<bool, sqlx::Error> {
        let done = repo::end(&self.db, sid, None, now, cause).await?;
        self.cache.mark_ended(sid);
        Ok(done)
    }

    /// Ends one of the user's sessions, only if it is theirs.
    pub async fn revoke_for_user(
        &self,
        user_pk: i64,
        sid: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = repo::end(&self.db, sid, Some(user_pk), now, EndCause::Revoke).await?;
        if done {
            self.cache.mark_ended(sid);
        }
        Ok(done)
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
        let ended = repo::end_others(&self.db, user_pk, keep, now, new_password_hash).await?;
        for sid in &ended {
            self.cache.mark_ended(sid);
        }
        Ok(ended)
    }

    /// The user's live sessions, newest first.
    pub async fn list_active(&self, user_pk: i64, now: i64) -> Result<Vec<Session>, sqlx::Error> {
        repo::list_active(&self.db, user_pk, now).await
    }

    /// These sessions' rows, live or ended, oldest first.
    pub async fn rows(&self, ids: &[&str]) -> Result<Vec<Session>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        repo::by_ids(&self.db, ids).await
    }

    /// Every refresh token a session has had, oldest first (for the lineage picture).
    pub async fn lineage_of(&self, sid: &str) -> Result<Vec<LineageEntry>, sqlx::Error> {
        repo::lineage_of(&self.db, sid).await
    }

    /// Deletes sessions that are over (revoked, or past their absolute lifetime) and refresh
    /// tokens past their expiry, all of them.
    pub async fn prune(&self, now: i64) -> Result<Pruned, sqlx::Error> {
        self.prune_within(now, now, None).await
    }

    /// [`prune`](Self::prune) in bounded steps (see `repo::prune_step`) with a pause between
    /// them, so other writers get the lock in turn; stops once `budget` has passed (then
    /// `Pruned::more` says there is more to do). Sessions ended after `ended_before` stay
    /// (demo mode keeps them for the lesson).
    pub async fn prune_within(
        &self,
        now: i64,
        ended_before: i64,
        budget: Option<std::time::Duration>,
    ) -> Result<Pruned, sqlx::Error> {
        let started = std::time::Instant::now();
        let mut total = Pruned::default();
        let mut lineage_from = 0;
        loop {
            let (step, lineage_next) =
                repo::prune_step(&self.db, now, ended_before, lineage_from).await?;
            lineage_from = lineage_next.unwrap_or(0);
            total = total.and(step);
            if !step.more || budget.is_some_and(|b| started.elapsed() >= b) {
                return Ok(total);
            }
            tokio::time::sleep(PRUNE_PAUSE).await;
        }
    }

    /// How many refresh tokens of the session are current; exactly one for a healthy kept
    /// session (checked by the tests after concurrent and crashing loads).
    pub async fn current_refresh_count(&self, sid: &str) -> Result<i64, sqlx::Error> {
        repo::current_refresh_count(&self.db, sid).await
    }
}
