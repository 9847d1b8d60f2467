//! SQLite: rotations planned from the cache are committed together.
//!
//! SQLite has one writer at a time, and what a commit costs hardly depends on how much it
//! commits: the hand-over to the connection's thread and back, the `BEGIN` and the `COMMIT`,
//! the pages written to the WAL (the session table's and the lineage table's last pages are
//! shared by every rotation), and the checkpoints those pages bring. Several connections
//! writing at once make it worse: all but one sleep in SQLite's busy handler, and each write
//! empties the others' page caches. So the rotations of a whole stretch of time share one
//! connection of their own and one transaction: a rotation joins a queue, and whoever finds
//! the queue idle starts a task that writes everything queued in one script, then whatever
//! queued meanwhile, until the queue is empty. Alone, a rotation is written at once, as before;
//! under load, a batch forms while the previous one is written (group commit).
//!
//! Each rotation keeps its own guard (see `rotation`), so one whose
//! session changed writes nothing while the others in its batch go on. If the script fails
//! (the file is locked, read-only or full), nothing of the batch is written, and every rotation
//! in it gets an error of the same kind (503 for all of them when the database is unavailable),
//! as does every rotation queued behind it meanwhile.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::Row;
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tokio::sync::oneshot;

use super::rotation::{self, RotationParams};
use crate::error::is_unavailable;
use crate::store::backend;

/// The parameters of one rotation in the script.
const PARAMS: usize = RotationParams::NAMES.len();

/// Rotations written by one script at most. Batches are padded to a power of two, so the
/// writer's connection prepares six scripts in all.
const MAX_BATCH: usize = 32;

/// A rotation waiting for its batch: its own copy of what [`RotationParams`] borrows.
pub(super) struct Queued {
    sid: String,
    now_ms: i64,
    now: i64,
    drop_pending: bool,
    confirm: bool,
    current: Option<String>,
    pending: Option<String>,
    child_fingerprint: String,
    child_jti: String,
    parent: Option<String>,
    child_issued_ms: i64,
    child_expires_at: i64,
    read_version: i64,
    presented_fingerprint: Option<String>,
    presented_jti: Option<String>,
}

impl Queued {
    pub(super) fn of(p: &RotationParams<'_>) -> Self {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Self {
            sid: p.sid.to_owned(),
            now_ms: p.now_ms,
            now: p.now,
            drop_pending: p.drop_pending,
            confirm: p.confirm,
            current: owned(p.current),
            pending: owned(p.pending),
            child_fingerprint: p.child_fingerprint.to_owned(),
            child_jti: p.child_jti.to_owned(),
            parent: owned(p.parent),
            child_issued_ms: p.child_issued_ms,
            child_expires_at: p.child_expires_at,
            read_version: p.read_version,
            presented_fingerprint: owned(p.presented_fingerprint),
            presented_jti: owned(p.presented_jti),
        }
    }

    fn params(&self) -> RotationParams<'_> {
        RotationParams {
            sid: &self.sid,
            now_ms: self.now_ms,
            now: self.now,
            drop_pending: self.drop_pending,
            confirm: self.confirm,
            current: self.current.as_deref(),
            pending: self.pending.as_deref(),
            child_fingerprint: &self.child_fingerprint,
            child_jti: &self.child_jti,
            parent: self.parent.as_deref(),
            child_issued_ms: self.child_issued_ms,
            child_expires_at: self.child_expires_at,
            read_version: self.read_version,
            presented_fingerprint: self.presented_fingerprint.as_deref(),
            presented_jti: self.presented_jti.as_deref(),
        }
    }
}

struct Job {
    rotation: Queued,
    /// Whether the rotation's guard held (its child was written).
    reply: oneshot::Sender<Result<bool, sqlx::Error>>,
}

/// What the batches did, for the metrics.
#[derive(Debug, Default)]
pub struct BatchCounters {
    /// Transactions that committed queued rotations.
    pub batches: AtomicU64,
    /// Rotations in those transactions (whether or not each one's guard held).
    pub rotations: AtomicU64,
    /// Rotations queued or being written right now.
    pub waiting: AtomicU64,
}

/// The queue of rotations and the connection they are written on.
pub(super) struct Batcher {
    /// One connection of its own: its page cache stays warm, and it never waits on the pool.
    pool: SqlitePool,
    queue: Mutex<Vec<Job>>,
    /// Whether a task is writing (it will also take whatever is queued).
    running: AtomicBool,
    pub(super) counters: BatchCounters,
}

/// The one task writing batches; while it exists, `running` is up.
struct Draining {
    batcher: Arc<Batcher>,
    /// Set when the task ends by finding the queue empty (the flag is then already settled).
    finished: bool,
    /// Rotations in the batch being written.
    in_flight: u64,
}

impl Draining {
    async fn drain(mut self) {
        loop {
            let batcher = &self.batcher;
            let jobs: Vec<Job> = {
                let mut queue = batcher.lock_queue();
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            if jobs.is_empty() {
                batcher.running.store(false, Ordering::SeqCst);
                // A rotation queued after the queue was found empty but before the flag went
                // down saw a writer running and started none: look once more. If another task
                // has started meanwhile, the flag is its own now.
                if batcher.lock_queue().is_empty() || batcher.running.swap(true, Ordering::SeqCst) {
                    self.finished = true;
                    return;
                }
                continue;
            }
            self.in_flight = jobs.len() as u64;
            self.batcher.write_batch(jobs).await;
            self.in_flight = 0;
        }
    }
}

impl Drop for Draining {
    /// Cut short (its worker stopped): nothing writes any more, so the rotations still queued
    /// are answered now (503) rather than left waiting for the next rotation to start a task.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The batch being written went down with the task: its requests hear so from their
        // dropped answers.
        let stranded: Vec<Job> = self.batcher.lock_queue().drain(..).collect();
        self.batcher.running.store(false, Ordering::SeqCst);
        self.batcher
            .counters
            .waiting
            .fetch_sub(self.in_flight + stranded.len() as u64, Ordering::Relaxed);
        self.batcher.fail(stranded, &sqlx::Error::WorkerCrashed);
    }
}

impl Batcher {
    /// A writer beside `pool`, on the same file with the same settings. It connects on first
    /// use.
    pub(super) fn beside(pool: &SqlitePool) -> Arc<Self> {
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(pool.options().get_acquire_timeout())
            .connect_lazy_with((*pool.connect_options()).clone());
        Arc::new(Self {
            pool: writer,
            queue: Mutex::new(Vec::new()),
            running: AtomicBool::new(false),
            counters: BatchCounters::default(),
        })
    }

    /// Writes `rotation` with whatever else is queued; `Ok(false)` when its guard failed (the
    /// session changed since it was read).
    pub(super) async fn write(self: &Arc<Self>, rotation: Queued) -> Result<bool, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.counters.waiting.fetch_add(1, Ordering::Relaxed);
        self.lock_queue().push(Job { rotation, reply });
        if !self.running.swap(true, Ordering::SeqCst) {
            // Spawned, not awaited here: a request that goes away must not cut a batch short.
            // The guard is made before the task, so it goes down with the task even if the
            // task is dropped before it first runs (its worker stopping).
            let draining = Draining {
                batcher: self.clone(),
                finished: false,
                in_flight: 0,
            };
            tokio::spawn(draining.drain());
        }
        answer.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        // A job is only ever pushed or taken under the lock: a panic elsewhere cannot leave
        // the queue half changed.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn write_batch(&self, jobs: Vec<Job>) {
        let size = jobs.len().next_power_of_two();
        let mut query = sqlx::query(script(size));
        for job in &jobs {
            query = job.rotation.params().bind(query);
        }
        // Padding: every parameter NULL, so every statement of the pad matches nothing.
        for _ in 0..(size - jobs.len()) * PARAMS {
            query = query.bind(None::<&str>);
        }
        let written = backend::run_alone(&self.pool, query).await;
        self.counters
            .waiting
            .fetch_sub(jobs.len() as u64, Ordering::Relaxed);
        match written {
            Ok(rows) => {
                self.counters.batches.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .rotations
                    .fetch_add(jobs.len() as u64, Ordering::Relaxed);
                let written: Vec<String> = rows
                    .iter()
                    .filter_map(|row| row.try_get::<String, _>(0).ok())
                    .collect();
                for job in jobs {
                    let held = written.contains(&job.rotation.child_jti);
                    let _ = job.reply.send(Ok(held));
                }
            }
            Err(e) => {
                let mut jobs = jobs.into_iter();
                let first = jobs.next();
                self.fail(jobs.collect(), &e);
                // Whatever queued while this batch waited would wait on the same lock (or the
                // same full disk) for as long again: it gets the same answer now, so no request
                // waits more than one busy timeout for its 503.
                if is_unavailable(&e) {
                    let queued: Vec<Job> = self.lock_queue().drain(..).collect();
                    self.counters
                        .waiting
                        .fetch_sub(queued.len() as u64, Ordering::Relaxed);
                    self.fail(queued, &e);
                }
                if let Some(job) = first {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }

    /// Answers `jobs` with an error of the same kind as `e`.
    fn fail(&self, jobs: Vec<Job>, e: &sqlx::Error) {
        for job in jobs {
            let _ = job.reply.send(Err(shared(e, "the batched rotation")));
        }
    }
}

/// The error each member of a batch (`what`) gets when the batch failed with `e`: of the same
/// kind (unavailable or not), saying what it was.
pub(super) fn shared(e: &sqlx::Error, what: &str) -> sqlx::Error {
    let message = format!("{what} failed: {e}");
    if is_unavailable(e) {
        sqlx::Error::Io(std::io::Error::other(message))
    } else {
        sqlx::Error::Protocol(message)
    }
}

/// The script for `size` rotations (a power of two up to [`MAX_BATCH`]): one transaction, the
/// rotation's statements once per rotation, each with its own parameters.
fn script(size: usize) -> &'static str {
    static SCRIPTS: OnceLock<Vec<String>> = OnceLock::new();
    let scripts = SCRIPTS.get_or_init(|| {
        (0..=MAX_BATCH.trailing_zeros())
            .map(|power| {
                let rotations: Vec<String> = (0..1usize << power)
                    .map(|i| rotation::numbered(rotation::SQLITE_ROTATE, i * PARAMS))
                    .collect();
                format!("BEGIN IMMEDIATE; {}; COMMIT", rotations.join("; "))
            })
            .collect()
    });
    &scripts[size.trailing_zeros() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Queued {
        Queued {
            sid: "s".into(),
            now_ms: 1,
            now: 0,
            drop_pending: false,
            confirm: true,
            current: Some("c".into()),
            pending: Some("p".into()),
            child_fingerprint: "cf".into(),
            child_jti: "cj".into(),
            parent: Some("p".into()),
            child_issued_ms: 1,
            child_expires_at: 2,
            read_version: 3,
            presented_fingerprint: Some("f".into()),
            presented_jti: Some("p".into()),
        }
    }

    /// A writer task dropped before it ran (its worker stopping) answers what was queued, with
    /// a 503's kind of error, and lets the next rotation start another.
    #[tokio::test]
    async fn a_writer_dropped_unrun_answers_the_queue_and_lets_another_start() {
        let dir = tempfile::tempdir().unwrap();
        let pool = SqlitePoolOptions::new().connect_lazy_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.path().join("t.db"))
                .create_if_missing(true),
        );
        let batcher = Batcher::beside(&pool);
        let (reply, answer) = oneshot::channel();
        batcher.counters.waiting.fetch_add(1, Ordering::Relaxed);
        batcher.lock_queue().push(Job {
            rotation: sample(),
            reply,
        });
        batcher.running.store(true, Ordering::SeqCst);
        let unrun = Draining {
            batcher: batcher.clone(),
            finished: false,
            in_flight: 0,
        }
        .drain();
        drop(unrun);
        let e = answer.await.unwrap().unwrap_err();
        assert!(is_unavailable(&e), "{e}");
        assert!(!batcher.running.load(Ordering::SeqCst));
        assert_eq!(batcher.counters.waiting.load(Ordering::Relaxed), 0);
    }

    fn highest_parameter(sql: &str) -> usize {
        sql.split('$')
            .skip(1)
            .map(|s| {
                let digits = s.bytes().take_while(u8::is_ascii_digit).count();
                s[..digits].parse::<usize>().unwrap()
            })
            .max()
            .unwrap()
    }

    /// The rotation binds exactly [`PARAMS`] values, and each copy in a script has its own.
    #[test]
    fn each_rotation_in_a_script_has_its_own_parameters() {
        assert_eq!(
            highest_parameter(&rotation::numbered(rotation::SQLITE_ROTATE, 0)),
            PARAMS
        );
        for size in [1, 2, 4, 8, 16, 32] {
            let sql = script(size);
            assert_eq!(highest_parameter(sql), size * PARAMS, "{size}");
            assert_eq!(sql.matches("RETURNING jti").count(), size);
            assert!(sql.starts_with("BEGIN IMMEDIATE; ") && sql.ends_with("; COMMIT"));
        }
    }

    /// A rotation binds as many values as the script numbers: otherwise every later copy in a
    /// batch would read its neighbour's values.
    #[test]
    fn a_rotation_binds_exactly_its_parameters() {
        use sqlx::{Arguments, Execute};
        let queued = sample();
        let mut query = queued.params().bind(sqlx::query::<sqlx::Sqlite>(""));
        let arguments = query.take_arguments().unwrap().unwrap();
        assert_eq!(arguments.len(), PARAMS);
    }
}
