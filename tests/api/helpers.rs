//! Spawns the real server on port 0 with a fresh database and a clock the test moves.
//!
//! The database is a new SQLite file, or, in the `api_postgres` test binary (the same tests,
//! compiled a second time), a new database in a throwaway PostgreSQL cluster.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::cookie::Cookie;
use jwt_cookie_lab::app::{AppState, Application};
use jwt_cookie_lab::clock::ManualClock;
use jwt_cookie_lab::config::Config;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

// The SQLite test binaries use none of it; the PostgreSQL one uses all of it.
#[allow(dead_code)]
#[path = "pg_cluster.rs"]
pub mod pg_cluster;

/// Whether this test binary runs its tests on PostgreSQL (directly, or through PgBouncer).
pub fn on_postgres() -> bool {
    matches!(env!("CARGO_CRATE_NAME"), "api_postgres" | "api_pgbouncer")
}

/// Whether this test binary reaches PostgreSQL through PgBouncer in transaction mode.
pub fn through_pgbouncer() -> bool {
    env!("CARGO_CRATE_NAME") == "api_pgbouncer"
}

/// Without PostgreSQL the PostgreSQL tests cannot run: outside CI, say so once and end this
/// test binary (every test in it needs PostgreSQL); under `CI=true` that is a failure.
pub fn require_postgres() {
    let pgbouncer_missing = through_pgbouncer()
        && (pg_cluster::pgbouncer_bin().is_none() || std::env::var("TEST_DATABASE_URL").is_ok());
    if pg_cluster::available() && !pgbouncer_missing {
        return;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but PostgreSQL (or pgbouncer) is missing: .ci/run should have installed it"
    );
    eprintln!(
        "SKIPPED: the PostgreSQL tests need PostgreSQL's binaries (apt-get install postgresql) \
         or TEST_DATABASE_URL, and through PgBouncer its binary (apt-get install pgbouncer) \
         and a cluster of their own; not found, so none of them ran."
    );
    std::process::exit(0);
}

/// A fresh database URL for one server (and whatever restarts or second instances share it).
pub async fn fresh_database_url(dir: &TempDir) -> String {
    if on_postgres() {
        require_postgres();
        let direct = pg_cluster::shared().create_database().await;
        if through_pgbouncer() {
            let database = direct.rsplit('/').next().unwrap_or_default();
            pg_cluster::shared_bouncer().url(database)
        } else {
            direct
        }
    } else {
        format!("sqlite://{}", dir.path().join("app.db").display())
    }
}

pub const ACCESS_SECRET: &str = "test-access-secret-0123456789-abcdefghijklmnop";
pub const REFRESH_SECRET: &str = "test-refresh-secret-0123456789-abcdefghijklmnop";
pub const DEMO_USER: &str = "kimcoding";
pub const DEMO_PASSWORD: &str = "1234";

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the metrics server, when `METRICS_ADDR` was set.
    pub metrics_address: Option<String>,
    /// Demo mode: the ports of the stateless verifier and of the other site.
    pub demo_ports: Option<(u16, u16)>,
    /// Demo mode: the port of the course-style client (same site, another origin).
    pub client_port: Option<u16>,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    pub state: actix_web::web::Data<AppState>,
    pub settings: Vec<(String, String)>,
    /// Stops the server as a signal would (see [`TestApp::stop`]).
    pub server: actix_web::dev::ServerHandle,
    /// The server's task: it ends once the server has stopped and written what was left.
    pub running: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>>,
    // Dropped last: the database lives here.
    pub dir: Arc<TempDir>,
}

/// A server with the default settings.
pub async fn spawn() -> TestApp {
    spawn_with(&[]).await
}

/// An Ed25519 private key, and the PEM file it was written to.
pub struct EdKey {
    pub key: ed25519_dalek::SigningKey,
    pub file: String,
}

/// Makes a new Ed25519 key and writes it, PKCS#8 PEM, into `dir` as `name`.
pub fn ed25519_key(dir: &std::path::Path, name: &str) -> EdKey {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let path = dir.join(name);
    std::fs::write(&path, key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    EdKey {
        key,
        file: path.to_string_lossy().into_owned(),
    }
}

/// A server signing access tokens with EdDSA, with a key of its own (returned).
pub async fn spawn_eddsa(overrides: &[(&str, &str)]) -> (TestApp, EdKey) {
    let dir = Arc::new(tempfile::tempdir().expect("a temp dir"));
    let key = ed25519_key(dir.path(), "access.pem");
    let url = fresh_database_url(&dir).await;
    let mut settings: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", url.as_str()),
        ("TOKEN_ALG", "EdDSA"),
        ("ACCESS_KEY_FILE", key.file.as_str()),
    ];
    settings.extend_from_slice(overrides);
    let app = start(dir, ManualClock::starting_now(), &settings).await;
    (app, key)
}

/// A server with some settings changed, e.g. `[("ACCESS_TOKEN_TTL", "30s")]`.
pub async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("a temp dir"));
    let url = fresh_database_url(&dir).await;
    let mut settings: Vec<(&str, &str)> = vec![("DATABASE_URL", url.as_str())];
    settings.extend_from_slice(overrides);
    start(dir, ManualClock::starting_now(), &settings).await
}

pub async fn start(
    dir: Arc<TempDir>,
    clock: Arc<ManualClock>,
    overrides: &[(&str, &str)],
) -> TestApp {
    let db = dir.path().join("app.db");
    let mut settings: Vec<(String, String)> = vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("DATABASE_URL".into(), format!("sqlite://{}", db.display())),
        ("ACCESS_SECRET".into(), ACCESS_SECRET.into()),
        ("REFRESH_SECRET".into(), REFRESH_SECRET.into()),
        // Demo mode's extra servers on free ports, so tests can run side by side.
        ("DEMO_VERIFIER_PORT".into(), "0".into()),
        ("DEMO_CROSS_SITE_PORT".into(), "0".into()),
        ("DEMO_CLIENT_PORT".into(), "0".into()),
    ];
    for (k, v) in overrides {
        settings.retain(|(name, _)| name != k);
        settings.push((k.to_string(), v.to_string()));
    }
    through_the_pooler(&mut settings);
    let map: HashMap<String, String> = settings.iter().cloned().collect();
    let config = Config::from_lookup(|name| map.get(name).cloned()).expect("valid test settings");
    let app = Application::build(config, clock.clone())
        .await
        .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let state = app.state();
    let demo_ports = app.demo_ports();
    let client_port = app.client_port();
    let server = app.handle();
    let running = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    TestApp {
        address,
        metrics_address,
        demo_ports,
        client_port,
        clock,
        client,
        state,
        settings,
        server,
        running: Arc::new(tokio::sync::Mutex::new(Some(running))),
        dir,
    }
}

/// A database URL through the test's PgBouncer gets what the app needs beside it: the pooler
/// named, and PostgreSQL itself for migrations and `LISTEN`.
fn through_the_pooler(settings: &mut Vec<(String, String)>) {
    if !through_pgbouncer() {
        return;
    }
    let bouncer = format!("127.0.0.1:{}/", pg_cluster::shared_bouncer().port);
    let Some(url) = settings
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .map(|(_, v)| v.clone())
        .filter(|url| url.contains(&bouncer))
    else {
        return;
    };
    let direct = url.replace(
        &bouncer,
        &format!("127.0.0.1:{}/", pg_cluster::shared().port),
    );
    for (name, value) in [
        ("DATABASE_POOLER", "transaction".to_owned()),
        ("DATABASE_LISTEN_URL", direct),
    ] {
        if !settings.iter().any(|(k, _)| k == name) {
            settings.push((name.to_owned(), value));
        }
    }
}

impl TestApp {
    /// A second server on the same database and clock, as after a restart (or, while this
    /// one still runs, a second instance).
    pub async fn restart(&self) -> TestApp {
        let overrides: Vec<(&str, &str)> = self
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        start(self.dir.clone(), self.clock.clone(), &overrides).await
    }

    /// Stops the server gracefully, as SIGTERM does, and waits until it has finished.
    pub async fn stop(&self) {
        self.server.stop(true).await;
        if let Some(running) = self.running.lock().await.take() {
            running.await.expect("the server task").expect("the server");
        }
    }

    /// One integer from the database (whichever backend), e.g. a `COUNT(*)`; text binds.
    pub async fn sql_i64(&self, sql: &str, binds: &[&str]) -> Option<i64> {
        jwt_cookie_lab::on_db!(&self.state.db, pool => {
            let mut query = sqlx::query_scalar::<_, Option<i64>>(sql);
            for b in binds {
                query = query.bind(*b);
            }
            query.fetch_optional(pool).await.expect("a query").flatten()
        })
    }

    /// One text value from the database; text binds.
    pub async fn sql_text(&self, sql: &str, binds: &[&str]) -> Option<String> {
        jwt_cookie_lab::on_db!(&self.state.db, pool => {
            let mut query = sqlx::query_scalar::<_, Option<String>>(sql);
            for b in binds {
                query = query.bind(*b);
            }
            query.fetch_optional(pool).await.expect("a query").flatten()
        })
    }

    /// Runs a statement; text binds.
    pub async fn sql_exec(&self, sql: &str, binds: &[&str]) {
        jwt_cookie_lab::on_db!(&self.state.db, pool => {
            let mut query = sqlx::query(sql);
            for b in binds {
                query = query.bind(*b);
            }
            query.execute(pool).await.expect("a statement");
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn clock_now(&self) -> i64 {
        use jwt_cookie_lab::clock::Clock;
        self.clock.now()
    }

    pub fn advance(&self, by: time::Duration) {
        self.clock.advance(by);
    }

    /// The course's JSON login.
    pub async fn login_json(&self, user: &str, password: &str, keep: bool) -> Response {
        self.client
            .post(self.url("/login"))
            .json(&json!({ "loginInfo": { "userId": user, "password": password }, "checkedKeepLogin": keep }))
            .send()
            .await
            .expect("login request")
    }

    /// The HTML form's login, as a browser sends it.
    pub async fn login_form(&self, user: &str, password: &str, keep: bool) -> Response {
        let mut form = vec![("userId", user), ("password", password)];
        if keep {
            form.push(("checkedKeepLogin", "on"));
        }
        self.client
            .post(self.url("/login"))
            .header(header::ACCEPT, "text/html")
            .form(&form)
            .send()
            .await
            .expect("form login request")
    }

    /// Logs the demo user in and returns the cookies the server set.
    pub async fn logged_in(&self, keep: bool) -> Jar {
        self.logged_in_as(DEMO_USER, DEMO_PASSWORD, keep, "test-client")
            .await
    }

    /// Logs a user in from a browser with the given User-Agent; returns its cookies.
    pub async fn logged_in_as(&self, user: &str, password: &str, keep: bool, agent: &str) -> Jar {
        let response = self
            .client
            .post(self.url("/login"))
            .header(header::USER_AGENT, agent)
            .json(&json!({ "loginInfo": { "userId": user, "password": password }, "checkedKeepLogin": keep }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::FOUND, "login of {user}");
        let mut jar = Jar::default();
        jar.take(&response);
        jar
    }

    /// Logs the demo user in again from the browser `jar` is (its other cookies, such as demo
    /// mode's learner id, go along), and keeps the new cookies in it.
    pub async fn log_in_again(&self, jar: &mut Jar, keep: bool) {
        let response = self
            .client
            .post(self.url("/login"))
            .headers(jar.headers())
            .json(&json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD }, "checkedKeepLogin": keep }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::FOUND, "login again");
        jar.take(&response);
    }

    /// Adds a user straight to the database.
    pub async fn add_user(&self, user_id: &str, password: &str) {
        let hash = self
            .state
            .passwords
            .hash(password.to_owned().into())
            .await
            .expect("a hash");
        let new = jwt_cookie_lab::store::users::NewUser {
            user_id,
            password_hash: &hash,
            email: "someone@example.com",
            name: user_id,
            position: "",
            location: "",
            bio: "",
            expires_at: None,
        };
        jwt_cookie_lab::store::users::insert(&self.state.db, &new, 0)
            .await
            .expect("insert")
            .expect("a new user");
    }

    /// `POST path` with a JSON body and the jar's cookies.
    pub async fn post_json(&self, path: &str, jar: &Jar, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .headers(jar.headers())
            .json(body)
            .send()
            .await
            .expect("POST request")
    }

    /// Rows of `refresh_tokens` still current (never used) for the session of `jar`.
    pub async fn current_refresh_tokens(&self, jar: &Jar) -> i64 {
        let sid = claims(
            jar.get("access_jwt")
                .or(jar.get("refresh_jwt"))
                .expect("a token"),
        )["sid"]
            .as_str()
            .expect("a sid")
            .to_owned();
        self.state
            .sessions
            .current_refresh_count(&sid)
            .await
            .expect("count")
    }

    /// `GET path` with the jar's cookies, as JSON client (`html: false`) or browser.
    pub async fn get(&self, path: &str, jar: &Jar, html: bool) -> Response {
        let mut request = self.client.get(self.url(path)).headers(jar.headers());
        if html {
            request = request.header(header::ACCEPT, "text/html");
        }
        request.send().await.expect("GET request")
    }

    pub async fn post(&self, path: &str, jar: &Jar, html: bool) -> Response {
        let mut request = self.client.post(self.url(path)).headers(jar.headers());
        if html {
            request = request.header(header::ACCEPT, "text/html");
        }
        request.send().await.expect("POST request")
    }

    /// The body of `GET path` with no cookies, as text.
    pub async fn text(&self, path: &str) -> String {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("GET request");
        response.text().await.expect("a text body")
    }

    pub async fn userinfo(&self, jar: &Jar) -> Response {
        self.get("/userinfo", jar, false).await
    }

    /// Asks `/userinfo` with `jar` every 2 ms, running `before_each` before each request, until
    /// it is refused (401), and returns how long after `since` that was. Fails once `within` has
    /// passed: `what` says what was still being served.
    pub async fn userinfo_until_refused(
        &self,
        jar: &Jar,
        since: std::time::Instant,
        within: std::time::Duration,
        what: &str,
        before_each: impl Fn(),
    ) -> std::time::Duration {
        loop {
            before_each();
            if self.userinfo(jar).await.status() == StatusCode::UNAUTHORIZED {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < within,
                "{what}: still served {:?} after",
                since.elapsed()
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// The value this server was started with for setting `name` (e.g. `DATABASE_URL`).
    pub fn setting(&self, name: &str) -> &str {
        self.settings
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name} was not set"))
    }

    /// Changes the demo user's password (the current one is `DEMO_PASSWORD`) from `jar`'s
    /// session.
    pub async fn change_password(&self, jar: &Jar, new_password: &str) -> Response {
        self.post_json(
            "/password",
            jar,
            &serde_json::json!({ "currentPassword": DEMO_PASSWORD, "newPassword": new_password }),
        )
        .await
    }

    /// The exposition text of the metrics address (the app must run with `METRICS_ADDR`).
    pub async fn metrics(&self) -> String {
        let address = self.metrics_address.as_ref().expect("metrics are on");
        let response = self
            .client
            .get(format!("{address}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.text().await.unwrap()
    }
}

/// The session id a jar's tokens name.
pub fn sid(jar: &Jar) -> String {
    claims(jar.get("access_jwt").or(jar.get("refresh_jwt")).unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The settings that turn metrics on, on a free loopback port.
pub const WITH_METRICS: (&str, &str) = ("METRICS_ADDR", "127.0.0.1:0");

/// The value of one series in an exposition text, e.g. `jwt_lab_logins_total{outcome="ok"}`
/// (0 when it is absent).
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// The cookies a response set, parsed, by name.
pub fn set_cookies(response: &Response) -> HashMap<String, Cookie<'static>> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| Cookie::parse(v.to_owned()).ok())
        .map(|c| (c.name().to_owned(), c))
        .collect()
}

/// A tiny cookie jar that keeps what the server set, like a browser would for our cookies.
#[derive(Default, Clone, Debug)]
pub struct Jar {
    pub cookies: HashMap<String, String>,
}

impl Jar {
    /// Applies a response's Set-Cookie headers: new values replace, expired ones delete.
    pub fn take(&mut self, response: &Response) {
        for (name, cookie) in set_cookies(response) {
            let expired = cookie
                .max_age()
                .is_some_and(|age| age.is_zero() || age.is_negative());
            if expired || cookie.value().is_empty() {
                self.cookies.remove(&name);
            } else {
                self.cookies.insert(name, cookie.value().to_owned());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.cookies.insert(name.into(), value.into());
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.cookies.remove(name);
        self
    }

    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if !self.cookies.is_empty() {
            let line: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&line.join("; ")).expect("a cookie header"),
            );
        }
        headers
    }
}

/// The page at `path` for a browser holding `jar`, which must answer 200.
pub async fn page(app: &TestApp, path: &str, jar: &Jar) -> String {
    let response = app.get(path, jar, true).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("a page")
}

/// The `data-event` names of a page's timeline, in order.
pub fn timeline(html: &str) -> Vec<String> {
    html.split("data-event=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

pub async fn body_json(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// The claims of a token, read the way anyone can: Base64URL is not encryption.
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}
