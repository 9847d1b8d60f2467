//! Demo mode's class in the database: learners' own demo accounts (they expire), and the
//! teacher's reset, which every running instance notices by polling `class_resets`.

use super::{Db, Statements, on_db};

/// What a reset did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reset {
    pub sessions_ended: u64,
    pub lockouts_cleared: u64,
    pub accounts_deleted: u64,
    /// Whether the shared demo account was there to restore (else it was created).
    pub demo_restored: bool,
}

/// Learners' own demo accounts not yet expired.
pub async fn live_demo_accounts(db: &Db, now: i64) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE expires_at > $1")
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

/// Deletes up to 1000 expired demo accounts (their sessions go with them); how many.
pub async fn sweep_demo_accounts(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => {
        Ok(sqlx::query(
            "DELETE FROM users WHERE id IN (SELECT id FROM users \
             WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT 1000)",
        )
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected())
    })
}

/// When the class was last reset (Unix milliseconds), if ever.
pub async fn last_reset(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("SELECT at_ms FROM class_resets WHERE id = 1")
            .fetch_optional(pool)
            .await
    })
}

/// The teacher's reset, in one transaction: every live session ends (cause `reset`), every
/// lock-out is cleared, every learner's own demo account is deleted, the shared account
/// `demo_user` gets `demo_hash` back as its password, and the reset's time is written for the
/// running instances to see.
pub async fn reset(
    db: &Db,
    now_ms: i64,
    demo_user: &str,
    demo_hash: &str,
) -> Result<Reset, sqlx::Error> {
    let now = now_ms.div_euclid(1000);
    on_db!(db, pool => {
        let named = pool.named();
        let mut tx = pool.begin().await?;
        let sessions_ended = sqlx::query(
            "UPDATE sessions SET revoked_at = $1, end_cause = 'reset', version = version + 1 \
             WHERE revoked_at IS NULL",
        )
        .bind(now)
        .persistent(named)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let lockouts_cleared = sqlx::query("DELETE FROM login_failures")
            .persistent(named)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let accounts_deleted = sqlx::query("DELETE FROM users WHERE expires_at IS NOT NULL")
            .persistent(named)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let demo_restored = sqlx::query("UPDATE users SET password_hash = $1 WHERE user_id = $2")
            .bind(demo_hash)
            .bind(demo_user)
            .persistent(named)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        sqlx::query(
            "INSERT INTO class_resets (id, at_ms) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
        )
        .bind(now_ms)
        .persistent(named)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Reset {
            sessions_ended,
            lockouts_cleared,
            accounts_deleted,
            demo_restored,
        })
    })
}
