//! Prometheus metrics: what an operator alerts on. It stands between the store (whose counters
//! it reads) and `auth` and `web` (which count through it). Each server owns its recorder (no
//! process global, so tests can run many servers side by side) and keeps a handle to every
//! series it writes, so counting costs an atomic add, not a lookup. The exposition format is
//! written by `metrics-exporter-prometheus`; the numbers are served only on `METRICS_ADDR`,
//! never on the public port.
//!
//! Label values are bounded: outcomes and causes are fixed words, routes are the templates the
//! server was built with (`/sessions/{id}/revoke`, never a raw path), statuses are classes.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::store::listener::ListenerHealth;
use crate::store::sessions::{ActivityCounters, BatchCounters, CacheCounters, EndCause};
use crate::vocab::Event;

pub const LOGINS: &str = "jwt_lab_logins_total";
pub const REFRESHES: &str = "jwt_lab_refreshes_total";
pub const SESSIONS_ENDED: &str = "jwt_lab_sessions_ended_total";
pub const CACHE_LOOKUPS: &str = "jwt_lab_session_cache_lookups_total";
pub const CACHE_INVALIDATIONS: &str = "jwt_lab_session_cache_invalidations_total";
pub const CACHE_LOADS: &str = "jwt_lab_session_cache_loads_total";
pub const CACHE_BYTES: &str = "jwt_lab_session_cache_bytes";
pub const CACHE_ENTRIES: &str = "jwt_lab_session_cache_entries";
pub const VERIFIED_BYTES: &str = "jwt_lab_verified_token_cache_bytes";
pub const ACTIVITY_BATCHES: &str = "jwt_lab_activity_batches_total";
pub const ACTIVITY_WRITTEN: &str = "jwt_lab_activity_written_total";
pub const ACTIVITY_WAITING: &str = "jwt_lab_activity_waiting";
pub const LISTENER_RECONNECTS: &str = "jwt_lab_listener_reconnects_total";
pub const ARGON2_QUEUE: &str = "jwt_lab_argon2_queue_depth";
pub const ROTATION_BATCHES: &str = "jwt_lab_rotation_batches_total";
pub const ROTATIONS_BATCHED: &str = "jwt_lab_rotations_batched_total";
pub const ROTATIONS_WAITING: &str = "jwt_lab_rotations_waiting";
pub const REQUEST_DURATION: &str = "jwt_lab_http_request_duration_seconds";

/// Buckets for request latency: from a cache hit (~0.1 ms) to a login queued behind a flood.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The route label of requests that matched no route (404s, probes of random paths).
pub const UNMATCHED: &str = "unmatched";

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok,
    Failed,
    Throttled,
}

const REFRESH_OUTCOMES: [&str; 6] = [
    "rotated",
    "grace",
    "confirmed",
    "reuse_detected",
    "branch_dropped",
    "reissued",
];

/// Every [`EndCause`] in its order, then expiry (counted by the prune).
const END_CAUSES: [&str; 7] = [
    "logout",
    "revoke",
    "revoke_others",
    "password_change",
    "reuse",
    "reset",
    "expiry",
];
const EXPIRY: usize = END_CAUSES.len() - 1;

/// Which of [`REFRESH_OUTCOMES`] an event of the timeline counts as, if any. Every event is
/// named, so a new one cannot go uncounted by accident.
fn refresh_outcome(event: Event) -> Option<usize> {
    match event {
        Event::RefreshRotated => Some(0),
        Event::RefreshGrace => Some(1),
        Event::RefreshConfirmed => Some(2),
        Event::ReuseDetected => Some(3),
        Event::BranchDropped => Some(4),
        Event::RefreshReissued => Some(5),
        Event::AccessVerified
        | Event::AccessMissing
        | Event::AccessExpired
        | Event::AccessInvalid
        | Event::RefreshVerified
        | Event::RefreshMissing
        | Event::RefreshExpired
        | Event::RefreshInvalid
        | Event::Refreshed
        | Event::SessionRevoked
        | Event::SessionEnded => None,
    }
}

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    logins: [Counter; 3],
    refreshes: [Counter; 6],
    ended: [Counter; 7],
    cache_hits: Counter,
    cache_misses: Counter,
    cache_invalidations: Counter,
    cache_loads: Counter,
    cache_bytes: Gauge,
    cache_entries: Gauge,
    verified_bytes: Gauge,
    activity_batches: Counter,
    activity_written: Counter,
    activity_waiting: Gauge,
    listener_reconnects: Counter,
    argon2_queue: Gauge,
    rotation_batches: Counter,
    rotations_batched: Counter,
    rotations_waiting: Gauge,
    /// Per route template, one histogram per status class.
    durations: HashMap<&'static str, [Histogram; 5]>,
}

/// What each series is, for `# HELP`.
const COUNTERS: [(&str, &str); 11] = [
    (
        LOGINS,
        "Login attempts by outcome: ok, failed (wrong password or unknown user), throttled (refused by the lock-out or the address budget).",
    ),
    (
        REFRESHES,
        "Refresh-token steps by outcome: rotated (a child issued), grace, confirmed, reuse_detected, branch_dropped (a lost answer), reissued.",
    ),
    (SESSIONS_ENDED, "Sessions ended, by cause."),
    (
        CACHE_LOOKUPS,
        "Session cache lookups by result (hit, miss).",
    ),
    (
        CACHE_INVALIDATIONS,
        "Session changes applied to this instance's cache (its own and, on PostgreSQL, other instances').",
    ),
    (
        CACHE_LOADS,
        "Sessions read from the database on a cache miss (concurrent misses for one session share one read).",
    ),
    (
        ACTIVITY_BATCHES,
        "Statements that wrote the \"last seen\" times noted since the last one (at most one per SESSION_ACTIVITY_INTERVAL, and at shutdown).",
    ),
    (
        ACTIVITY_WRITTEN,
        "Sessions whose \"last seen\" those statements wrote.",
    ),
    (
        LISTENER_RECONNECTS,
        "Times the PostgreSQL invalidation listener lost its connection and connected again.",
    ),
    (
        ROTATION_BATCHES,
        "SQLite: transactions that committed queued refresh-token rotations (group commit).",
    ),
    (
        ROTATIONS_BATCHED,
        "SQLite: rotations written by those transactions; divided by the batches, the rotations per commit.",
    ),
];
const GAUGES: [(&str, &str); 6] = [
    (
        CACHE_BYTES,
        "Bytes the session cache holds, as its weigher counts them (its budget: its share of SESSION_CACHE_MEMORY).",
    ),
    (
        CACHE_ENTRIES,
        "Sessions (and ended-session markers) in the cache.",
    ),
    (
        VERIFIED_BYTES,
        "Bytes the verified-token cache holds (its budget: the rest of SESSION_CACHE_MEMORY).",
    ),
    (
        ACTIVITY_WAITING,
        "Sessions whose \"last seen\" is noted and waits for the next batch.",
    ),
    (
        ROTATIONS_WAITING,
        "SQLite: refresh-token rotations queued for their batch or being written.",
    ),
    (
        ARGON2_QUEUE,
        "Password hashes waiting for a core (argon2id runs at most one per core).",
    ),
];

fn describe(recorder: &PrometheusRecorder) {
    for (name, help) in COUNTERS {
        recorder.describe_counter(KeyName::from(name), None, help.into());
    }
    for (name, help) in GAUGES {
        recorder.describe_gauge(KeyName::from(name), None, help.into());
    }
    recorder.describe_histogram(
        KeyName::from(REQUEST_DURATION),
        Some(Unit::Seconds),
        "Time to answer a request, by route template and status class.".into(),
    );
}

/// One latency histogram per route template and status class (and for unmatched requests).
fn durations(
    recorder: &PrometheusRecorder,
    meta: &Metadata<'static>,
    routes: &[&'static str],
) -> HashMap<&'static str, [Histogram; 5]> {
    routes
        .iter()
        .copied()
        .chain([UNMATCHED])
        .map(|route| {
            let series = STATUS_CLASSES.map(|class| {
                recorder.register_histogram(
                    &key(REQUEST_DURATION, &[("route", route), ("status", class)]),
                    meta,
                )
            });
            (route, series)
        })
        .collect()
}

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> Key {
    let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, *v)).collect();
    Key::from_parts(name, labels)
}

impl Metrics {
    /// `routes`: every route template the server answers, for the latency histogram.
    pub fn new(routes: &[&'static str]) -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        describe(&recorder);
        let meta = Metadata::new(module_path!(), metrics::Level::INFO, None);
        let counter = |name, labels: &[(&'static str, &'static str)]| {
            recorder.register_counter(&key(name, labels), &meta)
        };
        let gauge = |name| recorder.register_gauge(&key(name, &[]), &meta);
        Self {
            logins: ["ok", "failed", "throttled"].map(|o| counter(LOGINS, &[("outcome", o)])),
            refreshes: REFRESH_OUTCOMES.map(|o| counter(REFRESHES, &[("outcome", o)])),
            ended: END_CAUSES.map(|c| counter(SESSIONS_ENDED, &[("cause", c)])),
            cache_hits: counter(CACHE_LOOKUPS, &[("result", "hit")]),
            cache_misses: counter(CACHE_LOOKUPS, &[("result", "miss")]),
            cache_invalidations: counter(CACHE_INVALIDATIONS, &[]),
            cache_loads: counter(CACHE_LOADS, &[]),
            cache_bytes: gauge(CACHE_BYTES),
            cache_entries: gauge(CACHE_ENTRIES),
            verified_bytes: gauge(VERIFIED_BYTES),
            activity_batches: counter(ACTIVITY_BATCHES, &[]),
            activity_written: counter(ACTIVITY_WRITTEN, &[]),
            activity_waiting: gauge(ACTIVITY_WAITING),
            listener_reconnects: counter(LISTENER_RECONNECTS, &[]),
            argon2_queue: gauge(ARGON2_QUEUE),
            rotation_batches: counter(ROTATION_BATCHES, &[]),
            rotations_batched: counter(ROTATIONS_BATCHED, &[]),
            rotations_waiting: gauge(ROTATIONS_WAITING),
            durations: durations(&recorder, &meta, routes),
            recorder,
            handle,
        }
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let i = match outcome {
            LoginOutcome::Ok => 0,
            LoginOutcome::Failed => 1,
            LoginOutcome::Throttled => 2,
        };
        self.logins[i].increment(1);
    }

    pub fn session_ended(&self, cause: EndCause, how_many: u64) {
        self.ended[cause as usize].increment(how_many);
    }

    pub fn sessions_expired(&self, how_many: u64) {
        self.ended[EXPIRY].increment(how_many);
    }

    /// Counts the refresh steps a request's timeline records: the timeline is the one place
    /// that says what happened.
    pub fn flow(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            if event == Event::ReuseDetected {
                self.session_ended(EndCause::Reuse, 1);
            }
            if let Some(outcome) = refresh_outcome(event) {
                self.refreshes[outcome].increment(1);
            }
        }
    }

    /// Records how long a request took. `route`: its template, if it matched one.
    pub fn request(&self, route: Option<&str>, status: u16, seconds: f64) {
        let class = (usize::from(status / 100)).clamp(1, 5) - 1;
        let series = route
            .and_then(|r| self.durations.get(r))
            .or_else(|| self.durations.get(UNMATCHED));
        if let Some(series) = series {
            series[class].record(seconds);
        }
    }

    /// Folds the histogram samples gathered so far into their buckets, so memory stays flat
    /// between scrapes (run every few seconds).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The exposition text, with the numbers other layers keep for themselves brought up to
    /// date first.
    pub fn render(&self, now: &Readings<'_>) -> String {
        let cache = now.cache;
        self.cache_hits.absolute(cache.hits.load(Ordering::Relaxed));
        self.cache_misses
            .absolute(cache.misses.load(Ordering::Relaxed));
        self.cache_invalidations
            .absolute(cache.invalidations.load(Ordering::Relaxed));
        self.cache_loads
            .absolute(cache.loads.load(Ordering::Relaxed));
        self.cache_bytes.set(now.cache_bytes as f64);
        self.cache_entries.set(now.cache_entries as f64);
        self.verified_bytes.set(now.verified_bytes as f64);
        self.activity_batches
            .absolute(now.activity.batches.load(Ordering::Relaxed));
        self.activity_written
            .absolute(now.activity.written.load(Ordering::Relaxed));
        self.activity_waiting.set(now.activity_waiting as f64);
        if let Some(listener) = now.listener {
            self.listener_reconnects
                .absolute(listener.reconnects.load(Ordering::Relaxed));
        }
        if let Some(batches) = now.batches {
            self.rotation_batches
                .absolute(batches.batches.load(Ordering::Relaxed));
            self.rotations_batched
                .absolute(batches.rotations.load(Ordering::Relaxed));
            self.rotations_waiting
                .set(batches.waiting.load(Ordering::Relaxed) as f64);
        }
        self.argon2_queue.set(now.argon2_waiting as f64);
        let _ = &self.recorder;
        self.handle.render()
    }
}

/// What the other layers keep for themselves, read at the moment of a scrape.
pub struct Readings<'a> {
    pub cache: &'a CacheCounters,
    pub cache_bytes: u64,
    pub cache_entries: u64,
    pub verified_bytes: u64,
    pub activity: &'a ActivityCounters,
    pub activity_waiting: usize,
    pub listener: Option<&'a ListenerHealth>,
    pub batches: Option<&'a BatchCounters>,
    pub argon2_waiting: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_exposition_format() {
        let m = Metrics::new(&["/userinfo"]);
        m.login(LoginOutcome::Ok);
        m.login(LoginOutcome::Failed);
        m.login(LoginOutcome::Failed);
        m.flow([Event::AccessExpired, Event::RefreshRotated]);
        m.request(Some("/userinfo"), 200, 0.0003);
        m.request(Some("/no/such/template"), 404, 0.0001);
        let batches = BatchCounters::default();
        batches.batches.store(2, Ordering::Relaxed);
        batches.rotations.store(7, Ordering::Relaxed);
        let (cache, activity) = (CacheCounters::default(), ActivityCounters::default());
        activity.batches.store(4, Ordering::Relaxed);
        let text = m.render(&Readings {
            cache: &cache,
            cache_bytes: 4096,
            cache_entries: 5,
            verified_bytes: 1024,
            activity: &activity,
            activity_waiting: 6,
            listener: None,
            batches: Some(&batches),
            argon2_waiting: 3,
        });
        assert!(
            text.contains(r#"jwt_lab_logins_total{outcome="failed"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"jwt_lab_refreshes_total{outcome="rotated"} 1"#));
        assert!(text.contains(
            r#"jwt_lab_http_request_duration_seconds_bucket{route="/userinfo",status="2xx",le="0.0005"} 1"#
        ));
        assert!(text.contains(r#"route="unmatched",status="4xx""#));
        assert!(text.contains("jwt_lab_argon2_queue_depth 3"));
        assert!(text.contains("jwt_lab_rotation_batches_total 2"));
        assert!(text.contains("jwt_lab_activity_batches_total 4"));
        assert!(text.contains("jwt_lab_activity_waiting 6"));
        assert!(text.contains("jwt_lab_session_cache_bytes 4096"));
        assert!(text.contains("jwt_lab_rotations_batched_total 7"));
        assert!(text.contains("# HELP jwt_lab_logins_total"));
    }

    #[test]
    fn causes_line_up_with_their_series() {
        for cause in EndCause::ALL {
            assert_eq!(END_CAUSES[cause as usize], cause.as_str());
        }
        assert_eq!(END_CAUSES[EXPIRY], "expiry");
        assert_eq!(EndCause::ALL.len(), EXPIRY);
    }
}
