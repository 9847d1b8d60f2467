//! The database: SQLite (the default) or PostgreSQL, chosen by `DATABASE_URL`. Every SQL
//! string of the app lives below this module, always with bound parameters; nothing here knows
//! about HTTP.
//!
//! Each query is written once, with `$1` placeholders (both drivers accept them), and run on
//! whichever pool is configured through [`on_db!`], which expands the same code once per
//! backend so each is type-checked against its own driver. What really differs between the
//! two lives beside what it serves: connecting and migrating in [`backend`], how other
//! instances hear of a change in [`invalidation`] (and [`listener`]), and the rotation each
//! spells its own way in `sessions::rotation`. Which errors mean "unavailable" is decided in
//! `crate::error`, so the store and the error type share one rule.

pub mod backend;
pub mod class;
pub mod invalidation;
pub mod listener;
pub mod lockouts;
pub mod migrations;
pub mod pg;
pub mod sessions;
pub mod users;

use sqlx::SqlitePool;

pub use pg::{Pg, Statements};

pub use crate::error::is_unavailable;
pub use backend::connect;

/// A pool of connections to one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    /// Straight to PostgreSQL or through a transaction pooler (see [`pg`]).
    Postgres(Pg),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`. The body is written once and
/// compiled for each backend, so a query that one driver cannot type fails the build.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub use on_db;

impl Db {
    /// One round trip: does the database answer? (`/readyz`)
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (tests that restart a server on the same database use it).
    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}
