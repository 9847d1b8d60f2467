//! Several instances on one PostgreSQL act as one service: a session started on one is honoured
//! on all; ending it on one is refused on every other at once (NOTIFY into each cache);
//! rotation stays atomic across instances; lock-outs are shared. And the faults: a killed
//! listener connection, and PostgreSQL stopped and started again under running instances.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration as StdDuration, Instant};

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{
    self, DEMO_PASSWORD, DEMO_USER, Jar, TestApp, pg_cluster, set_cookies, spawn, timeline,
};

/// Polls `instance` until it refuses `jar`, and returns how long that took (the wait is
/// bounded; the latency itself is measured properly in `cargo bench --bench load`).
async fn refused_after(instance: &TestApp, jar: &Jar, since: Instant) -> StdDuration {
    instance
        .userinfo_until_refused(
            jar,
            since,
            StdDuration::from_secs(3),
            "the other instance honoured an ended session",
            || {},
        )
        .await
}

#[tokio::test]
async fn a_session_from_one_instance_is_honoured_and_ended_on_another() {
    let a = spawn().await;
    let b = a.restart().await;
    let jar = a.logged_in(true).await;
    // B has the session in its cache from now on.
    assert_eq!(b.userinfo(&jar).await.status(), StatusCode::OK);
    assert_eq!(b.userinfo(&jar).await.status(), StatusCode::OK);

    let since = Instant::now();
    assert_eq!(
        a.post("/logout", &jar, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    let took = refused_after(&b, &jar, since).await;
    eprintln!("logout on A was refused on B after {took:?}");
    assert_eq!(
        b.userinfo(&jar.clone().without("access_jwt"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn revoke_others_and_a_password_change_reach_every_instance() {
    let a = spawn().await;
    let b = a.restart().await;
    let here = a.logged_in(false).await;
    let phone = a.logged_in(true).await;
    let laptop = a.logged_in(false).await;
    for jar in [&here, &phone, &laptop] {
        assert_eq!(b.userinfo(jar).await.status(), StatusCode::OK);
    }
    let since = Instant::now();
    let response = a.post("/sessions/revoke-others", &here, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    refused_after(&b, &phone, since).await;
    refused_after(&b, &laptop, since).await;
    assert_eq!(b.userinfo(&here).await.status(), StatusCode::OK);

    // One session ended from the sessions page of B is refused on A.
    let other = b.logged_in(true).await;
    assert_eq!(a.userinfo(&other).await.status(), StatusCode::OK);
    let sid = helpers::claims(other.get("access_jwt").unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let since = Instant::now();
    assert_eq!(
        b.post(&format!("/sessions/{sid}/revoke"), &here, false)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    refused_after(&a, &other, since).await;

    // A password change on B ends the others everywhere.
    let elsewhere = a.logged_in(true).await;
    assert_eq!(a.userinfo(&elsewhere).await.status(), StatusCode::OK);
    let since = Instant::now();
    let response = b.change_password(&here, "a much better passphrase").await;
    assert_eq!(response.status(), StatusCode::OK);
    refused_after(&a, &elsewhere, since).await;
    assert_eq!(a.userinfo(&here).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn reuse_detected_on_one_instance_ends_the_session_on_the_other() {
    let a = spawn().await;
    let b = a.restart().await;
    let mut victim = a.logged_in(true).await;
    let stolen = victim.clone();
    a.advance(Duration::days(1) + Duration::seconds(1));
    // The victim refreshes on A and goes on on B (which confirms the child).
    let response = a.userinfo(&victim).await;
    victim.take(&response);
    assert_eq!(b.userinfo(&victim).await.status(), StatusCode::OK);
    a.advance(Duration::seconds(31));
    // The thief shows up on B with the retired token: the session ends, on A too.
    let since = Instant::now();
    assert_eq!(b.userinfo(&stolen).await.status(), StatusCode::UNAUTHORIZED);
    refused_after(&a, &victim, since).await;
}

/// The grace window and the dropped-branch rule hold whichever instance each request reaches.
#[tokio::test]
async fn the_grace_and_dropped_branch_rules_hold_across_instances() {
    let a = spawn().await;
    let b = a.restart().await;
    let past_access = Duration::days(1) + Duration::seconds(1);

    // Grace: the browser refreshes and goes on on A; another tab's request with the old
    // refresh token reaches B a moment later and is served, on the current branch.
    let mut browser = a.logged_in(true).await;
    let other_tab = browser.clone().without("access_jwt");
    a.advance(past_access);
    let response = a.userinfo(&browser).await;
    browser.take(&response);
    assert_eq!(a.userinfo(&browser).await.status(), StatusCode::OK);
    a.advance(Duration::seconds(1));
    let response = b.get("/userinfo", &other_tab, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(timeline(&response.text().await.unwrap()).contains(&"refresh-grace".to_owned()));
    assert_eq!(b.userinfo(&browser).await.status(), StatusCode::OK);

    // Dropped branch: a thief refreshes on A with a stolen token and keeps its access token;
    // the victim comes back on B with the same old refresh token and is served (the thief's
    // child is dropped); the thief's access token is then refused on A, and the session ends
    // everywhere.
    let victim = a.logged_in(true).await;
    let mut thief = victim.clone();
    a.advance(past_access);
    let response = a.userinfo(&thief).await;
    assert_eq!(response.status(), StatusCode::OK);
    thief.take(&response);
    a.advance(Duration::seconds(31));
    let mut victim = victim;
    let response = b.get("/userinfo", &victim, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    victim.take(&response);
    assert!(timeline(&response.text().await.unwrap()).contains(&"branch-dropped".to_owned()));
    let since = Instant::now();
    assert_eq!(
        a.userinfo(&thief.clone().without("refresh_jwt"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "A knows the branch was dropped on B"
    );
    refused_after(&b, &victim, since).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_rotating_one_token_at_once_issue_one_child() {
    for _ in 0..5 {
        let a = spawn().await;
        let b = a.restart().await;
        let jar = a.logged_in(true).await;
        a.advance(Duration::days(1) + Duration::seconds(1));
        let (ra, rb) = tokio::join!(a.userinfo(&jar), b.userinfo(&jar));
        assert_eq!((ra.status(), rb.status()), (StatusCode::OK, StatusCode::OK));
        let children = [&ra, &rb]
            .iter()
            .filter(|r| set_cookies(r).contains_key("refresh_jwt"))
            .count();
        assert_eq!(children, 1, "exactly one instance issued a child");
        let pending = a
            .sql_i64(
                "SELECT COUNT(*) FROM refresh_lineage WHERE state = 'pending'",
                &[],
            )
            .await;
        assert_eq!(pending, Some(1));
        // Whichever answer the browser keeps, it goes on, on either instance.
        let mut browser = jar.clone();
        browser.take(&ra);
        browser.take(&rb);
        assert_eq!(b.userinfo(&browser).await.status(), StatusCode::OK);
        a.advance(Duration::days(1) + Duration::seconds(1));
        let response = a.userinfo(&browser).await;
        assert_eq!(response.status(), StatusCode::OK);
        browser.take(&response);
        assert_eq!(b.userinfo(&browser).await.status(), StatusCode::OK);
        assert_eq!(a.current_refresh_tokens(&browser).await, 1);
    }
}

#[tokio::test]
async fn lock_outs_are_shared_by_every_instance() {
    let a = spawn().await;
    let b = a.restart().await;
    for i in 0..5 {
        let instance = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            instance
                .login_json(DEMO_USER, "wrong", false)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for instance in [&a, &b] {
        let response = instance.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            response
                .headers()
                .contains_key(reqwest::header::RETRY_AFTER)
        );
    }
    a.advance(Duration::seconds(31));
    assert_eq!(
        b.login_json(DEMO_USER, DEMO_PASSWORD, false).await.status(),
        StatusCode::FOUND
    );
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let since = Instant::now();
    while !check() {
        assert!(
            since.elapsed() < StdDuration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_killed_listener_connection_reconnects_and_revocations_still_hold() {
    let a = spawn().await;
    let b = a.restart().await;
    let health = b.state.listener.clone().expect("B listens");
    assert!(health.is_connected());
    let first = a.logged_in(true).await;
    let second = a.logged_in(true).await;
    assert_eq!(b.userinfo(&first).await.status(), StatusCode::OK);
    assert_eq!(b.userinfo(&second).await.status(), StatusCode::OK);

    let killed = a
        .sql_i64(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1) killed",
            &[&health.application_name],
        )
        .await;
    assert_eq!(
        killed,
        Some(1),
        "B's listener connection was found and ended"
    );
    wait_until("B to notice", || {
        health.reconnects.load(Ordering::SeqCst) >= 1
    })
    .await;
    // Whether B is listening again yet or not, a logout now holds on B at once: while it was
    // not listening it served nothing from memory, and it listens again with an empty cache.
    assert_eq!(
        a.post("/logout", &first, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    assert_eq!(b.userinfo(&first).await.status(), StatusCode::UNAUTHORIZED);

    wait_until("B to listen again", || health.is_connected()).await;
    assert!(b.state.sessions.gate().is_open(), "the cache is back on");
    assert_eq!(b.userinfo(&second).await.status(), StatusCode::OK);
    let since = Instant::now();
    assert_eq!(
        a.post("/logout", &second, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    refused_after(&b, &second, since).await;
}

/// An instance whose listener is down serves (from the database) but is not ready: a load
/// balancer should send it nothing until it hears every logout again.
#[tokio::test]
async fn readiness_says_no_while_the_listener_cannot_reconnect() {
    let app = spawn().await;
    let health = app.state.listener.clone().expect("it listens");
    let readiness = || async {
        let r = app.client.get(app.url("/readyz")).send().await.unwrap();
        (r.status(), helpers::body_json(r).await)
    };
    let (status, body) = readiness().await;
    assert_eq!(
        (status, body["listener"].as_str()),
        (StatusCode::OK, Some("connected"))
    );

    // Keep the listener from coming back: no new connections to this database (the pool's
    // open ones stay), then end the listener's.
    // PostgreSQL itself, not a pooler in front of it.
    let direct = app
        .settings
        .iter()
        .find(|(k, _)| k == "DATABASE_LISTEN_URL")
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| app.setting("DATABASE_URL"));
    let (server, database) = direct.rsplit_once('/').unwrap();
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{server}/postgres"))
            .await
            .unwrap();
    let allow = |on: bool| format!("ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {on}");
    sqlx::query(&allow(false))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&health.application_name)
    .execute(&mut admin)
    .await
    .unwrap();
    wait_until("the listener to notice", || {
        health.reconnects.load(Ordering::SeqCst) >= 1
    })
    .await;
    let (status, body) = readiness().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["listener"], "disconnected");
    assert_eq!(body["database"], "ok", "the database itself still answers");

    sqlx::query(&allow(true)).execute(&mut admin).await.unwrap();
    wait_until("the listener to connect again", || health.is_connected()).await;
    let (status, body) = readiness().await;
    assert_eq!(
        (status, body["listener"].as_str()),
        (StatusCode::OK, Some("connected"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_means_503_and_every_instance_recovers_when_it_is_back() {
    helpers::require_postgres();
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        eprintln!("SKIPPED: restarting TEST_DATABASE_URL's server is not ours to do");
        return;
    }
    let cluster = pg_cluster::private();
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let url = cluster.create_database().await;
    let clock = jwt_cookie_lab::clock::ManualClock::starting_now();
    let settings = [("DATABASE_URL", url.as_str())];
    let a = helpers::start(dir.clone(), clock.clone(), &settings).await;
    let b = helpers::start(dir.clone(), clock.clone(), &settings).await;
    let jar = a.logged_in(true).await;
    assert_eq!(b.userinfo(&jar).await.status(), StatusCode::OK);

    let stopped = Instant::now();
    cluster.stop_async().await;
    for instance in [&a, &b] {
        let started = Instant::now();
        let response = instance.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            response
                .headers()
                .contains_key(reqwest::header::RETRY_AFTER)
        );
        assert!(
            started.elapsed() < StdDuration::from_secs(5),
            "answered in {:?}",
            started.elapsed()
        );
    }
    // Nobody can hear of a logout now, so within a few seconds no instance serves from
    // memory either: every authenticated request is a 503 until PostgreSQL is back.
    for instance in [&a, &b] {
        loop {
            let response = instance.userinfo(&jar).await;
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                assert!(
                    response
                        .headers()
                        .contains_key(reqwest::header::RETRY_AFTER)
                );
                break;
            }
            assert_eq!(response.status(), StatusCode::OK);
            assert!(
                stopped.elapsed() < StdDuration::from_secs(5),
                "still served from memory {:?} after the stop",
                stopped.elapsed()
            );
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    }

    cluster.start_again().await;
    for instance in [&a, &b] {
        let health = instance.state.listener.clone().unwrap();
        wait_until("the listener to reconnect", || health.is_connected()).await;
        // The session from before the outage is honoured.
        let since = Instant::now();
        loop {
            let status = instance.userinfo(&jar).await.status();
            if status == StatusCode::OK {
                break;
            }
            assert!(
                since.elapsed() < StdDuration::from_secs(10),
                "still {status}"
            );
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        assert_eq!(
            instance
                .login_json(DEMO_USER, DEMO_PASSWORD, false)
                .await
                .status(),
            StatusCode::FOUND
        );
    }
    let since = Instant::now();
    assert_eq!(
        a.post("/logout", &jar, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    refused_after(&b, &jar, since).await;
}
