//! The tokens section: how access tokens are signed (`TOKEN_ALG`), and the keys of both kinds.

use std::fmt;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use super::{Backend, ConfigError, Env};

/// Secrets shorter than this are refused: HS256 keys should carry at least 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;

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

/// The signing keys.
#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub alg: TokenAlg,
    pub access_keys: AccessKeys,
    /// Refresh tokens are only ever read by this app, so they stay HMAC in either mode.
    pub refresh_secret: SecretPair,
    /// True when no keys were configured and random ones were made for this run only.
    pub secrets_generated: bool,
}

pub(super) fn read(env: &Env, backend: Backend) -> Result<TokenSettings, ConfigError> {
    let alg = match env
        .get("TOKEN_ALG")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("hs256") => TokenAlg::Hs256,
        Some("eddsa" | "ed25519") => TokenAlg::EdDsa,
        Some(other) => {
            return Err(ConfigError::new(
                "TOKEN_ALG",
                format!("expected HS256 or EdDSA, got {other:?}"),
            ));
        }
    };
    let (access_keys, refresh_current, secrets_generated) = match alg {
        TokenAlg::Hs256 => hmac_keys(env, backend)?,
        TokenAlg::EdDsa => ed25519_keys(env, backend)?,
    };
    let refresh_previous = env
        .get("REFRESH_SECRET_PREVIOUS")
        .map(|s| checked_secret("REFRESH_SECRET_PREVIOUS", s))
        .transpose()?;
    Ok(TokenSettings {
        alg,
        access_keys,
        refresh_secret: SecretPair {
            current: refresh_current,
            previous: refresh_previous,
        },
        secrets_generated,
    })
}

/// The refresh secret: `REFRESH_SECRET`, or a random one when no key at all was set.
fn refresh_secret(env: &Env, generated: bool, partner: &str) -> Result<SecretString, ConfigError> {
    match env.get("REFRESH_SECRET") {
        Some(s) => checked_secret("REFRESH_SECRET", s),
        None if generated => Ok(random_secret()),
        None => Err(ConfigError::new(
            "REFRESH_SECRET",
            format!("must be set when {partner} is set"),
        )),
    }
}

/// HS256: `ACCESS_SECRET` (and the previous one), and the refresh secret.
fn hmac_keys(env: &Env, backend: Backend) -> Result<(AccessKeys, SecretString, bool), ConfigError> {
    if env.get("ACCESS_KEY_FILE").is_some() {
        return Err(ConfigError::new(
            "ACCESS_KEY_FILE",
            "is only used with TOKEN_ALG=EdDSA (HS256 signs with ACCESS_SECRET)",
        ));
    }
    let access = env.get("ACCESS_SECRET");
    let generated = access.is_none() && env.get("REFRESH_SECRET").is_none();
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
    let refresh_current = refresh_secret(env, generated, "ACCESS_SECRET")?;
    if access_current.expose_secret() == refresh_current.expose_secret() {
        return Err(ConfigError::new(
            "REFRESH_SECRET",
            "must differ from ACCESS_SECRET, so one kind of token can never pass for the other",
        ));
    }
    let previous = env
        .get("ACCESS_SECRET_PREVIOUS")
        .map(|s| checked_secret("ACCESS_SECRET_PREVIOUS", s))
        .transpose()?;
    let keys = AccessKeys::Hmac(SecretPair {
        current: access_current,
        previous,
    });
    Ok((keys, refresh_current, generated))
}

/// EdDSA: `ACCESS_KEY_FILE` (and the previous key), and the refresh secret.
fn ed25519_keys(
    env: &Env,
    backend: Backend,
) -> Result<(AccessKeys, SecretString, bool), ConfigError> {
    let key_file = env.get("ACCESS_KEY_FILE");
    let generated = key_file.is_none() && env.get("REFRESH_SECRET").is_none();
    if generated && backend == Backend::Postgres {
        return Err(ConfigError::new(
            "ACCESS_KEY_FILE, REFRESH_SECRET",
            "must be set with a postgres DATABASE_URL and TOKEN_ALG=EdDSA: every \
             instance must sign with the same key, so a per-run key cannot work",
        ));
    }
    let current = match key_file {
        Some(path) => read_private_key("ACCESS_KEY_FILE", &path)?,
        None if generated => ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng),
        None => {
            return Err(ConfigError::new(
                "ACCESS_KEY_FILE",
                "must be set when REFRESH_SECRET is set (with TOKEN_ALG=EdDSA)",
            ));
        }
    };
    let refresh_current = refresh_secret(env, generated, "ACCESS_KEY_FILE")?;
    let previous = env
        .get("ACCESS_KEY_FILE_PREVIOUS")
        .map(|path| read_public_key("ACCESS_KEY_FILE_PREVIOUS", &path))
        .transpose()?;
    let keys = AccessKeys::Ed25519 {
        current: std::sync::Arc::new(current),
        previous,
    };
    Ok((keys, refresh_current, generated))
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
