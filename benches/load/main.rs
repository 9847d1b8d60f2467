//! The load benchmark: `cargo bench --bench load`.
//!
//! Starts the release server (metrics on, as an operator would run it) on free ports and
//! measures, in one run, so that every ratio compares figures taken minutes apart on the same
//! machine:
//!
//! - `/userinfo` JSON and HTML with a valid access cookie against the same binary's `/healthz`,
//!   in interleaved rounds (healthz, JSON, HTML, JSON of a kept session, healthz, …), reporting
//!   the median of each round's ratio; a kept session ("keep me logged in") brings its refresh
//!   cookie too and goes through the lineage check; the same with metrics off, and for EdDSA;
//! - logins per second against the argon2 limit, `/userinfo` latency at rest and during a
//!   64-client login flood, the refresh path with rotation (against `/healthz` again);
//! - PostgreSQL with two instances: the `/userinfo` ratio, refreshes/s, logins, and how long
//!   after a logout on one instance the other refuses the token (p50/p99 over 200 logouts);
//! - instructions per request under callgrind (when valgrind is installed): a count that does
//!   not depend on what else the machine is doing;
//! - start-up time, idle memory, and peak memory of every server process.
//!
//! `wrk` does the heavy load (installed with apt-get when missing); small paced clients
//! measure latency. It prints one table with the goals beside the figures. It is not a test:
//! nothing here runs under `cargo test`, and nothing here fails a build.

mod people;
#[allow(dead_code)]
#[path = "../../tests/api/pg_cluster.rs"]
mod pg_cluster;
mod plot;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCESS_SECRET: &str = "bench-access-secret-0123456789-abcdefghijklmn";
const REFRESH_SECRET: &str = "bench-refresh-secret-0123456789-abcdefghijklmn";
const LOGIN_BODY: &str =
    r#"{"loginInfo":{"userId":"kimcoding","password":"1234"},"checkedKeepLogin":false}"#;
/// Length of one `wrk` phase of an interleaved round, and how many rounds.
const ROUND: &str = "5s";
const ROUNDS: usize = 3;
/// Length of the longer single phases (logins, refreshes).
const PHASE: &str = "10s";
/// Requests per kind counted under callgrind.
const COUNTED: usize = 1000;
/// Logouts whose cross-instance refusal is timed.
const LOGOUTS: usize = 200;

struct Server {
    child: Child,
    port: u16,
    metrics_port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first: a server under callgrind writes its last counts on the way out.
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn peak_mib(&self) -> f64 {
        self.status_kib("VmHWM:") as f64 / 1024.0
    }

    /// Checks that metrics are on and being recorded.
    async fn assert_metrics_on(&self) {
        let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .await
            .expect("the metrics listener answers")
            .text()
            .await
            .unwrap();
        assert!(
            text.contains("jwt_lab_http_request_duration_seconds"),
            "metrics are recorded"
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How a server is started: its database, extra settings, and an optional wrapper (callgrind).
#[derive(Default)]
struct Launch<'a> {
    database_url: Option<String>,
    settings: &'a [(&'a str, &'a str)],
    wrapper: Vec<String>,
    /// No `METRICS_ADDR`: the baseline that shows what metrics cost.
    metrics_off: bool,
}

/// Starts the server and returns it with the time until `/healthz` answered 200.
async fn start(launch: Launch<'_>) -> (Server, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let metrics_port = free_port();
    let database_url = launch
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let binary = env!("CARGO_BIN_EXE_jwt-cookie-lab");
    let mut command = match launch.wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    command.env_clear();
    if !launch.metrics_off {
        command.env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"));
    }
    command
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("ACCESS_SECRET", ACCESS_SECRET)
        .env("REFRESH_SECRET", REFRESH_SECRET)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in launch.settings {
        command.env(k, v);
    }
    let patience = if launch.wrapper.is_empty() {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(180)
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    let child = command.spawn().expect("the server starts");
    let server = Server {
        child,
        port,
        metrics_port,
        _dir: dir,
    };
    loop {
        if let Ok(r) = client.get(server.url("/healthz")).send().await
            && r.status() == 200
        {
            return (server, started.elapsed());
        }
        assert!(
            started.elapsed() < patience,
            "the server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[derive(Default, Debug, Clone)]
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    bad: u64,
}

fn millis(text: &str) -> f64 {
    let (number, unit) = text.split_at(
        text.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len()),
    );
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

fn wrk(
    connections: u32,
    length: &str,
    url: &str,
    headers: &[String],
    script: Option<&Path>,
) -> Wrk {
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{length}"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    for h in headers {
        command.args(["-H", h]);
    }
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let out = command.arg(url).output().expect("wrk runs");
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// What `wrk --latency` printed: requests per second, p50 and p99, and failures.
fn parse_wrk(text: &str) -> Wrk {
    let mut result = Wrk::default();
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(v)) => result.rps = v.parse().unwrap_or(0.0),
            (Some("50%"), Some(v)) => result.p50_ms = millis(v),
            (Some("99%"), Some(v)) => result.p99_ms = millis(v),
            (Some("Non-2xx"), _) => {
                result.bad += line
                    .rsplit(' ')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            }
            (Some("Socket"), _) => {
                result.bad += line
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|n| n.parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    result
}

/// One kind of request `wrk` sends in the interleaved rounds.
struct Target {
    url: String,
    headers: Vec<String>,
}

/// `ROUNDS` rounds, each running every target once in order: `[round][target]`.
fn interleaved(targets: &[Target]) -> Vec<Vec<Wrk>> {
    // Warm-up: connections, caches and allocator arenas, not measured.
    for t in targets {
        wrk(32, "1s", &t.url, &t.headers, None);
    }
    (0..ROUNDS)
        .map(|_| {
            targets
                .iter()
                .map(|t| wrk(32, ROUND, &t.url, &t.headers, None))
                .collect()
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Each round's `target ÷ base` ratio, and their median.
fn ratios(rounds: &[Vec<Wrk>], target: usize, base: usize) -> (f64, Vec<f64>) {
    let each: Vec<f64> = rounds.iter().map(|r| r[target].rps / r[base].rps).collect();
    (median(each.clone()), each)
}

fn bad(rounds: &[Vec<Wrk>]) -> u64 {
    rounds.iter().flatten().map(|w| w.bad).sum()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A paced client: 4 loops, each one request every 10 ms, for `length`.
async fn paced_latency(url: String, cookie: String, length: Duration) -> (f64, f64, usize) {
    let every = Duration::from_millis(10);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (url, cookie) = (url.clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut seen = Vec::new();
            let mut failures = 0;
            let end = Instant::now() + length;
            let mut next = Instant::now();
            while Instant::now() < end {
                let t = Instant::now();
                match client.get(&url).header("cookie", &cookie).send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        seen.push(t.elapsed());
                    }
                    _ => failures += 1,
                }
                next += every;
                tokio::time::sleep_until(next.into()).await;
            }
            (seen, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (seen, f) = t.await.unwrap();
        all.extend(seen);
        failures += f;
    }
    all.sort();
    (percentile(&all, 0.5), percentile(&all, 0.99), failures)
}

fn cookie_named(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(client: &reqwest::Client, server: &Server, keep: bool) -> reqwest::Response {
    let body = if keep {
        LOGIN_BODY.replace("false", "true")
    } else {
        LOGIN_BODY.to_owned()
    };
    client
        .post(server.url("/login"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A valid access cookie (`access_jwt=…`) from a login without "keep me logged in".
async fn access_cookie(server: &Server) -> String {
    cookie_named(&login(&no_redirects(), server, false).await, "access_jwt").expect("logged in")
}

/// The cookies of a kept session after one rotation whose child has been confirmed: what a
/// browser that ticked "keep me logged in" sends (`access_jwt=…; refresh_jwt=…`). Each request
/// checks both tokens and where the access token stands in the session's lineage. The server's
/// access tokens must outlive the run.
async fn kept_cookies(server: &Server) -> String {
    let client = no_redirects();
    let first = login(&client, server, true).await;
    let refresh = cookie_named(&first, "refresh_jwt").expect("a kept login");
    // Present the refresh token alone: the server issues a child (pending) and a new access
    // token bound to it; the first request with that access token confirms the child.
    let rotated = client
        .get(server.url("/userinfo"))
        .header("cookie", &refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200, "a refresh");
    let access = cookie_named(&rotated, "access_jwt").expect("a new access token");
    let child = cookie_named(&rotated, "refresh_jwt").expect("a rotated refresh token");
    let cookies = format!("{access}; {child}");
    let confirmed = client
        .get(server.url("/userinfo"))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200, "the child confirmed");
    assert!(
        cookie_named(&confirmed, "access_jwt").is_none(),
        "a steady request issues nothing"
    );
    cookies
}

/// The refresh path: `clients` loops, each with its own session, presenting an expired
/// access token and its latest refresh token; every answer carries a new refresh token (the
/// child, confirmed by the next request). The server's `ACCESS_TOKEN_TTL` must be `1s`.
async fn refresh_rate(servers: &[&Server], clients: usize, length: Duration) -> (f64, u64) {
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let response = login(&no_redirects(), servers[0], true).await;
        let access = cookie_named(&response, "access_jwt").unwrap();
        let refresh = cookie_named(&response, "refresh_jwt").unwrap();
        sessions.push((access, refresh));
    }
    // Let every access token expire.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // With several instances, each client's requests go to them in turn, as behind a load
    // balancer without stickiness.
    let urls: Vec<String> = servers.iter().map(|s| s.url("/userinfo")).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (expired_access, mut refresh) in sessions {
        let urls = urls.clone();
        let client = no_redirects();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut bad) = (0u64, 0u64);
            let mut turn = 0;
            while started.elapsed() < length {
                turn += 1;
                let response = client
                    .get(&urls[turn % urls.len()])
                    .header("cookie", format!("{expired_access}; {refresh}"))
                    .send()
                    .await
                    .unwrap();
                if response.status() == 200 {
                    match cookie_named(&response, "refresh_jwt") {
                        Some(next) => {
                            refresh = next;
                            ok += 1;
                        }
                        None => bad += 1,
                    }
                } else {
                    bad += 1;
                }
            }
            (ok, bad)
        }));
    }
    let (mut ok, mut bad) = (0, 0);
    for t in tasks {
        let (o, b) = t.await.unwrap();
        ok += o;
        bad += b;
    }
    (ok as f64 / started.elapsed().as_secs_f64(), bad)
}

/// The argon2 limit: password verifications per second with every core verifying, through the
/// server's own password code (the same parameters, permits and reused memory) in this process,
/// with no HTTP, no database and no load generator beside it. Two hashes at once do not run
/// at twice the speed of one (argon2 is made to be limited by memory), so this is what the
/// machine can hash, not cores ÷ one login.
async fn argon2_limit() -> f64 {
    use jwt_cookie_lab::auth::password::Passwords;
    use secrecy::SecretString;
    let passwords = Passwords::new().await.expect("argon2 starts");
    let hash = passwords
        .hash(SecretString::from("1234"))
        .await
        .expect("hashes");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let length = Duration::from_secs(4);
    let started = Instant::now();
    let mut loops = Vec::new();
    // Twice as many loops as permits, so a permit never waits for a loop.
    for _ in 0..2 * cores {
        let (passwords, hash) = (passwords.clone(), hash.clone());
        loops.push(tokio::spawn(async move {
            let mut done = 0u64;
            while started.elapsed() < length {
                let ok = passwords
                    .verify(SecretString::from("1234"), Some(hash.clone()))
                    .await
                    .expect("verifies");
                assert!(ok);
                done += 1;
            }
            done
        }));
    }
    let mut done = 0;
    for l in loops {
        done += l.await.unwrap();
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// One login alone, the argon2 limit, and logins/s with 8 and 64 `wrk` clients.
struct Logins {
    one_ms: f64,
    limit: f64,
    at8: Wrk,
    at64: Wrk,
}

fn login_script(dir: &Path) -> PathBuf {
    let script = dir.join("login.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{LOGIN_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )
    .unwrap();
    script
}

async fn logins(server: &Server, script: &Path, limit: f64, with8: bool) -> Logins {
    let client = no_redirects();
    let mut singles = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let r = login(&client, server, false).await;
        assert_eq!(r.status(), 302);
        singles.push(t.elapsed());
    }
    singles.sort();
    let one_ms = percentile(&singles, 0.5);
    let at8 = if with8 {
        wrk(8, PHASE, &server.url("/login"), &[], Some(script))
    } else {
        Wrk::default()
    };
    let at64 = wrk(64, PHASE, &server.url("/login"), &[], Some(script));
    Logins {
        one_ms,
        limit,
        at8,
        at64,
    }
}

/// Logs in on `a`, reads `/userinfo` on `b` (so `b` holds the session in its cache), logs out
/// on `a`, and times from `a`'s answer until `b` first refuses the token.
async fn revocation_latency(a: &Server, b: &Server, n: usize) -> (Vec<Duration>, u64) {
    let client = no_redirects();
    let mut seen = Vec::new();
    let mut failures = 0;
    for _ in 0..n {
        let cookie = access_cookie(a).await;
        let read = |server: &Server| {
            client
                .get(server.url("/userinfo"))
                .header("cookie", &cookie)
                .send()
        };
        if read(b).await.map(|r| r.status()).ok() != Some(reqwest::StatusCode::OK) {
            failures += 1;
            continue;
        }
        let out = client
            .post(a.url("/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        if out.status() != 205 {
            failures += 1;
            continue;
        }
        let answered = Instant::now();
        loop {
            let status = read(b).await.map(|r| r.status()).ok();
            if status == Some(reqwest::StatusCode::UNAUTHORIZED) {
                seen.push(answered.elapsed());
                break;
            }
            if answered.elapsed() > Duration::from_secs(2) {
                failures += 1;
                break;
            }
        }
    }
    seen.sort();
    (seen, failures)
}

/// Instructions per request under callgrind, for each `(name, headers)` of `/userinfo` or
/// `/healthz`. `None` when valgrind is missing.
async fn instructions(
    settings: &[(&str, &str)],
    metrics_off: bool,
) -> Option<Vec<(&'static str, f64)>> {
    // Debian's `valgrind` is a script that runs `valgrind.bin` as its child; the child is the
    // process callgrind_control must address.
    let valgrind = ["/usr/bin/valgrind.bin", "/usr/local/bin/valgrind"]
        .into_iter()
        .find(|p| Path::new(p).is_file())?;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("cg.out");
    let (server, _) = start(Launch {
        settings,
        wrapper: vec![
            valgrind.into(),
            "--tool=callgrind".into(),
            format!("--callgrind-out-file={}", file.display()),
            format!("--log-file={}", out.path().join("valgrind.log").display()),
        ],
        metrics_off,
        ..Default::default()
    })
    .await;
    let plain = access_cookie(&server).await;
    let kept = kept_cookies(&server).await;
    let client = reqwest::Client::new();
    // (name, path, Accept, Cookie, Origin)
    type Kind<'a> = (
        &'static str,
        &'static str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let kinds: [Kind; 5] = [
        ("/healthz", "/healthz", None, None, None),
        ("/userinfo JSON", "/userinfo", None, Some(&plain), None),
        (
            "/userinfo HTML",
            "/userinfo",
            Some("text/html"),
            Some(&plain),
            None,
        ),
        (
            "/userinfo JSON, kept session",
            "/userinfo",
            None,
            Some(&kept),
            None,
        ),
        // The course's React client: another origin (listed, when CORS is on).
        (
            "/userinfo JSON from another origin",
            "/userinfo",
            None,
            Some(&plain),
            Some(CORS_ORIGIN),
        ),
    ];
    let send = |path: &str, accept: Option<&str>, cookie: Option<&str>, origin: Option<&str>| {
        let mut request = client.get(server.url(path));
        for (name, value) in [("accept", accept), ("cookie", cookie), ("origin", origin)] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        request.send()
    };
    let control = |arg: &str| {
        let status = Command::new("callgrind_control")
            .args([arg, &server.child.id().to_string()])
            .stdout(Stdio::null())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "callgrind_control {arg}");
    };
    let mut counts = Vec::new();
    for (dump, (name, path, accept, cookie, origin)) in kinds.into_iter().enumerate() {
        for _ in 0..50 {
            let r = send(path, accept, cookie, origin).await.unwrap();
            assert_eq!(r.status(), 200);
            let _ = r.bytes().await;
        }
        control("-z");
        for _ in 0..COUNTED {
            let r = send(path, accept, cookie, origin).await.unwrap();
            assert_eq!(r.status(), 200);
            let _ = r.bytes().await;
        }
        control("-d");
        let dumped = std::fs::read_to_string(format!("{}.{}", file.display(), dump + 1))
            .expect("callgrind wrote its counts");
        let total: f64 = dumped
            .lines()
            .find_map(|l| l.strip_prefix("summary:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("a summary line");
        counts.push((name, total / COUNTED as f64));
    }
    drop(server);
    Some(counts)
}

fn ensure_wrk() {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return;
    }
    eprintln!("wrk is missing; installing it with apt-get");
    let sudo = if is_root() { vec![] } else { vec!["sudo"] };
    for args in [
        vec!["apt-get", "update"],
        vec!["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
    ] {
        let mut full = sudo.clone();
        full.extend(args);
        let status = Command::new(full[0]).args(&full[1..]).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "could not install wrk: apt-get install wrk"
        );
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn pass(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

const SECTIONS: [&str; 7] = [
    "userinfo",
    "logins",
    "eddsa",
    "refresh",
    "postgres",
    "sessions",
    "instructions",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        eprintln!("the load benchmark runs with: cargo bench --bench load");
        return;
    }
    // `cargo bench --bench load -- refresh eddsa` runs only those sections.
    let chosen: Vec<&str> = SECTIONS
        .into_iter()
        .filter(|s| args.iter().any(|a| a == s))
        .collect();
    let chosen = if chosen.is_empty() {
        SECTIONS.to_vec()
    } else {
        chosen
    };
    ensure_wrk();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&chosen));
}

fn ed25519_key_file(dir: &Path) -> String {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let path = dir.join("access.pem");
    std::fs::write(&path, key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    path.to_string_lossy().into_owned()
}

/// `/healthz`, then `/userinfo` JSON with `cookie`, then (with `html`) the page, then (with
/// `kept`) JSON with a kept session's cookies.
fn userinfo_targets(server: &Server, cookie: &str, html: bool, kept: Option<&str>) -> Vec<Target> {
    let cookie = format!("Cookie: {cookie}");
    let mut targets = vec![
        Target {
            url: server.url("/healthz"),
            headers: vec![],
        },
        Target {
            url: server.url("/userinfo"),
            headers: vec![cookie.clone()],
        },
    ];
    if html {
        targets.push(Target {
            url: server.url("/userinfo"),
            headers: vec![cookie, "Accept: text/html".into()],
        });
    }
    if let Some(kept) = kept {
        targets.push(Target {
            url: server.url("/userinfo"),
            headers: vec![format!("Cookie: {kept}")],
        });
    }
    targets
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the run found: table rows (measure, result, goal, met), failures, peak memory per
/// server process, and the per-round figures.
#[derive(Default)]
struct Report {
    rows: Vec<[String; 4]>,
    failures: u64,
    peaks: Vec<(&'static str, f64)>,
    rounds: Vec<String>,
    notes: Vec<String>,
}

impl Report {
    fn row(
        &mut self,
        measure: impl Into<String>,
        result: impl Into<String>,
        goal: &str,
        met: Option<bool>,
    ) {
        self.rows.push([
            measure.into(),
            result.into(),
            goal.into(),
            met.map_or("—", pass).into(),
        ]);
    }

    fn rounds(&mut self, label: &str, rounds: &[Vec<Wrk>]) {
        self.failures += bad(rounds);
        for (i, round) in rounds.iter().enumerate() {
            let rps: Vec<String> = round.iter().map(|w| format!("{:.0}", w.rps)).collect();
            self.rounds
                .push(format!("{label} round {}: {}", i + 1, rps.join(", ")));
        }
    }
}

async fn userinfo(report: &mut Report) {
    let (server, startup) = start(Launch::default()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_mib = server.status_kib("VmRSS:") as f64 / 1024.0;
    let cookie = access_cookie(&server).await;
    let kept = kept_cookies(&server).await;
    let rounds = interleaved(&userinfo_targets(&server, &cookie, true, Some(&kept)));
    server.assert_metrics_on().await;
    let (json, json_each) = ratios(&rounds, 1, 0);
    let (html, html_each) = ratios(&rounds, 2, 0);
    let (kept_json, kept_each) = ratios(&rounds, 3, 0);
    report.row(
        format!("`/userinfo` JSON ÷ `/healthz` (HS256), median of {ROUNDS} rounds"),
        format!("**{json:.2}** (rounds: {})", list(&json_each)),
        "≥ 0.85",
        Some(json >= 0.85),
    );
    report.row(
        "`/userinfo` JSON ÷ `/healthz`, kept session (both cookies, lineage check)",
        format!("**{kept_json:.2}** (rounds: {})", list(&kept_each)),
        "≥ 0.85",
        Some(kept_json >= 0.85),
    );
    report.row(
        "`/userinfo` HTML ÷ `/healthz`",
        format!("**{html:.2}** (rounds: {})", list(&html_each)),
        "≥ 0.60",
        Some(html >= 0.60),
    );
    report.row(
        "start-up to `/healthz` 200 (empty database)",
        format!("{:.0} ms", startup.as_secs_f64() * 1000.0),
        "≤ 300 ms",
        Some(startup <= Duration::from_millis(300)),
    );
    report.row(
        "idle memory (VmRSS)",
        format!("{idle_rss_mib:.1} MiB"),
        "≤ 30 MiB",
        Some(idle_rss_mib <= 30.0),
    );
    report.rounds("HS256 (healthz, JSON, HTML, kept JSON)", &rounds);
    report
        .peaks
        .push(("SQLite, HS256, /userinfo", server.peak_mib()));
    drop(server);

    // The same binary with metrics off: what recording them costs per request.
    let (server, _) = start(Launch {
        metrics_off: true,
        ..Default::default()
    })
    .await;
    let cookie = access_cookie(&server).await;
    let rounds = interleaved(&userinfo_targets(&server, &cookie, false, None));
    let (off, off_each) = ratios(&rounds, 1, 0);
    report.row(
        "`/userinfo` JSON ÷ `/healthz` with metrics **off** (the baseline for the row above)",
        format!(
            "{off:.2} (rounds: {}; metrics on: {json:.2})",
            list(&off_each)
        ),
        "—",
        None,
    );
    report.rounds("HS256, metrics off (healthz, JSON)", &rounds);
    report
        .peaks
        .push(("SQLite, HS256, metrics off", server.peak_mib()));
}

async fn logins_and_flood(report: &mut Report, script: &Path, cores: usize, limit: f64) {
    let (server, _) = start(Launch::default()).await;
    let cookie = access_cookie(&server).await;
    let measured = logins(&server, script, limit, true).await;
    let url = server.url("/userinfo");
    let (rest_p50, rest_p99, rest_failed) =
        paced_latency(url.clone(), cookie.clone(), Duration::from_secs(5)).await;
    let flood = {
        let url = server.url("/login");
        let script = script.to_owned();
        std::thread::spawn(move || wrk(64, "8s", &url, &[], Some(&script)))
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (flood_p50, flood_p99, flood_failed) =
        paced_latency(url, cookie, Duration::from_secs(5)).await;
    let flood = flood.join().unwrap();
    report.failures +=
        measured.at8.bad + measured.at64.bad + flood.bad + (rest_failed + flood_failed) as u64;
    report.row(
        "`/userinfo` p99 during a 64-client login flood (4 × 100 req/s)",
        format!(
            "p50 {flood_p50:.2} ms, p99 **{flood_p99:.2} ms** (flood: {:.1} logins/s; at rest p50 {rest_p50:.2} ms, p99 {rest_p99:.2} ms)",
            flood.rps
        ),
        "≤ 5 ms",
        Some(flood_p99 <= 5.0),
    );
    let l64 = measured.at64.rps / measured.limit;
    report.row(
        "logins ÷ the argon2 limit (64 clients)",
        format!(
            "**{l64:.2}** ({:.1}/s; argon2 limit {:.1}/s on {cores} cores; one login alone {:.1} ms; 8 clients: {:.2}; p99 {:.0} ms)",
            measured.at64.rps,
            measured.limit,
            measured.one_ms,
            measured.at8.rps / measured.limit,
            measured.at64.p99_ms
        ),
        "≥ 0.9",
        Some(l64 >= 0.9),
    );
    report
        .peaks
        .push(("SQLite, logins and the flood", server.peak_mib()));
}

async fn eddsa(report: &mut Report, key_file: &str) {
    let (server, _) = start(Launch {
        settings: &[("TOKEN_ALG", "EdDSA"), ("ACCESS_KEY_FILE", key_file)],
        ..Default::default()
    })
    .await;
    let cookie = access_cookie(&server).await;
    let rounds = interleaved(&userinfo_targets(&server, &cookie, false, None));
    let (ratio, each) = ratios(&rounds, 1, 0);
    report.row(
        "`/userinfo` JSON ÷ `/healthz` with EdDSA tokens",
        format!("**{ratio:.2}** (rounds: {})", list(&each)),
        "≥ 0.70",
        Some(ratio >= 0.70),
    );
    report.rounds("EdDSA (healthz, JSON)", &rounds);
    report.peaks.push(("SQLite, EdDSA", server.peak_mib()));
}

async fn refresh(report: &mut Report) {
    let (server, _) = start(Launch {
        settings: &[("ACCESS_TOKEN_TTL", "1s")],
        ..Default::default()
    })
    .await;
    let healthz = wrk(32, ROUND, &server.url("/healthz"), &[], None);
    let (rps, bad) = refresh_rate(&[&server], 16, Duration::from_secs(10)).await;
    report.failures += healthz.bad + bad;
    report.row(
        "refreshes/s with rotation (SQLite, 16 clients)",
        format!(
            "**{rps:.0}/s**, {:.3} × `/healthz` ({:.0} req/s)",
            rps / healthz.rps,
            healthz.rps
        ),
        "≥ 4 k/s",
        Some(rps >= 4000.0),
    );
    report.peaks.push(("SQLite, refreshes", server.peak_mib()));
}

async fn postgres(report: &mut Report, script: &Path, limit: f64) {
    if !pg_cluster::available() {
        report
            .notes
            .push("PostgreSQL's binaries are missing: the PostgreSQL part was skipped".into());
        return;
    }
    let cluster = pg_cluster::private();
    let url = cluster.create_database().await;
    let (a, _) = start(Launch {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let (b, _) = start(Launch {
        database_url: Some(url),
        ..Default::default()
    })
    .await;
    let cookie = access_cookie(&a).await;
    let rounds = interleaved(&userinfo_targets(&a, &cookie, false, None));
    let (revoked, revoke_failures) = revocation_latency(&a, &b, LOGOUTS).await;
    let measured = logins(&a, script, limit, false).await;
    report.peaks.push(("PostgreSQL, instance A", a.peak_mib()));
    report.peaks.push(("PostgreSQL, instance B", b.peak_mib()));
    drop((a, b));
    let refresh_db = cluster.create_database().await;
    let mut pair = Vec::new();
    for _ in 0..2 {
        let (r, _) = start(Launch {
            database_url: Some(refresh_db.clone()),
            settings: &[("ACCESS_TOKEN_TTL", "1s")],
            ..Default::default()
        })
        .await;
        pair.push(r);
    }
    let healthz = wrk(32, ROUND, &pair[0].url("/healthz"), &[], None);
    let (rps, bad) = refresh_rate(&[&pair[0], &pair[1]], 16, Duration::from_secs(10)).await;
    report
        .peaks
        .push(("PostgreSQL, refreshes, A", pair[0].peak_mib()));
    report
        .peaks
        .push(("PostgreSQL, refreshes, B", pair[1].peak_mib()));
    drop(pair);

    let (ratio, each) = ratios(&rounds, 1, 0);
    report.failures += measured.at64.bad + healthz.bad + bad + revoke_failures;
    report.row(
        "PostgreSQL, 2 instances: `/userinfo` JSON ÷ `/healthz`",
        format!("**{ratio:.2}** (rounds: {})", list(&each)),
        "≥ 0.7",
        Some(ratio >= 0.7),
    );
    report.row(
        "PostgreSQL, 2 instances: refreshes/s with rotation (16 clients, each alternating A and B)",
        format!("**{rps:.0}/s**, {:.3} × `/healthz`", rps / healthz.rps),
        "—",
        None,
    );
    let l = measured.at64.rps / measured.limit;
    report.row(
        "PostgreSQL: logins ÷ the argon2 limit (64 clients)",
        format!(
            "**{l:.2}** ({:.1}/s; {:.1} ms alone; PostgreSQL's own processes share the cores)",
            measured.at64.rps, measured.one_ms
        ),
        "—",
        None,
    );
    let (p50, p99) = (percentile(&revoked, 0.5), percentile(&revoked, 0.99));
    report.row(
        format!(
            "PostgreSQL: logout on A → B refuses the token, over {} logouts",
            revoked.len()
        ),
        format!(
            "p50 {p50:.2} ms, p99 **{p99:.2} ms**, max {:.2} ms",
            percentile(&revoked, 1.0)
        ),
        "p99 ≤ 100 ms (aim ≤ 20)",
        Some(p99 <= 100.0),
    );
    report.rounds("PostgreSQL (healthz, JSON)", &rounds);
}

/// The origin of the course's React client (its dev server), as the instruction counts send it.
const CORS_ORIGIN: &str = "http://localhost:3000";

async fn instruction_counts(report: &mut Report, key_file: &str) {
    let eddsa = vec![("TOKEN_ALG", "EdDSA"), ("ACCESS_KEY_FILE", key_file)];
    for (label, settings, metrics_off) in [
        ("HS256", vec![], false),
        ("EdDSA", eddsa, false),
        // What recording metrics costs, in instructions rather than in a noisy ratio.
        ("HS256, metrics off", vec![], true),
        // What answering the course's client across origins costs.
        (
            "HS256, CORS on",
            vec![("CORS_ALLOWED_ORIGINS", CORS_ORIGIN)],
            false,
        ),
    ] {
        let Some(counts) = instructions(&settings, metrics_off).await else {
            report
                .notes
                .push("valgrind is not installed: no instruction counts".into());
            return;
        };
        let base = counts[0].1;
        for (name, ir) in counts {
            report.row(
                format!("instructions per request ({label}), {name}"),
                format!("{ir:.0} ({:.2} × `/healthz`)", ir / base),
                "—",
                None,
            );
        }
    }
}

async fn run(sections: &[&str]) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let scratch = tempfile::tempdir().unwrap();
    let script = login_script(scratch.path());
    let key_file = ed25519_key_file(scratch.path());
    let mut report = Report::default();
    // Measured while nothing else runs, before any server starts.
    let limit = if sections.iter().any(|s| *s == "logins" || *s == "postgres") {
        argon2_limit().await
    } else {
        0.0
    };
    for section in sections {
        match *section {
            "userinfo" => userinfo(&mut report).await,
            "logins" => logins_and_flood(&mut report, &script, cores, limit).await,
            "eddsa" => eddsa(&mut report, &key_file).await,
            "refresh" => refresh(&mut report).await,
            "postgres" => postgres(&mut report, &script, limit).await,
            "sessions" => people::sessions(&mut report).await,
            "instructions" => instruction_counts(&mut report, &key_file).await,
            _ => unreachable!(),
        }
    }
    if let Some((peak_where, peak)) = report
        .peaks
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        report.row(
            "peak memory (VmHWM), every server process",
            format!("**{peak:.1} MiB** ({peak_where})"),
            "≤ 100 MiB",
            Some(peak <= 100.0),
        );
    }
    let failures = report.failures;
    report.row(
        "failed requests (5xx, errors, timeouts, wrong answers)",
        failures.to_string(),
        "0",
        Some(failures == 0),
    );

    println!();
    println!(
        "jwt-cookie-lab load benchmark — {cores} cores, wrk -t1 -c32, {ROUNDS} interleaved rounds of {ROUND}, metrics on; sections: {}",
        sections.join(", ")
    );
    println!();
    println!("| measure | result | goal | met |");
    println!("|---|---|---|---|");
    for row in &report.rows {
        println!("| {} |", row.join(" | "));
    }
    println!();
    for note in &report.notes {
        println!("{note}");
    }
    println!("req/s per round:");
    for line in &report.rounds {
        println!("  {line}");
    }
    println!();
}
