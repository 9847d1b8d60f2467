//! The schema, embedded in the binary and applied at start-up by sqlx's migrator: one list per
//! backend, because the DDL differs (types, identity columns). Each list names its files; a test
//! checks it against the `migrations/` folders, so a new file cannot be forgotten.
//!
//! The files are embedded through sqlx's public `MigrationSource` rather than the `migrate!`
//! macro, so the build needs no sqlx feature that drags unused drivers into `Cargo.lock`.

use std::future::Future;
use std::pin::Pin;

use sqlx_core::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

use crate::config::Backend;

/// `(version, description, SQL)`, oldest first.
type Files = &'static [(i64, &'static str, &'static str)];

const SQLITE: Files = &[
    (
        1,
        "users sessions",
        include_str!("../../migrations/sqlite/0001_users_sessions.sql"),
    ),
    (
        2,
        "lineage lockouts",
        include_str!("../../migrations/sqlite/0002_lineage_lockouts.sql"),
    ),
    (
        3,
        "lineage by session",
        include_str!("../../migrations/sqlite/0003_lineage_by_session.sql"),
    ),
    (
        4,
        "prune indexes",
        include_str!("../../migrations/sqlite/0004_prune_indexes.sql"),
    ),
    (
        5,
        "class",
        include_str!("../../migrations/sqlite/0005_class.sql"),
    ),
];

const POSTGRES: Files = &[
    (
        1,
        "schema",
        include_str!("../../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "prune indexes",
        include_str!("../../migrations/postgres/0002_prune_indexes.sql"),
    ),
    (
        3,
        "class",
        include_str!("../../migrations/postgres/0003_class.sql"),
    ),
];

#[derive(Debug)]
struct Embedded(Files);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<
        Box<
            dyn Future<Output = Result<Vec<Migration>, Box<dyn std::error::Error + Send + Sync>>>
                + Send,
        >,
    > {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    (*sql).into(),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// The migrator for `backend`.
pub async fn migrator(backend: Backend) -> Result<Migrator, MigrateError> {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    Migrator::new(Embedded(files)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_folders_is_embedded_in_order() {
        for (folder, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            names.sort();
            assert_eq!(names.len(), files.len(), "{folder}: {names:?}");
            for (name, (version, description, sql)) in names.iter().zip(files.iter()) {
                let (number, rest) = name.split_once('_').unwrap();
                assert_eq!(number.parse::<i64>().unwrap(), *version, "{name}");
                assert_eq!(
                    rest.trim_end_matches(".sql").replace('_', " "),
                    *description
                );
                assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *sql);
            }
        }
    }

    /// Migration 3 keeps every lineage row and leaves the table one index, `(session_id, jti)`:
    /// each index is one more page in every rotation's commit.
    #[tokio::test]
    async fn the_lineage_keeps_its_rows_and_only_its_session_index() {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("m.db"))
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        Migrator::new(Embedded(&SQLITE[..2]))
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        for sql in [
            "INSERT INTO users (id, user_id, password_hash, email, name, created_at) \
             VALUES (1, 'u', 'h', 'e', 'n', 0)",
            "INSERT INTO sessions (id, user_pk, keep_logged_in, created_at, last_seen_at, \
             expires_at, refresh_current) VALUES ('s', 1, 1, 0, 0, 99, 'j2')",
            "INSERT INTO refresh_lineage (fingerprint, jti, session_id, parent_jti, state, \
             issued_ms, confirmed_ms, ended_ms, expires_at) VALUES \
             ('f1', 'j1', 's', NULL, 'retired', 1000, 1000, 2000, 99), \
             ('f2', 'j2', 's', 'j1', 'current', 2000, 2000, NULL, 99)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        migrator(Backend::Sqlite)
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();

        /// fingerprint, jti, parent, state, ended
        type Row = (String, String, Option<String>, String, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT fingerprint, jti, parent_jti, state, ended_ms FROM refresh_lineage \
             WHERE session_id = 's' ORDER BY issued_ms",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            rows,
            [
                ("f1".into(), "j1".into(), None, "retired".into(), Some(2000)),
                (
                    "f2".into(),
                    "j2".into(),
                    Some("j1".into()),
                    "current".into(),
                    None
                ),
            ]
        );
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'refresh_lineage'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(indexes, ["refresh_lineage_by_session"]);
        // Ending the session still takes its lineage with it.
        sqlx::query("DELETE FROM sessions WHERE id = 's'")
            .execute(&pool)
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_lineage")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(left, 0);
    }
}
