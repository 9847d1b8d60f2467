//! The `sessions` section: many people at once, not one cookie. A database is seeded with
//! 1 000 000 live sessions without "keep me logged in" and 100 000 with it (each with its own
//! user; seeding through SQL, since a login each would take hours of argon2), genuine tokens
//! are minted for them with the server's own keys, and `wrk` sends each request with a cookie
//! picked at random out of the first N, against `/healthz` in the same rounds with the same
//! script. Every session was last seen an hour ago, as people coming back are.
//!
//! For each N: `/userinfo` ÷ `/healthz` (median of the rounds), the p99, the server's peak
//! memory, the session cache's hit rate (from its metrics), and what the reads wrote to the
//! database. Then a database with 500 000 expired sessions among 1 000 000: how long start-up
//! takes, and `/userinfo`'s p99 while the sweeper removes them. The figures are written to
//! `target/people.json`; with `benches/people-before.json` beside it, the curve of both is
//! drawn into `docs/people.svg`.
//!
//! Places and crowds can be picked while working: `CROWDS=sqlite,postgres,pgbouncer,prune`
//! and `PEOPLE=1,10000,100000,1000000` (all of each when unset).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jwt_cookie_lab::auth::tokens::{self, TokenKind, Tokens};
use jwt_cookie_lab::config::Config;
use jwt_cookie_lab::store::Db;
use serde_json::{Value, json};

use super::{
    ACCESS_SECRET, Launch, REFRESH_SECRET, ROUND, ROUNDS, Report, Server, Wrk, list, median,
    paced_latency, pg_cluster, start,
};

/// People with plain sessions, and with kept ones, in every database.
const PLAIN: usize = 1_000_000;
const KEPT: usize = 100_000;
/// The crowds measured.
const PLAIN_CROWDS: [usize; 4] = [1, 10_000, 100_000, 1_000_000];
const KEPT_CROWDS: [usize; 3] = [1, 10_000, 100_000];
/// When every seeded session was last seen: an hour ago.
const LAST_SEEN_AGO: i64 = 3600;

/// The cookies of every seeded person, one line each, as `wrk`'s script reads them.
struct Cookies {
    plain: PathBuf,
    kept: PathBuf,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn config_for(url: &str) -> Config {
    Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(url.to_owned()),
        "ACCESS_SECRET" => Some(ACCESS_SECRET.to_owned()),
        "REFRESH_SECRET" => Some(REFRESH_SECRET.to_owned()),
        _ => None,
    })
    .expect("bench settings")
}

fn sid(i: usize) -> String {
    format!("{i:032x}")
}

fn refresh_jti(i: usize) -> String {
    format!("r{i:031x}")
}

/// Genuine tokens for every seeded session, written as `wrk` will send them, and the refresh
/// tokens' fingerprints (for the lineage rows).
fn mint(dir: &Path) -> (Cookies, Vec<(String, String)>) {
    let tokens = Tokens::new(&config_for("sqlite://unused.db"));
    let now = now();
    let exp = now + 86_400;
    let cookies = Cookies {
        plain: dir.join("plain.txt"),
        kept: dir.join("kept.txt"),
    };
    let mut plain = std::io::BufWriter::new(std::fs::File::create(&cookies.plain).unwrap());
    for i in 0..PLAIN {
        let access = tokens
            .issue(TokenKind::Access, &format!("p{i}"), &sid(i), now, exp, None)
            .unwrap();
        writeln!(plain, "access_jwt={}", access.token).unwrap();
    }
    plain.flush().unwrap();
    let mut kept = std::io::BufWriter::new(std::fs::File::create(&cookies.kept).unwrap());
    let mut fingerprints = Vec::with_capacity(KEPT);
    for i in PLAIN..PLAIN + KEPT {
        let refresh = tokens
            .issue(
                TokenKind::Refresh,
                &format!("p{i}"),
                &sid(i),
                now,
                exp,
                None,
            )
            .unwrap();
        // The store knows the token by the jti it was seeded with.
        let jti = refresh_jti(i);
        let access = tokens
            .issue(
                TokenKind::Access,
                &format!("p{i}"),
                &sid(i),
                now,
                exp,
                Some(&jti),
            )
            .unwrap();
        writeln!(
            kept,
            "access_jwt={}; refresh_jwt={}",
            access.token, refresh.token
        )
        .unwrap();
        fingerprints.push((tokens::fingerprint(&refresh.token), jti));
    }
    kept.flush().unwrap();
    (cookies, fingerprints)
}

/// Users and sessions straight into the database (already migrated): `plain` plain sessions,
/// then `kept` kept ones with their current refresh token. `expired` of the plain ones are
/// past their lifetime (the sweeper's work).
async fn seed(db: &Db, plain: usize, fingerprints: &[(String, String)], expired: usize) {
    let now = now();
    let (seen, expires) = (now - LAST_SEEN_AGO, now + 30 * 86_400);
    let people = (plain + fingerprints.len()) as i64;
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0$2HdA5ni4dWEbRY2ymxt6Ww";
    let (users, sessions) = match db {
        Db::Sqlite(_) => (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1) \
             INSERT INTO users (id, user_id, password_hash, email, name, created_at) \
             SELECT i + 1000, 'p' || i, $2, 'p' || i || '@example.com', 'Person ' || i, $3 FROM n",
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1) \
             INSERT INTO sessions (id, user_pk, keep_logged_in, user_agent, created_at, \
             last_seen_at, expires_at, version, refresh_current) \
             SELECT printf('%032x', i), i + 1000, i >= $2, 'bench', $3, $3, \
             CASE WHEN i < $5 THEN $3 ELSE $4 END, 0, \
             CASE WHEN i >= $2 THEN 'r' || printf('%031x', i) END FROM n",
        ),
        Db::Postgres(_) => (
            "INSERT INTO users (id, user_id, password_hash, email, name, created_at) \
             SELECT i + 1000, 'p' || i, $2, 'p' || i || '@example.com', 'Person ' || i, $3 \
             FROM generate_series(0, $1 - 1) AS i",
            "INSERT INTO sessions (id, user_pk, keep_logged_in, user_agent, created_at, \
             last_seen_at, expires_at, version, refresh_current) \
             SELECT lpad(to_hex(i), 32, '0'), i + 1000, i >= $2, 'bench', $3, $3, \
             CASE WHEN i < $5 THEN $3 ELSE $4 END, 0, \
             CASE WHEN i >= $2 THEN 'r' || lpad(to_hex(i), 31, '0') END \
             FROM generate_series(0, $1 - 1) AS i",
        ),
    };
    jwt_cookie_lab::on_db!(db, pool => {
        // One transaction, and on PostgreSQL without the server's five-second limit on a
        // statement: a million rows take longer than any request may.
        let mut tx = pool.begin().await.unwrap();
        if matches!(db, Db::Postgres(_)) {
            sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await.unwrap();
        }
        sqlx::query(users).bind(people).bind(hash).bind(now).execute(&mut *tx).await.unwrap();
        sqlx::query(sessions)
            .bind(people)
            .bind(plain as i64)
            .bind(seen)
            .bind(expires)
            .bind(expired as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        for (chunk_at, chunk) in fingerprints.chunks(500).enumerate() {
            let values: Vec<String> = (0..chunk.len())
                .map(|k| format!("(${}, ${}, ${}, NULL, 'current', {seen}000, {seen}000, {expires})", 3 * k + 1, 3 * k + 2, 3 * k + 3))
                .collect();
            let sql = format!(
                "INSERT INTO refresh_lineage (fingerprint, jti, session_id, parent_jti, state, \
                 issued_ms, confirmed_ms, expires_at) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (k, (fingerprint, jti)) in chunk.iter().enumerate() {
                let i = plain + chunk_at * 500 + k;
                query = query.bind(fingerprint).bind(jti).bind(sid(i));
            }
            query.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

/// A database of `url`, migrated and seeded with every person.
async fn seeded(url: &str, fingerprints: &[(String, String)], expired: usize) {
    let started = Instant::now();
    let db = jwt_cookie_lab::store::connect(&config_for(url))
        .await
        .unwrap();
    seed(&db, PLAIN, fingerprints, expired).await;
    db.close().await;
    eprintln!(
        "seeded {} sessions ({expired} expired) in {:.1} s",
        PLAIN + fingerprints.len(),
        started.elapsed().as_secs_f64()
    );
}

/// `wrk`'s script: each request with a cookie picked at random out of the first `PEOPLE`
/// lines of `COOKIES` (read once per run, before the clock starts).
fn crowd_script(dir: &Path) -> PathBuf {
    let script = dir.join("crowd.lua");
    std::fs::write(
        &script,
        r#"local n = tonumber(os.getenv("PEOPLE"))
local cookies = {}
local f = assert(io.open(os.getenv("COOKIES")))
for i = 1, n do cookies[i] = f:read("*l") end
f:close()
math.randomseed(os.time())
request = function()
  return wrk.format("GET", nil, { Cookie = cookies[math.random(n)] })
end
"#,
    )
    .unwrap();
    script
}

/// One `wrk` run of the crowd script.
fn crowd_wrk(url: &str, script: &Path, cookies: &Path, people: usize, length: &str) -> Wrk {
    let out = Command::new("wrk")
        .args([
            "-t1",
            "-c32",
            &format!("-d{length}"),
            "--latency",
            "--timeout",
            "10s",
        ])
        .arg("-s")
        .arg(script)
        .arg(url)
        .env("PEOPLE", people.to_string())
        .env("COOKIES", cookies)
        .output()
        .expect("wrk runs");
    super::parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// One series of the server's metrics, summed over its labels' matches.
async fn metric(server: &Server, series: &str) -> f64 {
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", server.metrics_port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Sessions whose "last seen" was written since they were seeded.
async fn written(url: &str) -> i64 {
    let db = jwt_cookie_lab::store::connect(&config_for(url))
        .await
        .unwrap();
    let cutoff = now() - LAST_SEEN_AGO + 60;
    let count: i64 = jwt_cookie_lab::on_db!(&db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE last_seen_at > $1")
            .bind(cutoff)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    db.close().await;
    count
}

/// What one crowd came to.
struct Crowd {
    label: String,
    people: usize,
    kept: bool,
    ratio: f64,
    each: Vec<f64>,
    userinfo_rps: f64,
    healthz_rps: f64,
    p99_ms: f64,
    peak_mib: f64,
    hit_rate: f64,
    writes: i64,
    write_batches: f64,
    /// Sessions in the cache at the end, and the bytes both caches hold (as weighed).
    cached: f64,
    cache_bytes: f64,
    seconds: f64,
    bad: u64,
}

impl Crowd {
    fn json(&self) -> Value {
        json!({
            "label": self.label, "people": self.people, "kept": self.kept, "ratio": self.ratio,
            "userinfo_rps": self.userinfo_rps, "healthz_rps": self.healthz_rps,
            "p99_ms": self.p99_ms, "peak_mib": self.peak_mib, "hit_rate": self.hit_rate,
            "rows_written": self.writes, "write_batches": self.write_batches,
            "cached_sessions": self.cached, "cache_bytes": self.cache_bytes,
            "seconds": self.seconds,
        })
    }
}

/// Where crowds are sent: a seeded database, the servers' settings, and whether a second
/// instance runs beside the measured one.
struct Place<'a> {
    label: &'a str,
    url: &'a str,
    /// The database itself, when `url` is a pooler in front of it.
    direct: &'a str,
    script: &'a Path,
    settings: &'a [(&'a str, &'a str)],
    second: bool,
}

/// `people` of `cookies` against a fresh server (so its cache and its peak memory are this
/// crowd's alone) at `place`.
async fn crowd(place: &Place<'_>, cookies: &Path, kept: bool, people: usize) -> Crowd {
    let (label, url, script) = (place.label, place.url, place.script);
    let launch = || Launch {
        database_url: Some(url.to_owned()),
        settings: place.settings,
        ..Default::default()
    };
    let second = place.second;
    let (server, _) = start(launch()).await;
    let other = if second {
        Some(start(launch()).await.0)
    } else {
        None
    };
    let (userinfo, healthz) = (server.url("/userinfo"), server.url("/healthz"));
    let (hits0, misses0) = (
        metric(
            &server,
            "jwt_lab_session_cache_lookups_total{result=\"hit\"}",
        )
        .await,
        metric(
            &server,
            "jwt_lab_session_cache_lookups_total{result=\"miss\"}",
        )
        .await,
    );
    let batches0 = metric(&server, "jwt_lab_activity_batches_total").await;
    let written0 = written(place.direct).await;
    let started = Instant::now();
    // Warm-up, not measured: long enough for most of the crowd to have come once (people
    // coming back, not arriving), so the rounds see the caches as they stay.
    let warm_up = (people / 10_000).clamp(2, 30);
    crowd_wrk(&userinfo, script, cookies, people, &format!("{warm_up}s"));
    let rounds: Vec<(Wrk, Wrk)> = (0..ROUNDS)
        .map(|_| {
            let h = crowd_wrk(&healthz, script, cookies, people, ROUND);
            let u = crowd_wrk(&userinfo, script, cookies, people, ROUND);
            (h, u)
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let hits = metric(
        &server,
        "jwt_lab_session_cache_lookups_total{result=\"hit\"}",
    )
    .await
        - hits0;
    let misses = metric(
        &server,
        "jwt_lab_session_cache_lookups_total{result=\"miss\"}",
    )
    .await
        - misses0;
    let write_batches = metric(&server, "jwt_lab_activity_batches_total").await - batches0;
    let cached = metric(&server, "jwt_lab_session_cache_entries").await;
    let cache_bytes = metric(&server, "jwt_lab_session_cache_bytes").await
        + metric(&server, "jwt_lab_verified_token_cache_bytes").await;
    let peak_mib = server.peak_mib();
    drop(other);
    drop(server);
    let each: Vec<f64> = rounds.iter().map(|(h, u)| u.rps / h.rps).collect();
    Crowd {
        label: label.to_owned(),
        people,
        kept,
        ratio: median(each.clone()),
        each,
        userinfo_rps: median(rounds.iter().map(|(_, u)| u.rps).collect()),
        healthz_rps: median(rounds.iter().map(|(h, _)| h.rps).collect()),
        p99_ms: median(rounds.iter().map(|(_, u)| u.p99_ms).collect()),
        peak_mib,
        hit_rate: hits / (hits + misses).max(1.0),
        writes: written(place.direct).await - written0,
        write_batches,
        cached,
        cache_bytes,
        seconds,
        bad: rounds.iter().map(|(h, u)| h.bad + u.bad).sum(),
    }
}

/// Whether `what` is among the comma-separated `PEOPLE` or `CROWDS` of the environment (all,
/// when it is unset): `CROWDS=sqlite PEOPLE=1,100000` measures just those, while working.
fn chosen(var: &str, what: &str) -> bool {
    std::env::var(var).map_or(true, |list| list.split(',').any(|w| w.trim() == what))
}

/// Every crowd at one place.
async fn crowds(place: &Place<'_>, cookies: &Cookies) -> Vec<Crowd> {
    let mut all = Vec::new();
    let crowds = PLAIN_CROWDS
        .iter()
        .map(|n| (false, *n))
        .chain(KEPT_CROWDS.iter().map(|n| (true, *n)))
        .filter(|(_, n)| chosen("PEOPLE", &n.to_string()));
    for (kept, people) in crowds {
        let file = if kept { &cookies.kept } else { &cookies.plain };
        let c = crowd(place, file, kept, people).await;
        // As it goes, so a run cut short still says what it measured.
        eprintln!("{}", c.json());
        all.push(c);
    }
    all
}

fn row(report: &mut Report, c: &Crowd) {
    let kind = if c.kept { "kept" } else { "plain" };
    report.row(
        format!(
            "{}: {} sending requests, {kind} sessions: `/userinfo` ÷ `/healthz`",
            c.label,
            match c.people {
                1 => "1 person".to_owned(),
                n => format!("{n} people"),
            }
        ),
        format!(
            "**{:.2}** (rounds: {}; {:.0} vs {:.0} req/s), p99 {:.2} ms, peak {:.0} MiB, cache hits {:.0} %, \
             last seen written for {} sessions in {:.0} s ({:.0}/s; {} write batches); \
             {:.0} sessions cached, {:.0} bytes each with their tokens",
            c.ratio,
            list(&c.each),
            c.userinfo_rps,
            c.healthz_rps,
            c.p99_ms,
            c.peak_mib,
            c.hit_rate * 100.0,
            c.writes,
            c.seconds,
            c.writes as f64 / c.seconds,
            c.write_batches,
            c.cached,
            c.cache_bytes / c.cached.max(1.0),
        ),
        "see the goals below",
        None,
    );
}

/// The issue's goals, each from the crowds measured in this run.
fn goals(report: &mut Report, all: &[Crowd], prune: &Value) {
    let find = |label: &str, kept: bool, people: usize| {
        all.iter()
            .find(|c| c.label == label && c.kept == kept && c.people == people)
    };
    let mut goal =
        |what: &str, value: Option<f64>, shown: String, aim: &str, met: fn(f64) -> bool| {
            let ok = value.map(met);
            report.row(what, shown, aim, ok);
        };
    let sqlite = |kept, n| find("SQLite", kept, n);
    let r = sqlite(false, 100_000).map(|c| c.ratio);
    goal(
        "goal: 100 000 people, SQLite, ÷ `/healthz`",
        r,
        fmt(r),
        "≥ 0.6",
        |v| v >= 0.6,
    );
    let one = sqlite(false, 1).map(|c| c.ratio);
    let rel = r.zip(one).map(|(r, one)| r / one);
    goal(
        "goal: the same ÷ the ratio with 1 person",
        rel,
        fmt(rel),
        "≥ 0.75",
        |v| v >= 0.75,
    );
    let k = sqlite(true, 100_000).map(|c| c.ratio);
    goal(
        "goal: kept sessions, 100 000 people",
        k,
        fmt(k),
        "≥ 0.55",
        |v| v >= 0.55,
    );
    let pg = find("PostgreSQL, 2 instances", false, 100_000).map(|c| c.ratio);
    goal(
        "goal: PostgreSQL, 100 000 people (two instances)",
        pg,
        fmt(pg),
        "≥ 0.5",
        |v| v >= 0.5,
    );
    let million = sqlite(false, 1_000_000);
    let m = million.map(|c| c.ratio);
    goal(
        "goal: 1 000 000 people, SQLite",
        m,
        fmt(m),
        "≥ 0.3",
        |v| v >= 0.3,
    );
    let mp = million.map(|c| c.peak_mib);
    goal(
        "goal: peak RSS, 1 000 000 people",
        mp,
        mib(mp),
        "≤ 1024 MiB",
        |v| v <= 1024.0,
    );
    let hp = sqlite(false, 100_000).map(|c| c.peak_mib);
    goal(
        "goal: peak RSS, 100 000 people",
        hp,
        mib(hp),
        "≤ 300 MiB",
        |v| v <= 300.0,
    );
    let p99 = prune["p99_ms"].as_f64();
    goal(
        "goal: `/userinfo` p99 while 500 000 expired sessions are pruned",
        p99,
        p99.map_or("—".into(), |v| format!("{v:.2} ms")),
        "≤ 20 ms",
        |v| v <= 20.0,
    );
    // "Last seen" batches per activity interval (5 s) while 100 000 people only read.
    let per = sqlite(false, 100_000).map(|c| c.write_batches / (c.seconds / 5.0));
    goal(
        "goal: \"last seen\" batches per interval, 100 000 people reading",
        per,
        fmt(per),
        "≤ 1",
        |v| v <= 1.0,
    );
    let j = sqlite(false, 1).map(|c| c.ratio);
    goal("goal: 1 person, JSON", j, fmt(j), "≥ 0.9", |v| v >= 0.9);
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("**{v:.2}**"))
}

fn mib(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("**{v:.0} MiB**"))
}

/// Start-up with 500 000 expired sessions among 1 000 000, and `/userinfo`'s p99 (4 paced
/// clients, one of the live people) while the sweeper removes them.
async fn prune_under_load(dir: &Path, cookies: &Cookies) -> Value {
    let url = format!("sqlite://{}", dir.join("prune.db").display());
    seeded(&url, &[], PLAIN / 2).await;
    let (server, startup) = start(Launch {
        database_url: Some(url.clone()),
        ..Default::default()
    })
    .await;
    let live = std::fs::read_to_string(&cookies.plain)
        .unwrap()
        .lines()
        .nth(PLAIN - 1)
        .unwrap()
        .to_owned();
    let (p50, p99, failed) =
        paced_latency(server.url("/userinfo"), live, Duration::from_secs(8)).await;
    let pruned = metric(&server, "jwt_lab_sessions_ended_total{cause=\"expiry\"}").await;
    drop(server);
    json!({
        "startup_ms": startup.as_secs_f64() * 1000.0, "p50_ms": p50, "p99_ms": p99,
        "failed": failed, "pruned_by_then": pruned,
    })
}

pub async fn sessions(report: &mut Report) {
    let dir = tempfile::tempdir().unwrap();
    let script = crowd_script(dir.path());
    let started = Instant::now();
    let (cookies, fingerprints) = mint(dir.path());
    eprintln!(
        "minted {} people's tokens in {:.1} s",
        PLAIN + KEPT,
        started.elapsed().as_secs_f64()
    );
    let sqlite = format!("sqlite://{}", dir.path().join("people.db").display());
    let place = |label, url, second| Place {
        label,
        url,
        direct: url,
        script: &script,
        settings: &[],
        second,
    };
    let mut all = Vec::new();
    if chosen("CROWDS", "sqlite") {
        seeded(&sqlite, &fingerprints, 0).await;
        all.extend(crowds(&place("SQLite", &sqlite, false), &cookies).await);
        // What a bigger budget buys the largest crowd.
        if chosen("PEOPLE", &PLAIN.to_string()) {
            let bigger = Place {
                label: "SQLite, SESSION_CACHE_MEMORY=512MiB",
                settings: &[("SESSION_CACHE_MEMORY", "512MiB")],
                ..place("", &sqlite, false)
            };
            let c = crowd(&bigger, &cookies.plain, false, PLAIN).await;
            eprintln!("{}", c.json());
            all.push(c);
        }
    }
    let postgres = chosen("CROWDS", "postgres") || chosen("CROWDS", "pgbouncer");
    if postgres && pg_cluster::available() {
        let cluster = pg_cluster::private();
        if chosen("CROWDS", "postgres") {
            let pg = cluster.create_database().await;
            seeded(&pg, &fingerprints, 0).await;
            all.extend(crowds(&place("PostgreSQL, 2 instances", &pg, true), &cookies).await);
        }
        let bouncer = match chosen("CROWDS", "pgbouncer") {
            true => Some(pg_cluster::private_bouncer(cluster.port)),
            false => None,
        };
        match bouncer {
            None => {}
            Some(Ok(bouncer)) => {
                // The same database again, afresh, through the pooler.
                let pg = cluster.create_database().await;
                seeded(&pg, &fingerprints, 0).await;
                let pooled = bouncer.url(pg.rsplit('/').next().unwrap_or_default());
                let settings = [
                    ("DATABASE_POOLER", "transaction"),
                    ("DATABASE_LISTEN_URL", pg.as_str()),
                ];
                let through = Place {
                    label: "PostgreSQL through PgBouncer, 2 instances",
                    url: &pooled,
                    direct: &pg,
                    script: &script,
                    settings: &settings,
                    second: true,
                };
                all.extend(crowds(&through, &cookies).await);
            }
            Some(Err(e)) => report
                .notes
                .push(format!("no PgBouncer ({e}): its crowds were skipped")),
        }
    } else if postgres {
        report
            .notes
            .push("PostgreSQL's binaries are missing: its crowds were skipped".into());
    }
    for c in &all {
        row(report, c);
        report.failures += c.bad;
    }
    let prune = match chosen("CROWDS", "prune") {
        true => prune_under_load(dir.path(), &cookies).await,
        false => json!({}),
    };
    report.row(
        "start-up with 1 000 000 sessions, 500 000 of them expired; `/userinfo` p99 meanwhile",
        format!(
            "start-up {:.0} ms; p50 {:.2} ms, **p99 {:.2} ms** (failed: {}; pruned by then: {})",
            prune["startup_ms"].as_f64().unwrap_or(f64::NAN),
            prune["p50_ms"].as_f64().unwrap_or(f64::NAN),
            prune["p99_ms"].as_f64().unwrap_or(f64::NAN),
            prune["failed"],
            prune["pruned_by_then"]
        ),
        "start-up ≤ 2 s, p99 ≤ 20 ms",
        None,
    );
    goals(report, &all, &prune);
    let results = json!({
        "crowds": all.iter().map(Crowd::json).collect::<Vec<_>>(),
        "prune": prune,
    });
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let out = target.join("people.json");
    if let Err(e) = std::fs::write(&out, serde_json::to_string_pretty(&results).unwrap()) {
        report
            .notes
            .push(format!("could not write {}: {e}", out.display()));
    }
    report
        .notes
        .push(format!("the crowds' figures: {}", out.display()));
    if let Some(svg) = super::plot::draw(&results) {
        report.notes.push(format!("the curve: {}", svg.display()));
    }
}
