//! The operations section: where the app listens, where its metrics are served, and how it
//! logs.

use super::{ConfigError, Env};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operations {
    /// `HOST`.
    pub host: String,
    /// `PORT` (`0`: any free port).
    pub port: u16,
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

/// `HOST` and `PORT`.
pub(super) fn listen_address(env: &Env) -> Result<(String, u16), ConfigError> {
    let host = env.get("HOST").unwrap_or_else(|| "127.0.0.1".into());
    Ok((host, env.port("PORT", 8080)?))
}

pub(super) fn read(env: &Env, host: String, port: u16) -> Result<Operations, ConfigError> {
    let metrics_addr = match env.get("METRICS_ADDR") {
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
    Ok(Operations {
        host,
        port,
        metrics_addr,
        log_format: LogFormat::from_env_value(env.get("LOG_FORMAT").as_deref())?,
    })
}
