//! The database failing under the server: SQLite locked by another process past its busy
//! timeout. Requests that need the database answer `503` with `Retry-After` within 5 s and lose
//! nothing (no cookie cleared, no session ended); requests the session cache can serve go on;
//! and the server recovers by itself when the lock goes.

use std::time::{Duration as StdDuration, Instant};

use reqwest::{StatusCode, header};
use sqlx::Connection;
use time::Duration;

use crate::helpers::{DEMO_PASSWORD, DEMO_USER, TestApp, set_cookies, spawn};

/// Another connection (as another process would) takes SQLite's write lock and holds it.
pub async fn lock_the_database(app: &TestApp) -> sqlx::SqliteConnection {
    let mut other = sqlx::SqliteConnection::connect(app.setting("DATABASE_URL"))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET bio = bio")
        .execute(&mut other)
        .await
        .unwrap();
    other
}

fn assert_unavailable(response: &reqwest::Response, started: Instant, what: &str) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert!(
        response.headers().contains_key(header::RETRY_AFTER),
        "{what}: Retry-After"
    );
    assert!(
        started.elapsed() < StdDuration::from_secs(5),
        "{what}: answered in {:?}",
        started.elapsed()
    );
    assert!(
        set_cookies(response)
            .values()
            .all(|c| !c.value().is_empty()),
        "{what}: no cookie cleared"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_means_503_then_recovery_without_a_restart() {
    let app = spawn().await;
    let reader = app.logged_in(false).await;
    let mut kept = app.logged_in(true).await;
    assert_eq!(app.userinfo(&reader).await.status(), StatusCode::OK);
    assert_eq!(app.userinfo(&kept).await.status(), StatusCode::OK);

    let mut lock = lock_the_database(&app).await;

    // A login needs a write: 503, with a JSON error for the course's client...
    let started = Instant::now();
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, true).await;
    assert_unavailable(&response, started, "JSON login");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("unavailable"));
    // ...and a page for a browser.
    let started = Instant::now();
    let response = app.login_form(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_unavailable(&response, started, "form login");
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // A valid access token is served from the session cache, promptly.
    let started = Instant::now();
    assert_eq!(app.userinfo(&reader).await.status(), StatusCode::OK);
    assert!(started.elapsed() < StdDuration::from_secs(1));

    // A refresh needs a write: 503, and the client keeps its cookies for later.
    app.advance(Duration::days(1) + Duration::seconds(1));
    let started = Instant::now();
    let response = app.userinfo(&kept).await;
    assert_unavailable(&response, started, "refresh");

    // Logging out cannot end the session now: it says so instead of pretending.
    let started = Instant::now();
    let response = app.post("/logout", &reader, false).await;
    assert_unavailable(&response, started, "logout");

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    drop(lock);

    // Back by itself: the same cookies work, and logins do.
    let response = app.userinfo(&kept).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the refresh now succeeds"
    );
    kept.take(&response);
    assert_eq!(app.userinfo(&kept).await.status(), StatusCode::OK);
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
    assert_eq!(
        app.post("/logout", &reader, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    assert_eq!(
        app.userinfo(&reader).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The course's client on another port reads the 503 too: it carries the CORS headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_to_a_listed_origin_is_readable_by_it() {
    let app =
        crate::helpers::spawn_with(&[("CORS_ALLOWED_ORIGINS", "http://localhost:3000")]).await;
    let mut lock = lock_the_database(&app).await;
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/login"))
        .header(header::ORIGIN, "http://localhost:3000")
        .header("sec-fetch-site", "same-site")
        .json(
            &serde_json::json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } }),
        )
        .send()
        .await
        .unwrap();
    assert_unavailable(&response, started, "login from the client");
    let h = response.headers();
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://localhost:3000"
    );
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
}
