//! The sessions page: list, end one, end the others; and password change.

use reqwest::StatusCode;
use reqwest::header;
use serde_json::json;

use crate::helpers::{DEMO_PASSWORD, DEMO_USER, body_json, sid, spawn, spawn_with};

#[tokio::test]
async fn the_list_shows_each_live_session_and_which_one_is_this() {
    let app = spawn().await;
    let laptop = app
        .logged_in_as(DEMO_USER, DEMO_PASSWORD, true, "Laptop Firefox")
        .await;
    let phone = app
        .logged_in_as(DEMO_USER, DEMO_PASSWORD, false, "Phone Safari")
        .await;
    let ended = app
        .logged_in_as(DEMO_USER, DEMO_PASSWORD, false, "Old tablet")
        .await;
    app.post("/logout", &ended, false).await;

    let response = app.get("/sessions", &laptop, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let list = body_json(response).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "the logged-out session is not listed");
    let mine = list.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(mine["id"], sid(&laptop));
    assert_eq!(mine["userAgent"], "Laptop Firefox");
    assert_eq!(mine["keepLoggedIn"], true);
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["id"], sid(&phone));
    assert_eq!(other["userAgent"], "Phone Safari");
    assert_eq!(other["keepLoggedIn"], false);
    for key in ["createdAt", "lastSeenAt"] {
        let text = mine[key].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{text}"
        );
    }

    let html = app
        .get("/sessions", &laptop, true)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Laptop Firefox") && html.contains("Phone Safari"));
    assert!(!html.contains("Old tablet"));
    assert!(html.contains(&format!(r#"action="/sessions/{}/revoke""#, sid(&phone))));
    assert!(html.contains(r#"action="/sessions/revoke-others""#));
    let userinfo = app
        .get("/userinfo", &laptop, true)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        userinfo.contains(r#"href="/sessions""#),
        "linked from /userinfo"
    );
}

#[tokio::test]
async fn ending_one_session_refuses_its_tokens_at_once() {
    let app = spawn().await;
    let laptop = app.logged_in(true).await;
    let phone = app.logged_in(true).await;
    let response = app
        .post(&format!("/sessions/{}/revoke", sid(&phone)), &laptop, false)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.userinfo(&phone).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.userinfo(&phone.clone().without("access_jwt"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.userinfo(&laptop).await.status(), StatusCode::OK);

    // The form goes back to the list.
    let tablet = app.logged_in(false).await;
    let response = app
        .post(&format!("/sessions/{}/revoke", sid(&tablet)), &laptop, true)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/sessions");

    // Ending the session in use is logging out.
    let response = app
        .post(
            &format!("/sessions/{}/revoke", sid(&laptop)),
            &laptop,
            false,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.userinfo(&laptop).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn someone_elses_session_is_not_found() {
    let app = spawn().await;
    app.add_user("lee", "a-long-enough-password").await;
    let kim = app.logged_in(true).await;
    let lee = app
        .logged_in_as("lee", "a-long-enough-password", true, "lee")
        .await;
    for target in [sid(&lee), "no-such-session".to_owned(), "x".repeat(500)] {
        let response = app
            .post(&format!("/sessions/{target}/revoke"), &kim, false)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{target:.20}");
    }
    assert_eq!(
        app.userinfo(&lee).await.status(),
        StatusCode::OK,
        "lee is untouched"
    );
    let list = body_json(app.get("/sessions", &kim, false).await).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != sid(&lee)),
        "never listed to kim"
    );
}

#[tokio::test]
async fn log_out_everywhere_else_keeps_only_this_session() {
    let app = spawn().await;
    let here = app.logged_in(true).await;
    let others = [app.logged_in(true).await, app.logged_in(false).await];
    let response = app.post("/sessions/revoke-others", &here, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["revoked"], 2);
    for jar in &others {
        assert_eq!(app.userinfo(jar).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.userinfo(&here).await.status(), StatusCode::OK);
    let response = app.post("/sessions/revoke-others", &here, true).await;
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sessions?notice=revoked-others"
    );
}

#[tokio::test]
async fn the_sessions_page_needs_a_login() {
    let app = spawn().await;
    let nobody = crate::helpers::Jar::default();
    assert_eq!(
        app.get("/sessions", &nobody, false).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/sessions/revoke-others", &nobody, false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/password", &nobody, true).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn().await;
    let here = app.logged_in(true).await;
    let elsewhere = app.logged_in(true).await;
    let response = app.change_password(&here, "a much better passphrase").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["otherSessionsEnded"], 1);
    assert_eq!(
        app.userinfo(&elsewhere).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.userinfo(&here).await.status(), StatusCode::OK);
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_json(DEMO_USER, "a much better passphrase", false)
            .await
            .status(),
        StatusCode::FOUND
    );
    let hash = app
        .sql_text(
            "SELECT password_hash FROM users WHERE user_id = $1",
            &[DEMO_USER],
        )
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn the_password_form_works_from_a_browser() {
    let app = spawn().await;
    let here = app.logged_in(false).await;
    let form = app
        .get("/password", &here, true)
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"name="currentPassword""#) && form.contains(r#"name="newPassword""#));
    let response = app
        .client
        .post(app.url("/password"))
        .headers(here.headers())
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("currentPassword", DEMO_PASSWORD),
            ("newPassword", "another fine passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/password?notice=changed"
    );
    let page = app
        .get("/password?notice=changed", &here, true)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Password changed"));
}

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_throttled() {
    let app = spawn().await;
    let here = app.logged_in(false).await;
    let elsewhere = app.logged_in(false).await;
    for _ in 0..5 {
        let response = app
            .post_json(
                "/password",
                &here,
                &json!({ "currentPassword": "wrong", "newPassword": "a much better passphrase" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            body_json(response).await["error"]
                .as_str()
                .unwrap()
                .contains("current password is not correct")
        );
    }
    // Locked now, even with the right current password.
    let response = app.change_password(&here, "a much better passphrase").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        app.userinfo(&elsewhere).await.status(),
        StatusCode::OK,
        "nothing was changed"
    );
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn weak_new_passwords_are_refused_with_the_reason() {
    let app = spawn().await;
    let here = app.logged_in(false).await;
    let cases = [
        ("short", "at least 8"),
        ("kimcoding", "not be the user ID"),
        ("password123", "most common"),
    ];
    for (new, reason) in cases {
        let response = app
            .post_json(
                "/password",
                &here,
                &json!({ "currentPassword": DEMO_PASSWORD, "newPassword": new }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{new}");
        assert!(
            body_json(response).await["error"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{new}"
        );
    }
    let too_long = "x".repeat(129);
    let response = app
        .post_json(
            "/password",
            &here,
            &json!({ "currentPassword": DEMO_PASSWORD, "newPassword": too_long }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND,
        "unchanged"
    );
}

/// Ends `jar`'s session in the database alone, as if its invalidation were lost: no NOTIFY,
/// no cache update.
async fn end_behind_the_servers_back(app: &crate::helpers::TestApp, jar: &crate::helpers::Jar) {
    app.sql_exec(
        &format!(
            "UPDATE sessions SET revoked_at = {} WHERE id = $1",
            app.clock_now()
        ),
        &[&sid(jar)],
    )
    .await;
}

/// The safety net under the cache: a change it never heard of (as if an invalidation were
/// lost) is seen once the cached copy reaches `SESSION_CACHE_TTL`, and not later.
#[tokio::test]
async fn a_change_the_cache_never_heard_of_is_seen_within_its_lifetime() {
    let app = spawn_with(&[("SESSION_CACHE_TTL", "500ms")]).await;
    let jar = app.logged_in(true).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    let ended_at = std::time::Instant::now();
    end_behind_the_servers_back(&app, &jar).await;
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::OK,
        "served from memory meanwhile: the staleness the lifetime bounds"
    );
    app.userinfo_until_refused(
        &jar,
        ended_at,
        std::time::Duration::from_millis(1500),
        "a session ended behind the cache's back",
        || {},
    )
    .await;
}

/// A busy session is touched (its last-seen time noted) every minute, and written in the next
/// batch; that write checks the cached copy against the row, so touching never keeps a copy
/// that missed a change alive past `SESSION_CACHE_TTL`: here it is caught at the first batch.
#[tokio::test]
async fn touching_a_busy_session_never_keeps_a_stale_copy_alive() {
    let app = spawn_with(&[
        ("SESSION_CACHE_TTL", "2s"),
        ("SESSION_ACTIVITY_INTERVAL", "100ms"),
    ])
    .await;
    let jar = app.logged_in(true).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    let ended_at = std::time::Instant::now();
    end_behind_the_servers_back(&app, &jar).await;
    // A minute passes between requests: each one touches the session.
    app.userinfo_until_refused(
        &jar,
        ended_at,
        std::time::Duration::from_millis(1500),
        "a stale copy kept alive by touches",
        || app.advance(time::Duration::seconds(61)),
    )
    .await;
}
