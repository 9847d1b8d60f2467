//! CORS for the origins named in `CORS_ALLOWED_ORIGINS`, as the course's React client meets it:
//! the preflight of its JSON login, the CORS headers on every kind of answer it reads, the
//! cross-site guard letting its POSTs through; and for every other origin, and for a server
//! with no list, not one CORS header.

use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{DEMO_PASSWORD, DEMO_USER, Jar, TestApp, spawn, spawn_with};

const CLIENT: &str = "http://localhost:3000";
const CLIENT_TLS: &str = "https://localhost:3000";

async fn with_the_course_client() -> TestApp {
    spawn_with(&[(
        "CORS_ALLOWED_ORIGINS",
        "http://localhost:3000, https://localhost:3000",
    )])
    .await
}

/// Every `Access-Control-*` header of an answer.
fn cors_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

fn value(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The headers a browser needs to let a script of `origin` read an answer sent with cookies.
fn assert_readable_by(headers: &HeaderMap, origin: &str, what: &str) {
    assert_eq!(
        value(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        origin,
        "{what}"
    );
    assert_eq!(
        value(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        "true",
        "{what}"
    );
    assert!(
        value(headers, header::VARY).contains("Origin"),
        "{what}: Vary"
    );
}

/// A request as Chromium sends it from a page on `origin` to the app on another port of the
/// same site.
fn from_page(app: &TestApp, method: Method, path: &str, origin: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header(header::ORIGIN, origin)
        .header("sec-fetch-site", "same-site")
        .header("sec-fetch-mode", "cors")
}

async fn json_login(app: &TestApp, origin: &str, password: &str) -> reqwest::Response {
    from_page(app, Method::POST, "/login", origin)
        .json(&json!({ "loginInfo": { "userId": DEMO_USER, "password": password }, "checkedKeepLogin": true }))
        .send()
        .await
        .unwrap()
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_listed_origins_preflight_is_answered_on_every_route() {
    let app = with_the_course_client().await;
    for path in [
        "/login",
        "/userinfo",
        "/logout",
        "/sessions",
        "/no/such/route",
    ] {
        for origin in [CLIENT, CLIENT_TLS] {
            let response = preflight(&app, path, origin, "POST").await;
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            let h = response.headers();
            assert_readable_by(h, origin, path);
            let methods = value(h, header::ACCESS_CONTROL_ALLOW_METHODS);
            for method in ["GET", "POST", "OPTIONS"] {
                assert!(methods.contains(method), "{path}: {methods}");
            }
            let allowed = value(h, header::ACCESS_CONTROL_ALLOW_HEADERS).to_ascii_lowercase();
            assert!(allowed.contains("content-type") && allowed.contains("authorization"));
            assert!(
                value(h, header::ACCESS_CONTROL_MAX_AGE)
                    .parse::<u64>()
                    .unwrap()
                    > 0
            );
            assert_ne!(value(h, header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
        }
    }
}

#[tokio::test]
async fn every_answer_to_a_listed_origin_carries_the_cors_headers() {
    let app = with_the_course_client().await;
    // The course's login: 302 to /userinfo, with both cookies (same site, other port).
    let response = json_login(&app, CLIENT, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_readable_by(response.headers(), CLIENT, "302 login");
    let mut jar = Jar::default();
    jar.take(&response);
    assert!(jar.get("access_jwt").is_some() && jar.get("refresh_jwt").is_some());
    // A wrong password: the course's 401, readable.
    let response = json_login(&app, CLIENT, "wrong").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_readable_by(response.headers(), CLIENT, "401 login");
    assert_eq!(response.text().await.unwrap(), "Not Authorized");
    // The profile with the cookies, and the guard's own 401 without them.
    let ok = from_page(&app, Method::GET, "/userinfo", CLIENT)
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_readable_by(ok.headers(), CLIENT, "200 userinfo");
    let refused = from_page(&app, Method::GET, "/userinfo", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_readable_by(refused.headers(), CLIENT, "the guard's 401");
    // Bad input: broken JSON (400), a body over 16 KiB (413), another content type (415),
    // no such route (404).
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(20_000));
    for (path, body, content_type, status) in [
        (
            "/login",
            "{".to_owned(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/login",
            huge,
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "/login",
            "x".to_owned(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "/nothing-here",
            String::new(),
            "text/plain",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let response = from_page(&app, Method::POST, path, CLIENT)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert_readable_by(response.headers(), CLIENT, &format!("{status}"));
    }
    // Logout: the course's 205, both cookies cleared.
    let response = from_page(&app, Method::POST, "/logout", CLIENT_TLS)
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::RESET_CONTENT);
    assert_readable_by(response.headers(), CLIENT_TLS, "205 logout");
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}

/// A listed origin is trusted with the user's cookies: its POSTs pass the cross-site guard,
/// whatever `Sec-Fetch-Site` says.
#[tokio::test]
async fn the_cross_site_guard_lets_a_listed_origin_through() {
    let app = with_the_course_client().await;
    for site in ["same-site", "cross-site"] {
        let response = app
            .client
            .post(app.url("/login"))
            .header(header::ORIGIN, CLIENT)
            .header("sec-fetch-site", site)
            .json(&json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{site}");
    }
}

#[tokio::test]
async fn an_origin_not_listed_gets_no_cors_header_and_no_session() {
    let app = with_the_course_client().await;
    let sessions = || app.sql_i64("SELECT COUNT(*) FROM sessions", &[]);
    let before = sessions().await;
    for origin in [
        "http://localhost:3001",
        "http://127.0.0.1:3000",
        "https://evil.example",
        "null",
    ] {
        // Its preflight is refused, so a browser never sends the JSON login.
        let response = preflight(&app, "/login", origin, "POST").await;
        assert!(
            !response.status().is_success(),
            "{origin}: {}",
            response.status()
        );
        assert!(
            response
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none(),
            "{origin}"
        );
        // Sent anyway (a form needs no preflight): refused as before, nothing readable.
        let response = json_login(&app, origin, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(
            cors_headers(response.headers()),
            Vec::<String>::new(),
            "{origin}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("Cross-site request refused")
        );
        let response = from_page(&app, Method::GET, "/userinfo", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            cors_headers(response.headers()),
            Vec::<String>::new(),
            "{origin}"
        );
    }
    assert_eq!(sessions().await, before, "no session was created");
    // Nor does a request with no Origin at all (curl, the app's own pages).
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(cors_headers(response.headers()), Vec::<String>::new());
}

#[tokio::test]
async fn without_the_setting_no_cors_header_is_ever_sent() {
    let app = spawn().await;
    let response = preflight(&app, "/login", CLIENT, "POST").await;
    assert!(!response.status().is_success(), "{}", response.status());
    assert_eq!(cors_headers(response.headers()), Vec::<String>::new());
    let response = json_login(&app, CLIENT, DEMO_PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the guard refuses it as before"
    );
    assert_eq!(cors_headers(response.headers()), Vec::<String>::new());
    let jar = app.logged_in(false).await;
    let response = from_page(&app, Method::GET, "/userinfo", CLIENT)
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(cors_headers(response.headers()), Vec::<String>::new());
}

/// Demo mode serves a course-style client on another port of the same site, lists its origin
/// for CORS itself, and reports what each of the client's calls carried and got back, to that
/// page load alone.
#[tokio::test]
async fn demo_modes_client_is_listed_and_sees_its_own_calls() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let port = app.client_port.expect("demo mode runs the client");
    let client = format!("http://localhost:{port}");
    // The page gives itself a visit, and a CSP that lets it call the app.
    let page = app.client.get(format!("{client}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let location = page.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let visit = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("visit="))
        .expect("a visit")
        .to_owned();
    let page = app
        .client
        .get(format!("{client}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let app_port = app.address.rsplit(':').next().unwrap();
    assert!(
        csp.contains(&format!("connect-src 'self' http://localhost:{app_port}")),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("data-api=\"http://localhost:{app_port}\"")),
        "{html}"
    );
    // Its origin is listed: the preflight of its JSON login is answered.
    let response = preflight(&app, "/login", &client, "POST").await;
    assert!(response.status().is_success());
    assert_readable_by(response.headers(), &client, "the client's preflight");
    // Its calls are noted under its visit, found by the Referer the page sends.
    let referer = format!("{client}/?visit={visit}&lang=en");
    let response = json_login(&app, &client, DEMO_PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "no Referer: not noted, but served"
    );
    let response = from_page(&app, Method::POST, "/login", &client)
        .header(header::REFERER, &referer)
        .json(&json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } }))
        .send()
        .await
        .unwrap();
    let mut jar = Jar::default();
    jar.take(&response);
    from_page(&app, Method::GET, "/userinfo", &client)
        .header(header::REFERER, &referer)
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    let report = from_page(
        &app,
        Method::GET,
        &format!("/demo/client/report?visit={visit}"),
        &client,
    )
    .send()
    .await
    .unwrap();
    assert_readable_by(report.headers(), &client, "the report");
    let calls: Vec<serde_json::Value> = report.json().await.unwrap();
    let seen: Vec<(String, u64, bool)> = calls
        .iter()
        .map(|c| {
            (
                format!(
                    "{} {}",
                    c["method"].as_str().unwrap(),
                    c["path"].as_str().unwrap()
                ),
                c["status"].as_u64().unwrap(),
                c["cookieSent"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("POST /login".to_owned(), 302, false),
            ("GET /userinfo".to_owned(), 200, true)
        ]
    );
    for call in &calls {
        assert_eq!(call["origin"], client.as_str());
        assert_eq!(call["secFetchSite"], "same-site");
        assert_eq!(call["allowOrigin"], client.as_str());
        assert_eq!(call["allowCredentials"], "true");
    }
    // Another visit sees none of them.
    let other = from_page(
        &app,
        Method::GET,
        &format!("/demo/client/report?visit={}", "0".repeat(32)),
        &client,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        other.json::<Vec<serde_json::Value>>().await.unwrap().len(),
        0
    );
}
