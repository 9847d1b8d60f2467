//! The `sessions` and `refresh_lineage` tables: every SQL statement about sessions but the
//! rotation (see `rotation`). Each is written once, with `$N` placeholders both drivers
//! accept, and every change that other instances must hear of is announced in its own
//! transaction.

use super::model::{LineageEntry, LiveSession, NewRefresh, Pruned, Session};
use crate::lineage::{Lineage, MAX_DROPPED, State};
use crate::store::invalidation::{Announce, Invalidation};
use crate::store::users::User;
use crate::store::{Db, on_db};

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

impl SessionUserRow {
    fn into_live(self, dropped: Vec<String>) -> LiveSession {
        LiveSession {
            session: Session {
                id: self.sid,
                user_pk: self.user.id,
                keep_logged_in: self.keep_logged_in,
                user_agent: self.user_agent,
                created_at: self.created_at,
                last_seen_at: self.last_seen_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
            },
            user: self.user,
            lineage: Lineage {
                current: self.refresh_current,
                pending: self.refresh_pending,
                dropped,
            },
            version: self.version,
        }
    }
}

const FIND_SESSION: &str = "SELECT s.id AS sid, s.keep_logged_in, s.user_agent, s.created_at, \
     s.last_seen_at, s.expires_at, s.revoked_at, s.version, s.refresh_current, s.refresh_pending, \
     u.id, u.user_id, u.email, u.name, u.position, u.location, u.bio \
     FROM sessions s JOIN users u ON u.id = s.user_pk WHERE s.id = $1";

const FIND_DROPPED: &str = "SELECT jti FROM refresh_lineage WHERE session_id = $1 AND state = $2 \
     ORDER BY issued_ms DESC LIMIT $3";

/// The session, its user and its lineage, as the database has them now.
pub async fn load(db: &Db, sid: &str) -> Result<Option<LiveSession>, sqlx::Error> {
    on_db!(db, pool => {
        let row: Option<SessionUserRow> =
            sqlx::query_as(FIND_SESSION).bind(sid).fetch_optional(pool).await?;
        let Some(row) = row else { return Ok(None) };
        let dropped: Vec<String> = if row.keep_logged_in {
            sqlx::query_scalar(FIND_DROPPED)
                .bind(sid)
                .bind(State::Dropped)
                .bind(MAX_DROPPED as i64)
                .fetch_all(pool)
                .await?
        } else {
            Vec::new()
        };
        Ok(Some(row.into_live(dropped)))
    })
}

const INSERT_REFRESH: &str = "INSERT INTO refresh_lineage \
     (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Inserts a session and, for "keep me logged in", its first (current) refresh token.
pub async fn insert(
    db: &Db,
    session: &Session,
    refresh: Option<&NewRefresh<'_>>,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
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
                .bind(State::Current)
                .bind(r.issued_ms)
                .bind(Some(r.issued_ms))
                .bind(r.expires_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
}

/// Ends a session (only one of `user_pk`'s, when given) and announces it; false when there was
/// nothing live to end.
pub async fn end(db: &Db, sid: &str, user_pk: Option<i64>, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => {
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

/// Ends every live session of the user but `keep` and announces each; returns the ids ended.
/// With `new_password_hash`, the password changes in the same transaction.
pub async fn end_others(
    db: &Db,
    user_pk: i64,
    keep: &str,
    now: i64,
    new_password_hash: Option<&str>,
) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => {
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
        Ok(ended)
    })
}

/// The user's live sessions, newest first.
pub async fn list_active(db: &Db, user_pk: i64, now: i64) -> Result<Vec<Session>, sqlx::Error> {
    on_db!(db, pool => {
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
pub async fn lineage_of(db: &Db, sid: &str) -> Result<Vec<LineageEntry>, sqlx::Error> {
    on_db!(db, pool => {
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
pub async fn prune(db: &Db, now: i64) -> Result<Pruned, sqlx::Error> {
    on_db!(db, pool => {
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

/// How many refresh tokens of the session are current.
pub async fn current_refresh_count(db: &Db, sid: &str) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM refresh_lineage WHERE session_id = $1 AND state = $2",
        )
        .bind(sid)
        .bind(State::Current)
        .fetch_one(pool)
        .await
    })
}

/// Writes "last seen" only while the row still has `version` and is not ended; whether it did.
pub async fn touch(db: &Db, sid: &str, version: i64, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => {
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
    })
}
