//! The sessions section: how long tokens and sessions live, the grace window, and how long a
//! session may sit in an instance's memory.

use time::Duration;

use super::{ConfigError, Env};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    /// `ACCESS_TOKEN_TTL`.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL`, from the last rotation.
    pub refresh_token_ttl: Duration,
    /// `SESSION_MAX_LIFETIME`, from login.
    pub max_lifetime: Duration,
    /// `REFRESH_REUSE_GRACE`.
    pub reuse_grace: Duration,
    /// How long a session may sit in the in-memory cache before it is read again
    /// (`SESSION_CACHE_TTL`): the bound on staleness should an invalidation ever be lost.
    pub cache_ttl: Duration,
    /// The memory the session cache and the verified-token cache may hold together, in bytes
    /// (`SESSION_CACHE_MEMORY`), half each.
    pub cache_memory: u64,
    /// How often "last seen" times are written, all of them in one batch
    /// (`SESSION_ACTIVITY_INTERVAL`): what a crash can lose of them.
    pub activity_interval: Duration,
}

/// The default cache budget: room for 100 000 people with their tokens, kept sessions
/// included (about 2 KiB each, measured: see docs/operating.md).
pub const DEFAULT_CACHE_MEMORY: u64 = 256 << 20;

impl SessionSettings {
    /// The grace window in milliseconds, as the lineage rule counts it.
    pub fn grace_ms(&self) -> i64 {
        self.reuse_grace.whole_milliseconds() as i64
    }
}

pub(super) fn read(env: &Env) -> Result<SessionSettings, ConfigError> {
    let settings = SessionSettings {
        access_token_ttl: env.whole_seconds("ACCESS_TOKEN_TTL", Duration::days(1))?,
        refresh_token_ttl: env.whole_seconds("REFRESH_TOKEN_TTL", Duration::days(7))?,
        max_lifetime: env.whole_seconds("SESSION_MAX_LIFETIME", Duration::days(30))?,
        reuse_grace: env.duration("REFRESH_REUSE_GRACE", Duration::seconds(30))?,
        cache_ttl: env.duration("SESSION_CACHE_TTL", Duration::seconds(60))?,
        cache_memory: match env.get("SESSION_CACHE_MEMORY") {
            None => DEFAULT_CACHE_MEMORY,
            Some(v) => parse_size(&v).map_err(|m| ConfigError::new("SESSION_CACHE_MEMORY", m))?,
        },
        activity_interval: env.duration("SESSION_ACTIVITY_INTERVAL", Duration::seconds(5))?,
    };
    if settings.activity_interval > Duration::minutes(1) {
        return Err(ConfigError::new(
            "SESSION_ACTIVITY_INTERVAL",
            "must be at most 1m: a crash loses up to one interval of last-seen times",
        ));
    }
    if settings.max_lifetime < settings.refresh_token_ttl {
        return Err(ConfigError::new(
            "SESSION_MAX_LIFETIME",
            "must be at least REFRESH_TOKEN_TTL, or a kept session would end before its first refresh",
        ));
    }
    Ok(settings)
}

/// `64MiB`, `1GiB`, `512KiB` or plain bytes; at least 1 MiB, at most 64 GiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("expected a size like 64MiB, 1GiB or plain bytes, got {text:?}");
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit_bytes: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    let bytes = n.checked_mul(unit_bytes).ok_or_else(bad)?;
    if !(1 << 20..=64 << 30).contains(&bytes) {
        return Err(format!("must be between 1MiB and 64GiB, got {text:?}"));
    }
    Ok(bytes)
}
