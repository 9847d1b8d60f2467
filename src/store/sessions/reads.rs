//! Cache misses read together. When many people come back at once, most requests miss the
//! cache, and a read costs less in the database than on the way there and back: with SQLite
//! each statement is handed to a connection's thread and its rows handed back (two thread
//! wake-ups), with PostgreSQL each is a network round trip. So a miss joins a queue, and
//! whoever finds a reader free starts one that reads everything queued in one statement
//! (`repo::load_many`, by primary key), then whatever queued meanwhile, until the queue is
//! empty. Alone, a miss is read at once, as before; in a crowd, the misses of a moment share
//! a statement. At most [`READERS`] statements run at once.
//!
//! The queue changes nothing the cache's rules rely on: each request still decides, with its
//! own epoch and version checks (see `SessionStore::read`), whether what it read may be
//! cached, and the epoch it checks was taken before it queued.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::batch::shared;
use super::model::LiveSession;
use super::repo;
use crate::store::Db;

/// Sessions one statement reads at most.
const MAX_BATCH: usize = 64;
/// Statements reading at once, at most (about the cores a small server has).
const READERS: usize = 2;

type Reply = oneshot::Sender<Result<Option<LiveSession>, sqlx::Error>>;

pub(super) struct Reads {
    db: Db,
    queue: Mutex<Vec<(String, Reply)>>,
    /// Readers running.
    running: AtomicUsize,
}

/// One reader; while it runs it counts in `running`. Cut short (its worker stopping), it
/// answers the misses still queued rather than leave them waiting.
struct Reader {
    reads: Arc<Reads>,
    /// Set when it ended by finding the queue empty (and counted itself out).
    finished: bool,
}

impl Drop for Reader {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.reads.running.fetch_sub(1, Ordering::SeqCst);
        for (_, reply) in self.reads.lock_queue().drain(..) {
            let _ = reply.send(Err(sqlx::Error::WorkerCrashed));
        }
    }
}

impl Reader {
    async fn read_all(mut self) {
        loop {
            let batch: Vec<(String, Reply)> = {
                let mut queue = self.reads.lock_queue();
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            if batch.is_empty() {
                self.reads.running.fetch_sub(1, Ordering::SeqCst);
                // A miss queued after the queue was found empty, while this reader still
                // counted, started none: look once more, and go on if there is room.
                if self.reads.lock_queue().is_empty() || !self.reads.count_in() {
                    self.finished = true;
                    return;
                }
                continue;
            }
            let ids: Vec<&str> = batch.iter().map(|(sid, _)| sid.as_str()).collect();
            match repo::load_many(&self.reads.db, &ids).await {
                Ok(rows) => {
                    let found: HashMap<String, LiveSession> = rows
                        .into_iter()
                        .map(|l| (l.session.id.clone(), l))
                        .collect();
                    for (sid, reply) in batch {
                        let _ = reply.send(Ok(found.get(&sid).cloned()));
                    }
                }
                Err(e) => {
                    for (_, reply) in batch {
                        let _ = reply.send(Err(shared(&e, "the batched read")));
                    }
                }
            }
        }
    }
}

impl Reads {
    pub(super) fn new(db: Db) -> Arc<Self> {
        Arc::new(Self {
            db,
            queue: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
        })
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<(String, Reply)>> {
        // A read is only ever pushed or taken whole under the lock.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more reader in, if fewer than [`READERS`] run.
    fn count_in(&self) -> bool {
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < READERS).then_some(n + 1)
            })
            .is_ok()
    }

    /// Starts a reader if fewer than [`READERS`] run. Spawned, not awaited by the request
    /// that started it: a request that goes away must not cut the others' reads short.
    fn start_reader(self: &Arc<Self>) {
        if !self.count_in() {
            return;
        }
        // The guard exists before the task, so it answers the queue even if the task is
        // dropped before it first runs.
        let reader = Reader {
            reads: self.clone(),
            finished: false,
        };
        tokio::spawn(reader.read_all());
    }

    /// The session `sid`, its user and its lineage, read with whatever else is queued.
    pub(super) async fn load(
        self: &Arc<Self>,
        sid: &str,
    ) -> Result<Option<LiveSession>, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.lock_queue().push((sid.to_owned(), reply));
        self.start_reader();
        answer.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }
}
