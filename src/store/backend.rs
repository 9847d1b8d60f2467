//! How each backend is connected to and migrated, and SQLite's self-committing scripts. What
//! else differs lives beside what it serves: how a change is announced (`invalidation`), and
//! the rotation each backend spells its own way (`sessions::rotation`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use sqlx_core::migrate::Migrator;

use super::{Db, Pg};
use crate::config::{Backend, Config, DatabaseSettings, Pooler};
use crate::error::is_unavailable;

fn std_duration(d: time::Duration) -> Duration {
    d.try_into().unwrap_or(Duration::ZERO)
}

/// Opens the pool for `config.database.url` (creating a missing SQLite file and its folder),
/// waiting up to `DATABASE_CONNECT_TIMEOUT` for the database to answer, and brings the schema
/// up to date.
pub async fn connect(config: &Config) -> Result<Db, sqlx::Error> {
    let settings = &config.database;
    let migrator = super::migrations::migrator(config.database.backend).await?;
    let db = match config.database.backend {
        Backend::Sqlite => {
            let pool = connect_sqlite(&config.database.url, settings).await?;
            migrator.run(&pool).await?;
            Db::Sqlite(pool)
        }
        Backend::Postgres => Db::Postgres(connect_postgres(settings, &migrator).await?),
    };
    Ok(db)
}

async fn connect_sqlite(url: &str, settings: &DatabaseSettings) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL lets readers go on while a rotation writes; NORMAL is durable enough under WAL
        // (a killed process loses nothing committed; only a power cut may lose the last ones).
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std_duration(settings.busy_timeout))
        .foreign_keys(true);
    // SQLite creates the file but not its folder (the default lives in data/).
    let file = options.get_filename();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
    }
    SqlitePoolOptions::new()
        .max_connections(settings.max_connections)
        // A connection to a file in this process cannot have gone away: checking it before
        // each use would only cost a round trip to its thread.
        .test_before_acquire(false)
        .acquire_timeout(std_duration(settings.acquire_timeout))
        .connect_with(options)
        .await
}

use sqlx::SqlitePool;

/// A statement never runs longer than this (ms), so a stuck database answers 503.
const STATEMENT_TIMEOUT_MS: i128 = 5000;

/// Connection options for PostgreSQL: statements never wait on a row lock longer than
/// SQLite would on its file lock, and never run for long. Through a transaction pooler, which
/// passes on no startup `options`, each transaction sets the same limits itself (see `pg`).
pub fn postgres_options(
    url: &str,
    settings: &DatabaseSettings,
) -> Result<PgConnectOptions, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name("jwt-cookie-lab");
    Ok(match settings.pooler {
        Pooler::Transaction => options.extra_float_digits(None),
        Pooler::None => {
            let lock_ms = settings.busy_timeout.whole_milliseconds().to_string();
            let statement_ms = STATEMENT_TIMEOUT_MS.to_string();
            options.options([
                ("lock_timeout", lock_ms.as_str()),
                ("statement_timeout", statement_ms.as_str()),
            ])
        }
    })
}

/// The pool, with the schema brought up to date: through a pooler, over a connection of its
/// own to `DATABASE_LISTEN_URL` (the migrator holds a session-level advisory lock).
async fn connect_postgres(
    settings: &DatabaseSettings,
    migrator: &Migrator,
) -> Result<Pg, sqlx::Error> {
    let pool = postgres_pool(&settings.url, settings).await?;
    match (settings.pooler, &settings.listen_url) {
        (Pooler::Transaction, Some(direct)) => {
            let direct_settings = DatabaseSettings {
                pooler: Pooler::None,
                max_connections: 1,
                ..settings.clone()
            };
            let direct = postgres_pool(direct, &direct_settings).await?;
            migrator.run(&direct).await?;
            direct.close().await;
            Ok(Pg::pooled(
                pool,
                settings.busy_timeout.whole_milliseconds(),
                STATEMENT_TIMEOUT_MS,
            ))
        }
        (Pooler::Transaction, None) => Err(sqlx::Error::Configuration(
            "DATABASE_POOLER=transaction needs DATABASE_LISTEN_URL".into(),
        )),
        (Pooler::None, _) => {
            migrator.run(&pool).await?;
            Ok(Pg::direct(pool))
        }
    }
}

async fn postgres_pool(
    url: &str,
    settings: &DatabaseSettings,
) -> Result<sqlx::PgPool, sqlx::Error> {
    let options = postgres_options(url, settings)?;
    let deadline = tokio::time::Instant::now() + std_duration(settings.connect_timeout);
    // A database that is still starting (or restarting) is worth waiting for, up to a point.
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(std_duration(settings.acquire_timeout))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(e) if is_unavailable(&e) && tokio::time::Instant::now() < deadline => {
                tracing::warn!(error = %e, "PostgreSQL is not answering yet; retrying");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// SQLite: runs a script that opens and commits its own transaction, on a connection of its
/// own, and answers the rows it returned (not the rows it changed: SQLite repeats the last
/// statement's count for `BEGIN` and `COMMIT`). SQLite has one writer at a time, and a transaction
/// driven from here holds that lock across round trips to the connection's thread (and across
/// whatever else this worker thread is busy with in between); a script holds it only while the
/// connection's thread runs it. A script cut short (an error, or the task that awaited it
/// dropped) may leave its transaction open: that connection is rolled back or closed, never
/// handed back to the pool as it is.
pub(crate) async fn run_alone<'q>(
    pool: &SqlitePool,
    script: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
) -> Result<Vec<sqlx::sqlite::SqliteRow>, sqlx::Error> {
    /// Closes the connection on drop unless the script ran to its end.
    struct Unfinished(Option<sqlx::pool::PoolConnection<Sqlite>>);
    impl Drop for Unfinished {
        fn drop(&mut self) {
            if let Some(mut conn) = self.0.take() {
                conn.close_on_drop();
            }
        }
    }
    let mut guard = Unfinished(Some(pool.acquire().await?));
    let conn = guard.0.as_mut().expect("just acquired");
    match script.fetch_all(&mut **conn).await {
        Ok(rows) => {
            guard.0.take();
            Ok(rows)
        }
        Err(e) => {
            match sqlx::query("ROLLBACK").execute(&mut **conn).await {
                Ok(_) => {
                    guard.0.take();
                }
                // The script failed before its `BEGIN` took effect (busy past the timeout):
                // nothing is open, and the connection is as good as it was.
                Err(sqlx::Error::Database(db))
                    if db.message().contains("no transaction is active") =>
                {
                    guard.0.take();
                }
                Err(_) => {}
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of one connection to a fresh file with a table `t`, giving up on a lock held
    /// elsewhere after 50 ms, and a count of the connections it has opened.
    async fn one_connection() -> (
        tempfile::TempDir,
        SqlitePool,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_millis(50));
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = opened.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(move |_, _| {
                let counter = counter.clone();
                Box::pin(async move {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        (dir, pool, opened)
    }

    /// After `run_alone`, whatever happened, the pool's connection can start a transaction and
    /// write: no transaction was left open on it.
    async fn writes_again(pool: &SqlitePool, x: i64) {
        let mut tx = pool.begin().await.expect("no transaction left open");
        sqlx::query("INSERT INTO t VALUES ($1)")
            .bind(x)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_script_that_fails_half_way_is_rolled_back() {
        let (_dir, pool, _) = one_connection().await;
        let failing = sqlx::query(
            "BEGIN IMMEDIATE; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); COMMIT",
        );
        assert!(run_alone(&pool, failing).await.is_err());
        writes_again(&pool, 2).await;
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            rows,
            [2],
            "the first insert was rolled back with the script"
        );
        let fine = sqlx::query("BEGIN IMMEDIATE; INSERT INTO t VALUES (3) RETURNING x; COMMIT");
        assert_eq!(run_alone(&pool, fine).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_script_whose_caller_goes_away_leaves_no_open_transaction() {
        let (_dir, pool, _) = one_connection().await;
        // Long enough to be cut short: the caller stops waiting while SQLite is still counting.
        let slow = sqlx::query(
            "BEGIN IMMEDIATE; INSERT INTO t VALUES (1); \
             WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) \
             SELECT count(*) FROM c; COMMIT",
        );
        let cut = tokio::time::timeout(Duration::from_millis(20), run_alone(&pool, slow)).await;
        assert!(cut.is_err(), "the script should still have been running");
        // The connection that ran it is closed (rolling it back), not handed back half done.
        writes_again(&pool, 2).await;
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, [2]);
    }

    /// A script that could not even begin (another writer held the lock past the busy timeout)
    /// left nothing open: its connection goes back to the pool rather than being closed.
    #[tokio::test]
    async fn a_script_that_could_not_begin_keeps_its_connection() {
        use sqlx::{Connection, SqliteConnection};
        let (dir, pool, opened) = one_connection().await;
        let path = dir.path().join("t.db");
        let mut other =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
                .await
                .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();
        let script = sqlx::query("BEGIN IMMEDIATE; INSERT INTO t VALUES (1); COMMIT");
        let Err(e) = run_alone(&pool, script).await else {
            panic!("the lock is held elsewhere")
        };
        assert!(is_unavailable(&e), "{e}");
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        writes_again(&pool, 2).await;
        assert_eq!(
            opened.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the same connection wrote again: none was closed and opened anew"
        );
    }

    /// Faults SQLite really raises — a file opened read-only, a database that has hit its
    /// size limit (as a full disk would), a lock held past the busy timeout — are all
    /// "unavailable" (a 503), while a broken statement or a constraint stays a bug (a 500).
    #[tokio::test]
    async fn real_sqlite_faults_are_unavailable_and_bugs_are_not() {
        use crate::error::AppError;
        use actix_web::ResponseError;
        use sqlx::{Connection, SqliteConnection};
        let (dir, pool, _) = one_connection().await;
        let path = dir.path().join("t.db");
        let is_503 = |e: sqlx::Error| {
            let unavailable = is_unavailable(&e);
            let status = AppError::from(e).status_code();
            assert_eq!(unavailable, status == 503, "{status}");
            unavailable
        };

        // Read-only.
        let read_only = SqlitePoolOptions::new()
            .connect_with(SqliteConnectOptions::new().filename(&path).read_only(true))
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&read_only)
            .await
            .unwrap_err();
        assert!(is_503(e), "read-only");

        // Full: a page limit stands in for the disk, as SQLite reports both as SQLITE_FULL.
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("CREATE TABLE big (b BLOB)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *conn)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO big VALUES (zeroblob(1000000))")
            .execute(&mut *conn)
            .await
            .unwrap_err();
        assert!(is_503(e), "full");
        drop(conn);

        // Locked past the busy timeout by another connection.
        let mut holder =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
                .await
                .unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .unwrap();
        let mut waiter = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .busy_timeout(std::time::Duration::from_millis(50)),
        )
        .await
        .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut waiter)
            .await
            .unwrap_err();
        assert!(is_503(e), "locked");
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();

        // Bugs and bad statements are not the database being unavailable.
        sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&pool)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(!is_503(e), "a constraint");
        let e = sqlx::query("SELEC 1").execute(&pool).await.unwrap_err();
        assert!(!is_503(e), "a syntax error");
    }
}
