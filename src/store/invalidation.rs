//! How instances sharing one PostgreSQL keep their session caches in step: every change to a
//! session is announced with `NOTIFY` in the transaction that makes it (PostgreSQL delivers it
//! only on commit); each instance's listener (see `listener`) applies what it hears to its own
//! cache. SQLite has one server per file: nobody else to tell.

use sqlx::{Postgres, Sqlite, Transaction};

/// The channel every instance listens on.
pub const CHANNEL: &str = "jwt_cookie_lab_sessions";

/// A change to one session that other instances' caches must hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// Logged out, revoked, ended for reuse, or past a password change: refuse it at once.
    Ended(String),
    /// Its refresh-token lineage moved on to `version`: read it again.
    Changed { sid: String, version: i64 },
}

impl Invalidation {
    /// `ended <sid>` or `changed <sid> <version>`: a few dozen bytes, far below NOTIFY's 8000.
    pub fn to_payload(&self) -> String {
        match self {
            Invalidation::Ended(sid) => format!("ended {sid}"),
            Invalidation::Changed { sid, version } => format!("changed {sid} {version}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Invalidation> {
        let mut words = payload.split(' ');
        match (words.next()?, words.next()?, words.next(), words.next()) {
            ("ended", sid, None, None) => Some(Invalidation::Ended(sid.to_owned())),
            ("changed", sid, Some(version), None) => Some(Invalidation::Changed {
                sid: sid.to_owned(),
                version: version.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// Tells other instances about a change, inside the transaction that makes it: PostgreSQL sends
/// a `NOTIFY` only when the transaction commits, so nobody hears of a change that rolled back.
pub(crate) trait Announce {
    /// `named`: whether the statement may be reused by name (see `store::pg`).
    async fn announce(&mut self, change: &Invalidation, named: bool) -> Result<(), sqlx::Error>;
}

impl Announce for Transaction<'_, Sqlite> {
    /// One server per SQLite file: its own cache is updated directly.
    async fn announce(&mut self, _: &Invalidation, _: bool) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

impl Announce for Transaction<'_, Postgres> {
    async fn announce(&mut self, change: &Invalidation, named: bool) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(change.to_payload())
            .persistent(named)
            .execute(&mut **self)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            Invalidation::Ended("abc".into()),
            Invalidation::Changed {
                sid: "abc".into(),
                version: 42,
            },
        ] {
            assert_eq!(Invalidation::parse(&change.to_payload()), Some(change));
        }
        for junk in [
            "",
            "ended",
            "changed abc",
            "changed abc x",
            "gone abc",
            "ended a b",
        ] {
            assert_eq!(Invalidation::parse(junk), None, "{junk:?}");
        }
    }
}
