//! The TLS section: serve HTTPS with these PEM files (both or neither).

use super::{ConfigError, Env};

/// PEM files for serving HTTPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

pub(super) fn read(env: &Env) -> Result<Option<TlsFiles>, ConfigError> {
    match (env.get("TLS_CERT"), env.get("TLS_KEY")) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => {
            for (var, path) in [("TLS_CERT", &cert), ("TLS_KEY", &key)] {
                if !std::path::Path::new(path).is_file() {
                    return Err(ConfigError::new(var, format!("no such file: {path}")));
                }
            }
            Ok(Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            }))
        }
        (Some(_), None) => Err(ConfigError::new(
            "TLS_KEY",
            "must be set when TLS_CERT is set",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "TLS_CERT",
            "must be set when TLS_KEY is set",
        )),
    }
}
