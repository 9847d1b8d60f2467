//! The `sessions` and `refresh_tokens` tables: creating, finding and ending sessions, and
//! rotating refresh tokens in one atomic step. Everything goes through [`SessionStore`], so no
//! session can end without its cache hearing of it.

use sqlx::SqlitePool;

use super::users::User;

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
    #[sqlx(flatten)]
    user: User,
}

/// A refresh token as stored: its fingerprint, never the token.
pub struct NewRefresh<'a> {
    pub fingerprint: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What happened when a refresh token was presented for rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// It was the session's current token; it is now used and linked to its successor.
    Rotated,
    /// Already rotated, but so recently that this is a concurrent request (another tab),
    /// not a stolen copy.
    WithinGrace,
    /// Already rotated before the grace window: two copies exist.
    Reused,
    /// Not a token this session ever had (or long pruned).
    Unknown,
}

/// The session and its user in one indexed read: the hot path of every authenticated request.
async fn find_with_user(
    pool: &SqlitePool,
    sid: &str,
) -> Result<Option<(Session, User)>, sqlx::Error> {
    let row: Option<SessionUserRow> = sqlx::query_as(
        "SELECT s.id AS sid, s.keep_logged_in, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, \
         s.revoked_at, u.id, u.user_id, u.email, u.name, u.position, u.location, u.bio \
         FROM sessions s JOIN users u ON u.id = s.user_pk WHERE s.id = ?",
    )
    .bind(sid)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
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
        (session, r.user)
    }))
}

/// Creates a session and, for "keep me logged in", its first refresh token, together.
async fn create(
    pool: &SqlitePool,
    session: &Session,
    refresh: Option<&NewRefresh<'_>>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_pk, keep_logged_in, user_agent, created_at, last_seen_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session.id)
    .bind(session.user_pk)
    .bind(session.keep_logged_in)
    .bind(&session.user_agent)
    .bind(session.created_at)
    .bind(session.last_seen_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await?;
    if let Some(refresh) = refresh {
        insert_refresh(&mut tx, &session.id, refresh).await?;
    }
    tx.commit().await
}

async fn insert_refresh(
    tx: &mut sqlx::SqliteConnection,
    sid: &str,
    refresh: &NewRefresh<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (fingerprint, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(refresh.fingerprint)
        .bind(sid)
        .bind(refresh.issued_at)
        .bind(refresh.expires_at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Replaces the refresh token `old` of session `sid` by `new`, atomically: the conditional
/// UPDATE is the first write of the transaction, so of two concurrent rotations exactly one
/// finds the token still current; the other learns when it was used and is judged by `grace`.
async fn rotate_refresh(
    pool: &SqlitePool,
    sid: &str,
    old: &str,
    new: &NewRefresh<'_>,
    now: i64,
    grace_secs: i64,
) -> Result<Rotation, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE refresh_tokens SET used_at = ?, replaced_by = ? \
         WHERE fingerprint = ? AND session_id = ? AND used_at IS NULL",
    )
    .bind(now)
    .bind(new.fingerprint)
    .bind(old)
    .bind(sid)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 1 {
        insert_refresh(&mut tx, sid, new).await?;
        tx.commit().await?;
        return Ok(Rotation::Rotated);
    }
    let used_at: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT used_at FROM refresh_tokens WHERE fingerprint = ? AND session_id = ?",
    )
    .bind(old)
    .bind(sid)
    .fetch_optional(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(match used_at {
        Some(Some(used)) if now - used <= grace_secs => Rotation::WithinGrace,
        Some(Some(_)) => Rotation::Reused,
        // A row that is current but did not update cannot happen inside the transaction.
        Some(None) | None => Rotation::Unknown,
    })
}

/// Gives a kept session a new refresh token when its cookie is gone or expired; any token
/// still marked current is retired first, so the session keeps exactly one.
async fn reissue_refresh(
    pool: &SqlitePool,
    sid: &str,
    new: &NewRefresh<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE refresh_tokens SET used_at = ?, replaced_by = ? WHERE session_id = ? AND used_at IS NULL")
        .bind(now)
        .bind(new.fingerprint)
        .bind(sid)
        .execute(&mut *tx)
        .await?;
    insert_refresh(&mut tx, sid, new).await?;
    tx.commit().await
}

/// Ends a session; its tokens are refused from now on. Ending an ended session is a no-op.
async fn revoke(pool: &SqlitePool, sid: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(sid)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends one of the user's sessions, only if it is theirs.
async fn revoke_for_user(
    pool: &SqlitePool,
    user_pk: i64,
    sid: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_pk = ? AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(sid)
    .bind(user_pk)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every live session of the user but `keep`; returns the ids ended.
async fn revoke_others(
    pool: &SqlitePool,
    user_pk: i64,
    keep: &str,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = ? WHERE user_pk = ? AND id <> ? AND revoked_at IS NULL RETURNING id",
    )
    .bind(now)
    .bind(user_pk)
    .bind(keep)
    .fetch_all(pool)
    .await
}

/// The user's live sessions, newest first.
async fn list_active(
    pool: &SqlitePool,
    user_pk: i64,
    now: i64,
) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_pk, keep_logged_in, user_agent, created_at, last_seen_at, expires_at, revoked_at \
         FROM sessions WHERE user_pk = ? AND revoked_at IS NULL AND expires_at > ? \
         ORDER BY created_at DESC, id",
    )
    .bind(user_pk)
    .bind(now)
    .fetch_all(pool)
    .await
}

async fn touch(pool: &SqlitePool, sid: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
        .bind(now)
        .bind(sid)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes sessions that are over (revoked, or past their absolute lifetime) and refresh
/// tokens past their expiry. Returns how many sessions went.
async fn prune(pool: &SqlitePool, now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let sessions =
        sqlx::query("DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= ?")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(sessions)
}

/// How many refresh tokens of the session are current; exactly one for a healthy kept session.
pub async fn current_refresh_count(pool: &SqlitePool, sid: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ? AND used_at IS NULL",
    )
    .bind(sid)
    .fetch_one(pool)
    .await
}

/// What the cache knows of a session: its row and user, or that it has ended.
#[derive(Clone)]
enum Cached {
    Live(std::sync::Arc<(Session, User)>),
    Ended,
}

/// Sessions with a bounded in-memory cache in front of the hot read, so a request with a
/// valid access token costs one HMAC check and no database round trip.
///
/// Correctness first: every way a session ends goes through this type, which writes an
/// `Ended` marker *after* the database write. A reader that loaded the row just before the
/// end only inserts if nothing is cached (`or_insert_with`), so it can never put a live copy
/// over the marker. The cache is per process: run one server per database (a second process
/// would see another's revocations only when its entry expires, after [`CACHE_TTL`]).
pub struct SessionStore {
    pool: SqlitePool,
    cache: moka::sync::Cache<String, Cached>,
}

/// Sessions kept in memory at most.
pub const CACHE_CAPACITY: u64 = 10_000;
/// How long an entry may live, whatever happens.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

impl SessionStore {
    pub fn new(pool: SqlitePool) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(CACHE_CAPACITY)
            .time_to_live(CACHE_TTL)
            .build();
        Self { pool, cache }
    }

    fn mark_ended(&self, sid: &str) {
        self.cache.insert(sid.to_owned(), Cached::Ended);
    }

    /// The session and its user; `None` if there is no such session. An ended session is
    /// returned as such (with `revoked_at` set), so callers can tell "ended" from "unknown".
    pub async fn find_with_user(
        &self,
        sid: &str,
        now: i64,
    ) -> Result<Option<(Session, User)>, sqlx::Error> {
        let cached = self.cache.get(sid);
        if let Some(Cached::Live(found)) = &cached {
            return Ok(Some((found.0.clone(), found.1.clone())));
        }
        let mut found = find_with_user(&self.pool, sid).await?;
        let ended = match (cached, &found) {
            // The row may even be gone (pruned); what matters is that it is over.
            (Some(Cached::Ended), _) => true,
            (_, Some((session, user))) => {
                let value = if session.revoked_at.is_some() {
                    Cached::Ended
                } else {
                    Cached::Live(std::sync::Arc::new((session.clone(), user.clone())))
                };
                let entry = self.cache.entry(sid.to_owned()).or_insert_with(|| value);
                // Not ours and ended: someone ended it while we were reading.
                !entry.is_fresh() && matches!(entry.value(), Cached::Ended)
            }
            _ => false,
        };
        if ended && let Some((session, _)) = &mut found {
            session.revoked_at.get_or_insert(now);
        }
        Ok(found)
    }

    pub async fn create(
        &self,
        session: &Session,
        refresh: Option<&NewRefresh<'_>>,
    ) -> Result<(), sqlx::Error> {
        create(&self.pool, session, refresh).await
    }

    /// Records activity; the cached copy follows (unless the session ended meanwhile).
    pub async fn touch(&self, sid: &str, now: i64) -> Result<(), sqlx::Error> {
        touch(&self.pool, sid, now).await?;
        self.cache
            .entry(sid.to_owned())
            .and_compute_with(|current| match current.map(|e| e.into_value()) {
                Some(Cached::Live(found)) => {
                    let (mut session, user) = (found.0.clone(), found.1.clone());
                    session.last_seen_at = now;
                    moka::ops::compute::Op::Put(Cached::Live(std::sync::Arc::new((session, user))))
                }
                _ => moka::ops::compute::Op::Nop,
            });
        Ok(())
    }

    pub async fn rotate_refresh(
        &self,
        sid: &str,
        old: &str,
        new: &NewRefresh<'_>,
        now: i64,
        grace_secs: i64,
    ) -> Result<Rotation, sqlx::Error> {
        rotate_refresh(&self.pool, sid, old, new, now, grace_secs).await
    }

    pub async fn reissue_refresh(
        &self,
        sid: &str,
        new: &NewRefresh<'_>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        reissue_refresh(&self.pool, sid, new, now).await
    }

    pub async fn revoke(&self, sid: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = revoke(&self.pool, sid, now).await?;
        self.mark_ended(sid);
        Ok(done)
    }

    pub async fn revoke_for_user(
        &self,
        user_pk: i64,
        sid: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = revoke_for_user(&self.pool, user_pk, sid, now).await?;
        if done {
            self.mark_ended(sid);
        }
        Ok(done)
    }

    pub async fn revoke_others(
        &self,
        user_pk: i64,
        keep: &str,
        now: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        let ended = revoke_others(&self.pool, user_pk, keep, now).await?;
        for sid in &ended {
            self.mark_ended(sid);
        }
        Ok(ended)
    }

    pub async fn list_active(&self, user_pk: i64, now: i64) -> Result<Vec<Session>, sqlx::Error> {
        list_active(&self.pool, user_pk, now).await
    }

    pub async fn prune(&self, now: i64) -> Result<u64, sqlx::Error> {
        prune(&self.pool, now).await
    }
}
