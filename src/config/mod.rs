//! Every setting of the app: read from the environment (and `.env` via dotenvy), given
//! defaults, validated once at start-up, and carried as one struct of sections, each parsed by
//! its own module: [`database`], [`tokens`], [`sessions`], [`demo`], [`tls`], [`operations`],
//! [`cors`].
//! A wrong setting stops start-up with one line naming the variable.

pub mod cors;
pub mod database;
pub mod demo;
pub mod operations;
pub mod sessions;
pub mod tls;
pub mod tokens;

use time::Duration;

pub use cors::CorsSettings;
pub use database::{Backend, DatabaseSettings, Pooler};
pub use demo::{DEMO_PASSWORD, DEMO_USER_ID, DemoSettings};
pub use operations::{LogFormat, Operations};
pub use sessions::SessionSettings;
pub use tls::TlsFiles;
pub use tokens::{AccessKeys, MIN_SECRET_BYTES, SecretPair, TokenAlg, TokenSettings};

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

#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub demo: DemoSettings,
    /// `TLS_CERT` and `TLS_KEY`: serve HTTPS (and send HSTS) when both are set.
    pub tls: Option<TlsFiles>,
    pub operations: Operations,
    pub cors: CorsSettings,
}

impl Config {
    /// How `SESSION_CACHE_MEMORY` is shared: `(sessions, verified tokens)`. A session missed is
    /// a database read; a token missed is one signature check, about 3 µs with HS256 and 50 µs
    /// with EdDSA: so with HS256 sessions get two thirds (a third still holds both tokens of
    /// as many kept sessions), with EdDSA half.
    pub fn cache_budgets(&self) -> (u64, u64) {
        let memory = self.sessions.cache_memory;
        let tokens = match self.tokens.alg {
            TokenAlg::Hs256 => memory / 3,
            TokenAlg::EdDsa => memory / 2,
        };
        (memory - tokens, tokens)
    }

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
        let env = Env(&lookup);
        let (host, port) = operations::listen_address(&env)?;
        let (url, backend) = database::url(&env)?;
        let tokens = tokens::read(&env, backend)?;
        let sessions = sessions::read(&env)?;
        let database = database::read(&env, url, backend)?;
        let tls = tls::read(&env)?;
        let operations = operations::read(&env, host, port)?;
        let demo = demo::read(&env)?;
        let cors = cors::read(&env)?;
        Ok(Config {
            database,
            tokens,
            sessions,
            demo,
            tls,
            operations,
            cors,
        })
    }
}

/// The variables, as each section reads them: trimmed, an empty value is no value.
pub(crate) struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A duration (`500ms`, `30s`, `15m`, `12h`, `7d` or plain seconds), `default` when unset.
    pub(crate) fn duration(
        &self,
        name: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => parse_duration(&v).map_err(|m| ConfigError::new(name, m)),
        }
    }

    /// A duration in whole seconds (token lifetimes end up in `exp`, which counts seconds).
    pub(crate) fn whole_seconds(
        &self,
        name: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let d = self.duration(name, default)?;
        if d.subsec_nanoseconds() != 0 {
            return Err(ConfigError::new(name, "must be a whole number of seconds"));
        }
        Ok(d)
    }

    pub(crate) fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => parse_bool(&v).ok_or_else(|| {
                ConfigError::new(name, format!("expected true or false, got {v:?}"))
            }),
        }
    }

    pub(crate) fn port(&self, name: &'static str, default: u16) -> Result<u16, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u16>()
                .map_err(|_| ConfigError::new(name, format!("not a port number: {v:?}"))),
        }
    }
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
mod tests;
