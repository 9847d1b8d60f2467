//! "Last seen": when a session was last used, for `/sessions`. A request only notes it in
//! memory, once a minute per session at most; every `SESSION_ACTIVITY_INTERVAL` (and on
//! shutdown) one batch writes all that was noted, in one statement. So reading never puts a
//! write on a request's path, and many people coming back cost one write per interval, not
//! one per person. A crash loses at most one interval of "last seen" times, and nothing else.
//!
//! Each note carries the version of the cached copy it came from, and the write checks it: a
//! row that moved on (or ended) since is not written, and its cached copy is dropped, so the
//! next request reads it again. A copy that missed a change lives at most `SESSION_CACHE_TTL`,
//! however busy the session.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cache::SessionCache;
use super::repo;
use crate::store::Db;

/// Notes written by one statement at most.
pub const MAX_BATCH: usize = 10_000;

/// A session's activity waiting to be written: the cached copy's version, and when.
#[derive(Debug, Clone, Copy)]
struct Note {
    version: i64,
    at: i64,
}

/// What the batches did, for the metrics.
#[derive(Debug, Default)]
pub struct ActivityCounters {
    /// Batches (one per interval with something to write, and one at shutdown).
    pub batches: AtomicU64,
    /// Sessions whose "last seen" those batches wrote.
    pub written: AtomicU64,
}

#[derive(Debug, Default)]
pub struct Activity {
    noted: Mutex<HashMap<String, Note>>,
    pub counters: ActivityCounters,
}

impl Activity {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Note>> {
        // A note is only ever inserted or taken whole: a panic elsewhere leaves nothing half done.
        self.noted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that the copy of `sid` at `version` was used at `at`.
    pub fn note(&self, sid: &str, version: i64, at: i64) {
        self.lock().insert(sid.to_owned(), Note { version, at });
    }

    /// Sessions noted and not yet written.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Writes everything noted so far: one batch, in statements of at most [`MAX_BATCH`]
    /// sessions each (on SQLite each holds the write lock for a few milliseconds, not for the
    /// whole crowd), then tells the cache which copies the rows confirmed. Returns how many
    /// were written. What cannot be written now goes back, under any newer notes, for the next
    /// interval.
    pub async fn flush(&self, db: &Db, cache: &SessionCache) -> Result<usize, sqlx::Error> {
        let noted: Vec<(String, i64, i64)> = std::mem::take(&mut *self.lock())
            .into_iter()
            .map(|(sid, n)| (sid, n.version, n.at))
            .collect();
        if noted.is_empty() {
            return Ok(0);
        }
        let mut total = 0;
        for (i, chunk) in noted.chunks(MAX_BATCH).enumerate() {
            let written = match repo::touch_all(db, chunk).await {
                Ok(written) => written,
                Err(e) => {
                    self.put_back(&noted[i * MAX_BATCH..]);
                    return Err(e);
                }
            };
            total += written.len();
            let written: HashSet<String> = written.into_iter().collect();
            for (sid, version, at) in chunk {
                cache.after_activity(sid, *version, *at, written.contains(sid));
            }
        }
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters
            .written
            .fetch_add(total as u64, Ordering::Relaxed);
        Ok(total)
    }

    fn put_back(&self, notes: &[(String, i64, i64)]) {
        let mut noted = self.lock();
        for (sid, version, at) in notes {
            noted.entry(sid.clone()).or_insert(Note {
                version: *version,
                at: *at,
            });
        }
    }
}
