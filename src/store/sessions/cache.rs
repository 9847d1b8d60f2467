//! Each instance's memory of sessions, so a request with a valid access token costs no database
//! read. `docs/design/cache-invalidation.md` says why these rules and not others.
//!
//! Correctness first: every way a session ends writes an `Ended` marker after the database
//! commit; every lineage change leaves the newer version (or a `Stale` marker) after it. A
//! reader only caches what it read if nothing newer is known, so it can never put an older copy
//! over a newer one. Other instances learn of changes through `Invalidation`s; should one be
//! lost, no entry lives longer than the time to live (`SESSION_CACHE_TTL`). On PostgreSQL the
//! gate is closed while the invalidation listener is disconnected (nothing would tell us of
//! another instance's logout); its epoch moves on each opening and closing, so a read that
//! began before one is never cached after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};

use quick_cache::sync::{EntryAction, EntryResult};
use tokio::sync::watch;

use super::model::LiveSession;
use crate::store::invalidation::Invalidation;

/// What the cache itself keeps for each entry beyond its key and value (its slot, hash and
/// eviction state), as the weigher counts it, and the allocator's rounding.
const ENTRY_OVERHEAD: usize = 96;

/// What the cache knows of a session.
#[derive(Clone)]
enum Cached {
    Live(Arc<LiveSession>),
    /// It has ended; nothing may put a live copy over this.
    Ended,
    /// It changed to at least this version; an older copy must not be cached.
    Stale(i64),
}

/// An entry and when it was written: it is served for `SESSION_CACHE_TTL` after that at most.
#[derive(Clone)]
struct Entry {
    cached: Cached,
    written: Instant,
}

impl Entry {
    fn now(cached: Cached) -> Self {
        Self {
            cached,
            written: Instant::now(),
        }
    }
}

/// About the bytes an entry holds (its key included), for the memory budget.
#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<String, Entry> for Weigh {
    fn weight(&self, sid: &String, entry: &Entry) -> u64 {
        let value = match &entry.cached {
            // The copy and its allocation's two counts.
            Cached::Live(live) => {
                live.heap_bytes() + std::mem::size_of::<LiveSession>() + 2 * size_of::<usize>()
            }
            Cached::Ended | Cached::Stale(_) => 0,
        };
        (ENTRY_OVERHEAD + std::mem::size_of::<(String, Entry)>() + sid.capacity() + value) as u64
    }
}

/// A session's copy or marker on average, for sizing the table up front.
const TYPICAL_ENTRY: u64 = 1024;

/// What [`SessionCache::update`] does to an entry.
enum Change {
    Keep,
    Put(Cached),
    Remove,
}

/// What a lookup found.
pub enum Lookup {
    Live(Arc<LiveSession>),
    /// Known to have ended: whatever the database says, it stays ended.
    Ended,
    /// Not cached (or only known to be stale): read the database.
    Miss,
}

/// Cache hits, misses, database reads and invalidations, for the metrics.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Reads of a session from the database: concurrent misses for one session share one.
    pub loads: AtomicU64,
    pub invalidations: AtomicU64,
}

/// Whether the cache may be used, and how many times that changed.
#[derive(Debug)]
pub struct CacheGate {
    open: AtomicBool,
    epoch: AtomicU64,
}

impl CacheGate {
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    /// Moves on at every opening and closing.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
}

pub struct SessionCache {
    entries: quick_cache::sync::Cache<String, Entry, Weigh>,
    /// `SESSION_CACHE_TTL`: no entry is served longer after it was written.
    ttl: Duration,
    gate: CacheGate,
    /// The sessions being read from the database right now, so that concurrent misses for one
    /// session wait for that read instead of making their own.
    reading: Mutex<HashMap<String, watch::Receiver<()>>>,
    pub counters: CacheCounters,
}

/// Whose turn it is to read a session that missed.
pub enum Turn {
    /// Read it; the others wait until this is dropped.
    Read(Reading),
    /// Another request is reading it: wait for it, then look again.
    Wait(watch::Receiver<()>),
}

/// The one read of a session in progress; dropping it lets the waiting requests look again.
pub struct Reading {
    cache: Arc<SessionCache>,
    sid: String,
    _done: watch::Sender<()>,
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Ok(mut reading) = self.cache.reading.lock() {
            reading.remove(&self.sid);
        }
    }
}

impl SessionCache {
    /// `open`: whether the cache starts usable (on PostgreSQL it opens once the listener is
    /// connected). `memory`: the bytes its entries may hold; past that the least used go.
    pub fn new(ttl: std::time::Duration, open: bool, memory: u64) -> Self {
        let typical = usize::try_from((memory / TYPICAL_ENTRY).max(16)).unwrap_or(usize::MAX);
        Self {
            entries: quick_cache::sync::Cache::with_weighter(typical, memory, Weigh),
            ttl,
            reading: Mutex::new(HashMap::new()),
            gate: CacheGate {
                open: AtomicBool::new(open),
                epoch: AtomicU64::new(0),
            },
            counters: CacheCounters::default(),
        }
    }

    pub fn gate(&self) -> &CacheGate {
        &self.gate
    }

    /// What is cached for `sid`, unless it was written longer than the time to live ago.
    fn current(&self, sid: &str) -> Option<Cached> {
        self.entries
            .get(sid)
            .filter(|e| e.written.elapsed() < self.ttl)
            .map(|e| e.cached)
    }

    /// The session as cached, counting the hit or the miss. A closed cache misses.
    pub fn lookup(&self, sid: &str) -> Lookup {
        if self.gate.is_open() {
            match self.current(sid) {
                Some(Cached::Live(live)) => {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                    return Lookup::Live(live);
                }
                Some(Cached::Ended) => {
                    self.counters.misses.fetch_add(1, Ordering::Relaxed);
                    return Lookup::Ended;
                }
                Some(Cached::Stale(_)) | None => {}
            }
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        Lookup::Miss
    }

    /// Whose turn it is to read `sid` from the database.
    pub fn turn(self: &Arc<Self>, sid: &str) -> Turn {
        let Ok(mut reading) = self.reading.lock() else {
            return self.reading_of(sid, None);
        };
        if let Some(done) = reading.get(sid) {
            return Turn::Wait(done.clone());
        }
        self.reading_of(sid, Some(&mut reading))
    }

    fn reading_of(
        self: &Arc<Self>,
        sid: &str,
        reading: Option<&mut HashMap<String, watch::Receiver<()>>>,
    ) -> Turn {
        let (done, waiting) = watch::channel(());
        if let Some(reading) = reading {
            reading.insert(sid.to_owned(), waiting);
        }
        Turn::Read(Reading {
            cache: self.clone(),
            sid: sid.to_owned(),
            _done: done,
        })
    }

    /// The entries' weight, in bytes (for tests and the metrics).
    pub fn weighted_bytes(&self) -> u64 {
        self.entries.weight()
    }

    /// How many sessions are cached.
    pub fn entries(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether a change newer than `version` was heard of since (the copy just read is old).
    pub fn knows_newer_than(&self, sid: &str, version: i64) -> bool {
        matches!(self.current(sid), Some(Cached::Stale(min)) if min > version)
    }

    /// Decides, under the entry's lock, what becomes of `sid`'s entry: `change` is given what
    /// is cached now (`None` when nothing is, or it outlived the time to live) and answers
    /// what to cache instead, if anything. Nothing else writes the entry meanwhile.
    fn update(&self, sid: &str, change: impl FnOnce(Option<&Cached>) -> Change) {
        let ttl = self.ttl;
        let mut change = Some(change);
        let result = self.entries.entry(sid, None, |_, entry| {
            let current = (entry.written.elapsed() < ttl).then_some(&entry.cached);
            match (change.take().expect("called once"))(current) {
                Change::Keep => EntryAction::Retain(()),
                Change::Put(cached) => {
                    *entry = Entry::now(cached);
                    EntryAction::Retain(())
                }
                Change::Remove => EntryAction::Remove,
            }
        });
        if let EntryResult::Vacant(slot) = result
            && let Some(change) = change.take()
            && let Change::Put(cached) = change(None)
        {
            let _ = slot.insert(Entry::now(cached));
        }
    }

    /// Opens (or closes) the cache, forgetting everything in it either way.
    pub fn set_open(&self, open: bool) {
        self.gate.epoch.fetch_add(1, Ordering::SeqCst);
        self.gate.open.store(open, Ordering::SeqCst);
        self.entries.clear();
        self.gate.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Applies a change heard from another instance (or from our own transaction).
    pub fn apply(&self, change: &Invalidation) {
        self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
        match change {
            Invalidation::Ended(sid) => self.mark_ended(sid),
            Invalidation::Changed { sid, version } => self.mark_changed(sid, *version),
        }
    }

    pub fn mark_ended(&self, sid: &str) {
        self.entries
            .insert(sid.to_owned(), Entry::now(Cached::Ended));
    }

    /// The session moved on to `version`: an older copy must not be served or cached.
    pub fn mark_changed(&self, sid: &str, version: i64) {
        self.update(sid, |current| match current {
            Some(Cached::Ended) => Change::Keep,
            Some(Cached::Live(live)) if live.version >= version => Change::Keep,
            Some(Cached::Stale(min)) if *min >= version => Change::Keep,
            _ => Change::Put(Cached::Stale(version)),
        });
    }

    /// Puts a copy we know is current (just read, or just written) unless something newer is
    /// known. Returns false when the session turned out to be ended.
    pub fn remember(&self, live: Arc<LiveSession>) -> bool {
        let mut ended = false;
        self.update(&live.session.id, |current| match current {
            Some(Cached::Ended) => {
                ended = true;
                Change::Keep
            }
            Some(Cached::Live(old)) if old.version >= live.version => Change::Keep,
            Some(Cached::Stale(min)) if *min > live.version => Change::Keep,
            _ => Change::Put(Cached::Live(live.clone())),
        });
        !ended
    }

    /// After a "last seen" write of the copy at `version`: renewed if the write found the row
    /// as cached (its lifetime starts again, rightly: it was just checked), dropped if not (the
    /// row moved on, or ended). A newer copy (a rotation racing the write) is left alone.
    pub fn after_activity(&self, sid: &str, version: i64, now: i64, written: bool) {
        self.update(sid, |current| match current {
            Some(Cached::Live(live)) if live.version == version => {
                if written {
                    let mut updated = (**live).clone();
                    updated.session.last_seen_at = now;
                    Change::Put(Cached::Live(Arc::new(updated)))
                } else {
                    Change::Remove
                }
            }
            _ => Change::Keep,
        });
    }
}
