//! End-to-end tests in a real browser: Debian's Chromium, headless, driven through
//! chromedriver. They check what only a browser can tell: which cookies it stores and with
//! which flags, whether page scripts can read them, and that forms, redirects, the refresh
//! flow and the CSP work as a person would see them.
//!
//! Without Chromium these tests say so and pass as skipped, except under `CI=true`, where a
//! missing browser is a failure (`.ci/run` installs it).

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::cookies::Cookie;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{DEMO_PASSWORD, DEMO_USER, TestApp};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Two browsers at a time are plenty for two cores.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

fn chromedriver() -> Option<PathBuf> {
    let candidates = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// `None` (after saying why) when there is no browser and this is not CI.
fn browser_available(test: &str) -> Option<PathBuf> {
    let driver = chromedriver();
    if Path::new(CHROMIUM).is_file() && driver.is_some() {
        return driver;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but Chromium or chromedriver is missing: .ci/run should have installed them"
    );
    eprintln!(
        "SKIPPED {test}: {CHROMIUM} or chromedriver not found. \
         Install them with: apt-get install chromium chromium-driver"
    );
    None
}

/// A chromedriver process and a browser session with a fresh profile; both go when dropped.
struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    async fn start(driver_path: &Path) -> Browser {
        Browser::start_with(driver_path, &[]).await
    }

    /// A browser with `extra` command-line switches (e.g. to accept a test certificate).
    async fn start_with(driver_path: &Path, extra: &[&str]) -> Browser {
        let permit = BROWSERS
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its output goes nowhere, so no leftover browser can hold the test's pipes open.
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--lang=en-US",
            "--window-size=1100,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let args: Vec<&str> = args.iter().copied().chain(extra.iter().copied()).collect();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client: Some(client),
                        driver,
                        _profile: profile,
                        _permit: permit,
                    };
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a browser session: {last_error:?}");
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    async fn login(&self, app: &TestApp, user: &str, password: &str, keep: bool) {
        let c = self.client();
        c.goto(&app.url("/login")).await.unwrap();
        c.find(Locator::Css("input[name=userId]"))
            .await
            .unwrap()
            .send_keys(user)
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(password)
            .await
            .unwrap();
        if keep {
            c.find(Locator::Css("input[name=checkedKeepLogin]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        self.click_and_wait("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Clicks and waits until the browser has loaded the next page.
    async fn click_and_wait(&self, css: &str) {
        let c = self.client();
        c.execute("document.documentElement.dataset.leaving = 'yes'", vec![])
            .await
            .unwrap();
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        for _ in 0..200 {
            let state = c
                .execute(
                    "return document.readyState === 'complete' && !document.documentElement.dataset.leaving",
                    vec![],
                )
                .await;
            if matches!(state, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after clicking {css}");
    }

    async fn path(&self) -> String {
        let url = self.client().current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn cookie(&self, name: &str) -> Option<Cookie<'static>> {
        let all = self.client().get_all_cookies().await.unwrap();
        all.into_iter().find(|c| c.name() == name)
    }

    async fn text(&self, css: &str) -> String {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Scrolls so that the first element matching `css` is at the top (for screenshots).
    async fn scroll_to(&self, css: &str) {
        let script = format!("document.querySelector('{css}').scrollIntoView({{block: 'start'}})");
        self.client().execute(&script, vec![]).await.unwrap();
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The browser console log since the last call (CSP violations land here).
    async fn console(&self) -> Vec<String> {
        let entries = self.client().issue_cmd(BrowserLog).await.unwrap();
        entries
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// chromedriver's log endpoint, which the WebDriver standard lacks.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

fn seconds_left(cookie: &Cookie<'_>) -> Option<i64> {
    let expires = cookie.expires_datetime()?;
    Some(expires.unix_timestamp() - time::OffsetDateTime::now_utc().unix_timestamp())
}

fn assert_locked_down(cookie: &Cookie<'_>) {
    assert_eq!(
        cookie.http_only(),
        Some(true),
        "{} is HttpOnly",
        cookie.name()
    );
    assert_eq!(cookie.secure(), Some(true), "{} is Secure", cookie.name());
    let same_site = format!("{:?}", cookie.same_site());
    assert_eq!(
        same_site,
        "Some(Strict)",
        "{} is SameSite=Strict",
        cookie.name()
    );
    assert_eq!(cookie.path(), Some("/"));
}

macro_rules! browser_or_skip {
    ($name:expr) => {
        match browser_available($name) {
            Some(driver) => Browser::start(&driver).await,
            None => return,
        }
    };
}

#[tokio::test]
async fn logging_in_with_keep_stores_both_locked_down_cookies() {
    let browser = browser_or_skip!("logging_in_with_keep_stores_both_locked_down_cookies");
    let app = helpers::spawn().await;
    browser.client().goto(&app.url("/login")).await.unwrap();
    browser.screenshot("login").await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;

    assert_eq!(browser.path().await, "/userinfo");
    assert_eq!(browser.text("[data-field=userId]").await, DEMO_USER);
    assert_eq!(browser.text("h1").await, "김코딩");
    let access = browser
        .cookie("access_jwt")
        .await
        .expect("the browser keeps access_jwt");
    let refresh = browser
        .cookie("refresh_jwt")
        .await
        .expect("the browser keeps refresh_jwt");
    assert_locked_down(&access);
    assert_locked_down(&refresh);
    let day = 86_400;
    let access_left = seconds_left(&access).expect("a persistent access cookie");
    let refresh_left = seconds_left(&refresh).expect("a persistent refresh cookie");
    assert!(
        (access_left - day).abs() < 120,
        "access_jwt expires in {access_left}s"
    );
    assert!(
        (refresh_left - 7 * day).abs() < 120,
        "refresh_jwt expires in {refresh_left}s"
    );
    browser.screenshot("userinfo").await;
    browser
        .client()
        .goto(&app.url("/userinfo#inspector"))
        .await
        .unwrap();
    browser.screenshot("inspector").await;
    browser.close().await;
}

#[tokio::test]
async fn page_scripts_cannot_read_the_tokens() {
    let browser = browser_or_skip!("page_scripts_cannot_read_the_tokens");
    let app = helpers::spawn().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    assert_eq!(browser.path().await, "/userinfo");
    assert!(
        browser.cookie("access_jwt").await.is_some(),
        "the cookie is there..."
    );
    let seen = browser
        .client()
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    let seen = seen.as_str().unwrap_or_default().to_owned();
    assert!(
        !seen.contains("access_jwt") && !seen.contains("refresh_jwt"),
        "...but scripts see only {seen:?}"
    );
    assert!(
        !seen.contains("eyJ"),
        "no JWT is visible to scripts: {seen:?}"
    );
    browser.screenshot("document-cookie").await;
    browser.close().await;
}

#[tokio::test]
async fn without_keep_the_access_cookie_dies_with_the_browser() {
    let browser = browser_or_skip!("without_keep_the_access_cookie_dies_with_the_browser");
    let app = helpers::spawn().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, false).await;
    assert_eq!(browser.path().await, "/userinfo");
    let access = browser
        .cookie("access_jwt")
        .await
        .expect("access_jwt is stored");
    assert_locked_down(&access);
    assert_eq!(access.expires(), None, "a session cookie has no expiry");
    assert!(browser.cookie("refresh_jwt").await.is_none());
    browser.screenshot("session-cookie").await;
    browser.close().await;
}

#[tokio::test]
async fn a_wrong_password_shows_the_error_and_keeps_the_user_id() {
    let browser = browser_or_skip!("a_wrong_password_shows_the_error_and_keeps_the_user_id");
    let app = helpers::spawn().await;
    browser
        .login(&app, DEMO_USER, "not-the-password", true)
        .await;
    assert_eq!(browser.path().await, "/login");
    assert_eq!(
        browser.text(".error").await,
        "The user ID or password is not correct."
    );
    let kept = browser
        .client()
        .find(Locator::Css("input[name=userId]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(DEMO_USER));
    assert!(browser.cookie("access_jwt").await.is_none());
    browser.screenshot("wrong-password").await;
    browser.close().await;
}

#[tokio::test]
async fn the_logout_button_returns_to_login_and_removes_both_cookies() {
    let browser = browser_or_skip!("the_logout_button_returns_to_login_and_removes_both_cookies");
    let app = helpers::spawn().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    assert!(browser.cookie("refresh_jwt").await.is_some());
    browser.click_and_wait("[data-action=logout]").await;
    assert_eq!(browser.path().await, "/login?notice=logged-out&lang=en");
    assert_eq!(browser.text(".notice").await, "You have been logged out.");
    assert!(browser.cookie("access_jwt").await.is_none());
    assert!(browser.cookie("refresh_jwt").await.is_none());
    browser.screenshot("logged-out").await;
    browser.close().await;
}

#[tokio::test]
async fn after_the_access_token_expires_a_reload_still_shows_the_user_with_a_new_token() {
    let browser = browser_or_skip!(
        "after_the_access_token_expires_a_reload_still_shows_the_user_with_a_new_token"
    );
    let app = helpers::spawn_with(&[("ACCESS_TOKEN_TTL", "30s")]).await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    let before = browser
        .cookie("access_jwt")
        .await
        .unwrap()
        .value()
        .to_owned();
    app.advance(time::Duration::seconds(31));
    browser.client().refresh().await.unwrap();
    assert_eq!(browser.path().await, "/userinfo");
    assert_eq!(browser.text("[data-field=userId]").await, DEMO_USER);
    let after = browser
        .cookie("access_jwt")
        .await
        .expect("a new access_jwt");
    assert_ne!(
        after.value(),
        before,
        "the browser now holds a new access token"
    );
    assert_locked_down(&after);
    browser
        .client()
        .find(Locator::Css("[data-event=refreshed]"))
        .await
        .expect("the timeline shows the refresh");
    browser.screenshot("refreshed").await;
    browser.close().await;
}

#[tokio::test]
async fn pages_load_their_stylesheet_and_nothing_is_blocked_by_the_csp() {
    let browser = browser_or_skip!("pages_load_their_stylesheet_and_nothing_is_blocked_by_the_csp");
    let app = helpers::spawn().await;
    browser.console().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    let mut messages = Vec::new();
    for path in [
        "/login",
        "/userinfo",
        "/sessions",
        "/password",
        "/how-it-works",
        "/signup",
        "/api",
        "/userinfo?lang=ko",
    ] {
        browser.client().goto(&app.url(path)).await.unwrap();
        let style: Value = browser
            .client()
            .execute(
                "return getComputedStyle(document.querySelector('header.site')).backgroundColor",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            style,
            json!("rgb(29, 35, 48)"),
            "style.css is applied on {path}"
        );
        messages.extend(
            browser
                .console()
                .await
                .into_iter()
                .map(|m| format!("{path}: {m}")),
        );
        let name = path.trim_start_matches('/').replace(['/', '?', '='], "-");
        browser.screenshot(&format!("page-{name}")).await;
    }
    let blocked: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(blocked.is_empty(), "CSP violations: {blocked:#?}");
    browser.close().await;
}

#[tokio::test]
async fn the_demo_expire_button_makes_the_refresh_visible() {
    let browser = browser_or_skip!("the_demo_expire_button_makes_the_refresh_visible");
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    let before = browser
        .cookie("access_jwt")
        .await
        .unwrap()
        .value()
        .to_owned();
    browser.click_and_wait("[data-action=expire-access]").await;
    assert_eq!(browser.path().await, "/userinfo?lesson=refresh");
    for event in [
        "access-expired",
        "refresh-verified",
        "refreshed",
        "refresh-rotated",
    ] {
        let css = format!("[data-event={event}]");
        browser
            .client()
            .find(Locator::Css(&css))
            .await
            .unwrap_or_else(|_| panic!("the timeline shows {event}"));
    }
    let after = browser.cookie("access_jwt").await.unwrap();
    assert_ne!(after.value(), before);
    browser.screenshot("demo-expired-and-refreshed").await;

    browser.click_and_wait("[data-action=replay-refresh]").await;
    // Demo mode lands on the evidence, in a warning's colours, not on the login form.
    assert_eq!(browser.path().await, "/demo/theft");
    browser
        .client()
        .find(Locator::Css(
            "#timeline [data-event=reuse-detected].warning",
        ))
        .await
        .expect("the theft in the request's timeline");
    let card: Value = browser
        .client()
        .execute(
            "return getComputedStyle(document.querySelector('#theft')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    let notice: Value = browser
        .client()
        .execute(
            "const p = document.createElement('p'); p.className = 'notice'; document.body.append(p); return getComputedStyle(p).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(card, notice, "not the colours of a success");
    browser
        .client()
        .find(Locator::Css("#came-back [data-came-back]"))
        .await
        .expect("which token came back");
    assert!(
        browser.cookie("access_jwt").await.is_none()
            && browser.cookie("refresh_jwt").await.is_none()
    );
    browser.screenshot("demo-reuse-detected").await;
    browser.close().await;
}

#[tokio::test]
async fn a_lost_answer_and_the_lineage_picture_as_the_browser_shows_them() {
    let browser =
        browser_or_skip!("a_lost_answer_and_the_lineage_picture_as_the_browser_shows_them");
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    browser.console().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    browser.click_and_wait("[data-action=lose-answer]").await;
    assert_eq!(browser.path().await, "/userinfo?lesson=lose-answer");
    for event in ["branch-dropped", "refreshed", "refresh-rotated"] {
        browser
            .client()
            .find(Locator::Css(&format!("[data-event={event}]")))
            .await
            .unwrap_or_else(|_| panic!("the timeline shows {event}"));
    }
    browser.screenshot("demo-lost-answer").await;

    browser.client().goto(&app.url("/sessions")).await.unwrap();
    let drawn: Value = browser
        .client()
        .execute(
            "return Array.from(document.querySelectorAll('svg.lineage [data-token-state]'))
                .map(g => [g.dataset.tokenState, g.querySelector('circle').getBoundingClientRect().width > 0])",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        drawn,
        json!([["retired", true], ["dropped", true], ["current", true]]),
        "the lineage is drawn, each token visible"
    );
    let fill: Value = browser
        .client()
        .execute(
            "return getComputedStyle(document.querySelector('.lineage-node.dropped circle')).stroke",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        fill,
        json!("rgb(179, 38, 30)"),
        "a dropped token is drawn in red"
    );
    browser.screenshot("sessions-lineage").await;
    let blocked: Vec<String> = browser
        .console()
        .await
        .into_iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(blocked.is_empty(), "CSP violations: {blocked:#?}");
    browser.close().await;
}

/// Waits until `script` returns true in the page (up to 10 s).
async fn wait_for(browser: &Browser, script: &str, what: &str) {
    for _ in 0..200 {
        if let Ok(Value::Bool(true)) = browser.client().execute(script, vec![]).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn attr(browser: &Browser, css: &str, name: &str) -> String {
    browser
        .client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} is on the page"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_default()
}

fn no_csp_violations(messages: Vec<String>) {
    let blocked: Vec<String> = messages
        .into_iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(blocked.is_empty(), "CSP violations: {blocked:#?}");
}

#[tokio::test]
async fn the_same_token_at_two_servers_as_a_learner_sees_it() {
    let browser = browser_or_skip!("the_same_token_at_two_servers_as_a_learner_sees_it");
    let (app, _) = helpers::spawn_eddsa(&[("DEMO_MODE", "true")]).await;
    browser.console().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    browser.click_and_wait("[data-link=two-servers]").await;
    browser.click_and_wait("[data-action=ask-both]").await;
    assert_eq!(
        attr(&browser, "[data-server=app]", "data-status").await,
        "200"
    );
    assert_eq!(
        attr(&browser, "[data-server=verifier]", "data-status").await,
        "200"
    );
    browser.click_and_wait("[data-action=keep-copy]").await;
    assert!(browser.path().await.starts_with("/demo/copy/"));
    browser.click_and_wait("[data-action=logout-victim]").await;
    assert!(browser.cookie("access_jwt").await.is_none(), "logged out");
    browser.click_and_wait("[data-action=ask-copy]").await;
    assert_eq!(
        attr(&browser, "[data-server=app]", "data-status").await,
        "401"
    );
    assert_eq!(
        attr(&browser, "[data-server=verifier]", "data-status").await,
        "200"
    );
    browser.scroll_to("#answers").await;
    browser.screenshot("two-servers").await;
    no_csp_violations(browser.console().await);
    browser.close().await;
}

#[tokio::test]
async fn the_attack_lab_in_a_browser() {
    let browser = browser_or_skip!("the_attack_lab_in_a_browser");
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    browser.console().await;
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    browser.client().goto(&app.url("/lab")).await.unwrap();
    browser
        .client()
        .find(Locator::Css("[data-attack=alg-none] input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click_and_wait("[data-action=attack]").await;
    assert_eq!(
        attr(&browser, "[data-verdict]", "data-verdict").await,
        "refused"
    );
    assert_eq!(
        attr(&browser, "[data-verdict]", "data-rule").await,
        "algorithm"
    );
    browser
        .client()
        .goto(&app.url("/lab#verdict"))
        .await
        .unwrap();
    browser
        .client()
        .find(Locator::Css("[data-attack=tamper-payload] input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click_and_wait("[data-action=attack]").await;
    assert_eq!(
        attr(&browser, "[data-verdict]", "data-rule").await,
        "signature"
    );
    browser.screenshot("lab").await;
    no_csp_violations(browser.console().await);
    browser.close().await;
}

#[tokio::test]
async fn another_site_cannot_read_the_cookies_read_userinfo_or_log_you_out() {
    let browser =
        browser_or_skip!("another_site_cannot_read_the_cookies_read_userinfo_or_log_you_out");
    let app = helpers::spawn_with(&[("DEMO_MODE", "true")]).await;
    let (_, cross_port) = app.demo_ports.unwrap();
    browser.login(&app, DEMO_USER, DEMO_PASSWORD, true).await;
    assert_eq!(browser.path().await, "/userinfo");
    // The app links to its other loopback name: another site, not just another port.
    let link = attr(&browser, "[data-link=cross-site]", "href").await;
    assert!(
        link.starts_with(&format!("http://localhost:{cross_port}/")),
        "{link}"
    );
    browser.console().await;
    browser.client().goto(&link).await.unwrap();
    wait_for(
        &browser,
        "return document.body.getAttribute('data-done') !== null",
        "the other site's attempts",
    )
    .await;
    assert_eq!(attr(&browser, "body", "data-done").await, "yes");
    for attempt in ["read-cookies", "fetch-userinfo", "post-logout"] {
        let outcome = attr(
            &browser,
            &format!("[data-attempt={attempt}]"),
            "data-outcome",
        )
        .await;
        assert_eq!(outcome, "blocked", "{attempt}");
    }
    // What the server saw: the POST came without a cookie and the same-origin check refused
    // it; the fetch came without a cookie (SameSite=Strict) and its answer stayed unreadable.
    let seen: Value = browser
        .client()
        .execute(
            "return Array.from(document.querySelectorAll('[data-seen]')).map(r =>
                Array.from(r.children).map(c => c.textContent))",
            vec![],
        )
        .await
        .unwrap();
    let rows = seen.as_array().unwrap();
    let post = rows
        .iter()
        .find(|r| r[0] == "POST /logout")
        .expect("the POST was seen");
    assert_eq!(
        (post[1].as_str(), post[2].as_str()),
        (Some("no"), Some("403"))
    );
    let get = rows
        .iter()
        .find(|r| r[0] == "GET /userinfo")
        .expect("the fetch was seen");
    assert_eq!(
        (get[1].as_str(), get[2].as_str()),
        (Some("no"), Some("401"))
    );
    // Which defence stopped each: named in the server's report and beside each attempt.
    assert_eq!(post[3].as_str(), Some("same-origin check"));
    assert_eq!(get[3].as_str(), Some("SameSite=Strict"));
    for (attempt, defences) in [
        ("read-cookies", &["HttpOnly"][..]),
        ("fetch-userinfo", &["SameSite=Strict", "CORS"][..]),
        ("post-logout", &["SameSite=Strict", "same-origin check"][..]),
    ] {
        let badges = browser
            .text(&format!("[data-attempt={attempt}] .defence"))
            .await;
        for defence in defences {
            assert!(
                badges.contains(defence),
                "{attempt}: {defence} in {badges:?}"
            );
        }
    }
    browser.scroll_to("[data-attempt=post-logout]").await;
    browser.screenshot("cross-site").await;
    // And the page itself kept to its own strict CSP.
    let console = browser.console().await;
    let blocked: Vec<&String> = console
        .iter()
        .filter(|m| m.contains("Content Security Policy") && !m.contains("frame"))
        .collect();
    assert!(blocked.is_empty(), "{blocked:#?}");
    // Still logged in.
    browser.client().goto(&app.url("/userinfo")).await.unwrap();
    assert_eq!(browser.text("[data-field=userId]").await, DEMO_USER);
    browser.close().await;
}

// After the harness and its macro, which it uses.
mod course_client;
mod phone;
