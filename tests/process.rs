//! Tests that need the real server binary as its own process: killed with SIGKILL in the middle
//! of a mixed load and restarted on the same database; and held under many connections, some of
//! them never finishing their request. They use real time (a separate process has no test
//! clock), short token lifetimes, and stop by themselves in well under a minute.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use helpers::{ACCESS_SECRET, Jar, REFRESH_SECRET};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// The two tests load the machine; one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Server {
    child: Child,
    port: u16,
    stderr: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary on `port` with `db` and waits until `/healthz` answers.
async fn start(dir: &std::path::Path, port: u16, extra: &[(&str, &str)]) -> Server {
    let stderr = dir.join(format!("server-{}.log", uuid::Uuid::new_v4().simple()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"));
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("app.db").display()),
        )
        .env("ACCESS_SECRET", ACCESS_SECRET)
        .env("REFRESH_SECRET", REFRESH_SECRET)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    for (k, v) in extra {
        command.env(k, v);
    }
    let server = Server {
        child: command.spawn().expect("the server binary starts"),
        port,
        stderr,
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(server.url("/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return server;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn kill(&mut self) {
        // SIGKILL: no shutdown, no flush, nothing the process can do about it.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// What every client saw, for the checks at the end.
#[derive(Default)]
struct Tally {
    server_errors: AtomicU64,
    connection_errors: AtomicU64,
    refreshes: AtomicU64,
    refreshes_after_restart: AtomicU64,
    logouts: AtomicU64,
    revocations: AtomicU64,
}

/// One simulated user with two devices (two sessions) doing what people do, over and over.
struct Person {
    user: String,
    phone: Jar,
    laptop: Jar,
    /// Cookies of sessions whose logout or revocation was answered: refused forever after.
    ended: Vec<Jar>,
    /// Devices whose session a request without an answer (the crash) may have ended: for
    /// them a 401 is the truth, not a failure, and they log in again.
    uncertain: [bool; 2],
}

/// Sends one request; `None` when the server could not be reached (it is down).
async fn send(request: reqwest::RequestBuilder, tally: &Tally) -> Option<reqwest::Response> {
    match request.send().await {
        Ok(response) => {
            if response.status().is_server_error() {
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
            }
            Some(response)
        }
        Err(_) => {
            tally.connection_errors.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

async fn login(http: &reqwest::Client, base: &str, user: &str, tally: &Tally) -> Option<Jar> {
    let body = json!({ "loginInfo": { "userId": user, "password": "a shared fine passphrase" },
        "checkedKeepLogin": true });
    let response = send(http.post(format!("{base}/login")).json(&body), tally).await?;
    if response.status() != StatusCode::FOUND {
        return None;
    }
    let mut jar = Jar::default();
    jar.take(&response);
    Some(jar)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_session_and_no_logout() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = [
        ("ACCESS_TOKEN_TTL", "1s"),
        ("REFRESH_REUSE_GRACE", "300ms"),
        ("RUST_LOG", "info"),
    ];
    let mut server = start(dir.path(), port, &settings).await;
    let base = server.url("");
    let http = client();

    let mut people = Vec::new();
    for i in 0..8 {
        let user = format!("person{i}");
        let body = json!({ "userId": user, "password": "a shared fine passphrase",
            "email": format!("{user}@example.com"), "name": user });
        let response = http
            .post(format!("{base}/signup"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let tally = Tally::default();
        let phone = login(&http, &base, &user, &tally).await.unwrap();
        let laptop = login(&http, &base, &user, &tally).await.unwrap();
        people.push(Person {
            user,
            phone,
            laptop,
            ended: Vec::new(),
            uncertain: [false; 2],
        });
    }

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (n, mut person) in people.into_iter().enumerate() {
        let (tally, stop, restarted, http, base) = (
            tally.clone(),
            stop.clone(),
            restarted.clone(),
            http.clone(),
            base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut step = n;
            while !stop.load(Ordering::Relaxed) {
                step += 1;
                let on_phone = step % 2 == 0;
                let jar = if on_phone {
                    person.phone.clone()
                } else {
                    person.laptop.clone()
                };
                match step % 10 {
                    // Log out, then log in again on that device.
                    7 => {
                        let request = http.post(format!("{base}/logout")).headers(jar.headers());
                        let answer = send(request, &tally).await;
                        if answer.is_none() {
                            person.uncertain[on_phone as usize] = true;
                        }
                        if let Some(r) = answer
                            && r.status() == StatusCode::RESET_CONTENT
                        {
                            tally.logouts.fetch_add(1, Ordering::Relaxed);
                            person.ended.push(jar);
                            if let Some(fresh) = login(&http, &base, &person.user, &tally).await {
                                *(if on_phone {
                                    &mut person.phone
                                } else {
                                    &mut person.laptop
                                }) = fresh;
                            } else {
                                // Down right now: this device is logged out until it can log in.
                                *(if on_phone {
                                    &mut person.phone
                                } else {
                                    &mut person.laptop
                                }) = Jar::default();
                            }
                        }
                    }
                    // Log out everywhere else: the other device's session ends.
                    9 => {
                        let request = http
                            .post(format!("{base}/sessions/revoke-others"))
                            .headers(jar.headers());
                        let answer = send(request, &tally).await;
                        if answer.is_none() {
                            person.uncertain[!on_phone as usize] = true;
                        }
                        if let Some(r) = answer
                            && r.status() == StatusCode::OK
                        {
                            tally.revocations.fetch_add(1, Ordering::Relaxed);
                            let other = if on_phone {
                                &mut person.laptop
                            } else {
                                &mut person.phone
                            };
                            person.ended.push(other.clone());
                            *other = login(&http, &base, &person.user, &tally)
                                .await
                                .unwrap_or_default();
                        }
                    }
                    _ => {
                        let request = http.get(format!("{base}/userinfo")).headers(jar.headers());
                        if let Some(r) = send(request, &tally).await {
                            let renewed = helpers::set_cookies(&r).contains_key("access_jwt");
                            if renewed {
                                tally.refreshes.fetch_add(1, Ordering::Relaxed);
                                if restarted.load(Ordering::Relaxed) {
                                    tally
                                        .refreshes_after_restart
                                        .fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            let uncertain = person.uncertain[on_phone as usize];
                            let device = if on_phone {
                                &mut person.phone
                            } else {
                                &mut person.laptop
                            };
                            match r.status() {
                                StatusCode::OK => {
                                    device.take(&r);
                                    person.uncertain[on_phone as usize] = false;
                                }
                                StatusCode::UNAUTHORIZED
                                    if device.cookies.is_empty() || uncertain =>
                                {
                                    person.uncertain[on_phone as usize] = false;
                                    *device = login(&http, &base, &person.user, &tally)
                                        .await
                                        .unwrap_or_default();
                                }
                                status => {
                                    panic!("{}: a live session was refused ({status})", person.user)
                                }
                            }
                        } else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
            person
        }));
    }

    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill();
    let before = server.log();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = start(dir.path(), port, &settings).await;
    restarted.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut people = Vec::new();
    for task in tasks {
        people.push(task.await.expect("no client panicked"));
    }

    eprintln!(
        "crash test: {} refreshes ({} after the restart), {} logouts, {} revocations, \
         {} requests failed while the server was down",
        tally.refreshes.load(Ordering::Relaxed),
        tally.refreshes_after_restart.load(Ordering::Relaxed),
        tally.logouts.load(Ordering::Relaxed),
        tally.revocations.load(Ordering::Relaxed),
        tally.connection_errors.load(Ordering::Relaxed),
    );
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0, "no 5xx");
    assert!(
        tally.connection_errors.load(Ordering::Relaxed) > 0,
        "the kill happened under load"
    );
    assert!(tally.refreshes_after_restart.load(Ordering::Relaxed) > 0);
    assert!(tally.logouts.load(Ordering::Relaxed) > 0);
    assert!(tally.revocations.load(Ordering::Relaxed) > 0);

    let check = client();
    for person in &people {
        // Every device goes on with the cookies it last received.
        for (device, uncertain) in [
            (&person.laptop, person.uncertain[0]),
            (&person.phone, person.uncertain[1]),
        ] {
            if device.cookies.is_empty() || uncertain {
                continue;
            }
            let r = check
                .get(server.url("/userinfo"))
                .headers(device.headers())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{} goes on", person.user);
        }
        // Every answered logout and revocation stays in force.
        for jar in &person.ended {
            for only in [
                jar.clone().without("refresh_jwt"),
                jar.clone().without("access_jwt"),
            ] {
                let r = check
                    .get(server.url("/userinfo"))
                    .headers(only.headers())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", person.user);
            }
        }
    }

    // No session ever has two current (or two pending) refresh tokens.
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let doubled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT session_id FROM refresh_lineage \
         WHERE state IN ('current', 'pending') GROUP BY session_id, state HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(doubled, 0);

    // A lost answer is not theft: no security event was logged, before or after the crash.
    // (The logs were really written: they hold the logins.)
    // Nor does the readable log hold a token: no JWT part (a JSON header or payload in
    // base64url starts `eyJ`), no token and no session id any client holds.
    let held: Vec<String> = people
        .iter()
        .flat_map(|p| p.ended.iter().chain([&p.laptop, &p.phone]))
        .flat_map(|jar| jar.cookies.values())
        .flat_map(|token| {
            let sid = token
                .split('.')
                .nth(1)
                .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
                .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
                .and_then(|c| c["sid"].as_str().map(str::to_owned));
            [Some(token.clone()), sid].into_iter().flatten()
        })
        .collect();
    assert!(held.len() > 20, "tokens to look for");
    for log in [before, server.log()] {
        assert!(log.contains("event=\"login\""), "no log was written");
        assert!(
            !log.contains("refresh_reuse"),
            "a false theft alarm:\n{log}"
        );
        assert!(!log.contains("eyJ"), "a token part in the log:\n{log}");
        for secret in &held {
            assert!(
                !log.contains(secret.as_str()),
                "a token or session id in the log"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_readers_a_login_flood_and_half_open_connections() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), free_port(), &[]).await;
    let http = client();
    let login_body = json!({ "loginInfo": { "userId": "kimcoding", "password": "1234" } });
    let response = http
        .post(server.url("/login"))
        .json(&login_body)
        .send()
        .await
        .unwrap();
    let mut jar = Jar::default();
    jar.take(&response);

    // 800 connections that start a request and never finish its headers.
    let mut half_open = Vec::new();
    for _ in 0..800 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        half_open.push(stream);
    }
    let started = Instant::now();
    let healthz = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), StatusCode::OK);
    let login = http
        .post(server.url("/login"))
        .json(&login_body)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FOUND);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "half-open connections slowed others down: {:?}",
        started.elapsed()
    );

    // 400 connections reading /userinfo while 64 clients log in.
    let readers = reqwest::Client::builder()
        .pool_max_idle_per_host(400)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let logins_done = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<std::sync::Mutex<HashMap<String, u64>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..400 {
        let (readers, url, headers, done, outcomes) = (
            readers.clone(),
            server.url("/userinfo"),
            jar.headers(),
            logins_done.clone(),
            outcomes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let outcome = match readers.get(&url).headers(headers.clone()).send().await {
                    Ok(r) => {
                        let status = r.status();
                        let _ = r.bytes().await;
                        status.as_u16().to_string()
                    }
                    Err(e) if e.is_timeout() => "timeout".to_owned(),
                    Err(e) => format!("error: {e}"),
                };
                *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
                if done.load(Ordering::Relaxed) {
                    break;
                }
            }
        }));
    }
    let mut logins = Vec::new();
    for _ in 0..64 {
        let (http, url, body, outcomes) = (
            client(),
            server.url("/login"),
            login_body.clone(),
            outcomes.clone(),
        );
        logins.push(tokio::spawn(async move {
            for _ in 0..2 {
                let outcome = match http.post(&url).json(&body).send().await {
                    Ok(r) => format!("login {}", r.status().as_u16()),
                    Err(e) if e.is_timeout() => "login timeout".to_owned(),
                    Err(e) => format!("login error: {e}"),
                };
                *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
            }
        }));
    }
    for login in logins {
        login.await.unwrap();
    }
    logins_done.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let outcomes = outcomes.lock().unwrap().clone();
    let unexpected: Vec<_> = outcomes
        .iter()
        .filter(|(k, _)| k.as_str() != "200" && k.as_str() != "login 302")
        .collect();
    assert!(unexpected.is_empty(), "{outcomes:?}");
    assert_eq!(outcomes.get("login 302"), Some(&128));
    assert!(outcomes.get("200").copied().unwrap_or(0) >= 400);

    // The half-open connections are let go after the request-head timeout (5 s).
    let mut stream = half_open.pop().unwrap();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(
        Duration::from_secs(8),
        tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
    )
    .await;
    match read {
        Ok(Ok(n)) => {
            let answer = String::from_utf8_lossy(&buf[..n]);
            assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
        Ok(Err(_)) => {}
        Err(_) => panic!("a half-open connection was still held after 8 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_and_never_hold_a_token() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
        ("REFRESH_REUSE_GRACE", "1ms"),
    ];
    let server = start(dir.path(), free_port(), &settings).await;
    let http = client();
    let body = json!({ "loginInfo": { "userId": "kimcoding", "password": "1234" }, "checkedKeepLogin": true });
    let response = http
        .post(server.url("/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let mut jar = Jar::default();
    jar.take(&response);
    let mut secrets: Vec<String> = jar.cookies.values().cloned().collect();
    let sid = helpers::claims(jar.get("access_jwt").unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = json!({ "loginInfo": { "userId": "kimcoding", "password": "nope" } });
    http.post(server.url("/login"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    // A refresh (no access token sent), then the child in use, then the old token again: theft.
    let stolen = jar.clone().without("access_jwt");
    let response = http
        .get(server.url("/userinfo"))
        .headers(stolen.headers())
        .send()
        .await
        .unwrap();
    jar.take(&response);
    secrets.extend(jar.cookies.values().cloned());
    let used = http
        .get(server.url("/userinfo"))
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let theft = http
        .get(server.url("/userinfo"))
        .headers(stolen.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(theft.status(), StatusCode::UNAUTHORIZED);
    http.post(server.url("/logout"))
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let log = server.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let access: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "jwt_cookie_lab::access")
        .collect();
    assert!(access.len() >= 6, "one line per request: {log}");
    for line in &access {
        for field in ["request_id", "route", "status", "latency_ms", "method"] {
            assert!(!line[field].is_null(), "{field} missing: {line}");
        }
    }
    let logged_in = access
        .iter()
        .find(|l| l["route"] == "/userinfo" && l["status"] == 200)
        .expect("a served /userinfo");
    assert_eq!(logged_in["user"], "kimcoding");
    let tag = logged_in["session"].as_str().unwrap();
    assert!(
        tag.len() == 12 && tag.chars().all(|c| c.is_ascii_hexdigit()),
        "{tag}"
    );
    assert!(lines.iter().any(|l| l["event"] == "login_failed"));
    let security = lines
        .iter()
        .find(|l| l["event"] == "refresh_reuse")
        .expect("the theft is a security event");
    assert_eq!(security["level"], "WARN");
    assert_eq!(security["user"], "kimcoding");
    assert_eq!(
        security["session"], tag,
        "the same keyed hash names the session"
    );
    // Never a token, never a session id.
    for secret in secrets.iter().chain([&sid]) {
        assert!(!log.contains(secret.as_str()), "the log holds a secret");
    }
    for token_part in secrets.iter().flat_map(|t| t.split('.')) {
        assert!(
            token_part.len() < 20 || !log.contains(token_part),
            "a piece of a token leaked"
        );
    }
}

/// SIGTERM, as a service manager sends it: the "last seen" times noted in memory are written
/// before the process exits, though the interval would not have come for a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_writes_the_last_seen_times_noted_before_exiting() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(
        dir.path(),
        free_port(),
        &[("SESSION_ACTIVITY_INTERVAL", "1m")],
    )
    .await;
    let http = client();
    let body = json!({ "loginInfo": { "userId": "kimcoding", "password": "1234" } });
    let response = http
        .post(server.url("/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let mut jar = Jar::default();
    jar.take(&response);
    let sid = helpers::claims(jar.get("access_jwt").unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    // As if the session had last been seen an hour ago: this request notes it.
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3600 WHERE id = $1")
        .bind(&sid)
        .execute(&mut conn)
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE id = $1")
        .bind(&sid)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let seen = http
        .get(server.url("/userinfo"))
        .headers(jar.headers())
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), StatusCode::OK);

    // SAFETY: signalling our own child.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}: {}", server.log());
    let after: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE id = $1")
        .bind(&sid)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(after >= before + 3600, "last seen {after}, was {before}");
}
