//! The load benchmark: `cargo bench --bench load`.
//!
//! Starts the release server on a free port with a temp database and measures, in one run
//! (so the ratios hold on a noisy machine): start-up time, idle memory, `/healthz` (the
//! server's own ceiling here), `/userinfo` JSON and HTML with a valid access cookie, logins
//! per second at 8 and 64 clients against the argon2 limit, `/userinfo` latency at rest and
//! during a 64-client login flood, the refresh path, and peak memory. `wrk` does the heavy
//! load (installed with apt-get when missing); a small paced client measures latency.
//!
//! It prints one table with the goals beside the figures. It is not a test: nothing here
//! runs under `cargo test`.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCESS_SECRET: &str = "bench-access-secret-0123456789-abcdefghijklmn";
const REFRESH_SECRET: &str = "bench-refresh-secret-0123456789-abcdefghijklmn";
const LOGIN_BODY: &str =
    r#"{"loginInfo":{"userId":"kimcoding","password":"1234"},"checkedKeepLogin":false}"#;
const PHASE: &str = "10s";

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
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
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the server and returns it with the time until `/healthz` answered 200.
async fn start(extra: &[(&str, &str)]) -> (Server, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"));
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        )
        .env("ACCESS_SECRET", ACCESS_SECRET)
        .env("REFRESH_SECRET", REFRESH_SECRET)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        command.env(k, v);
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let child = command.spawn().expect("the server starts");
    let server = Server {
        child,
        port,
        _dir: dir,
    };
    loop {
        if let Ok(r) = client.get(server.url("/healthz")).send().await
            && r.status() == 200
        {
            return (server, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[derive(Default, Debug)]
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

fn wrk(connections: u32, url: &str, headers: &[&str], script: Option<&Path>) -> Wrk {
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{PHASE}"),
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
    let text = String::from_utf8_lossy(&out.stdout);
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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A paced client: `clients` loops, each one request every `every`, for `length`.
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

fn access_cookie(response: &reqwest::Response) -> Option<String> {
    cookie_named(response, "access_jwt")
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

/// The refresh path: `clients` loops, each with its own session, presenting an expired
/// access token and its current refresh token; every answer rotates the refresh token.
async fn refresh_rate(server: &Server, clients: usize, length: Duration) -> (f64, u64) {
    let no_redirects = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let response = login(&no_redirects(), server, true).await;
        let access = access_cookie(&response).unwrap();
        let refresh = cookie_named(&response, "refresh_jwt").unwrap();
        sessions.push((access, refresh));
    }
    // ACCESS_TOKEN_TTL is 1s on this server: let every access token expire.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let url = server.url("/userinfo");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (expired_access, mut refresh) in sessions {
        let url = url.clone();
        let client = no_redirects();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut bad) = (0u64, 0u64);
            while started.elapsed() < length {
                let response = client
                    .get(&url)
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

fn ensure_wrk() {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return;
    }
    eprintln!("wrk is missing; installing it with apt-get");
    let sudo = if unsafe_is_root() {
        vec![]
    } else {
        vec!["sudo"]
    };
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

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn pass(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("the load benchmark runs with: cargo bench --bench load");
        return;
    }
    ensure_wrk();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (server, startup) = start(&[]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_mib = server.status_kib("VmRSS:") as f64 / 1024.0;

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = access_cookie(&login(&plain, &server, false).await).expect("logged in");
    let cookie_header = format!("Cookie: {cookie}");

    let healthz = wrk(32, &server.url("/healthz"), &[], None);
    let json = wrk(32, &server.url("/userinfo"), &[&cookie_header], None);
    let html = wrk(
        32,
        &server.url("/userinfo"),
        &[&cookie_header, "Accept: text/html"],
        None,
    );

    // One login at a time: the cost of one argon2id verify plus the request around it.
    let mut singles = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let r = login(&plain, &server, false).await;
        assert_eq!(r.status(), 302);
        singles.push(t.elapsed());
    }
    singles.sort();
    let one_login_ms = percentile(&singles, 0.5);
    let argon2_limit = cores as f64 * 1000.0 / one_login_ms;

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("login.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{LOGIN_BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )
    .unwrap();
    let login8 = wrk(8, &server.url("/login"), &[], Some(&script));
    let login64 = wrk(64, &server.url("/login"), &[], Some(&script));

    let url = server.url("/userinfo");
    let (rest_p50, rest_p99, rest_failed) =
        paced_latency(url.clone(), cookie.clone(), Duration::from_secs(5)).await;
    let flood = {
        let url = server.url("/login");
        let script = script.clone();
        std::thread::spawn(move || wrk(64, &url, &[], Some(&script)))
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (flood_p50, flood_p99, flood_failed) =
        paced_latency(url, cookie, Duration::from_secs(6)).await;
    let flood = flood.join().unwrap();
    let peak_mib = server.status_kib("VmHWM:") as f64 / 1024.0;
    drop(server);

    let (refresh_server, _) = start(&[("ACCESS_TOKEN_TTL", "1s")]).await;
    let (refresh_rps, refresh_bad) =
        refresh_rate(&refresh_server, 16, Duration::from_secs(10)).await;
    drop(refresh_server);

    let failures = healthz.bad
        + json.bad
        + html.bad
        + login8.bad
        + login64.bad
        + flood.bad
        + refresh_bad
        + (rest_failed + flood_failed) as u64;
    let json_ratio = json.rps / healthz.rps * 100.0;
    let html_ratio = html.rps / healthz.rps * 100.0;
    let login8_ratio = login8.rps / argon2_limit * 100.0;
    let login64_ratio = login64.rps / argon2_limit * 100.0;

    println!();
    println!("jwt-cookie-lab load benchmark — {cores} cores, wrk -t1, {PHASE} per phase");
    println!();
    println!("| measure | result | goal | met |");
    println!("|---|---|---|---|");
    println!(
        "| start-up to `/healthz` 200 (empty database) | {:.0} ms | ≤ 300 ms | {} |",
        startup.as_secs_f64() * 1000.0,
        pass(startup <= Duration::from_millis(300))
    );
    println!(
        "| idle memory (VmRSS) | {idle_rss_mib:.1} MiB | ≤ 30 MiB | {} |",
        pass(idle_rss_mib <= 30.0)
    );
    println!(
        "| `/healthz` (c=32) | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms | the ceiling | — |",
        healthz.rps, healthz.p50_ms, healthz.p99_ms
    );
    println!(
        "| `/userinfo` JSON, valid cookie (c=32) | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, **{json_ratio:.0} %** of healthz | ≥ 50 % | {} |",
        json.rps,
        json.p50_ms,
        json.p99_ms,
        pass(json_ratio >= 50.0)
    );
    println!(
        "| `/userinfo` HTML, valid cookie (c=32) | {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, **{html_ratio:.0} %** of healthz | ≥ 40 % | {} |",
        html.rps,
        html.p50_ms,
        html.p99_ms,
        pass(html_ratio >= 40.0)
    );
    println!(
        "| one login alone (median of 15) | {one_login_ms:.1} ms → argon2 limit {argon2_limit:.1} logins/s | — | — |"
    );
    println!(
        "| logins, 8 clients | {:.1} /s, **{login8_ratio:.0} %** of the limit | ≥ 80 % | {} |",
        login8.rps,
        pass(login8_ratio >= 80.0)
    );
    println!(
        "| logins, 64 clients | {:.1} /s, **{login64_ratio:.0} %** of the limit (p99 {:.0} ms) | ≥ 80 % | {} |",
        login64.rps,
        login64.p99_ms,
        pass(login64_ratio >= 80.0)
    );
    println!(
        "| `/userinfo` latency at rest (4 × 100 req/s) | p50 {rest_p50:.2} ms, p99 {rest_p99:.2} ms | — | — |"
    );
    println!(
        "| `/userinfo` latency during a 64-client login flood | p50 {flood_p50:.2} ms, p99 **{flood_p99:.2} ms** (flood: {:.1} logins/s) | p99 ≤ 10 ms | {} |",
        flood.rps,
        pass(flood_p99 <= 10.0)
    );
    println!(
        "| refresh path (expired access + valid refresh, 16 clients, rotation each time) | {refresh_rps:.0} req/s | ≥ 2000 /s | {} |",
        pass(refresh_rps >= 2000.0)
    );
    println!(
        "| peak memory (VmHWM) after all of the above | {peak_mib:.1} MiB | ≤ 200 MiB | {} |",
        pass(peak_mib <= 200.0)
    );
    println!(
        "| failed requests (5xx, errors, timeouts, wrong answers) | {failures} | 0 | {} |",
        pass(failures == 0)
    );
    println!();
}
