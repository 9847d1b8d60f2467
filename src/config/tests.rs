//! The settings as operators give them: defaults, every kind of bad value, and secrets that
//! never print.

use super::*;
use secrecy::ExposeSecret;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

#[test]
fn defaults_work_with_an_empty_environment() {
    let c = config(&[]).unwrap();
    assert_eq!(
        (c.operations.host.as_str(), c.operations.port),
        ("127.0.0.1", 8080)
    );
    assert_eq!(c.database.url, "sqlite://data/app.db");
    assert!(c.tokens.secrets_generated);
    assert_eq!(c.tokens.alg, TokenAlg::Hs256);
    let AccessKeys::Hmac(access) = &c.tokens.access_keys else {
        panic!("HS256 by default")
    };
    assert_ne!(
        access.current.expose_secret(),
        c.tokens.refresh_secret.current.expose_secret()
    );
    assert_eq!(c.sessions.access_token_ttl, Duration::days(1));
    assert_eq!(c.sessions.refresh_token_ttl, Duration::days(7));
    assert_eq!(c.sessions.max_lifetime, Duration::days(30));
    assert_eq!(c.sessions.reuse_grace, Duration::seconds(30));
    assert!(c.demo.users && !c.demo.mode);
}

#[test]
fn durations_read_units_and_plain_seconds() {
    assert_eq!(parse_duration("30s"), Ok(Duration::seconds(30)));
    assert_eq!(parse_duration("15m"), Ok(Duration::minutes(15)));
    assert_eq!(parse_duration("12h"), Ok(Duration::hours(12)));
    assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
    assert_eq!(parse_duration("90"), Ok(Duration::seconds(90)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::milliseconds(250)));
    for bad in [
        "",
        "0",
        "0ms",
        "-5s",
        "5w",
        "1.5h",
        "s",
        "99999999999999999999d",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn a_short_secret_names_its_variable() {
    let err = config(&[("ACCESS_SECRET", "short"), ("REFRESH_SECRET", B)]).unwrap_err();
    assert_eq!(err.var, "ACCESS_SECRET");
    assert!(
        err.to_string()
            .starts_with("ACCESS_SECRET: must be at least 32 bytes")
    );
}

#[test]
fn equal_secrets_are_refused() {
    let err = config(&[("ACCESS_SECRET", A), ("REFRESH_SECRET", A)]).unwrap_err();
    assert_eq!(err.var, "REFRESH_SECRET");
}

#[test]
fn only_one_secret_set_is_refused() {
    assert_eq!(
        config(&[("ACCESS_SECRET", A)]).unwrap_err().var,
        "REFRESH_SECRET"
    );
}

#[test]
fn bad_values_name_their_variable() {
    assert_eq!(config(&[("PORT", "http")]).unwrap_err().var, "PORT");
    assert_eq!(
        config(&[("ACCESS_TOKEN_TTL", "soon")]).unwrap_err().var,
        "ACCESS_TOKEN_TTL"
    );
    assert_eq!(
        config(&[("DEMO_MODE", "maybe")]).unwrap_err().var,
        "DEMO_MODE"
    );
    assert_eq!(
        config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
        "DATABASE_URL"
    );
    assert_eq!(
        config(&[("ACCESS_TOKEN_TTL", "1500ms")]).unwrap_err().var,
        "ACCESS_TOKEN_TTL"
    );
    assert_eq!(
        config(&[("DATABASE_ACQUIRE_TIMEOUT", "30s")])
            .unwrap_err()
            .var,
        "DATABASE_ACQUIRE_TIMEOUT"
    );
    assert_eq!(
        config(&[("DATABASE_MAX_CONNECTIONS", "0")])
            .unwrap_err()
            .var,
        "DATABASE_MAX_CONNECTIONS"
    );
    assert_eq!(
        config(&[("METRICS_ADDR", "9464")]).unwrap_err().var,
        "METRICS_ADDR"
    );
    assert_eq!(
        config(&[("METRICS_ADDR", "127.0.0.1:8080")])
            .unwrap_err()
            .var,
        "METRICS_ADDR"
    );
    assert_eq!(
        config(&[("LOG_FORMAT", "xml")]).unwrap_err().var,
        "LOG_FORMAT"
    );
    assert_eq!(
        config(&[("SESSION_MAX_LIFETIME", "1d")]).unwrap_err().var,
        "SESSION_MAX_LIFETIME"
    );
}

#[test]
fn postgres_needs_configured_secrets() {
    let err = config(&[("DATABASE_URL", "postgres://app:hunter2@db/lab")]).unwrap_err();
    assert_eq!(err.var, "ACCESS_SECRET, REFRESH_SECRET");
    let c = config(&[
        ("DATABASE_URL", "postgresql://app@db/lab"),
        ("ACCESS_SECRET", A),
        ("REFRESH_SECRET", B),
    ])
    .unwrap();
    assert_eq!(c.database.backend, Backend::Postgres);
    assert_eq!(c.database.acquire_timeout, Duration::seconds(2));
}

#[test]
fn eddsa_reads_its_keys_from_pem_files() {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
    let dir = tempfile::tempdir().unwrap();
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let path = dir.path().join("access.pem");
    std::fs::write(&path, pem.as_bytes()).unwrap();
    let file = path.to_str().unwrap();
    let c = config(&[
        ("TOKEN_ALG", "EdDSA"),
        ("ACCESS_KEY_FILE", file),
        ("ACCESS_KEY_FILE_PREVIOUS", file),
        ("REFRESH_SECRET", B),
    ])
    .unwrap();
    let AccessKeys::Ed25519 { current, previous } = &c.tokens.access_keys else {
        panic!("EdDSA")
    };
    assert_eq!(current.verifying_key(), key.verifying_key());
    assert_eq!(*previous, Some(key.verifying_key()));
    assert!(!format!("{c:?}").contains(&format!("{:?}", key.to_bytes())));

    // Zero-config: a key pair made for this run.
    assert!(
        config(&[("TOKEN_ALG", "eddsa")])
            .unwrap()
            .tokens
            .secrets_generated
    );
    // Anything else names the variable.
    let bad = dir.path().join("not-a-key.pem");
    std::fs::write(&bad, "hello").unwrap();
    for (vars, var) in [
        (vec![("TOKEN_ALG", "RS256")], "TOKEN_ALG"),
        (
            vec![("TOKEN_ALG", "EdDSA"), ("REFRESH_SECRET", B)],
            "ACCESS_KEY_FILE",
        ),
        (
            vec![("TOKEN_ALG", "EdDSA"), ("ACCESS_KEY_FILE", file)],
            "REFRESH_SECRET",
        ),
        (
            vec![
                ("TOKEN_ALG", "EdDSA"),
                ("ACCESS_KEY_FILE", bad.to_str().unwrap()),
                ("REFRESH_SECRET", B),
            ],
            "ACCESS_KEY_FILE",
        ),
        (vec![("ACCESS_KEY_FILE", file)], "ACCESS_KEY_FILE"),
        (
            vec![
                ("TOKEN_ALG", "EdDSA"),
                ("DATABASE_URL", "postgres://db/lab"),
            ],
            "ACCESS_KEY_FILE, REFRESH_SECRET",
        ),
    ] {
        assert_eq!(config(&vars).unwrap_err().var, var, "{vars:?}");
    }
}

#[test]
fn urls_in_messages_hide_passwords() {
    assert_eq!(
        redact_url("postgres://app:hunter2@db:5432/lab"),
        "postgres://app:***@db:5432/lab"
    );
    assert_eq!(redact_url("sqlite://data/app.db"), "sqlite://data/app.db");
}

#[test]
fn configured_secrets_are_kept() {
    let c = config(&[("ACCESS_SECRET", A), ("REFRESH_SECRET", B)]).unwrap();
    assert!(!c.tokens.secrets_generated);
    let AccessKeys::Hmac(access) = &c.tokens.access_keys else {
        panic!("HS256")
    };
    assert_eq!(access.current.expose_secret(), A);
    assert!(format!("{c:?}").contains("[redacted]") && !format!("{c:?}").contains(A));
}

#[test]
fn cors_origins_are_exact_origins() {
    let c = config(&[(
        "CORS_ALLOWED_ORIGINS",
        " http://localhost:3000, https://LocalHost:3000,http://localhost:3000,http://[::1]:3000 ",
    )])
    .unwrap();
    assert_eq!(
        c.cors.allowed_origins,
        [
            "http://localhost:3000",
            "https://localhost:3000",
            "http://[::1]:3000"
        ]
    );
    assert!(config(&[]).unwrap().cors.allowed_origins.is_empty());
    for bad in [
        "*",
        "http://*.example.com",
        "http://localhost:3000/",
        "http://localhost:3000/app",
        "localhost:3000",
        "ftp://localhost",
        "http://",
        "http://localhost:0",
        "http://localhost:99999",
        "http://localhost:3000?x=1",
        "http://user:pw@localhost",
        "http://local host",
        "http://localhost:3000, null",
    ] {
        let err = config(&[("CORS_ALLOWED_ORIGINS", bad)]).unwrap_err();
        assert_eq!(err.var, "CORS_ALLOWED_ORIGINS", "{bad}");
        let line = err.to_string();
        assert!(!line.contains('\n'), "{line}");
        let named = bad.split(',').map(str::trim).any(|e| line.contains(e));
        assert!(named, "the line names the bad entry: {line}");
    }
}

#[test]
fn cache_memory_and_activity_interval() {
    let c = config(&[]).unwrap();
    assert_eq!(c.sessions.cache_memory, 256 << 20);
    assert_eq!(c.sessions.activity_interval, Duration::seconds(5));
    let c = config(&[
        ("SESSION_CACHE_MEMORY", "64MiB"),
        ("SESSION_ACTIVITY_INTERVAL", "500ms"),
    ])
    .unwrap();
    assert_eq!(c.sessions.cache_memory, 64 << 20);
    assert_eq!(c.sessions.activity_interval, Duration::milliseconds(500));
    assert_eq!(
        super::sessions::parse_size("2GiB"),
        Ok(2 << 30),
        "gibibytes"
    );
    assert_eq!(super::sessions::parse_size("1048576"), Ok(1 << 20));
    for bad in ["64", "64MB", "1.5GiB", "0MiB", "100GiB", "lots"] {
        let err = config(&[("SESSION_CACHE_MEMORY", bad)]).unwrap_err();
        assert_eq!(err.var, "SESSION_CACHE_MEMORY", "{bad}");
    }
    let err = config(&[("SESSION_ACTIVITY_INTERVAL", "5m")]).unwrap_err();
    assert_eq!(err.var, "SESSION_ACTIVITY_INTERVAL");
}

#[test]
fn a_transaction_pooler_needs_postgresql_itself_beside_it() {
    let pg = [
        ("DATABASE_URL", "postgres://app@bouncer:6432/lab"),
        ("ACCESS_SECRET", A),
        ("REFRESH_SECRET", B),
    ];
    assert_eq!(config(&pg).unwrap().database.pooler, Pooler::None);
    let mut pooled = pg.to_vec();
    pooled.push(("DATABASE_POOLER", "transaction"));
    let err = config(&pooled).unwrap_err();
    assert_eq!(err.var, "DATABASE_POOLER");
    assert!(
        err.message.contains("DATABASE_LISTEN_URL"),
        "{}",
        err.message
    );
    pooled.push(("DATABASE_LISTEN_URL", "postgres://app@db:5432/lab"));
    assert_eq!(
        config(&pooled).unwrap().database.pooler,
        Pooler::Transaction
    );
    let err = config(&[("DATABASE_POOLER", "transaction")]).unwrap_err();
    assert_eq!(err.var, "DATABASE_POOLER", "SQLite has no pooler");
    let err = config(&[("DATABASE_POOLER", "session")]).unwrap_err();
    assert_eq!(err.var, "DATABASE_POOLER");
}
