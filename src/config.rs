//! Every setting of the app: read from the environment (and `.env` via dotenvy), given
//! defaults, validated once at start-up, and carried as one struct.

use std::fmt;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use time::Duration;

/// Secrets shorter than this are refused: HS256 keys should carry at least 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

/// A wrong setting: which variable, and what is wrong with it. Printed as one line.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

/// One signing secret plus, during a key rotation, the one it replaced.
#[derive(Clone)]
pub struct SecretPair {
    pub current: SecretString,
    pub previous: Option<SecretString>,
}

impl fmt::Debug for SecretPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretPair")
            .field("current", &"[redacted]")
            .field("previous", &self.previous.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// How access tokens are signed (`TOKEN_ALG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAlg {
    /// HMAC-SHA256 with a secret: whoever can verify can also sign.
    Hs256,
    /// Ed25519 signatures: a private key signs; its public key, which anyone may have (the
    /// JWKS), only verifies.
    EdDsa,
}

impl TokenAlg {
    pub fn name(self) -> &'static str {
        match self {
            TokenAlg::Hs256 => "HS256",
            TokenAlg::EdDsa => "EdDSA",
        }
    }
}

/// The keys of access tokens.
#[derive(Clone)]
pub enum AccessKeys {
    /// `ACCESS_SECRET` (and `ACCESS_SECRET_PREVIOUS`).
    Hmac(SecretPair),
    /// `ACCESS_KEY_FILE`'s private key, and the public key of `ACCESS_KEY_FILE_PREVIOUS`
    /// (accepted for verification only, and still published, during a rotation).
    Ed25519 {
        current: std::sync::Arc<ed25519_dalek::SigningKey>,
        previous: Option<ed25519_dalek::VerifyingKey>,
    },
}

impl fmt::Debug for AccessKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessKeys::Hmac(pair) => f.debug_tuple("Hmac").field(pair).finish(),
            AccessKeys::Ed25519 { previous, .. } => f
                .debug_struct("Ed25519")
                .field("current", &"[redacted]")
                .field("previous", &previous.map(|_| "[public key]"))
                .finish(),
        }
    }
}

/// PEM files for serving HTTPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// How the app talks to its database. Defaults suit SQLite on one machine and a small
/// PostgreSQL; the timeouts keep a database that is down from turning into hung requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// Connections in the pool (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long start-up waits for the database to answer (`DATABASE_CONNECT_TIMEOUT`).
    pub connect_timeout: Duration,
    /// How long a request waits for a free connection before it gets a 503
    /// (`DATABASE_ACQUIRE_TIMEOUT`, at most 5 s).
    pub acquire_timeout: Duration,
    /// SQLite only: how long a statement waits on a lock held by another connection or
    /// process before giving up (`DATABASE_BUSY_TIMEOUT`).
    pub busy_timeout: Duration,
    /// PostgreSQL only: where the invalidation listener connects (`DATABASE_LISTEN_URL`).
    /// It must reach PostgreSQL directly: LISTEN does not work through a transaction pooler.
    pub listen_url: Option<String>,
}

/// The two backends, told apart by the URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database_url: String,
    pub backend: Backend,
    pub database: DatabaseSettings,
    /// How long a session may sit in the in-memory cache before it is read again
    /// (`SESSION_CACHE_TTL`): the bound on staleness should an invalidation ever be lost.
    pub session_cache_ttl: Duration,
    pub token_alg: TokenAlg,
    pub access_keys: AccessKeys,
    /// Refresh tokens are only ever read by this app, so they stay HMAC in either mode.
    pub refresh_secret: SecretPair,
    /// True when no keys were configured and random ones were made for this run only.
    pub secrets_generated: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub session_max_lifetime: Duration,
    pub refresh_reuse_grace: Duration,
    pub demo_mode: bool,
    /// Demo mode: the port of the stateless verifier the app runs beside itself
    /// (`DEMO_VERIFIER_PORT`, default 8081).
    pub demo_verifier_port: u16,
    /// Demo mode: the port of the "other site" that tries cross-site requests
    /// (`DEMO_CROSS_SITE_PORT`, default 8082).
    pub demo_cross_site_port: u16,
    pub demo_users: bool,
    /// `TLS_CERT` and `TLS_KEY`: serve HTTPS (and send HSTS) when both are set.
    pub tls: Option<TlsFiles>,
    /// `METRICS_ADDR`: where Prometheus metrics are served (off when unset). Never the public
    /// port.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub log_format: LogFormat,
}

/// `LOG_FORMAT`: readable lines for people, or one JSON object per line for a log pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Read on its own (before the rest of the settings) so that start-up can log in the right
    /// format from its first line.
    pub fn from_env_value(value: Option<&str>) -> Result<LogFormat, ConfigError> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(ConfigError::new(
                "LOG_FORMAT",
                format!("expected text or json, got {other:?}"),
            )),
        }
    }
}

impl Config {
    /// Reads `.env` (if present, without overriding the real environment) and then the
    /// environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a broken one is worth stopping for.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new(".env", e.to_string())),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the config from any source of variables, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let host = get("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = match get("PORT") {
            None => 8080,
            Some(v) => v
                .parse::<u16>()
                .map_err(|_| ConfigError::new("PORT", format!("not a port number: {v:?}")))?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/app.db".into());
        let Some(backend) = Backend::of_url(&database_url) else {
            return Err(ConfigError::new(
                "DATABASE_URL",
                format!(
                    "must be a sqlite: or postgres: URL, e.g. sqlite://data/app.db or \
                     postgres://user@localhost/jwt_cookie_lab (got {:?})",
                    redact_url(&database_url)
                ),
            ));
        };

        let token_alg = match get("TOKEN_ALG").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("hs256") => TokenAlg::Hs256,
            Some("eddsa" | "ed25519") => TokenAlg::EdDsa,
            Some(other) => {
                return Err(ConfigError::new(
                    "TOKEN_ALG",
                    format!("expected HS256 or EdDSA, got {other:?}"),
                ));
            }
        };
        let refresh = get("REFRESH_SECRET");
        let (access_keys, refresh_current, secrets_generated) = match token_alg {
            TokenAlg::Hs256 => {
                if get("ACCESS_KEY_FILE").is_some() {
                    return Err(ConfigError::new(
                        "ACCESS_KEY_FILE",
                        "is only used with TOKEN_ALG=EdDSA (HS256 signs with ACCESS_SECRET)",
                    ));
                }
                let access = get("ACCESS_SECRET");
                let generated = access.is_none() && refresh.is_none();
                if generated && backend == Backend::Postgres {
                    return Err(ConfigError::new(
                        "ACCESS_SECRET, REFRESH_SECRET",
                        "must be set with a postgres DATABASE_URL: every instance must sign and \
                         verify with the same keys, so random per-run secrets cannot work",
                    ));
                }
                let access_current = match access {
                    Some(s) => checked_secret("ACCESS_SECRET", s)?,
                    None if generated => random_secret(),
                    None => {
                        return Err(ConfigError::new(
                            "ACCESS_SECRET",
                            "must be set when REFRESH_SECRET is set",
                        ));
                    }
                };
                let refresh_current = match refresh {
                    Some(s) => checked_secret("REFRESH_SECRET", s)?,
                    None if generated => random_secret(),
                    None => {
                        return Err(ConfigError::new(
                            "REFRESH_SECRET",
                            "must be set when ACCESS_SECRET is set",
                        ));
                    }
                };
                if access_current.expose_secret() == refresh_current.expose_secret() {
                    return Err(ConfigError::new(
                        "REFRESH_SECRET",
                        "must differ from ACCESS_SECRET, so one kind of token can never pass for the other",
                    ));
                }
                let previous = get("ACCESS_SECRET_PREVIOUS")
                    .map(|s| checked_secret("ACCESS_SECRET_PREVIOUS", s))
                    .transpose()?;
                let keys = AccessKeys::Hmac(SecretPair {
                    current: access_current,
                    previous,
                });
                (keys, refresh_current, generated)
            }
            TokenAlg::EdDsa => {
                let key_file = get("ACCESS_KEY_FILE");
                let generated = key_file.is_none() && refresh.is_none();
                if generated && backend == Backend::Postgres {
                    return Err(ConfigError::new(
                        "ACCESS_KEY_FILE, REFRESH_SECRET",
                        "must be set with a postgres DATABASE_URL and TOKEN_ALG=EdDSA: every \
                         instance must sign with the same key, so a per-run key cannot work",
                    ));
                }
                let current = match key_file {
                    Some(path) => read_private_key("ACCESS_KEY_FILE", &path)?,
                    None if generated => {
                        ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng)
                    }
                    None => {
                        return Err(ConfigError::new(
                            "ACCESS_KEY_FILE",
                            "must be set when REFRESH_SECRET is set (with TOKEN_ALG=EdDSA)",
                        ));
                    }
                };
                let refresh_current = match refresh {
                    Some(s) => checked_secret("REFRESH_SECRET", s)?,
                    None if generated => random_secret(),
                    None => {
                        return Err(ConfigError::new(
                            "REFRESH_SECRET",
                            "must be set when ACCESS_KEY_FILE is set",
                        ));
                    }
                };
                let previous = get("ACCESS_KEY_FILE_PREVIOUS")
                    .map(|path| read_public_key("ACCESS_KEY_FILE_PREVIOUS", &path))
                    .transpose()?;
                let keys = AccessKeys::Ed25519 {
                    current: std::sync::Arc::new(current),
                    previous,
                };
                (keys, refresh_current, generated)
            }
        };
        let refresh_previous = get("REFRESH_SECRET_PREVIOUS")
            .map(|s| checked_secret("REFRESH_SECRET_PREVIOUS", s))
            .transpose()?;

        let duration = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => parse_duration(&v).map_err(|m| ConfigError::new(name, m)),
            }
        };
        // Token lifetimes end up in `exp`, which counts whole seconds.
        let whole_seconds =
            |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
                let d = duration(name, default)?;
                if d.subsec_nanoseconds() != 0 {
                    return Err(ConfigError::new(name, "must be a whole number of seconds"));
                }
                Ok(d)
            };
        let access_token_ttl = whole_seconds("ACCESS_TOKEN_TTL", Duration::days(1))?;
        let refresh_token_ttl = whole_seconds("REFRESH_TOKEN_TTL", Duration::days(7))?;
        let session_max_lifetime = whole_seconds("SESSION_MAX_LIFETIME", Duration::days(30))?;
        let refresh_reuse_grace = duration("REFRESH_REUSE_GRACE", Duration::seconds(30))?;
        let session_cache_ttl = duration("SESSION_CACHE_TTL", Duration::seconds(60))?;

        let max_connections = match get("DATABASE_MAX_CONNECTIONS") {
            None => 8,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "DATABASE_MAX_CONNECTIONS",
                        format!("expected a number from 1 to 1000, got {v:?}"),
                    ));
                }
            },
        };
        let acquire_timeout = duration("DATABASE_ACQUIRE_TIMEOUT", Duration::seconds(2))?;
        if acquire_timeout > Duration::seconds(5) {
            return Err(ConfigError::new(
                "DATABASE_ACQUIRE_TIMEOUT",
                "must be at most 5s: past it a request gets a quick 503 instead of hanging",
            ));
        }
        let busy_timeout = duration("DATABASE_BUSY_TIMEOUT", Duration::seconds(2))?;
        if busy_timeout > Duration::seconds(5) {
            return Err(ConfigError::new(
                "DATABASE_BUSY_TIMEOUT",
                "must be at most 5s: past it a request gets a quick 503 instead of hanging",
            ));
        }
        let listen_url = get("DATABASE_LISTEN_URL");
        if let Some(url) = &listen_url
            && Backend::of_url(url) != Some(Backend::Postgres)
        {
            return Err(ConfigError::new(
                "DATABASE_LISTEN_URL",
                "must be a postgres: URL (it is only used with a postgres DATABASE_URL)",
            ));
        }
        let database = DatabaseSettings {
            max_connections,
            connect_timeout: duration("DATABASE_CONNECT_TIMEOUT", Duration::seconds(10))?,
            acquire_timeout,
            busy_timeout,
            listen_url,
        };
        if session_max_lifetime < refresh_token_ttl {
            return Err(ConfigError::new(
                "SESSION_MAX_LIFETIME",
                "must be at least REFRESH_TOKEN_TTL, or a kept session would end before its first refresh",
            ));
        }

        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => parse_bool(&v).ok_or_else(|| {
                    ConfigError::new(name, format!("expected true or false, got {v:?}"))
                }),
            }
        };

        let tls = match (get("TLS_CERT"), get("TLS_KEY")) {
            (None, None) => None,
            (Some(cert), Some(key)) => {
                for (var, path) in [("TLS_CERT", &cert), ("TLS_KEY", &key)] {
                    if !std::path::Path::new(path).is_file() {
                        return Err(ConfigError::new(var, format!("no such file: {path}")));
                    }
                }
                Some(TlsFiles {
                    cert: cert.into(),
                    key: key.into(),
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "TLS_KEY",
                    "must be set when TLS_CERT is set",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "TLS_CERT",
                    "must be set when TLS_KEY is set",
                ));
            }
        };

        let metrics_addr = match get("METRICS_ADDR") {
            None => None,
            Some(v) => Some(v.parse::<std::net::SocketAddr>().map_err(|_| {
                ConfigError::new(
                    "METRICS_ADDR",
                    format!("expected an address and port such as 127.0.0.1:9464, got {v:?}"),
                )
            })?),
        };
        if let Some(addr) = metrics_addr
            && addr.port() != 0
            && addr.port() == port
        {
            return Err(ConfigError::new(
                "METRICS_ADDR",
                "must not be the public port: metrics are for operators only",
            ));
        }
        let log_format = LogFormat::from_env_value(get("LOG_FORMAT").as_deref())?;
        let demo_port = |name: &'static str, default: u16| -> Result<u16, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u16>()
                    .map_err(|_| ConfigError::new(name, format!("not a port number: {v:?}"))),
            }
        };
        let demo_verifier_port = demo_port("DEMO_VERIFIER_PORT", 8081)?;
        let demo_cross_site_port = demo_port("DEMO_CROSS_SITE_PORT", 8082)?;

        Ok(Config {
            host,
            port,
            metrics_addr,
            log_format,
            database_url,
            backend,
            database,
            session_cache_ttl,
            token_alg,
            access_keys,
            refresh_secret: SecretPair {
                current: refresh_current,
                previous: refresh_previous,
            },
            secrets_generated,
            access_token_ttl,
            refresh_token_ttl,
            session_max_lifetime,
            refresh_reuse_grace,
            demo_mode: flag("DEMO_MODE", false)?,
            demo_verifier_port,
            demo_cross_site_port,
            demo_users: flag("DEMO_USERS", true)?,
            tls,
        })
    }
}

/// An Ed25519 private key from a PKCS#8 PEM file (`openssl genpkey -algorithm ed25519`).
fn read_private_key(
    var: &'static str,
    path: &str,
) -> Result<ed25519_dalek::SigningKey, ConfigError> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let pem = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(var, format!("cannot read {path}: {e}")))?;
    ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
        ConfigError::new(
            var,
            format!("{path} is not an Ed25519 private key in PKCS#8 PEM (make one with: openssl genpkey -algorithm ed25519)"),
        )
    })
}

/// An Ed25519 public key from a PEM file: a private key (its public half is taken) or a public
/// key (`openssl pkey -pubout`).
fn read_public_key(
    var: &'static str,
    path: &str,
) -> Result<ed25519_dalek::VerifyingKey, ConfigError> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    let pem = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(var, format!("cannot read {path}: {e}")))?;
    if let Ok(private) = read_private_key(var, path) {
        return Ok(private.verifying_key());
    }
    ed25519_dalek::VerifyingKey::from_public_key_pem(&pem).map_err(|_| {
        ConfigError::new(
            var,
            format!("{path} is not an Ed25519 key in PEM (private PKCS#8 or public SPKI)"),
        )
    })
}

fn checked_secret(var: &'static str, value: String) -> Result<SecretString, ConfigError> {
    if value.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::new(
            var,
            format!(
                "must be at least {MIN_SECRET_BYTES} bytes long (got {})",
                value.len()
            ),
        ));
    }
    Ok(SecretString::from(value))
}

fn random_secret() -> SecretString {
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `500ms`, `30s`, `15m`, `12h`, `7d`, or plain seconds. Zero and negative lifetimes make no
/// sense.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || {
        format!("expected a duration like 500ms, 30s, 15m, 12h, 7d or plain seconds, got {text:?}")
    };
    let n: i64 = number.parse().map_err(|_| bad())?;
    let ms_per_unit = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    let ms = n.checked_mul(ms_per_unit).ok_or_else(bad)?;
    // Ten years is far past any sane token lifetime, and keeps timestamp arithmetic safe.
    if ms <= 0 || ms > 10 * 365 * 86_400_000 {
        return Err(format!(
            "must be between 1 millisecond and 10 years, got {text:?}"
        ));
    }
    Ok(Duration::milliseconds(ms))
}

/// A database URL fit for an error message: any password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 8080));
        assert_eq!(c.database_url, "sqlite://data/app.db");
        assert!(c.secrets_generated);
        assert_eq!(c.token_alg, TokenAlg::Hs256);
        let AccessKeys::Hmac(access) = &c.access_keys else {
            panic!("HS256 by default")
        };
        assert_ne!(
            access.current.expose_secret(),
            c.refresh_secret.current.expose_secret()
        );
        assert_eq!(c.access_token_ttl, Duration::days(1));
        assert_eq!(c.refresh_token_ttl, Duration::days(7));
        assert_eq!(c.session_max_lifetime, Duration::days(30));
        assert_eq!(c.refresh_reuse_grace, Duration::seconds(30));
        assert!(c.demo_users && !c.demo_mode);
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
        assert_eq!(c.backend, Backend::Postgres);
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
        let AccessKeys::Ed25519 { current, previous } = &c.access_keys else {
            panic!("EdDSA")
        };
        assert_eq!(current.verifying_key(), key.verifying_key());
        assert_eq!(*previous, Some(key.verifying_key()));
        assert!(!format!("{c:?}").contains(&format!("{:?}", key.to_bytes())));

        // Zero-config: a key pair made for this run.
        assert!(config(&[("TOKEN_ALG", "eddsa")]).unwrap().secrets_generated);
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
        assert!(!c.secrets_generated);
        let AccessKeys::Hmac(access) = &c.access_keys else {
            panic!("HS256")
        };
        assert_eq!(access.current.expose_secret(), A);
        assert!(format!("{c:?}").contains("[redacted]") && !format!("{c:?}").contains(A));
    }
}
