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
//! Each rotation keeps its own guard ([`super::backend::Dialect::ROTATE`]), so one whose
//! session changed writes nothing while the others in its batch go on. If the script fails
//! (the file is locked, read-only or full), nothing of the batch is written, and every rotation
//! in it gets an error of the same kind (503 for all of them when the database is unavailable).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::Row;
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tokio::sync::oneshot;

use super::{NewRefresh, Rotation, bind_rotation};
use crate::auth::decide::RefreshPlan;
use crate::store::backend::{self, is_unavailable};

/// The parameters of one rotation in [`backend::SQLITE_ROTATE`] (`$1` to `$15`).
const PARAMS: usize = 15;

/// Rotations written by one script at most. Batches are padded to a power of two, so the
/// writer's connection prepares six scripts in all.
const MAX_BATCH: usize = 32;

/// A rotation waiting for its batch, with its own copy of what [`Rotation`] borrows.
pub(super) struct Queued {
    sid: String,
    now_ms: i64,
    now: i64,
    plan: RefreshPlan,
    current: Option<String>,
    pending: Option<String>,
    read_version: i64,
    presented: Option<(String, String)>,
    child_fingerprint: String,
    child_jti: String,
    child_issued_ms: i64,
    child_expires_at: i64,
}

impl Queued {
    pub(super) fn of(r: &Rotation<'_>) -> Self {
        Self {
            sid: r.sid.to_owned(),
            now_ms: r.now_ms,
            now: r.now,
            plan: r.plan,
            current: r.current.map(str::to_owned),
            pending: r.pending.map(str::to_owned),
            read_version: r.read_version,
            presented: r.presented.map(|(f, j)| (f.to_owned(), j.to_owned())),
            child_fingerprint: r.child.fingerprint.to_owned(),
            child_jti: r.child.jti.to_owned(),
            child_issued_ms: r.child.issued_ms,
            child_expires_at: r.child.expires_at,
        }
    }

    fn rotation(&self) -> Rotation<'_> {
        Rotation {
            sid: &self.sid,
            now_ms: self.now_ms,
            now: self.now,
            plan: self.plan,
            current: self.current.as_deref(),
            pending: self.pending.as_deref(),
            read_version: self.read_version,
            presented: self
                .presented
                .as_ref()
                .map(|(f, j)| (f.as_str(), j.as_str())),
            child: NewRefresh {
                fingerprint: &self.child_fingerprint,
                jti: &self.child_jti,
                issued_ms: self.child_issued_ms,
                expires_at: self.child_expires_at,
            },
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
            tokio::spawn(self.clone().drain());
        }
        answer.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        // A job is only ever pushed or taken under the lock: a panic elsewhere cannot leave
        // the queue half changed.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn drain(self: Arc<Self>) {
        /// Lets a later rotation start a writer again if this task ends in any way.
        struct Idle<'a>(&'a AtomicBool);
        impl Drop for Idle<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        let _idle = Idle(&self.running);
        loop {
            let jobs: Vec<Job> = {
                let mut queue = self.lock_queue();
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            if jobs.is_empty() {
                self.running.store(false, Ordering::SeqCst);
                // A rotation queued after the queue was found empty but before the flag went
                // down saw a writer running and started none: look once more.
                if self.lock_queue().is_empty() || self.running.swap(true, Ordering::SeqCst) {
                    return;
                }
                continue;
            }
            self.write_batch(jobs).await;
        }
    }

    async fn write_batch(&self, jobs: Vec<Job>) {
        let size = jobs.len().next_power_of_two();
        let mut query = sqlx::query(script(size));
        let rotations: Vec<Rotation<'_>> = jobs.iter().map(|j| j.rotation.rotation()).collect();
        for r in &rotations {
            let (drop_pending, confirmed) = r.flags();
            query = bind_rotation!(query, r, drop_pending, confirmed);
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
                drop(rotations);
                for job in jobs {
                    let held = written.contains(&job.rotation.child_jti);
                    let _ = job.reply.send(Ok(held));
                }
            }
            Err(e) => {
                drop(rotations);
                let mut jobs = jobs.into_iter();
                let first = jobs.next();
                for job in jobs {
                    let _ = job.reply.send(Err(shared(&e)));
                }
                if let Some(job) = first {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }
}

/// The error a batch's other rotations get: of the same kind as `e` (unavailable or not),
/// saying what it was.
fn shared(e: &sqlx::Error) -> sqlx::Error {
    let message = format!("the batched rotation failed: {e}");
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
                    .map(|i| renumber(backend::SQLITE_ROTATE, i * PARAMS))
                    .collect();
                format!("BEGIN IMMEDIATE; {}; COMMIT", rotations.join("; "))
            })
            .collect()
    });
    &scripts[size.trailing_zeros() as usize]
}

/// `sql` with every `$N` made `$(N + offset)`.
fn renumber(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = rest[..digits].parse().expect("a numbered parameter");
        out.push_str(&(n + offset).to_string());
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(highest_parameter(backend::SQLITE_ROTATE), PARAMS);
        assert_eq!(renumber("a = $1 AND b = $12; $3", 30), "a = $31 AND b = $42; $33");
        for size in [1, 2, 4, 8, 16, 32] {
            let sql = script(size);
            assert_eq!(highest_parameter(sql), size * PARAMS, "{size}");
            assert_eq!(sql.matches("RETURNING jti").count(), size);
            assert!(sql.starts_with("BEGIN IMMEDIATE; ") && sql.ends_with("; COMMIT"));
        }
    }
}
