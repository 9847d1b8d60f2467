//! `/userinfo`: the access token from a cookie or Bearer, the refresh flow, the refusals.

use reqwest::StatusCode;
use reqwest::header;
use time::Duration;

use crate::helpers::{DEMO_USER, Jar, body_json, claims, set_cookies, spawn};

#[tokio::test]
async fn a_valid_access_cookie_gets_the_users_json_and_nothing_secret() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let user = body_json(response).await;
    let object = user.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bio", "email", "id", "location", "name", "position", "userId"
        ]
    );
    assert_eq!(user["userId"], DEMO_USER);
    assert_eq!(user["email"], "kimcoding@authstates.com");
    assert_eq!(user["name"], "김코딩");
    assert_eq!(user["position"], "Frontend Developer");
    assert_eq!(user["location"], "Seoul, South Korea");
    assert!(!user["bio"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn browsers_get_a_page_with_the_profile_and_a_logout_button_but_never_the_token() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let html = response.text().await.unwrap();
    for needle in [
        "김코딩",
        "kimcoding@authstates.com",
        "Frontend Developer",
        "Seoul, South Korea",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    assert!(html.contains(r#"action="/logout""#) && html.contains(r#"method="post""#));
    for token in [
        jar.get("access_jwt").unwrap(),
        jar.get("refresh_jwt").unwrap(),
    ] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            !html.contains(token) && !html.contains(signature),
            "a raw token leaked into the page"
        );
    }
}

#[tokio::test]
async fn a_bearer_token_works_like_the_cookie() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    let token = jar.get("access_jwt").unwrap().to_owned();
    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["userId"], DEMO_USER);

    // A refresh token is not an access token, wherever it is put.
    let jar = app.logged_in(true).await;
    let refresh = jar.get("refresh_jwt").unwrap();
    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let swapped = Jar::default().with("access_jwt", refresh);
    assert_eq!(
        app.userinfo(&swapped).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn no_token_is_401_not_authorized_for_json_and_a_redirect_for_browsers() {
    let app = spawn().await;
    let response = app.userinfo(&Jar::default()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.text().await.unwrap(), "Not Authorized");

    let response = app.get("/userinfo", &Jar::default(), true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?notice=login-required"
    );
    let login = app.text("/login?notice=login-required").await;
    assert!(
        login.contains("Please log in"),
        "the login page shows the notice"
    );
}

#[tokio::test]
async fn an_expired_access_token_without_refresh_is_refused_and_its_cookie_cleared() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    app.advance(Duration::days(1) + Duration::seconds(1));

    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cleared = set_cookies(&response);
    assert_eq!(cleared["access_jwt"].value(), "");
    assert_eq!(cleared["access_jwt"].max_age(), Some(Duration::ZERO));
    assert_eq!(cleared["access_jwt"].http_only(), Some(true));
    assert_eq!(response.text().await.unwrap(), "Not Authorized");

    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?notice=access-expired"
    );
    let login = app.text("/login?notice=access-expired").await;
    assert!(
        login.contains(
            "Your access token expired. Without “keep me logged in” there is no refresh token"
        ),
        "the login page says why, not just that: {login}"
    );
}

#[tokio::test]
async fn an_access_token_is_good_until_the_second_it_expires() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    app.advance(Duration::days(1) - Duration::seconds(1));
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    app.advance(Duration::seconds(1));
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_access_token_is_quietly_renewed_from_the_refresh_token() {
    let app = spawn().await;
    let mut jar = app.logged_in(true).await;
    let old_access = jar.get("access_jwt").unwrap().to_owned();
    let old_refresh = jar.get("refresh_jwt").unwrap().to_owned();
    app.advance(Duration::days(1) + Duration::seconds(5));

    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let access = &cookies["access_jwt"];
    assert_ne!(access.value(), old_access);
    assert_eq!(
        access.max_age(),
        Some(Duration::days(1)),
        "a kept session keeps a persistent access cookie"
    );
    assert_eq!(
        (access.http_only(), access.secure()),
        (Some(true), Some(true))
    );
    assert_eq!(
        claims(access.value())["sid"],
        claims(&old_access)["sid"],
        "same session"
    );
    jar.take(&response);
    assert_eq!(body_json(response).await["userId"], DEMO_USER);
    assert_ne!(
        jar.get("refresh_jwt").unwrap(),
        old_refresh,
        "the refresh token was rotated"
    );

    // The new access token now works on its own.
    let only_access = jar.clone().without("refresh_jwt");
    assert_eq!(app.userinfo(&only_access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_missing_or_garbage_access_cookie_is_also_renewed_from_the_refresh_token() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let no_access = jar.clone().without("access_jwt");
    let response = app.userinfo(&no_access).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).contains_key("access_jwt"));
}

#[tokio::test]
async fn both_tokens_expired_means_logging_in_again() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    app.advance(Duration::days(7) + Duration::seconds(1));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cleared = set_cookies(&response);
    assert_eq!(cleared["access_jwt"].value(), "");
    assert_eq!(cleared["refresh_jwt"].value(), "");
}

#[tokio::test]
async fn the_home_page_sends_you_where_you_belong() {
    let app = spawn().await;
    let response = app.get("/", &Jar::default(), true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/login");
    let jar = app.logged_in(false).await;
    let response = app.get("/", &jar, true).await;
    assert_eq!(response.headers()[header::LOCATION], "/userinfo");
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn sessions_survive_a_restart_with_the_same_database_and_secrets() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let restarted = app.restart().await;
    assert_eq!(restarted.userinfo(&jar).await.status(), StatusCode::OK);
    restarted.advance(Duration::days(2));
    let response = restarted.userinfo(&jar).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the refresh token works after a restart too"
    );
}

#[tokio::test]
async fn other_secrets_after_a_restart_refuse_old_tokens() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let mut settings = app.settings.clone();
    settings.retain(|(k, _)| k != "ACCESS_SECRET" && k != "REFRESH_SECRET" && k != "PORT");
    let other = crate::helpers::spawn_with(&[
        (
            "DATABASE_URL",
            &settings
                .iter()
                .find(|(k, _)| k == "DATABASE_URL")
                .unwrap()
                .1,
        ),
        (
            "ACCESS_SECRET",
            "another-access-secret-0123456789-abcdefghij",
        ),
        (
            "REFRESH_SECRET",
            "another-refresh-secret-0123456789-abcdefghij",
        ),
    ])
    .await;
    assert_eq!(
        other.userinfo(&jar).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
