//! Many people at once: "last seen" is noted in memory and written in one batch per interval
//! (never on a request's way, never one write per person), the batch is written when the
//! server stops, and it never brings an ended session back; the session cache keeps to its
//! memory budget; and many requests missing the cache for one session read it once.

use std::sync::atomic::Ordering;

use jwt_cookie_lab::store::sessions::Session;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{Jar, TestApp, WITH_METRICS, metric, sid, spawn_with};

/// An interval no test waits for: the batch is written when the test says, or at shutdown.
const NEVER_DURING_THE_TEST: (&str, &str) = ("SESSION_ACTIVITY_INTERVAL", "1m");

async fn last_seen(app: &TestApp, jar: &Jar) -> i64 {
    app.sql_i64(
        "SELECT last_seen_at FROM sessions WHERE id = $1",
        &[&sid(jar)],
    )
    .await
    .expect("the session's row")
}

async fn logged_in_people(app: &TestApp, how_many: usize) -> Vec<Jar> {
    let mut jars = Vec::new();
    for _ in 0..how_many {
        jars.push(app.logged_in(false).await);
    }
    jars
}

#[tokio::test]
async fn many_requests_make_one_write_per_session_in_one_batch() {
    let app = spawn_with(&[NEVER_DURING_THE_TEST]).await;
    let people = logged_in_people(&app, 5).await;
    let logged_in_at = last_seen(&app, &people[0]).await;
    // They come back two minutes later, ten requests each.
    app.advance(Duration::minutes(2));
    for _ in 0..10 {
        for jar in &people {
            assert_eq!(app.userinfo(jar).await.status(), StatusCode::OK);
        }
    }
    let activity = app.state.sessions.activity();
    assert_eq!(
        activity.waiting(),
        5,
        "one note per person, not per request"
    );
    for jar in &people {
        assert_eq!(
            last_seen(&app, jar).await,
            logged_in_at,
            "nothing was written while serving"
        );
    }

    assert_eq!(app.state.sessions.flush_activity().await.unwrap(), 5);
    assert_eq!(activity.counters.batches.load(Ordering::Relaxed), 1);
    assert_eq!(activity.counters.written.load(Ordering::Relaxed), 5);
    for jar in &people {
        assert_eq!(last_seen(&app, jar).await, app.clock_now());
    }
    // More requests in the same minute note nothing more.
    for jar in &people {
        assert_eq!(app.userinfo(jar).await.status(), StatusCode::OK);
    }
    assert_eq!(activity.waiting(), 0);
    assert_eq!(app.state.sessions.flush_activity().await.unwrap(), 0);
    assert_eq!(activity.counters.batches.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn the_interval_writes_the_batch_by_itself_and_the_sessions_page_shows_it() {
    let app = spawn_with(&[("SESSION_ACTIVITY_INTERVAL", "100ms"), WITH_METRICS]).await;
    let people = logged_in_people(&app, 3).await;
    app.advance(Duration::minutes(2));
    for _ in 0..5 {
        for jar in &people {
            assert_eq!(app.userinfo(jar).await.status(), StatusCode::OK);
        }
    }
    let now = app.clock_now();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    for jar in &people {
        while last_seen(&app, jar).await != now {
            assert!(
                std::time::Instant::now() < deadline,
                "no batch was written within five seconds"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let metrics = app.metrics().await;
    assert_eq!(
        metric(&metrics, "jwt_lab_activity_written_total"),
        3.0,
        "{metrics}"
    );
    let batches = metric(&metrics, "jwt_lab_activity_batches_total");
    assert!((1.0..=3.0).contains(&batches), "{batches} batches");
    // What `/sessions` lists is the database's "last seen".
    let list = app.get("/sessions", &people[0], false).await;
    assert_eq!(list.status(), StatusCode::OK);
    let body: serde_json::Value = list.json().await.unwrap();
    let mine = body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .cloned()
        .unwrap_or_default();
    let shown = time::OffsetDateTime::parse(
        mine["lastSeenAt"].as_str().unwrap_or_default(),
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.unix_timestamp());
    assert_eq!(shown, Ok(now), "{body}");
}

#[tokio::test]
async fn what_was_noted_is_written_when_the_server_stops() {
    let app = spawn_with(&[NEVER_DURING_THE_TEST]).await;
    let jar = app.logged_in(true).await;
    app.advance(Duration::minutes(3));
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    assert_eq!(app.state.sessions.activity().waiting(), 1);
    app.stop().await;
    assert_eq!(last_seen(&app, &jar).await, app.clock_now());
    assert_eq!(app.state.sessions.activity().waiting(), 0);
}

#[tokio::test]
async fn a_late_batch_never_brings_an_ended_session_back() {
    let app = spawn_with(&[NEVER_DURING_THE_TEST]).await;
    let jar = app.logged_in(true).await;
    let logged_in_at = last_seen(&app, &jar).await;
    app.advance(Duration::minutes(2));
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    // Noted while live, then ended before the batch.
    assert_eq!(
        app.post("/logout", &jar, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    assert_eq!(app.state.sessions.flush_activity().await.unwrap(), 0);
    let revoked = app
        .sql_i64(
            "SELECT revoked_at FROM sessions WHERE id = $1",
            &[&sid(&jar)],
        )
        .await;
    assert!(revoked.is_some(), "still ended");
    assert_eq!(last_seen(&app, &jar).await, logged_in_at, "not written");
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}

/// Sessions of the demo user written straight through the store (a login each would be an
/// argon2 hash each).
async fn seeded_sessions(app: &TestApp, how_many: usize) -> Vec<String> {
    let user_pk = app
        .sql_i64("SELECT id FROM users WHERE user_id = 'kimcoding'", &[])
        .await
        .unwrap();
    let now = app.clock_now();
    let mut ids = Vec::new();
    for i in 0..how_many {
        let session = Session {
            id: format!("{i:032x}"),
            user_pk,
            keep_logged_in: false,
            user_agent: "a crowd".into(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + 3600,
            revoked_at: None,
            end_cause: None,
        };
        app.state.sessions.create(&session, None).await.unwrap();
        ids.push(session.id);
    }
    ids
}

#[tokio::test]
async fn a_small_memory_budget_is_kept_and_everyone_is_still_served() {
    let app = spawn_with(&[("SESSION_CACHE_MEMORY", "1MiB")]).await;
    let ids = seeded_sessions(&app, 2500).await;
    let sessions = &app.state.sessions;
    let now = app.clock_now();
    for id in &ids {
        let found = sessions.find(id, now).await.unwrap().expect("a session");
        assert!(found.session.is_active(now));
    }
    let cache = sessions.cache();
    // The sessions' share of the budget (the rest is the verified tokens').
    let (share, _) = app.state.config.cache_budgets();
    assert!(share < 1 << 20, "{share}");
    assert!(
        cache.weighted_bytes() <= share,
        "{} bytes cached of {share}",
        cache.weighted_bytes()
    );
    let cached = cache.entries();
    assert!(
        (100..2500).contains(&cached),
        "{cached} of 2500 sessions cached: the budget should hold some, not all"
    );
    // The ones that went are read again, and still found.
    let loads = sessions.counters().loads.load(Ordering::Relaxed);
    for id in &ids {
        assert!(sessions.find(id, now).await.unwrap().is_some());
    }
    assert!(sessions.counters().loads.load(Ordering::Relaxed) > loads);
}

#[tokio::test]
async fn a_storm_of_misses_for_one_session_reads_it_once() {
    let app = spawn_with(&[WITH_METRICS]).await;
    let jar = app.logged_in(true).await;
    let id = sid(&jar);
    // A second instance on the same database: its cache has never seen the session.
    let fresh = app.restart().await;
    let sessions = &fresh.state.sessions;
    let now = fresh.clock_now();
    let before = sessions.counters().loads.load(Ordering::Relaxed);
    let all = futures_util::future::join_all((0..50).map(|_| sessions.find(&id, now))).await;
    assert!(all.iter().all(|found| matches!(found, Ok(Some(_)))));
    assert_eq!(
        sessions.counters().loads.load(Ordering::Relaxed) - before,
        1
    );

    // The same over HTTP, on a third instance: fifty requests at once, one read.
    let third = app.restart().await;
    let requests = (0..50).map(|_| third.userinfo(&jar));
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|r| r.status() == StatusCode::OK));
    let loads = third
        .state
        .sessions
        .counters()
        .loads
        .load(Ordering::Relaxed);
    assert_eq!(loads, 1, "fifty misses for one session, {loads} reads");
}
