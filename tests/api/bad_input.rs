//! Bad input of every kind gets a clear 4xx, never a 500, and the server keeps serving.

use reqwest::header::{self, HeaderValue};
use reqwest::{Response, StatusCode};

use crate::helpers::{Jar, TestApp, spawn};

async fn post_login(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> Response {
    app.client
        .post(app.url("/login"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn assert_still_serving(app: &TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let jar = app.logged_in(false).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
}

/// The `{"error": ...}` message of a 4xx JSON answer.
async fn error_message(response: Response) -> String {
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    body["error"].as_str().expect("an error message").to_owned()
}

#[tokio::test]
async fn broken_login_bodies_get_400_with_a_reason() {
    let app = spawn().await;
    let json = "application/json";
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            json,
            "{\"loginInfo\": {\"userId\": \"kimcoding\"",
            "Invalid JSON",
        ),
        (json, "[1, 2, 3]", "Invalid JSON"),
        (json, "\"kimcoding\"", "Invalid JSON"),
        (json, "{}", "missing field `loginInfo`"),
        (
            json,
            r#"{"loginInfo": {"userId": "kimcoding"}}"#,
            "missing field `password`",
        ),
        (
            json,
            r#"{"loginInfo": {"password": "1234"}}"#,
            "missing field `userId`",
        ),
        (
            json,
            r#"{"loginInfo": {"userId": 1, "password": "1234"}}"#,
            "invalid type",
        ),
        (
            json,
            r#"{"loginInfo": {"userId": "kimcoding", "password": "1234"}, "admin": true}"#,
            "unknown field `admin`",
        ),
        (
            json,
            r#"{"loginInfo": {"userId": "kimcoding", "password": "1234"}, "checkedKeepLogin": "yes"}"#,
            "invalid type",
        ),
        (json, "", "Invalid JSON"),
        (
            "application/x-www-form-urlencoded",
            "userId=kimcoding",
            "missing field `password`",
        ),
        (
            "application/x-www-form-urlencoded",
            "userId=kimcoding&password=1234&role=admin",
            "unknown field `role`",
        ),
    ];
    for (content_type, body, reason) in cases {
        let response = post_login(&app, content_type, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let message = error_message(response).await;
        assert!(message.contains(reason), "{body}: {message}");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn non_utf8_bodies_are_400() {
    let app = spawn().await;
    let response = post_login(&app, "application/json", vec![0xff, 0xfe, 0x7b, 0x80]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let mut body = b"userId=kim".to_vec();
    body.extend([0xff, 0xfe]);
    body.extend(b"&password=1234");
    let response = post_login(&app, "application/x-www-form-urlencoded", body).await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn bodies_over_16_kib_are_413() {
    let app = spawn().await;
    let big = format!(
        r#"{{"loginInfo": {{"userId": "kimcoding", "password": "{}"}}}}"#,
        "x".repeat(17 * 1024)
    );
    let response = post_login(&app, "application/json", big).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_message(response).await.contains("too large"));
    // Just under the limit is a normal (failed) login.
    let fits = format!(
        r#"{{"loginInfo": {{"userId": "kimcoding", "password": "{}"}}}}"#,
        "x".repeat(15 * 1024)
    );
    assert_eq!(
        post_login(&app, "application/json", fits).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn other_content_types_are_415() {
    let app = spawn().await;
    for content_type in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
    ] {
        let response = post_login(&app, content_type, "userId=kimcoding&password=1234").await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let response = app
        .client
        .post(app.url("/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );
    // The charset parameter is fine.
    let response = post_login(
        &app,
        "application/json; charset=utf-8",
        r#"{"loginInfo": {"userId": "kimcoding", "password": "1234"}}"#,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn malformed_garbage_and_oversized_tokens_are_401() {
    let app = spawn().await;
    let huge = format!(
        "{}.{}.{}",
        "a".repeat(3000),
        "b".repeat(3000),
        "c".repeat(100)
    );
    let jars = [
        Jar::default().with("access_jwt", "garbage"),
        Jar::default().with("access_jwt", "a.b.c"),
        Jar::default().with("access_jwt", ".."),
        Jar::default().with("access_jwt", "eyJhbGciOiJub25lIn0.e30."),
        Jar::default().with("access_jwt", &huge),
        Jar::default().with("refresh_jwt", "garbage"),
        Jar::default()
            .with("access_jwt", "x")
            .with("refresh_jwt", &huge),
    ];
    for jar in &jars {
        let response = app.userinfo(jar).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{jar:?}");
        assert_eq!(response.text().await.unwrap(), "Not Authorized");
    }
    for auth in [
        "Bearer ",
        "Bearer garbage",
        "Basic a2ltY29kaW5nOjEyMzQ=",
        "Bearer a.b.c.d",
    ] {
        let response = app
            .client
            .get(app.url("/userinfo"))
            .header(header::AUTHORIZATION, auth)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth}");
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn malformed_cookie_headers_are_401_not_500() {
    let app = spawn().await;
    let lines: Vec<HeaderValue> = vec![
        HeaderValue::from_static("access_jwt"),
        HeaderValue::from_static("=; ;;; =="),
        HeaderValue::from_static("access_jwt=%zz%; refresh_jwt=\"unterminated"),
        HeaderValue::from_static("access_jwt=a; access_jwt=b"),
        HeaderValue::from_bytes(b"access_jwt=\xff\xfe\x80").unwrap(),
        HeaderValue::from_bytes(b"refresh_jwt=\xc3\x28; access_jwt=\xa0").unwrap(),
    ];
    for line in lines {
        let response = app
            .client
            .get(app.url("/userinfo"))
            .header(header::COOKIE, line.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{line:?}");
        let response = app
            .client
            .post(app.url("/logout"))
            .header(header::COOKIE, line.clone())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "logout with {line:?}: {}",
            response.status()
        );
    }
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn unknown_paths_are_404_for_json_and_html() {
    let app = spawn().await;
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("404"));
}
