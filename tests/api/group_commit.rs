//! SQLite: the rotations of many sessions at once are committed together (group commit), each
//! with its own outcome, and a batch that cannot be written fails every rotation in it with a
//! `503` and writes nothing. The write lock is held by another connection, as another process
//! would, so the rotations queue up behind it; the tests wait on the metrics, not on a timer.

use std::time::{Duration as StdDuration, Instant};

use futures_util::future::join_all;
use reqwest::{StatusCode, header};
use time::Duration;

use crate::faults::lock_the_database;
use crate::helpers::{Jar, TestApp, WITH_METRICS, metric, set_cookies, spawn_with};
use crate::rotation::lineage_states;

/// Past the access token's lifetime, well inside the refresh token's.
const ACCESS_EXPIRED: Duration = Duration::seconds(24 * 3600 + 1);

/// Waits until `n` rotations are queued or being written.
async fn until_waiting(app: &TestApp, n: f64) {
    let deadline = Instant::now() + StdDuration::from_secs(5);
    loop {
        let waiting = metric(&app.metrics().await, "jwt_lab_rotations_waiting");
        if waiting == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{waiting} rotations waiting, expected {n}"
        );
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
}

/// `n` kept sessions, each read once so the server has it in its cache: a refresh of a cached
/// session needs no connection from the pool before it joins the queue (while the lock is held,
/// the pool's connections may all be waiting on it with "last seen" writes).
async fn cached_sessions(app: &TestApp, n: usize) -> Vec<Jar> {
    let mut jars = Vec::new();
    for _ in 0..n {
        let jar = app.logged_in(true).await;
        assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
        jars.push(jar);
    }
    jars
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_rotating_at_once_share_a_commit_and_keep_their_own_outcomes() {
    // The longest wait allowed, so the first rotation's batch outwaits the others' arrival.
    let app = spawn_with(&[WITH_METRICS, ("DATABASE_BUSY_TIMEOUT", "5s")]).await;
    let mut jars = cached_sessions(&app, 8).await;
    // A second tab of the first session, with the same cookies: its rotation is planned from
    // the same cached version, so in the batch its guard fails and it takes the locked path.
    let second_tab = jars[0].clone();
    app.advance(ACCESS_EXPIRED);

    let mut lock = lock_the_database(&app).await;
    let requests = jars
        .iter()
        .chain([&second_tab])
        .map(|jar| app.userinfo(jar));
    let app_ref = &app;
    let (answers, ()) = tokio::join!(join_all(requests), async move {
        until_waiting(app_ref, 9.0).await;
        sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    });

    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.status(), StatusCode::OK, "request {i}");
        assert!(
            set_cookies(answer).contains_key("access_jwt"),
            "request {i}"
        );
    }
    // Each of the other sessions has its own child, pending until the client uses it.
    for jar in &jars[1..] {
        assert_eq!(lineage_states(&app, jar).await, ["current", "pending"]);
    }
    // The two tabs: exactly one child was issued, and both tabs stay logged in.
    let rotated = answers[0..1]
        .iter()
        .chain([&answers[8]])
        .filter(|a| set_cookies(a).contains_key("refresh_jwt"))
        .count();
    assert_eq!(rotated, 1);
    assert_eq!(lineage_states(&app, &jars[0]).await, ["current", "pending"]);

    // Nine rotations, in one or two commits: the first may have been taken alone before the
    // others queued behind the lock, and everything queued then went into the next.
    let text = app.metrics().await;
    assert_eq!(metric(&text, "jwt_lab_rotations_batched_total"), 9.0);
    let batches = metric(&text, "jwt_lab_rotation_batches_total");
    assert!((1.0..=2.0).contains(&batches), "{batches} commits");
    assert_eq!(metric(&text, "jwt_lab_rotations_waiting"), 0.0);

    // Every child works: the next request confirms it.
    for (jar, answer) in jars[1..].iter_mut().zip(&answers[1..8]) {
        jar.take(answer);
        assert_eq!(app.userinfo(jar).await.status(), StatusCode::OK);
        assert_eq!(lineage_states(&app, jar).await, ["retired", "current"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_cannot_be_written_fails_each_rotation_with_503_and_loses_nothing() {
    let app = spawn_with(&[WITH_METRICS, ("DATABASE_BUSY_TIMEOUT", "2s")]).await;
    let jars = cached_sessions(&app, 4).await;
    app.advance(ACCESS_EXPIRED);

    let mut lock = lock_the_database(&app).await;
    // The first rotation's batch waits on the lock; the others queue behind it.
    let started = Instant::now();
    let (first, rest) = tokio::join!(app.userinfo(&jars[0]), async {
        until_waiting(&app, 1.0).await;
        join_all(jars[1..].iter().map(|jar| app.userinfo(jar))).await
    });
    let answers: Vec<_> = [first].into_iter().chain(rest).collect();
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(
            answer.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "request {i}"
        );
        assert!(answer.headers().contains_key(header::RETRY_AFTER));
        assert!(
            set_cookies(answer).values().all(|c| !c.value().is_empty()),
            "request {i}: no cookie cleared"
        );
    }
    // One busy timeout in all: what queued behind the first batch is answered when it fails,
    // not after waiting out the timeout again.
    assert!(
        started.elapsed() < StdDuration::from_millis(3500),
        "answered after {:?}",
        started.elapsed()
    );
    let text = app.metrics().await;
    assert_eq!(metric(&text, "jwt_lab_rotation_batches_total"), 0.0);
    assert_eq!(metric(&text, "jwt_lab_rotations_waiting"), 0.0);
    for jar in &jars {
        assert_eq!(lineage_states(&app, jar).await, ["current"]);
    }
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();

    // The same cookies refresh now.
    for jar in &jars {
        let answer = app.userinfo(jar).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(set_cookies(&answer).contains_key("refresh_jwt"));
        assert_eq!(lineage_states(&app, jar).await, ["current", "pending"]);
    }
    assert_eq!(
        metric(&app.metrics().await, "jwt_lab_rotations_batched_total"),
        4.0
    );
}
