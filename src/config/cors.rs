//! The CORS section: the exact origins whose scripts may call the JSON API with the user's
//! cookies (`CORS_ALLOWED_ORIGINS`), such as the course's React client on another port.

use super::{ConfigError, Env};

/// `CORS_ALLOWED_ORIGINS`, parsed: bare origins (`scheme://host[:port]`), lower-cased as
/// browsers send them. Empty: no CORS at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
}

const VAR: &str = "CORS_ALLOWED_ORIGINS";

pub(super) fn read(env: &Env) -> Result<CorsSettings, ConfigError> {
    let Some(list) = env.get(VAR) else {
        return Ok(CorsSettings::default());
    };
    let mut allowed_origins = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let origin = origin(entry).map_err(|why| {
            ConfigError::new(VAR, format!("{entry:?} is not an exact origin: {why}"))
        })?;
        if !allowed_origins.contains(&origin) {
            allowed_origins.push(origin);
        }
    }
    Ok(CorsSettings { allowed_origins })
}

/// `entry` as an origin a browser would send in `Origin`, or what is wrong with it.
pub fn origin(entry: &str) -> Result<String, &'static str> {
    if entry.contains('*') {
        return Err("a wildcard cannot carry the user's cookies; name each origin");
    }
    let lower = entry.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return Err("expected scheme://host[:port], e.g. http://localhost:3000");
    };
    if scheme != "http" && scheme != "https" {
        return Err("the scheme must be http or https");
    }
    if rest.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or trailing slash");
    }
    if rest.contains('@') {
        return Err("an origin has no user name or password");
    }
    // An IPv6 address is bracketed, and may have colons of its own.
    let (host, after_host) = match rest.find(']') {
        Some(end) if rest.starts_with('[') => rest.split_at(end + 1),
        _ => rest.split_at(rest.find(':').unwrap_or(rest.len())),
    };
    let port = match after_host.strip_prefix(':') {
        Some(port) => Some(port),
        None if after_host.is_empty() => None,
        None => return Err("expected scheme://host[:port], e.g. http://localhost:3000"),
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.len() > 2
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if !host_ok {
        return Err("the host is not a host name or an address");
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err("the port must be a number from 1 to 65535");
    }
    Ok(lower)
}
