//! The `login_failures` table: consecutive failed logins per account name, kept in the
//! database so every instance sees the same count and N instances do not give an attacker N
//! times the guesses. Unknown names are counted like real ones (the table does not reveal who
//! exists); rows of accounts that stopped failing long ago are pruned.

use super::{Db, on_db};

/// An account's failures so far and until when it is locked (Unix seconds; 0: not locked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Failures {
    pub consecutive: i64,
    pub locked_until: i64,
}

pub async fn find(db: &Db, account: &str) -> Result<Option<Failures>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as("SELECT consecutive, locked_until FROM login_failures WHERE account = $1")
            .bind(account)
            .fetch_optional(pool)
            .await
    })
}

/// Counts one more failure and sets the lock `lock_for` (seconds) decides from the new count,
/// atomically: two instances failing the same account at once both count.
pub async fn record_failure(
    db: &Db,
    account: &str,
    now: i64,
    lock_for: impl Fn(i64) -> i64,
) -> Result<Failures, sqlx::Error> {
    let counted: i64 = on_db!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO login_failures (account, consecutive, locked_until, last_failed) \
             VALUES ($1, 1, 0, $2) \
             ON CONFLICT (account) DO UPDATE SET consecutive = login_failures.consecutive + 1, \
             last_failed = $2 RETURNING consecutive",
        )
        .bind(account)
        .bind(now)
        .fetch_one(pool)
        .await?
    });
    let lock = lock_for(counted);
    let locked_until = if lock > 0 { now + lock } else { 0 };
    if lock > 0 {
        on_db!(db, pool => {
            sqlx::query(
                "UPDATE login_failures SET locked_until = $1 WHERE account = $2 AND locked_until < $1",
            )
            .bind(locked_until)
            .bind(account)
            .execute(pool)
            .await?
            .rows_affected()
        });
    }
    Ok(Failures {
        consecutive: counted,
        locked_until,
    })
}

/// A right password: the account starts afresh.
pub async fn clear(db: &Db, account: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(account)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Forgets accounts whose last failure is older than `before` and that are not locked.
pub async fn prune(db: &Db, before: i64, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => {
        Ok(sqlx::query("DELETE FROM login_failures WHERE last_failed < $1 AND locked_until <= $2")
            .bind(before)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected())
    })
}
