//! The rotation write: a new pending child, after dropping or confirming the one before it, in
//! one round trip guarded like a compare-and-swap. It writes only if the session row still has
//! the version the caller read, so the caller may plan it from its cached copy of the session
//! without reading the row first (see `lineage::plan_from_cache`).
//!
//! Each backend spells it its own way, with the same named parameters ([`RotationParams`],
//! bound in one place): SQLite runs a script of statements, each later one acting only if the
//! first pointed the session at the new child, so it can be repeated in one transaction
//! (`batch`); PostgreSQL runs one statement whose data-modifying `WITH` parts all hang on the
//! guarded session update. Both return the child's `jti` when the guard held, and nothing when
//! it failed (someone changed the session first).

use std::sync::OnceLock;

use sqlx::{Postgres, Sqlite};

use super::model::{Confirmation, LiveSession, NewRefresh, PresentedRefresh, RefreshOutcome};
use crate::lineage::plan::Found;
use crate::lineage::{Lineage, Presented, RefreshPlan, Rotation, State, place, plan_refresh};
use crate::store::invalidation::{Announce, Invalidation};
use crate::store::{Db, Statements, on_db};

/// Declares a struct of named query parameters: its fields, their names in SQL (`:name`), and
/// one `bind` that binds them in that order, so the numbering and the binding cannot drift.
macro_rules! named_params {
    ($(#[$meta:meta])* pub struct $name:ident<'q> { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'q> {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl<'q> $name<'q> {
            /// The parameters' names, in binding order: `:name` in SQL is `$(position + 1)`.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field),)*];

            /// Binds every parameter to `query`, in the order of [`Self::NAMES`].
            pub fn bind<DB: sqlx::Database>(
                self,
                query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
            ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
            where
                $($ty: sqlx::Encode<'q, DB> + sqlx::Type<DB> + 'q,)*
            {
                query$(.bind(self.$field))*
            }
        }
    };
}

named_params! {
    /// One rotation's values.
    pub struct RotationParams<'q> {
        sid: &'q str,
        /// Now, in milliseconds (the lineage's times).
        now_ms: i64,
        /// Now, in seconds (the session's lifetime).
        now: i64,
        /// Drop the pending child first (its answer was lost)?
        drop_pending: bool,
        /// Confirm the pending child first (it came back; its parent retires)?
        confirm: bool,
        current: Option<&'q str>,
        pending: Option<&'q str>,
        child_fingerprint: &'q str,
        child_jti: &'q str,
        /// The child's parent: the confirmed pending child, or the current token.
        parent: Option<&'q str>,
        child_issued_ms: i64,
        child_expires_at: i64,
        /// The session row's version when it was read: the guard.
        read_version: i64,
        /// The presented refresh token (`NULL` when the client proved itself with an access
        /// token instead): it must still be this session's.
        presented_fingerprint: Option<&'q str>,
        presented_jti: Option<&'q str>,
    }
}

impl<'q> RotationParams<'q> {
    /// The values of `rotation` of the lineage `before` (read at `read_version`), issuing
    /// `child`, for a client that presented `presented` (fingerprint, jti).
    pub fn new(
        sid: &'q str,
        now_ms: i64,
        rotation: Rotation,
        before: &'q Lineage,
        read_version: i64,
        presented: Option<(&'q str, &'q str)>,
        child: NewRefresh<'q>,
    ) -> Self {
        Self {
            sid,
            now_ms,
            now: now_ms.div_euclid(1000),
            drop_pending: rotation.drop_pending,
            confirm: rotation.confirm,
            current: before.current.as_deref(),
            pending: before.pending.as_deref(),
            child_fingerprint: child.fingerprint,
            child_jti: child.jti,
            parent: rotation.parent(before),
            child_issued_ms: child.issued_ms,
            child_expires_at: child.expires_at,
            read_version,
            presented_fingerprint: presented.map(|p| p.0),
            presented_jti: presented.map(|p| p.1),
        }
    }

    /// What the flow hears once this rotation is written.
    pub fn outcome(&self) -> RefreshOutcome {
        RefreshOutcome::Issued {
            confirmed: self.confirm,
            dropped: self
                .drop_pending
                .then(|| self.pending.map(str::to_owned))
                .flatten(),
        }
    }

    /// Writes the rotation inside `tx` and announces it; `None` when the guard failed. `named`:
    /// whether statements may be reused by name (see `store::pg`).
    pub async fn write<'c, DB>(
        &self,
        tx: &mut sqlx::Transaction<'c, DB>,
        named: bool,
    ) -> Result<Option<RefreshOutcome>, sqlx::Error>
    where
        DB: sqlx::Database + sqlx::database::HasStatementCache + Dialect,
        sqlx::Transaction<'c, DB>: Announce,
        for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
        for<'a> <DB as sqlx::Database>::Arguments<'a>: sqlx::IntoArguments<'a, DB>,
        for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> bool: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        usize: sqlx::ColumnIndex<DB::Row>,
    {
        let written = self
            .bind(sqlx::query::<DB>(DB::rotate_sql()))
            .persistent(named)
            .fetch_optional(&mut **tx)
            .await?;
        if written.is_none() {
            return Ok(None);
        }
        let change = Invalidation::Changed {
            sid: self.sid.to_owned(),
            version: self.read_version + 1,
        };
        tx.announce(&change, named).await?;
        Ok(Some(self.outcome()))
    }
}

/// `sql` with every `:name` made `$N`, numbered after [`RotationParams::NAMES`] and shifted by
/// `offset` (a batch numbers each copy of the script after the one before). `::` (a cast) is
/// left as it is.
pub fn numbered(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix(':') {
            out.push_str("::");
            rest = after;
            continue;
        }
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let name = &rest[..len];
        let position = RotationParams::NAMES
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no rotation parameter named {name:?}"));
        out.push_str(&format!("${}", position + 1 + offset));
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// SQLite's rotation: a script, so it can be repeated in one transaction (see `batch`).
pub const SQLITE_ROTATE: &str = "\
UPDATE sessions SET version = version + 1, \
    refresh_current = :parent, refresh_pending = :child_jti, refresh_pending_ms = :child_issued_ms \
    WHERE id = :sid AND version = :read_version AND revoked_at IS NULL AND expires_at > :now \
    AND (:presented_fingerprint IS NULL OR EXISTS (SELECT 1 FROM refresh_lineage \
        WHERE fingerprint = :presented_fingerprint AND jti = :presented_jti AND session_id = :sid)); \
UPDATE refresh_lineage SET state = 'dropped', ended_ms = :now_ms \
    WHERE :drop_pending AND jti = :pending AND session_id = :sid \
    AND (SELECT refresh_pending FROM sessions WHERE id = :sid) = :child_jti; \
UPDATE refresh_lineage SET \
    state = CASE WHEN jti = :current THEN 'retired' ELSE 'current' END, \
    ended_ms = CASE WHEN jti = :current THEN :now_ms ELSE ended_ms END, \
    confirmed_ms = CASE WHEN jti = :current THEN confirmed_ms ELSE :now_ms END \
    WHERE :confirm AND session_id = :sid AND jti IN (:current, :pending) \
    AND (SELECT refresh_pending FROM sessions WHERE id = :sid) = :child_jti; \
INSERT INTO refresh_lineage \
    (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, expires_at) \
    SELECT :child_fingerprint, :child_jti, :sid, :parent, 'pending', :child_issued_ms, NULL, :child_expires_at \
    WHERE (SELECT refresh_pending FROM sessions WHERE id = :sid) = :child_jti \
    RETURNING jti";

/// PostgreSQL's rotation: one statement.
pub const POSTGRES_ROTATE: &str = "\
WITH guarded AS ( \
    UPDATE sessions SET version = version + 1, \
    refresh_current = :parent, refresh_pending = :child_jti, refresh_pending_ms = :child_issued_ms \
    WHERE id = :sid AND version = :read_version AND revoked_at IS NULL AND expires_at > :now \
    AND (:presented_fingerprint::text IS NULL OR EXISTS (SELECT 1 FROM refresh_lineage \
        WHERE fingerprint = :presented_fingerprint AND jti = :presented_jti AND session_id = :sid)) \
    RETURNING id), \
dropped AS ( \
    UPDATE refresh_lineage SET state = 'dropped', ended_ms = :now_ms \
    WHERE :drop_pending AND jti = :pending AND session_id = :sid AND EXISTS (SELECT 1 FROM guarded)), \
confirmed AS ( \
    UPDATE refresh_lineage SET \
    state = CASE WHEN jti = :current THEN 'retired' ELSE 'current' END, \
    ended_ms = CASE WHEN jti = :current THEN :now_ms ELSE ended_ms END, \
    confirmed_ms = CASE WHEN jti = :current THEN confirmed_ms ELSE :now_ms END \
    WHERE :confirm AND session_id = :sid AND jti IN (:current, :pending) AND EXISTS (SELECT 1 FROM guarded)) \
INSERT INTO refresh_lineage \
    (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, expires_at) \
    SELECT :child_fingerprint, :child_jti, :sid, :parent, 'pending', :child_issued_ms, NULL, :child_expires_at FROM guarded \
    RETURNING jti";

/// Each backend's rotation, numbered once.
pub trait Dialect {
    fn rotate_sql() -> &'static str;
}

impl Dialect for Sqlite {
    fn rotate_sql() -> &'static str {
        static SQL: OnceLock<String> = OnceLock::new();
        SQL.get_or_init(|| numbered(SQLITE_ROTATE, 0))
    }
}

impl Dialect for Postgres {
    fn rotate_sql() -> &'static str {
        static SQL: OnceLock<String> = OnceLock::new();
        SQL.get_or_init(|| numbered(POSTGRES_ROTATE, 0))
    }
}

/// Takes the session's lock for the rest of the transaction and reads its lineage; no row when
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

impl Locked {
    fn lineage(&self) -> Lineage {
        Lineage {
            current: self.refresh_current.clone(),
            pending: self.refresh_pending.clone(),
            dropped: Vec::new(),
        }
    }
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
    presented_state: Option<State>,
    presented_ended_ms: Option<i64>,
}

impl LockedForRefresh {
    /// What the lineage rule says about the presented token (`None`: the client proved itself
    /// with an access token of the current branch).
    fn plan(&self, presented: bool, now_ms: i64, grace_ms: i64) -> RefreshPlan {
        let position = if presented {
            let found = self.presented_jti.as_deref().map(|jti| Found {
                jti,
                state: self.presented_state,
                ended_ms: self.presented_ended_ms,
            });
            place(&self.locked.lineage(), found)
        } else {
            Presented::Current
        };
        plan_refresh(position, self.locked.refresh_pending_ms, now_ms, grace_ms)
    }
}

const MARK_ENDED: &str = "UPDATE sessions SET revoked_at = $1, end_cause = 'reuse', \
     version = version + 1 WHERE id = $2 AND revoked_at IS NULL";

/// What a refresh on the locking path did, and what the cache needs to know of it.
pub struct LockedRefresh {
    pub outcome: RefreshOutcome,
    /// The row's version afterwards.
    pub version: i64,
    /// Whether the row's lineage was what the cache held (only its version had moved on).
    pub lineage_as_cached: bool,
}

/// The locking path of a refresh: takes the session's lock, reads the lineage and the
/// presented token's row, follows the lineage rule, and writes what it says, in one
/// transaction. Two rotations of one session, on one instance or two, never interleave.
pub async fn refresh_locked(
    db: &Db,
    cached: &LiveSession,
    presented: Option<PresentedRefresh<'_>>,
    child: NewRefresh<'_>,
    now_ms: i64,
    grace_ms: i64,
) -> Result<LockedRefresh, sqlx::Error> {
    let sid = cached.session.id.as_str();
    let now = now_ms.div_euclid(1000);
    on_db!(db, pool => {
        let named = pool.named();
        let mut tx = pool.begin().await?;
        let found: Option<LockedForRefresh> = sqlx::query_as(LOCK_FOR_REFRESH)
            .bind(sid)
            .bind(now)
            .bind(presented.map(|p| p.fingerprint))
            .persistent(named).fetch_optional(&mut *tx)
            .await?;
        let Some(found) = found else {
            return Ok(LockedRefresh {
                outcome: RefreshOutcome::SessionEnded,
                version: cached.version,
                lineage_as_cached: false,
            });
        };
        let lineage = found.locked.lineage();
        let plan = found.plan(presented.is_some(), now_ms, grace_ms);
        let version = found.locked.version;
        let outcome = match (plan, Rotation::of(plan)) {
            (_, Some(rotation)) => {
                let presented = presented
                    .zip(found.presented_jti.as_deref())
                    .map(|(p, jti)| (p.fingerprint, jti));
                let params =
                    RotationParams::new(sid, now_ms, rotation, &lineage, version, presented, child);
                // We hold the session's lock: the guard cannot fail.
                params.write(&mut tx, named).await?.ok_or(sqlx::Error::RowNotFound)?
            }
            (RefreshPlan::Grace, None) => RefreshOutcome::Grace {
                current: lineage.current.clone(),
            },
            (RefreshPlan::Theft(why), None) => {
                sqlx::query(MARK_ENDED).bind(now).bind(sid).persistent(named).execute(&mut *tx).await?;
                tx.announce(&Invalidation::Ended(sid.to_owned()), named).await?;
                RefreshOutcome::Theft(why)
            }
            (_, None) => RefreshOutcome::Unknown,
        };
        tx.commit().await?;
        let issued = matches!(outcome, RefreshOutcome::Issued { .. });
        Ok(LockedRefresh {
            outcome,
            version: if issued { version + 1 } else { version },
            lineage_as_cached: lineage.current == cached.lineage.current
                && lineage.pending == cached.lineage.pending,
        })
    })
}

/// The pending child becomes current and its parent retires (one statement), and the session
/// points at it.
const CONFIRM_PENDING: &str = "UPDATE refresh_lineage SET \
     state = CASE WHEN jti = $2 THEN 'retired' ELSE 'current' END, \
     ended_ms = CASE WHEN jti = $2 THEN $1 ELSE ended_ms END, \
     confirmed_ms = CASE WHEN jti = $2 THEN confirmed_ms ELSE $1 END \
     WHERE session_id = $4 AND jti IN ($2, $3)";
const POINT_AT_CONFIRMED: &str = "UPDATE sessions SET refresh_current = $1, \
     refresh_pending = NULL, refresh_pending_ms = NULL WHERE id = $2";

/// An access token issued with the pending child `jti` came back: under the session's lock,
/// the child becomes current; if its branch was dropped meanwhile, that is theft. Returns what
/// happened and the row's version.
pub async fn confirm_locked(
    db: &Db,
    sid: &str,
    jti: &str,
    now_ms: i64,
) -> Result<(Confirmation, i64), sqlx::Error> {
    let now = now_ms.div_euclid(1000);
    on_db!(db, pool => {
        let named = pool.named();
        let mut tx = pool.begin().await?;
        let locked: Option<Locked> = sqlx::query_as(LOCK_SESSION)
            .bind(sid)
            .bind(now)
            .persistent(named).fetch_optional(&mut *tx)
            .await?;
        let Some(locked) = locked else {
            return Ok((Confirmation::SessionEnded, 0));
        };
        let confirmation = if locked.refresh_pending.as_deref() == Some(jti) {
            sqlx::query(CONFIRM_PENDING)
                .bind(now_ms)
                .bind(locked.refresh_current.as_deref())
                .bind(locked.refresh_pending.as_deref())
                .bind(sid)
                .persistent(named).execute(&mut *tx)
                .await?;
            sqlx::query(POINT_AT_CONFIRMED).bind(jti).bind(sid).persistent(named).execute(&mut *tx).await?;
            let change = Invalidation::Changed { sid: sid.to_owned(), version: locked.version };
            tx.announce(&change, named).await?;
            Confirmation::Confirmed
        } else {
            let state: Option<State> = sqlx::query_scalar(
                "SELECT state FROM refresh_lineage WHERE jti = $1 AND session_id = $2",
            )
            .bind(jti)
            .bind(sid)
            .persistent(named).fetch_optional(&mut *tx)
            .await?;
            if state == Some(State::Dropped) {
                sqlx::query(MARK_ENDED).bind(now).bind(sid).persistent(named).execute(&mut *tx).await?;
                tx.announce(&Invalidation::Ended(sid.to_owned()), named).await?;
                Confirmation::Theft
            } else {
                Confirmation::Nothing
            }
        };
        tx.commit().await?;
        Ok((confirmation, locked.version))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(sql: &str) -> std::collections::BTreeSet<&str> {
        sql.split(':')
            .skip(1)
            .map(|s| {
                let len = s
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                &s[..len]
            })
            .filter(|n| !n.is_empty() && *n != "text")
            .collect()
    }

    /// Both spellings use every parameter, and nothing else.
    #[test]
    fn both_backends_use_exactly_the_named_parameters() {
        let all: std::collections::BTreeSet<&str> = RotationParams::NAMES.iter().copied().collect();
        assert_eq!(names_in(SQLITE_ROTATE), all);
        assert_eq!(names_in(POSTGRES_ROTATE), all);
        assert_eq!(
            numbered("a = :sid AND b = :now_ms::text", 30),
            "a = $31 AND b = $32::text"
        );
        assert!(!Sqlite::rotate_sql().contains(':'));
    }
}
