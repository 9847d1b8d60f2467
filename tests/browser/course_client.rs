//! The course's split as Chromium runs it: a single-page client on one origin calling the JSON
//! API on another origin of the same site, with `fetch(..., { credentials: 'include' })`, as
//! the course's React client does with axios. The server knows the client only through
//! `CORS_ALLOWED_ORIGINS`. The client page is the app's own (the one demo mode serves),
//! started here beside the app: login (a wrong password first), a reload that stays logged in,
//! "keep me logged in" keeping both cookies, logout; then the same page from an origin that is
//! not listed, which cannot log in and leaves no session; and all of it again over HTTPS.

use std::net::TcpListener;
use std::sync::Arc;

use fantoccini::Locator;

use super::{Browser, assert_locked_down, attr, browser_available, wait_for};
use crate::helpers::{self, DEMO_PASSWORD, DEMO_USER, TestApp};

/// A loopback port nobody uses yet, bound.
fn bound() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// The app on `app_port`'s client, served on `listener` (over TLS with `tls`).
fn serve_client(listener: TcpListener, app_port: u16, tls: Option<rustls::ServerConfig>) {
    let server = jwt_cookie_lab::web::teach::client::serve(listener, app_port, tls).unwrap();
    tokio::spawn(server);
}

fn app_port(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

async fn state(browser: &Browser) -> String {
    attr(browser, "body", "data-state").await
}

async fn wait_for_state(browser: &Browser, wanted: &str) {
    let script = format!("return document.body.dataset.state === '{wanted}'");
    wait_for(browser, &script, &format!("the client to show {wanted}")).await;
}

/// Fills the client's login form and sends it.
async fn log_in(browser: &Browser, password: &str, keep: bool) {
    let c = browser.client();
    for (name, value) in [("userId", DEMO_USER), ("password", password)] {
        let field = c
            .find(Locator::Css(&format!("#login input[name={name}]")))
            .await
            .unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    let keep_box = c
        .find(Locator::Css("#login input[name=checkedKeepLogin]"))
        .await
        .unwrap();
    if keep_box.is_selected().await.unwrap() != keep {
        keep_box.click().await.unwrap();
    }
    c.find(Locator::Css("[data-action=client-login]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn error_shown(browser: &Browser) -> (String, String) {
    wait_for(
        browser,
        "var e = document.querySelector('[data-error]'); return !!e && !e.hidden && e.textContent.length > 0",
        "the client's error",
    )
    .await;
    let kind = attr(browser, "[data-error]", "data-error").await;
    (kind, browser.text("[data-error]").await)
}

/// The whole flow the course's client goes through, on a client at `client_url` that the app
/// lists.
async fn the_course_flow(browser: &Browser, client_url: &str, https: bool) {
    let c = browser.client();
    c.goto(client_url).await.unwrap();
    // On load: GET /userinfo answers 401, readable, so the login form shows.
    wait_for_state(browser, "login").await;
    log_in(browser, "not-the-password", true).await;
    let (kind, text) = error_shown(browser).await;
    assert_eq!(kind, "failed", "{text}");
    assert!(text.contains("로그인에 실패했습니다."), "{text}");
    // The right password, keeping the session: the 302 is followed to /userinfo's JSON.
    log_in(browser, DEMO_PASSWORD, true).await;
    wait_for_state(browser, "mypage").await;
    assert_eq!(browser.text("[data-field=userId]").await, DEMO_USER);
    // Both cookies came, locked down, though the page is on another port: cookies belong to
    // the host, not the port.
    for name in ["access_jwt", "refresh_jwt"] {
        let cookie = browser
            .cookie(name)
            .await
            .unwrap_or_else(|| panic!("{name} is stored"));
        assert_locked_down(&cookie);
        assert!(
            cookie
                .domain()
                .is_none_or(|d| d.trim_start_matches('.') == "localhost")
        );
    }
    // A reload: the browser sends the cookies with the client's call, so it stays logged in.
    c.refresh().await.unwrap();
    wait_for_state(browser, "mypage").await;
    // Logout: 205, back to the form, both cookies gone.
    c.find(Locator::Css("[data-action=client-logout]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_state(browser, "login").await;
    for name in ["access_jwt", "refresh_jwt"] {
        assert!(
            browser.cookie(name).await.is_none(),
            "{name} is gone (https: {https})"
        );
    }
}

/// The same page from an origin the app does not list: the preflight of the JSON login is
/// refused, so the browser never sends it, and no session is made.
async fn an_unlisted_client_cannot_log_in(browser: &Browser, app: &TestApp, client_url: &str) {
    let sessions = || app.sql_i64("SELECT COUNT(*) FROM sessions", &[]);
    let before = sessions().await;
    browser.client().goto(client_url).await.unwrap();
    // Its first call's answer is unreadable too, so it lands on the form with the reason.
    wait_for_state(browser, "login").await;
    log_in(browser, DEMO_PASSWORD, true).await;
    let (kind, text) = error_shown(browser).await;
    assert_eq!(kind, "blocked", "{text}");
    assert!(text.contains("CORS"), "{text}");
    assert_eq!(state(browser).await, "login");
    assert_eq!(sessions().await, before, "no session was created");
}

#[tokio::test]
async fn the_course_client_on_another_port_works_with_only_cors_allowed_origins_set() {
    let Some(driver) = browser_available("the_course_client_on_another_port") else {
        return;
    };
    let (listed, listed_port) = bound();
    let (unlisted, unlisted_port) = bound();
    let allowed = format!("http://localhost:{listed_port}");
    let app = helpers::spawn_with(&[("CORS_ALLOWED_ORIGINS", allowed.as_str())]).await;
    serve_client(listed, app_port(&app), None);
    serve_client(unlisted, app_port(&app), None);
    let browser = Browser::start(&driver).await;
    the_course_flow(&browser, &format!("http://localhost:{listed_port}/"), false).await;
    browser.screenshot("course-client").await;
    an_unlisted_client_cannot_log_in(
        &browser,
        &app,
        &format!("http://localhost:{unlisted_port}/"),
    )
    .await;
    browser.close().await;
}

#[tokio::test]
async fn the_course_client_works_over_https_too() {
    let Some(driver) = browser_available("the_course_client_works_over_https_too") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let files = jwt_cookie_lab::config::TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    std::fs::write(&files.cert, generated.cert.pem()).unwrap();
    std::fs::write(&files.key, generated.key_pair.serialize_pem()).unwrap();
    let (listed, listed_port) = bound();
    let allowed = format!("https://localhost:{listed_port}");
    let app = helpers::spawn_with(&[
        ("CORS_ALLOWED_ORIGINS", allowed.as_str()),
        ("TLS_CERT", files.cert.to_str().unwrap()),
        ("TLS_KEY", files.key.to_str().unwrap()),
    ])
    .await;
    let tls = jwt_cookie_lab::app::rustls_config(&files).unwrap();
    serve_client(listed, app_port(&app), Some(tls));
    // The certificate is the test's own: the browser is told to take it.
    let browser = Browser::start_with(&driver, &["--ignore-certificate-errors"]).await;
    the_course_flow(&browser, &format!("https://localhost:{listed_port}/"), true).await;
    browser.close().await;
    drop(Arc::new(dir));
}

/// Demo mode serves the client itself, linked from `/userinfo`, and shows for each call what
/// Chromium really sent: `Origin`, `Sec-Fetch-Site: same-site`, the cookies, and the preflight
/// before the JSON login, with the CORS headers of each answer.
#[tokio::test]
async fn demo_modes_client_shows_what_each_call_carried() {
    let Some(driver) = browser_available("demo_modes_client_shows_what_each_call_carried") else {
        return;
    };
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    let browser = Browser::start(&driver).await;
    // The learner starts from the app, reached as localhost.
    let c = browser.client();
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, false).await;
    let link = attr(&browser, "[data-link=course-client]", "href").await;
    let port = app.client_port.unwrap();
    assert_eq!(
        link,
        format!("http://127.0.0.1:{port}/?lang=en"),
        "the app's own host name"
    );
    c.goto(&format!("http://localhost:{port}/?lang=en"))
        .await
        .unwrap();
    wait_for_state(&browser, "login").await;
    log_in(&browser, DEMO_PASSWORD, true).await;
    wait_for_state(&browser, "mypage").await;
    wait_for(
        &browser,
        "return !!document.querySelector('li.seen[data-seen=\"GET /userinfo\"][data-cookie-sent=\"true\"]')",
        "the app's report of the call after login",
    )
    .await;
    let report = browser.text("[data-calls]").await;
    for expected in [
        "preflight OPTIONS /login",
        "Sec-Fetch-Site: same-site",
        &format!("Origin: http://localhost:{port}"),
        &format!("Access-Control-Allow-Origin: http://localhost:{port}"),
        "Access-Control-Allow-Credentials: true",
        "cookies sent",
    ] {
        assert!(report.contains(expected), "{expected} in:\n{report}");
    }
    browser.scroll_to("[data-calls]").await;
    browser.screenshot("course-client-demo").await;
    browser.close().await;
}
