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
}

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
    };
    if settings.max_lifetime < settings.refresh_token_ttl {
        return Err(ConfigError::new(
            "SESSION_MAX_LIFETIME",
            "must be at least REFRESH_TOKEN_TTL, or a kept session would end before its first refresh",
        ));
    }
    Ok(settings)
}
