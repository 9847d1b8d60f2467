//! Logout ends the server-side session: its tokens are refused at once.

use reqwest::StatusCode;
use reqwest::header;
use time::Duration;

use crate::helpers::{Jar, set_cookies, spawn};

#[tokio::test]
async fn logout_answers_205_and_clears_both_cookies_with_the_same_attributes() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let response = app.post("/logout", &jar, false).await;
    assert_eq!(response.status(), StatusCode::RESET_CONTENT);
    let cleared = set_cookies(&response);
    for name in ["access_jwt", "refresh_jwt"] {
        let cookie = &cleared[name];
        assert_eq!(cookie.value(), "");
        assert_eq!(cookie.max_age(), Some(Duration::ZERO));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(
            cookie.same_site(),
            Some(actix_web::cookie::SameSite::Strict)
        );
        assert_eq!(cookie.path(), Some("/"));
    }
}

#[tokio::test]
async fn a_logged_out_sessions_tokens_are_refused_at_once() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    app.post("/logout", &jar, false).await;

    // The same, still unexpired, tokens: an attacker who copied them gets nothing.
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.text().await.unwrap(), "Not Authorized");
    let refresh_only = jar.clone().without("access_jwt");
    assert_eq!(
        app.userinfo(&refresh_only).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let bearer = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(jar.get("access_jwt").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_out_one_session_leaves_the_others() {
    let app = spawn().await;
    let laptop = app.logged_in(true).await;
    let phone = app.logged_in(false).await;
    app.post("/logout", &laptop, false).await;
    assert_eq!(
        app.userinfo(&laptop).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.userinfo(&phone).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_logout_form_returns_to_the_login_page_with_a_notice() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    let response = app.post("/logout", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?notice=logged-out&lang=en",
        "the login page in the language the user was reading"
    );
    assert_eq!(set_cookies(&response)["access_jwt"].value(), "");
    let page = app.text("/login?notice=logged-out").await;
    assert!(page.contains("You have been logged out."));
}

#[tokio::test]
async fn logging_out_twice_or_without_cookies_is_fine() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    assert_eq!(
        app.post("/logout", &jar, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    assert_eq!(
        app.post("/logout", &jar, false).await.status(),
        StatusCode::RESET_CONTENT
    );
    assert_eq!(
        app.post("/logout", &Jar::default(), false).await.status(),
        StatusCode::RESET_CONTENT
    );
    let garbage = Jar::default()
        .with("access_jwt", "not-a-token")
        .with("refresh_jwt", "%%%");
    assert_eq!(
        app.post("/logout", &garbage, false).await.status(),
        StatusCode::RESET_CONTENT
    );
}

#[tokio::test]
async fn logout_after_the_access_token_expired_still_ends_the_session() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    app.advance(Duration::days(1) + Duration::seconds(1));
    app.post("/logout", &jar, false).await;
    // The refresh token would otherwise have renewed the access token.
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}
