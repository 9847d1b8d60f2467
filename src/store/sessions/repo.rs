//! The `sessions` and `refresh_lineage` tables: every SQL statement about sessions but the
//! rotation (see `rotation`). Each is written once, with `$N` placeholders both drivers
//! accept, and every change that other instances must hear of is announced in its own
//! transaction.

use super::model::{EndCause, LineageEntry, LiveSession, NewRefresh, Pruned, Session};
use crate::lineage::{Lineage, State};
use crate::store::invalidation::{Announce, Invalidation};
use crate::store::users::User;
use crate::store::{Db, Statements, on_db};

/// The join's row: session columns are aliased so they cannot collide with the user's `id`.
#[derive(sqlx::FromRow)]
struct SessionUserRow {
    sid: String,
    keep_logged_in: bool,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    end_cause: Option<String>,
    version: i64,
    refresh_current: Option<String>,
    refresh_pending: Option<String>,
    /// The dropped branches' `jti`s, newest first, joined by commas.
    dropped: Option<String>,
    #[sqlx(flatten)]
    user: User,
}

impl SessionUserRow {
    fn into_live(self) -> LiveSession {
        let dropped = self
            .dropped
            .iter()
            .flat_map(|d| d.split(','))
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        LiveSession {
            session: Session {
                id: self.sid,
                user_pk: self.user.id,
                keep_logged_in: self.keep_logged_in,
                user_agent: String::new(),
                created_at: self.created_at,
                last_seen_at: self.last_seen_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
                end_cause: self.end_cause,
            },
            user: self.user,
            lineage: Lineage {
                current: self.refresh_current,
                pending: self.refresh_pending,
                dropped,
            },
            version: self.version,
            noted: Default::default(),
        }
    }
}

/// A session, its user and its dropped branches (at most `lineage::MAX_DROPPED`, newest first), in one
/// indexed read: what a cache miss costs. Each backend joins the branches its own way.
const FIND_SESSION_SQLITE: &str = "SELECT s.id AS sid, s.keep_logged_in, s.created_at, \
     s.last_seen_at, s.expires_at, s.revoked_at, s.end_cause, s.version, s.refresh_current, \
     s.refresh_pending, \
     (SELECT group_concat(jti, ',' ORDER BY issued_ms DESC) FROM (SELECT jti, issued_ms \
        FROM refresh_lineage WHERE session_id = s.id AND state = 'dropped' \
        ORDER BY issued_ms DESC LIMIT 32)) AS dropped, \
     u.id, u.user_id, u.email, u.name, u.position, u.location, u.bio \
     FROM sessions s JOIN users u ON u.id = s.user_pk WHERE s.id = $1";

const FIND_SESSION_POSTGRES: &str = "SELECT s.id AS sid, s.keep_logged_in, s.created_at, \
     s.last_seen_at, s.expires_at, s.revoked_at, s.end_cause, s.version, s.refresh_current, \
     s.refresh_pending, \
     (SELECT string_agg(jti, ',' ORDER BY issued_ms DESC) FROM (SELECT jti, issued_ms \
        FROM refresh_lineage WHERE session_id = s.id AND state = 'dropped' \
        ORDER BY issued_ms DESC LIMIT 32) d) AS dropped, \
     u.id, u.user_id, u.email, u.name, u.position, u.location, u.bio \
     FROM sessions s JOIN users u ON u.id = s.user_pk WHERE s.id = $1";

/// Sessions, each with its user and lineage, as the database has them now, in one statement
/// (cache misses are read together: see `reads`); the ones that exist, in no particular order.
pub async fn load_many(db: &Db, sids: &[&str]) -> Result<Vec<LiveSession>, sqlx::Error> {
    static MANY: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    let [sqlite, postgres] = MANY.get_or_init(|| {
        [
            FIND_SESSION_SQLITE.replace("s.id = $1", "s.id IN (SELECT value FROM json_each($1))"),
            FIND_SESSION_POSTGRES.replace("s.id = $1", "s.id = ANY($1)"),
        ]
    });
    let rows: Vec<SessionUserRow> = match db {
        Db::Sqlite(pool) => {
            let ids = serde_json::to_string(sids).map_err(|e| sqlx::Error::Encode(e.into()))?;
            sqlx::query_as(sqlite).bind(ids).fetch_all(pool).await?
        }
        Db::Postgres(pool) => sqlx::query_as(postgres).bind(sids).fetch_all(pool).await?,
    };
    Ok(rows.into_iter().map(SessionUserRow::into_live).collect())
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
        let named = pool.named();
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
        .persistent(named).execute(&mut *tx)
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
                .persistent(named).execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
}

/// Ends a session (only one of `user_pk`'s, when given) for `cause` and announces it; false
/// when there was nothing live to end.
pub async fn end(
    db: &Db,
    sid: &str,
    user_pk: Option<i64>,
    now: i64,
    cause: EndCause,
) -> Result<bool, sqlx::Error> {
    on_db!(db, pool => {
        let named = pool.named();
        let mut tx = pool.begin().await?;
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $1, end_cause = $4, version = version + 1 \
             WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR user_pk = $3)",
        )
        .bind(now)
        .bind(sid)
        .bind(user_pk)
        .bind(cause.as_str())
        .persistent(named).execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            tx.announce(&Invalidation::Ended(sid.to_owned()), named).await?;
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
        let named = pool.named();
        let mut tx = pool.begin().await?;
        if let Some(hash) = new_password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_pk)
                .persistent(named).execute(&mut *tx)
                .await?;
        }
        let cause = match new_password_hash {
            Some(_) => EndCause::PasswordChange,
            None => EndCause::RevokeOthers,
        };
        let ended: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $1, end_cause = $4, version = version + 1 \
             WHERE user_pk = $2 AND id <> $3 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(user_pk)
        .bind(keep)
        .bind(cause.as_str())
        .persistent(named).fetch_all(&mut *tx)
        .await?;
        for sid in &ended {
            tx.announce(&Invalidation::Ended(sid.clone()), named).await?;
        }
        tx.commit().await?;
        Ok(ended)
    })
}

/// These sessions' rows, live or not (demo mode shows a learner's ended ones), oldest first.
pub async fn by_ids(db: &Db, ids: &[&str]) -> Result<Vec<Session>, sqlx::Error> {
    let columns = "SELECT id, user_pk, keep_logged_in, user_agent, created_at, last_seen_at, \
         expires_at, revoked_at, end_cause FROM sessions";
    match db {
        Db::Sqlite(pool) => {
            let ids = serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(e.into()))?;
            let sql = format!(
                "{columns} WHERE id IN (SELECT value FROM json_each($1)) ORDER BY created_at"
            );
            sqlx::query_as(&sql).bind(ids).fetch_all(pool).await
        }
        Db::Postgres(pool) => {
            let sql = format!("{columns} WHERE id = ANY($1) ORDER BY created_at");
            sqlx::query_as(&sql).bind(ids).fetch_all(pool).await
        }
    }
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

/// Rows one step of the sweep deletes at most, of each kind: on SQLite, a step holds the write
/// lock for a few milliseconds, so requests writing meanwhile wait no longer than that.
pub const PRUNE_BATCH: i64 = 1000;
/// SQLite: the refresh tokens one step looks at, by `rowid` (the lineage has one index, by
/// session, for the rotations' sake; see migration 3), so a step costs the same however many
/// of them have expired.
const LINEAGE_SCAN: i64 = 20_000;

/// One bounded step of the sweep, in its own transaction: up to [`PRUNE_BATCH`] sessions past
/// their absolute lifetime, as many ended ones (each with its refresh tokens), and the expired
/// refresh tokens from `lineage_from` on (SQLite: the next [`LINEAGE_SCAN`] rows; PostgreSQL:
/// up to [`PRUNE_BATCH`], by their index). Sessions are found by the indexes of migration
/// `prune indexes`. Returns what went, and where the next step's look at the lineage starts
/// (`None`: nothing left to look at).
pub async fn prune_step(
    db: &Db,
    now: i64,
    ended_before: i64,
    lineage_from: i64,
) -> Result<(Pruned, Option<i64>), sqlx::Error> {
    on_db!(db, pool => {
        let named = pool.named();
        let mut tx = pool.begin().await?;
        let expired = sqlx::query(
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
             WHERE revoked_at IS NULL AND expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(PRUNE_BATCH)
        .persistent(named).execute(&mut *tx)
        .await?
        .rows_affected();
        let revoked = sqlx::query(
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
             WHERE revoked_at IS NOT NULL AND revoked_at <= $2 LIMIT $1)",
        )
        .bind(PRUNE_BATCH)
        .bind(ended_before)
        .persistent(named).execute(&mut *tx)
        .await?
        .rows_affected();
        let lineage_next = tx.sweep_lineage(now, lineage_from, named).await?;
        tx.commit().await?;
        let full = |n: u64| n >= PRUNE_BATCH as u64;
        let pruned = Pruned {
            sessions: expired + revoked,
            expired,
            more: full(expired) || full(revoked) || lineage_next.is_some(),
        };
        Ok((pruned, lineage_next))
    })
}

/// The refresh tokens' part of a sweep step, which differs by backend.
trait SweepLineage {
    async fn sweep_lineage(
        &mut self,
        now: i64,
        from: i64,
        named: bool,
    ) -> Result<Option<i64>, sqlx::Error>;
}

/// SQLite: the expired refresh tokens among the next [`LINEAGE_SCAN`] rows.
impl SweepLineage for sqlx::SqliteConnection {
    async fn sweep_lineage(
        &mut self,
        now: i64,
        from: i64,
        _: bool,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query(
            "DELETE FROM refresh_lineage WHERE rowid >= $1 AND rowid < $2 AND expires_at <= $3",
        )
        .bind(from)
        .bind(from + LINEAGE_SCAN)
        .bind(now)
        .execute(&mut *self)
        .await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM refresh_lineage")
            .fetch_one(&mut *self)
            .await?;
        Ok(last
            .filter(|last| *last >= from + LINEAGE_SCAN)
            .map(|_| from + LINEAGE_SCAN))
    }
}

/// PostgreSQL: up to [`PRUNE_BATCH`] expired refresh tokens, by their index.
impl SweepLineage for sqlx::PgConnection {
    async fn sweep_lineage(
        &mut self,
        now: i64,
        _: i64,
        named: bool,
    ) -> Result<Option<i64>, sqlx::Error> {
        let deleted = sqlx::query(
            "DELETE FROM refresh_lineage WHERE fingerprint IN (SELECT fingerprint \
             FROM refresh_lineage WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(now)
        .bind(PRUNE_BATCH)
        .persistent(named)
        .execute(&mut *self)
        .await?
        .rows_affected();
        Ok((deleted >= PRUNE_BATCH as u64).then_some(0))
    }
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

/// "Last seen" of many sessions, each written only while its row still has the version noted
/// and is not ended, in one statement; the ids written. A time never moves backwards.
pub async fn touch_all(db: &Db, notes: &[(String, i64, i64)]) -> Result<Vec<String>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let json = serde_json::to_string(notes).map_err(|e| sqlx::Error::Encode(e.into()))?;
            sqlx::query_scalar(
                "UPDATE sessions SET last_seen_at = max(sessions.last_seen_at, v.at) \
                 FROM (SELECT json_extract(value, '$[0]') AS id, \
                   json_extract(value, '$[1]') AS version, json_extract(value, '$[2]') AS at \
                   FROM json_each($1)) AS v \
                 WHERE sessions.id = v.id AND sessions.version = v.version \
                 AND sessions.revoked_at IS NULL RETURNING sessions.id",
            )
            .bind(json)
            .fetch_all(pool)
            .await
        }
        Db::Postgres(pool) => {
            let ids: Vec<&str> = notes.iter().map(|n| n.0.as_str()).collect();
            let versions: Vec<i64> = notes.iter().map(|n| n.1).collect();
            let times: Vec<i64> = notes.iter().map(|n| n.2).collect();
            sqlx::query_scalar(
                "UPDATE sessions AS s SET last_seen_at = GREATEST(s.last_seen_at, v.at) \
                 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, version, at) \
                 WHERE s.id = v.id AND s.version = v.version AND s.revoked_at IS NULL \
                 RETURNING s.id",
            )
            .bind(ids)
            .bind(versions)
            .bind(times)
            .fetch_all(pool)
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one read of a miss brings at most as many dropped branches as the cache keeps.
    #[test]
    fn a_miss_reads_as_many_dropped_branches_as_the_cache_keeps() {
        let limit = format!("LIMIT {}", crate::lineage::MAX_DROPPED);
        assert!(FIND_SESSION_SQLITE.contains(&limit));
        assert!(FIND_SESSION_POSTGRES.contains(&limit));
    }
}
