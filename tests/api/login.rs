//! Logging in: the form, the course's JSON, and the cookies each one sets.

use reqwest::StatusCode;
use reqwest::header;

use crate::helpers::{self, DEMO_PASSWORD, DEMO_USER, claims, set_cookies, spawn};

#[tokio::test]
async fn the_login_form_has_the_courses_fields() {
    let app = spawn().await;
    let response = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    for needle in [
        r#"name="userId""#,
        r#"name="password""#,
        r#"type="password""#,
        r#"name="checkedKeepLogin""#,
        "Keep me logged in",
        r#"href="/static/style.css""#,
    ] {
        assert!(html.contains(needle), "login page lacks {needle}");
    }
}

#[tokio::test]
async fn json_login_with_keep_sets_both_cookies_with_every_attribute() {
    let app = spawn().await;
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, true).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[header::LOCATION], "/userinfo");
    let cookies = set_cookies(&response);
    let access = &cookies["access_jwt"];
    let refresh = &cookies["refresh_jwt"];
    for cookie in [access, refresh] {
        assert_eq!(cookie.http_only(), Some(true), "{cookie}");
        assert_eq!(cookie.secure(), Some(true), "{cookie}");
        assert_eq!(
            cookie.same_site(),
            Some(actix_web::cookie::SameSite::Strict),
            "{cookie}"
        );
        assert_eq!(cookie.path(), Some("/"), "{cookie}");
        assert_eq!(cookie.domain(), None, "{cookie}");
    }
    assert_eq!(access.max_age(), Some(time::Duration::days(1)));
    assert_eq!(refresh.max_age(), Some(time::Duration::days(7)));

    let a = claims(access.value());
    let r = claims(refresh.value());
    assert_eq!(a["typ"], "access");
    assert_eq!(r["typ"], "refresh");
    assert_eq!(a["sub"], DEMO_USER);
    assert_eq!(a["sid"], r["sid"], "both tokens name the same session");
    assert_eq!(
        a["exp"].as_i64().unwrap() - a["iat"].as_i64().unwrap(),
        86_400
    );
    assert_eq!(
        r["exp"].as_i64().unwrap() - r["iat"].as_i64().unwrap(),
        7 * 86_400
    );
    for claim in ["iss", "aud", "nbf", "jti"] {
        assert!(a.get(claim).is_some(), "access token lacks {claim}");
    }
    assert_ne!(a["jti"], r["jti"]);
    let header = jsonwebtoken::decode_header(access.value()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
}

#[tokio::test]
async fn without_keep_the_access_cookie_is_a_session_cookie_and_no_refresh_comes() {
    let app = spawn().await;
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookies = set_cookies(&response);
    let access = &cookies["access_jwt"];
    assert_eq!(access.max_age(), None);
    assert_eq!(access.expires(), None);
    assert!(!cookies.contains_key("refresh_jwt"));
    // The token itself still lasts the configured lifetime.
    let a = claims(access.value());
    assert_eq!(
        a["exp"].as_i64().unwrap() - a["iat"].as_i64().unwrap(),
        86_400
    );
}

#[tokio::test]
async fn configured_lifetimes_are_used() {
    let app =
        helpers::spawn_with(&[("ACCESS_TOKEN_TTL", "30s"), ("REFRESH_TOKEN_TTL", "2h")]).await;
    let cookies = set_cookies(&app.login_json(DEMO_USER, DEMO_PASSWORD, true).await);
    assert_eq!(
        cookies["access_jwt"].max_age(),
        Some(time::Duration::seconds(30))
    );
    assert_eq!(
        cookies["refresh_jwt"].max_age(),
        Some(time::Duration::hours(2))
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = spawn().await;
    for (user, password) in [(DEMO_USER, "12345"), ("nobody", "1234"), (DEMO_USER, "")] {
        let response = app.login_json(user, password, true).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{user}/{password}"
        );
        assert!(set_cookies(&response).is_empty());
        assert_eq!(response.text().await.unwrap(), "Not Authorized");
    }
}

#[tokio::test]
async fn sql_looking_user_ids_are_just_names() {
    let app = spawn().await;
    let response = app.login_json("x' OR '1'='1", "1234", false).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_form_login_answers_303_to_userinfo() {
    let app = spawn().await;
    let response = app.login_form(DEMO_USER, DEMO_PASSWORD, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/userinfo");
    let cookies = set_cookies(&response);
    assert!(cookies.contains_key("access_jwt") && cookies.contains_key("refresh_jwt"));

    let response = app.login_form(DEMO_USER, DEMO_PASSWORD, false).await;
    let cookies = set_cookies(&response);
    assert!(cookies.contains_key("access_jwt") && !cookies.contains_key("refresh_jwt"));
}

#[tokio::test]
async fn a_failed_form_login_rerenders_the_form_keeping_the_user_id() {
    let app = spawn().await;
    let response = app.login_form(DEMO_USER, "wrong", true).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&response).is_empty());
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"value="kimcoding""#), "userId kept");
    assert!(html.contains("The user ID or password is not correct."));
    assert!(html.contains("checked"), "the checkbox stays ticked");

    // An unknown user reads exactly the same (apart from the echoed name).
    let other = app
        .login_form("nobody", "wrong", true)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(other.replace("nobody", DEMO_USER), html);
}

#[tokio::test]
async fn the_demo_user_is_created_once_and_never_overwritten() {
    let app = spawn().await;
    // An operator changes the demo user's password...
    let hash = app
        .state
        .passwords
        .hash("a-better-password".to_string().into())
        .await
        .unwrap();
    app.sql_exec(
        "UPDATE users SET password_hash = $1 WHERE user_id = $2",
        &[&hash, DEMO_USER],
    )
    .await;
    // ...and restarts: the seed must not put 1234 back.
    let restarted = app.restart().await;
    assert_eq!(
        restarted
            .login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        restarted
            .login_json(DEMO_USER, "a-better-password", false)
            .await
            .status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn without_demo_users_there_is_no_demo_account() {
    let app = helpers::spawn_with(&[("DEMO_USERS", "false")]).await;
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let html = app.text("/login").await;
    assert!(
        !html.contains("1234"),
        "the login page does not advertise a demo account"
    );
}

#[tokio::test]
async fn password_hashes_are_argon2id() {
    let app = spawn().await;
    let hash = app
        .sql_text(
            "SELECT password_hash FROM users WHERE user_id = $1",
            &[DEMO_USER],
        )
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}
