//! PostgreSQL as the store reaches it: directly, or through a transaction pooler (PgBouncer's
//! `pool_mode = transaction`, `DATABASE_POOLER=transaction`).
//!
//! Directly, sqlx prepares each statement once per connection and reuses it by name. Through a
//! transaction pooler, each transaction may run on another server connection, so a name
//! prepared in one transaction is missing in the next, or already taken by another client's
//! statement on that server. And sqlx prepares a statement and executes it in two round trips
//! (`Parse`+`Sync`, then `Bind`+`Execute`+`Sync`): outside a transaction the pooler may hand
//! the second to another server. So through a pooler:
//!
//! - every statement is unnamed ([`Pg::named`] is false; statements inside a transaction ask
//!   for it with `.persistent(named)`, the ones run on the pool are made unnamed here);
//! - every statement runs inside a transaction: one run on the pool directly (`fetch_optional(pool)`)
//!   gets a transaction of its own here, so the store's code reads the same either way;
//! - the timeouts that a direct connection sets once as startup `options` (which a pooler
//!   refuses) are set with `SET LOCAL` by every transaction's `BEGIN`;
//! - migrations and `LISTEN` go to `DATABASE_LISTEN_URL`, which must reach PostgreSQL itself
//!   (both need a session: an advisory lock, a subscription).
//!
//! That costs each statement run on its own three more round trips than directly; see
//! BENCHMARKS.md for what it comes to.

use std::borrow::Cow;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, Transaction};

/// A PostgreSQL pool, and whether a transaction pooler stands in front of it.
#[derive(Clone, Debug)]
pub struct Pg {
    pool: PgPool,
    /// Through a pooler: the `BEGIN` that also sets this transaction's timeouts.
    pooled_begin: Option<Cow<'static, str>>,
}

impl Pg {
    /// Straight to PostgreSQL.
    pub fn direct(pool: PgPool) -> Self {
        Self {
            pool,
            pooled_begin: None,
        }
    }

    /// Through a transaction pooler: each transaction sets its own timeouts.
    pub fn pooled(pool: PgPool, lock_timeout_ms: i128, statement_timeout_ms: i128) -> Self {
        let begin = format!(
            "BEGIN; SET LOCAL lock_timeout = {lock_timeout_ms}; \
             SET LOCAL statement_timeout = {statement_timeout_ms}"
        );
        Self {
            pool,
            pooled_begin: Some(begin.into()),
        }
    }

    /// Whether statements may be prepared once and reused by name (not through a pooler).
    pub fn named(&self) -> bool {
        self.pooled_begin.is_none()
    }

    /// The pool itself, for what needs a plain sqlx pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        match &self.pooled_begin {
            None => self.pool.begin().await,
            Some(begin) => self.pool.begin_with(begin.clone()).await,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

/// A statement sent unnamed: prepared and executed in one transaction, never reused.
struct Unnamed<E>(E);

impl<'q, E: Execute<'q, Postgres>> Execute<'q, Postgres> for Unnamed<E> {
    fn sql(&self) -> &'q str {
        self.0.sql()
    }

    fn statement(&self) -> Option<&PgStatement<'q>> {
        self.0.statement()
    }

    fn take_arguments(
        &mut self,
    ) -> Result<Option<sqlx::postgres::PgArguments>, sqlx::error::BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        false
    }
}

impl<'p> Executor<'p> for &'p Pg {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if self.named() {
            return self.pool.fetch_many(query);
        }
        // The rows are few (the store reads one session, one user, a short list): gathered
        // inside the transaction, then handed on.
        stream::once(async move {
            let mut tx = self.begin().await?;
            let all: Vec<_> = (&mut *tx).fetch_many(Unnamed(query)).try_collect().await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(stream::iter(all.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        if self.named() {
            return self.pool.fetch_optional(query);
        }
        Box::pin(async move {
            let mut tx = self.begin().await?;
            let row = (&mut *tx).fetch_optional(Unnamed(query)).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.describe(sql)
    }
}

/// Whether a pool's statements may be reused by name: always on SQLite (one process owns its
/// connections), on PostgreSQL unless a transaction pooler stands between.
pub trait Statements {
    fn named(&self) -> bool;
}

impl Statements for sqlx::SqlitePool {
    fn named(&self) -> bool {
        true
    }
}

impl Statements for Pg {
    fn named(&self) -> bool {
        Pg::named(self)
    }
}
