//! Refresh-token rotation by lineage: a child replaces its parent only once the client shows it
//! has it; a lost answer costs nothing; a token from a branch the session has left is theft and
//! ends the session. Also the grace window (to the millisecond), idle and absolute lifetimes,
//! and pruning. Time moves by the test clock; nothing sleeps.

use jwt_cookie_lab::store::sessions::LiveSession;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{
    Jar, TestApp, WITH_METRICS, claims, metric, page, set_cookies, sid, spawn, spawn_with, timeline,
};

const DAY: Duration = Duration::days(1);

/// Past the access token's lifetime (1 day by default), well inside the refresh token's.
fn access_expired() -> Duration {
    DAY + Duration::seconds(1)
}

/// The states of the session's refresh tokens, oldest first.
pub async fn lineage_states(app: &TestApp, jar: &Jar) -> Vec<String> {
    let sid = sid(jar);
    app.state
        .sessions
        .lineage_of(&sid)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.state.to_string())
        .collect()
}

async fn revoked(app: &TestApp, jar: &Jar) -> bool {
    app.sql_i64(
        "SELECT revoked_at FROM sessions WHERE id = $1",
        &[&sid(jar)],
    )
    .await
    .is_some()
}

/// A refresh whose answer reaches the client: it keeps the new cookies.
async fn refresh_and_keep(app: &TestApp, jar: &mut Jar) {
    let response = app.userinfo(jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response).contains_key("access_jwt"),
        "a refresh happened"
    );
    jar.take(&response);
}

#[tokio::test]
async fn a_child_replaces_its_parent_only_once_the_client_uses_it() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    let first = jar.get("refresh_jwt").unwrap().to_owned();
    assert_eq!(lineage_states(&app, &jar).await, ["current"]);

    app.advance(access_expired());
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let child = cookies["refresh_jwt"].value().to_owned();
    let access = cookies["access_jwt"].value().to_owned();
    assert_ne!(child, first);
    assert_eq!(claims(&child)["sid"], claims(&first)["sid"], "same session");
    assert_eq!(
        claims(&access)["rjti"],
        claims(&child)["jti"],
        "the new access token belongs with the child"
    );
    assert_eq!(cookies["refresh_jwt"].max_age(), Some(Duration::days(7)));
    // Issued, not yet in force: the parent is still the current token.
    assert_eq!(lineage_states(&app, &jar).await, ["current", "pending"]);

    jar.take(&response);
    let html = page(&app, "/userinfo", &jar).await;
    assert_eq!(
        timeline(&html),
        ["access-verified", "refresh-verified", "refresh-confirmed"]
    );
    assert_eq!(lineage_states(&app, &jar).await, ["retired", "current"]);
    assert_eq!(app.current_refresh_tokens(&jar).await, 1);

    // Only fingerprints are stored, never a token.
    let stored = app
        .sql_text(
            "SELECT fingerprint FROM refresh_lineage WHERE state = 'current'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 64);
    assert_ne!(stored, child);
    let rows = app
        .sql_i64(
            "SELECT COUNT(*) FROM refresh_lineage WHERE fingerprint = $1 OR fingerprint = $2",
            &[&first, &child],
        )
        .await;
    assert_eq!(rows, Some(0));
}

#[tokio::test]
async fn a_lost_answer_costs_nothing_however_late_the_client_comes_back() {
    let app = spawn_with(&[
        ("ACCESS_TOKEN_TTL", "1s"),
        ("REFRESH_REUSE_GRACE", "1s"),
        WITH_METRICS,
    ])
    .await;
    let jar = app.logged_in(true).await;
    app.advance(Duration::seconds(2));
    // The refresh happens, and its answer never arrives (a dropped connection, a closed tab).
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);

    app.advance(Duration::seconds(3));
    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the same cookies are served"
    );
    let mut browser = jar.clone();
    browser.take(&response);
    assert_eq!(
        timeline(&response.text().await.unwrap()),
        [
            "access-expired",
            "refresh-verified",
            "branch-dropped",
            "refreshed",
            "refresh-rotated"
        ]
    );
    assert!(!revoked(&app, &jar).await, "no theft was called");
    assert_eq!(
        lineage_states(&app, &jar).await,
        ["current", "dropped", "pending"]
    );

    // Lost again, and back after six days: still fine.
    app.advance(Duration::days(6));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!revoked(&app, &jar).await);
    let mut jar = jar;
    jar.take(&response);
    app.advance(Duration::seconds(2));
    refresh_and_keep(&app, &mut jar).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);

    // Nothing for an operator to look into: no reuse, no session ended.
    let text = app.metrics().await;
    assert_eq!(
        metric(
            &text,
            r#"jwt_lab_refreshes_total{outcome="reuse_detected"}"#
        ),
        0.0
    );
    assert_eq!(
        metric(&text, r#"jwt_lab_sessions_ended_total{cause="reuse"}"#),
        0.0
    );
    assert_eq!(
        metric(
            &text,
            r#"jwt_lab_refreshes_total{outcome="branch_dropped"}"#
        ),
        2.0,
        "the two lost children"
    );
}

#[tokio::test]
async fn thief_first_then_victim_ends_the_whole_session() {
    let app = spawn_with(&[WITH_METRICS]).await;
    let victim = app.logged_in(true).await;
    let mut thief = victim.clone();

    // The thief refreshes with the stolen token and uses what it got.
    app.advance(access_expired());
    refresh_and_keep(&app, &mut thief).await;
    assert_eq!(app.userinfo(&thief).await.status(), StatusCode::OK);

    // The victim comes back with the old refresh token, past the grace window.
    app.advance(Duration::seconds(31));
    let response = app.userinfo(&victim).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cleared = set_cookies(&response);
    assert_eq!(cleared["access_jwt"].value(), "");
    assert_eq!(cleared["refresh_jwt"].value(), "");
    assert!(revoked(&app, &victim).await);

    // Every token of the session is dead, the thief's included.
    assert_eq!(
        app.userinfo(&thief).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.userinfo(&thief.clone().without("access_jwt"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // The security event, once: an operator's alert.
    let text = app.metrics().await;
    assert_eq!(
        metric(
            &text,
            r#"jwt_lab_refreshes_total{outcome="reuse_detected"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(&text, r#"jwt_lab_sessions_ended_total{cause="reuse"}"#),
        1.0
    );
}

#[tokio::test]
async fn victim_first_then_thief_ends_the_whole_session() {
    let app = spawn().await;
    let mut victim = app.logged_in(true).await;
    let stolen = victim.clone();

    app.advance(access_expired());
    refresh_and_keep(&app, &mut victim).await;
    assert_eq!(app.userinfo(&victim).await.status(), StatusCode::OK);

    app.advance(Duration::seconds(31));
    let html = app.get("/userinfo", &stolen, true).await;
    assert_eq!(html.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        html.headers()[reqwest::header::LOCATION],
        "/login?notice=reuse-detected"
    );
    assert!(revoked(&app, &victim).await);
    assert_eq!(
        app.userinfo(&victim).await.status(),
        StatusCode::UNAUTHORIZED,
        "the victim's own new tokens end with the session"
    );
}

#[tokio::test]
async fn a_dropped_branch_is_refused_at_once_and_counts_as_theft() {
    let app = spawn().await;
    let victim = app.logged_in(true).await;
    let mut thief = victim.clone();

    // The thief refreshes (getting a day-long access token) but never uses the new refresh
    // token, nor the access token, yet.
    app.advance(access_expired());
    let response = app.userinfo(&thief).await;
    assert_eq!(response.status(), StatusCode::OK);
    thief.take(&response);

    // The victim comes back with the same old refresh token: served, the thief's unconfirmed
    // child is dropped.
    app.advance(Duration::seconds(31));
    let mut victim = victim;
    let response = app.get("/userinfo", &victim, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    victim.take(&response);
    assert!(timeline(&response.text().await.unwrap()).contains(&"branch-dropped".to_owned()));
    assert!(!revoked(&app, &victim).await);

    // The thief's access token is still signed and unexpired, but its branch is gone.
    let only_access = thief.clone().without("refresh_jwt");
    assert_eq!(
        app.userinfo(&only_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(revoked(&app, &victim).await, "using it ended the session");
    assert_eq!(
        app.userinfo(&victim).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_dropped_branchs_refresh_token_counts_as_theft_too() {
    let app = spawn().await;
    let victim = app.logged_in(true).await;
    let mut thief = victim.clone();
    app.advance(access_expired());
    let response = app.userinfo(&thief).await;
    thief.take(&response);
    app.advance(Duration::seconds(31));
    assert_eq!(app.userinfo(&victim).await.status(), StatusCode::OK);
    let refresh_only = thief.clone().without("access_jwt");
    assert_eq!(
        app.userinfo(&refresh_only).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(revoked(&app, &victim).await);
}

/// Two tabs refresh at the same moment with the same cookies; `order` says which answer the
/// browser stores last. Returns the browser's cookies afterwards.
async fn two_tabs(app: &TestApp, jar: &Jar, winner_last: bool, lose_winner: bool) -> Jar {
    let (a, b) = tokio::join!(app.userinfo(jar), app.userinfo(jar));
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let (ca, cb) = (set_cookies(&a), set_cookies(&b));
    // Exactly one issued a child; the other got a new access token and left the refresh
    // cookie alone, so it cannot overwrite (or clear) the child.
    let rotated = [&ca, &cb]
        .iter()
        .filter(|c| c.contains_key("refresh_jwt"))
        .count();
    assert_eq!(rotated, 1);
    for c in [&ca, &cb] {
        assert!(c.contains_key("access_jwt"));
        assert!(
            c.values().all(|cookie| !cookie.value().is_empty()),
            "nothing cleared"
        );
    }
    let (winner, loser) = if ca.contains_key("refresh_jwt") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let mut browser = jar.clone();
    match (lose_winner, winner_last) {
        (true, _) => browser.take(loser),
        (false, true) => {
            browser.take(loser);
            browser.take(winner);
        }
        (false, false) => {
            browser.take(winner);
            browser.take(loser);
        }
    }
    browser
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_logged_in_whichever_answer_lands_last() {
    for (winner_last, lose_winner) in [(true, false), (false, false), (false, true)] {
        let app = spawn().await;
        let jar = app.logged_in(true).await;
        app.advance(access_expired());
        let mut browser = two_tabs(&app, &jar, winner_last, lose_winner).await;
        let case = format!("winner last: {winner_last}, winner lost: {lose_winner}");
        assert_eq!(
            app.userinfo(&browser).await.status(),
            StatusCode::OK,
            "{case}"
        );
        // A day later, and a week later, the browser is still logged in.
        for _ in 0..7 {
            app.advance(access_expired());
            let response = app.userinfo(&browser).await;
            assert_eq!(response.status(), StatusCode::OK, "{case}");
            browser.take(&response);
            assert_eq!(
                app.userinfo(&browser).await.status(),
                StatusCode::OK,
                "{case}"
            );
        }
        assert!(!revoked(&app, &browser).await, "{case}");
        assert_eq!(app.current_refresh_tokens(&browser).await, 1, "{case}");
    }
}

#[tokio::test]
async fn the_grace_window_is_measured_in_milliseconds() {
    let app = spawn_with(&[("REFRESH_REUSE_GRACE", "1s")]).await;
    let mut victim = app.logged_in(true).await;
    let old = victim.clone().without("access_jwt");
    app.advance(access_expired());
    refresh_and_keep(&app, &mut victim).await;
    // Using the child retires the parent, now.
    assert_eq!(app.userinfo(&victim).await.status(), StatusCode::OK);

    app.advance(Duration::milliseconds(1000));
    let response = app.get("/userinfo", &old, true).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "1000 ms: inside a 1 s grace"
    );
    assert!(timeline(&response.text().await.unwrap()).contains(&"refresh-grace".to_owned()));

    app.advance(Duration::milliseconds(1));
    assert_eq!(
        app.userinfo(&old).await.status(),
        StatusCode::UNAUTHORIZED,
        "1001 ms: past it"
    );
    assert!(revoked(&app, &victim).await);
}

/// The session as this instance's cache holds it, failing if it had to read the database.
async fn cached(app: &TestApp, sid: &str) -> std::sync::Arc<LiveSession> {
    let counters = app.state.sessions.counters();
    let misses = counters.misses.load(std::sync::atomic::Ordering::Relaxed);
    let live = app
        .state
        .sessions
        .find(sid, app.clock_now())
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(
        counters.misses.load(std::sync::atomic::Ordering::Relaxed),
        misses,
        "served from the cache, no database read"
    );
    live
}

/// A grace answer locks the session row (moving its version on) and changes nothing else; the
/// cached copy moves with it, so the next refresh is still planned from memory.
#[tokio::test]
async fn a_grace_answer_keeps_the_cached_session_in_step() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    let old = jar.clone().without("access_jwt");
    app.advance(access_expired());
    refresh_and_keep(&app, &mut jar).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    let html = app.get("/userinfo", &old, true).await;
    assert!(timeline(&html.text().await.unwrap()).contains(&"refresh-grace".to_owned()));

    let sid = sid(&jar);
    let stored = app
        .sql_i64("SELECT version FROM sessions WHERE id = $1", &[&sid])
        .await;
    let live = cached(&app, &sid).await;
    assert_eq!(Some(live.version), stored, "at the row's version");
}

/// The once-a-minute "last seen" write checks the copy it was given against the row. When a
/// rotation has moved the row on meanwhile, that check fails, and the rotation's own newer
/// copy must stay cached.
#[tokio::test]
async fn a_late_activity_write_leaves_a_newer_cached_copy_alone() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    let sid = sid(&jar);
    let before = app
        .state
        .sessions
        .find(&sid, app.clock_now())
        .await
        .unwrap()
        .unwrap();
    app.advance(access_expired());
    refresh_and_keep(&app, &mut jar).await;
    // The write for the older copy arrives last.
    app.state
        .sessions
        .record_activity(&sid, before.version, app.clock_now())
        .await;
    let live = cached(&app, &sid).await;
    assert!(live.version > before.version, "the rotated copy");
}

#[tokio::test]
async fn the_hot_path_reads_the_session_from_memory() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    app.advance(access_expired());
    refresh_and_keep(&app, &mut jar).await;
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::OK,
        "confirms the child"
    );
    let counters = app.state.sessions.counters();
    let misses = counters.misses.load(std::sync::atomic::Ordering::Relaxed);
    for _ in 0..50 {
        assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    }
    assert_eq!(
        counters.misses.load(std::sync::atomic::Ordering::Relaxed),
        misses,
        "the lineage check needed no database read"
    );
}

#[tokio::test]
async fn a_kept_session_without_its_refresh_cookie_gets_a_new_one() {
    let app = spawn().await;
    let jar = app.logged_in(true).await.without("refresh_jwt");
    let html = page(&app, "/userinfo", &jar).await;
    assert!(timeline(&html).contains(&"refresh-reissued".to_owned()));
    let response = app.userinfo(&jar).await;
    let cookies = set_cookies(&response);
    assert!(
        !cookies.contains_key("access_jwt"),
        "the access token was fine"
    );
    // Two requests a moment apart (as two tabs would): only the first reissued one.
    assert!(!cookies.contains_key("refresh_jwt"));
    app.advance(Duration::seconds(31));
    let response = app.userinfo(&jar).await;
    let cookies = set_cookies(&response);
    assert_eq!(claims(cookies["refresh_jwt"].value())["typ"], "refresh");
    let mut jar = jar;
    jar.take(&response);
    app.advance(access_expired());
    refresh_and_keep(&app, &mut jar).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    assert_eq!(app.current_refresh_tokens(&jar).await, 1);

    // A session without "keep me logged in" never gets one.
    let unkept = app.logged_in(false).await;
    let response = app.userinfo(&unkept).await;
    assert!(!set_cookies(&response).contains_key("refresh_jwt"));
}

#[tokio::test]
async fn a_valid_access_token_with_an_expired_refresh_token_gets_a_new_refresh_token() {
    let app = spawn_with(&[("ACCESS_TOKEN_TTL", "10d"), ("REFRESH_TOKEN_TTL", "7d")]).await;
    let jar = app.logged_in(true).await;
    app.advance(Duration::days(8));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refresh = set_cookies(&response)["refresh_jwt"].value().to_owned();
    let c = claims(&refresh);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        7 * 86_400
    );
}

#[tokio::test]
async fn the_refresh_token_lives_seven_days_from_its_last_rotation() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    for _ in 0..3 {
        app.advance(Duration::days(6));
        refresh_and_keep(&app, &mut jar).await;
    }
    // Unused for longer than its idle lifetime: over.
    app.advance(Duration::days(7) + Duration::seconds(1));
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_kept_session_ends_for_good_at_its_absolute_lifetime() {
    let app = spawn_with(&[("SESSION_MAX_LIFETIME", "20d")]).await;
    let mut jar = app.logged_in(true).await;
    let login_at = claims(jar.get("access_jwt").unwrap())["iat"]
        .as_i64()
        .unwrap();
    for _ in 0..3 {
        app.advance(Duration::days(6));
        refresh_and_keep(&app, &mut jar).await;
    }
    // Day 18: the tokens just issued may not outlive the session.
    for name in ["access_jwt", "refresh_jwt"] {
        let exp = claims(jar.get(name).unwrap())["exp"].as_i64().unwrap();
        assert!(exp <= login_at + 20 * 86_400, "{name} outlives its session");
    }
    app.advance(Duration::days(2) + Duration::seconds(1));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ended_sessions_and_expired_tokens_are_pruned() {
    let app = spawn().await;
    let gone = app.logged_in(true).await;
    let kept = app.logged_in(true).await;
    app.post("/logout", &gone, false).await;
    let count = |sql: &'static str| {
        let app = &app;
        async move { app.sql_i64(sql, &[]).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 2);
    let pruned = app.state.sessions.prune(app.clock_now()).await.unwrap();
    assert_eq!((pruned.sessions, pruned.expired), (1, 0));
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM refresh_lineage").await,
        1,
        "the ended session's token went with it"
    );
    assert_eq!(app.userinfo(&kept).await.status(), StatusCode::OK);

    // Past its lifetime the live one goes too; a restart prunes at start-up.
    app.advance(Duration::days(31));
    let restarted = app.restart().await;
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM refresh_lineage").await, 0);
    assert_eq!(
        restarted.userinfo(&Jar::default()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// A refresh token issued before the lineage existed was stored with its fingerprint standing in
/// for its `jti` (SQLite's migration 2): it is still placed, by its fingerprint, and rotates.
#[tokio::test]
async fn a_token_from_before_the_lineage_is_placed_by_its_fingerprint() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    let sid = sid(&jar);
    app.sql_exec(
        "UPDATE refresh_lineage SET jti = fingerprint WHERE session_id = $1",
        &[&sid],
    )
    .await;
    app.sql_exec(
        "UPDATE sessions SET refresh_current = \
         (SELECT fingerprint FROM refresh_lineage WHERE session_id = $1) WHERE id = $1",
        &[&sid],
    )
    .await;

    app.advance(access_expired());
    refresh_and_keep(&app, &mut jar).await;
    assert_eq!(lineage_states(&app, &jar).await, ["current", "pending"]);
    // The child is an ordinary one: the next request confirms it.
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    assert_eq!(lineage_states(&app, &jar).await, ["retired", "current"]);
}
