//! Requests: cross-site refusals, security headers, static files, 404/405, throttling.

use reqwest::header;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{DEMO_PASSWORD, DEMO_USER, spawn};

#[tokio::test]
async fn cross_site_state_changes_are_refused_with_403() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let own_origin = app.address.clone();
    let login_body = json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } });
    let refused: Vec<(&str, &str)> = vec![
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("origin", "http://127.0.0.1:1"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ];
    for path in [
        "/login",
        "/logout",
        "/sessions/revoke-others",
        "/password",
        "/signup",
        "/demo/expire-access",
    ] {
        for (name, value) in &refused {
            let response = app
                .client
                .post(app.url(path))
                .headers(jar.headers())
                .header(*name, *value)
                .json(&login_body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} with {name}: {value}"
            );
            assert!(
                response
                    .headers()
                    .contains_key(header::CONTENT_SECURITY_POLICY)
            );
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(
                body["error"]
                    .as_str()
                    .unwrap()
                    .contains("Cross-site request refused")
            );
        }
    }
    // The session survived every attempt.
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);

    // Our own pages, typed-in navigations, and clients without either header pass.
    for (name, value) in [
        ("origin", own_origin.as_str()),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-site", "none"),
    ] {
        let response = app
            .client
            .post(app.url("/login"))
            .header(name, value)
            .json(&login_body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{name}: {value}");
    }
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );

    // A browser gets the refusal as a page.
    let response = app
        .client
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Cross-site request refused")
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    for (path, html) in [
        ("/login", true),
        ("/userinfo", true),
        ("/userinfo", false),
        ("/nope", true),
        ("/healthz", false),
    ] {
        let response = app.get(path, &jar, html).await;
        let h = response.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
        assert!(
            !h.contains_key("x-powered-by") && !h.contains_key(header::SERVER),
            "{path}"
        );
        assert!(
            !h.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "no HSTS over plain HTTP"
        );
    }
    for path in ["/userinfo", "/sessions", "/password"] {
        let response = app.get(path, &jar, true).await;
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-store",
            "{path} holds user data"
        );
    }
}

#[tokio::test]
async fn static_files_are_cached_and_cannot_escape_their_folder() {
    let app = spawn().await;
    let response = app
        .client
        .get(app.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(response.headers().contains_key(header::ETAG));

    for path in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%252e%252e/Cargo.toml",
        "/static/....//Cargo.toml",
        "/static/",
        "/static",
        "/static/..",
    ] {
        // Sent raw: reqwest would otherwise normalise the dots away.
        let response = raw_get(&app.address, path).await;
        assert!(
            response.starts_with("HTTP/1.1 404") || response.starts_with("HTTP/1.1 400"),
            "{path}: {}",
            response.lines().next().unwrap_or_default()
        );
        assert!(!response.contains("[package]"), "{path} leaked a file");
    }
}

/// One GET with the path exactly as given, over a plain socket.
async fn raw_get(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn wrong_methods_are_405_and_unknown_paths_404() {
    let app = spawn().await;
    for (method, path) in [
        (Method::GET, "/logout"),
        (Method::PUT, "/login"),
        (Method::DELETE, "/userinfo"),
        (Method::POST, "/userinfo"),
        (Method::PATCH, "/sessions"),
        (Method::POST, "/healthz"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            response.headers().contains_key(header::ALLOW),
            "{method} {path} says what is allowed"
        );
    }
    let response = app.client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn five_failures_lock_the_account_with_429_and_retry_after() {
    let app = spawn().await;
    for _ in 0..5 {
        assert_eq!(
            app.login_json(DEMO_USER, "wrong", false).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password waits now.
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "30");
    let response = app.login_form(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Too many failed attempts. Try again in 30 seconds."),
        "the form says so"
    );
    assert!(page.contains(r#"value="kimcoding""#));

    // The back-off passes; one more failure locks it for twice as long.
    app.advance(time::Duration::seconds(30));
    assert_eq!(
        app.login_json(DEMO_USER, "wrong", false).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    app.advance(time::Duration::seconds(60));
    // A success resets the count.
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
    assert_eq!(
        app.login_json(DEMO_USER, "wrong", false).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn unknown_accounts_are_throttled_like_real_ones() {
    let app = spawn().await;
    for _ in 0..5 {
        app.login_json("ghost", "wrong", false).await;
    }
    assert_eq!(
        app.login_json("ghost", "wrong", false).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn spraying_many_accounts_from_one_address_is_stopped_but_successes_are_free() {
    let app = spawn().await;
    // Successful logins from the same address never count.
    for _ in 0..40 {
        assert_eq!(
            app.login_json(DEMO_USER, DEMO_PASSWORD, false)
                .await
                .status(),
            StatusCode::FOUND
        );
    }
    for i in 0..30 {
        let status = app
            .login_json(&format!("user{i}"), "Winter2026!", false)
            .await
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let response = app.login_json("user-next", "Winter2026!", false).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    app.advance(time::Duration::seconds(10));
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
}
