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
];

const POSTGRES: Files = &[(
    1,
    "schema",
    include_str!("../../migrations/postgres/0001_schema.sql"),
)];

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
}
