//! Refresh-token rotation, reuse detection, the grace window, idle and absolute lifetimes.

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{Jar, claims, set_cookies, spawn, spawn_with};

const DAY: Duration = Duration::days(1);

#[tokio::test]
async fn every_refresh_rotates_the_refresh_token_and_keeps_one_current() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    assert_eq!(app.current_refresh_tokens(&jar).await, 1);
    let first = jar.get("refresh_jwt").unwrap().to_owned();

    app.advance(DAY + Duration::seconds(1));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let second = cookies["refresh_jwt"].value().to_owned();
    assert_ne!(second, first);
    assert_eq!(
        claims(&second)["sid"],
        claims(&first)["sid"],
        "same session"
    );
    assert_ne!(claims(&second)["jti"], claims(&first)["jti"]);
    assert_eq!(cookies["refresh_jwt"].max_age(), Some(Duration::days(7)));
    jar.take(&response);
    assert_eq!(
        app.current_refresh_tokens(&jar).await,
        1,
        "exactly one current token"
    );

    // The used token is linked to its successor, and stored only as a fingerprint.
    let rows: Vec<(String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT fingerprint, used_at, replaced_by FROM refresh_tokens")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    let used = rows.iter().find(|r| r.1.is_some()).unwrap();
    let fresh = rows.iter().find(|r| r.1.is_none()).unwrap();
    assert_eq!(used.2.as_deref(), Some(fresh.0.as_str()));
    for (fingerprint, _, _) in &rows {
        assert_ne!(fingerprint, &first);
        assert_ne!(fingerprint, &second);
        assert_eq!(fingerprint.len(), 64);
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_used_after_the_grace_window_kills_the_whole_session() {
    let app = spawn().await;
    let stolen = app.logged_in(true).await;

    // The thief refreshes first: the victim's copy is now the old one.
    app.advance(DAY + Duration::seconds(1));
    let mut thief = stolen.clone();
    let response = app.userinfo(&thief).await;
    assert_eq!(response.status(), StatusCode::OK);
    thief.take(&response);

    app.advance(Duration::seconds(31));
    let response = app.userinfo(&stolen).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cleared = set_cookies(&response);
    assert_eq!(cleared["access_jwt"].value(), "");
    assert_eq!(cleared["refresh_jwt"].value(), "");

    // Every token of the session is dead now: the thief's new access and refresh tokens too.
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
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM sessions")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(revoked.is_some());
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_logged_in() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    app.advance(DAY + Duration::seconds(1));

    let (a, b) = tokio::join!(app.userinfo(&jar), app.userinfo(&jar));
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let (ca, cb) = (set_cookies(&a), set_cookies(&b));
    // Exactly one of them rotated; the other got a new access token and left the refresh
    // cookie alone, so it does not overwrite (or clear) the winner's.
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
    let winner = if ca.contains_key("refresh_jwt") {
        &a
    } else {
        &b
    };
    let loser = if ca.contains_key("refresh_jwt") {
        &b
    } else {
        &a
    };
    let mut browser = jar.clone();
    browser.take(loser);
    browser.take(winner);
    assert_eq!(app.current_refresh_tokens(&browser).await, 1);

    // A moment later, the old token still works inside the window...
    app.advance(Duration::seconds(10));
    assert_eq!(
        app.userinfo(&jar.clone().without("access_jwt"))
            .await
            .status(),
        StatusCode::OK
    );
    // ...and the browser, holding the winner's cookies, keeps working for days.
    app.advance(DAY + Duration::seconds(1));
    let response = app.userinfo(&browser).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_kept_session_without_its_refresh_cookie_gets_a_new_one() {
    let app = spawn().await;
    let jar = app.logged_in(true).await.without("refresh_jwt");
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    assert!(
        !cookies.contains_key("access_jwt"),
        "the access token was fine"
    );
    assert_eq!(claims(cookies["refresh_jwt"].value())["typ"], "refresh");
    let mut jar = jar;
    jar.take(&response);
    assert_eq!(
        app.current_refresh_tokens(&jar).await,
        1,
        "the old one was retired"
    );

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
        let response = app.userinfo(&jar).await;
        assert_eq!(response.status(), StatusCode::OK);
        jar.take(&response);
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
        let response = app.userinfo(&jar).await;
        assert_eq!(response.status(), StatusCode::OK);
        jar.take(&response);
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
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 2);
    let pruned = app.state.sessions.prune(app.clock_now()).await.unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM refresh_tokens").await,
        1,
        "the ended session's token went with it"
    );
    assert_eq!(app.userinfo(&kept).await.status(), StatusCode::OK);

    // Past its lifetime the live one goes too; a restart prunes at start-up.
    app.advance(Duration::days(31));
    let restarted = app.restart().await;
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM refresh_tokens").await, 0);
    assert_eq!(
        restarted.userinfo(&Jar::default()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
