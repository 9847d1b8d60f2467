//! Sign-up: the rules, the conflicts, logging in on success, and hostile text.

use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::helpers::{Jar, TestApp, body_json, set_cookies, spawn};

fn good() -> Value {
    json!({
        "userId": "lee.developer",
        "password": "a long and fine passphrase",
        "email": "lee@example.kr",
        "name": "이개발",
        "position": "Backend Developer",
        "location": "Busan",
        "bio": "Rust and SQL."
    })
}

async fn sign_up(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/signup", &Jar::default(), body).await
}

#[tokio::test]
async fn a_json_sign_up_creates_the_user_and_logs_in() {
    let app = spawn().await;
    let response = sign_up(&app, &good()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut jar = Jar::default();
    jar.take(&response);
    assert!(jar.get("access_jwt").is_some());
    let user = body_json(response).await;
    assert_eq!(user["userId"], "lee.developer");
    assert_eq!(user["name"], "이개발");
    assert!(user.get("password").is_none() && user.get("passwordHash").is_none());
    let me = body_json(app.userinfo(&jar).await).await;
    assert_eq!(me["email"], "lee@example.kr");
    assert_eq!(
        app.login_json("lee.developer", "a long and fine passphrase", false)
            .await
            .status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn the_form_signs_up_and_lands_on_userinfo() {
    let app = spawn().await;
    let form = app.text("/signup").await;
    for field in [
        "userId", "password", "email", "name", "position", "location", "bio",
    ] {
        assert!(form.contains(&format!(r#"name="{field}""#)), "{field}");
    }
    let response = app
        .client
        .post(app.url("/signup"))
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("userId", "park"),
            ("password", "another fine passphrase"),
            ("email", "park@example.com"),
            ("name", "Park"),
            ("checkedKeepLogin", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/userinfo");
    let cookies = set_cookies(&response);
    assert!(
        cookies.contains_key("access_jwt") && cookies.contains_key("refresh_jwt"),
        "kept login"
    );
}

#[tokio::test]
async fn a_taken_user_id_is_409() {
    let app = spawn().await;
    assert_eq!(sign_up(&app, &good()).await.status(), StatusCode::CREATED);
    let response = sign_up(&app, &good()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        body_json(response).await["error"]
            .as_str()
            .unwrap()
            .contains("taken")
    );
    let mut demo = good();
    demo["userId"] = "kimcoding".into();
    assert_eq!(sign_up(&app, &demo).await.status(), StatusCode::CONFLICT);
    // The demo user's password was not touched.
    assert_eq!(
        app.login_json("kimcoding", "1234", false).await.status(),
        StatusCode::FOUND
    );

    let response = app
        .client
        .post(app.url("/signup"))
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("userId", "kimcoding"),
            ("password", "another fine passphrase"),
            ("email", "k@example.com"),
            ("name", "K"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("That user ID is taken.") && page.contains(r#"value="k@example.com""#),
        "the form keeps what was typed"
    );
}

#[tokio::test]
async fn every_rule_is_enforced_with_a_clear_message() {
    let app = spawn().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("userId", json!("ab"), "3 to 32"),
        ("userId", json!("x".repeat(33)), "3 to 32"),
        ("userId", json!("x' OR '1'='1"), "3 to 32"),
        ("userId", json!("<script>"), "3 to 32"),
        ("password", json!("short"), "at least 8"),
        ("password", json!("p".repeat(129)), "at most 128"),
        ("password", json!("lee.developer"), "not be the user ID"),
        ("password", json!("iloveyou"), "most common"),
        ("password", json!("Password123"), "most common"),
        ("email", json!("not-an-email"), "email"),
        ("email", json!("lee@localhost"), "email"),
        ("name", json!("   "), "name is required"),
        ("name", json!("n".repeat(65)), "at most 64"),
        ("position", json!("p".repeat(65)), "at most 64"),
        ("bio", json!("b".repeat(501)), "at most 500"),
        ("name", json!("bell\u{7}"), "control characters"),
    ];
    for (field, value, reason) in cases {
        let mut body = good();
        body[field] = value;
        let response = sign_up(&app, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{field}");
        let message = body_json(response).await["error"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(reason), "{field}: {message}");
    }
    let mut extra = good();
    extra["isAdmin"] = true.into();
    assert_eq!(
        sign_up(&app, &extra).await.status(),
        StatusCode::BAD_REQUEST
    );
    let mut missing = good();
    missing.as_object_mut().unwrap().remove("email");
    assert_eq!(
        sign_up(&app, &missing).await.status(),
        StatusCode::BAD_REQUEST
    );
    let count = app
        .sql_i64("SELECT COUNT(*) FROM users", &[])
        .await
        .unwrap();
    assert_eq!(count, 1, "only the demo user exists");
}

#[tokio::test]
async fn hostile_text_is_escaped_in_pages() {
    let app = spawn().await;
    let mut body = good();
    body["name"] = "<script>alert('x')</script>".into();
    body["bio"] = r#""><img src=x onerror=alert(1)>"#.into();
    body["location"] = "{{ 7*7 }} & {% raw %}".into();
    let response = sign_up(&app, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut jar = Jar::default();
    jar.take(&response);
    let html = app.get("/userinfo", &jar, true).await.text().await.unwrap();
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    let name = html
        .split("<h1>")
        .nth(1)
        .unwrap()
        .split("</h1>")
        .next()
        .unwrap();
    assert_eq!(
        name, "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;",
        "escaped"
    );
    assert!(
        html.contains("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;"),
        "attribute breakout escaped"
    );
    assert!(
        html.contains("{{ 7*7 }} &#38; {% raw %}"),
        "template syntax in data is just text"
    );
}
