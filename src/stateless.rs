//! The seeds' "other server": a service that trusts a token on its signature alone. It knows
//! only where the public keys are (`JWKS_URL`, EdDSA) or the shared secret (`ACCESS_SECRET`,
//! HS256), has no database, and answers `GET /api/profile` from the token: `200` with the
//! claims it trusts, `401` otherwise. It checks tokens with the very `Verifier` the app uses.
//!
//! That is what JWTs promise — any number of services, no session store — and what they cost:
//! this server cannot know that a session was logged out, so a copied access token is honoured
//! here until its `exp`, while the app refuses it at once. `cargo run --bin stateless-api`
//! runs it alone; in demo mode the app also runs one beside itself (`DEMO_VERIFIER_PORT`).

use std::net::TcpListener;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::auth::tokens::{Jwks, TokenKind, Verified, Verifier};
use crate::clock::SharedClock;
use crate::config::{ConfigError, MIN_SECRET_BYTES};
use crate::vocab::{ACCESS_COOKIE, Rule};

/// Where the verifier's keys come from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// EdDSA: the issuer's JWKS, fetched over HTTP(S).
    Jwks(String),
    /// HS256: the secret the issuer signs with. Whoever holds it can sign too.
    Secret(SecretString),
    /// EdDSA: a key set handed over once. Demo mode uses it when the app serves HTTPS with a
    /// certificate this process would not trust; the keys are still public keys only.
    Published(Jwks),
}

/// The stateless verifier's settings: `HOST`, `PORT` and one of `JWKS_URL` or `ACCESS_SECRET`.
#[derive(Debug)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub source: KeySource,
}

impl Settings {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let host = get("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = match get("PORT") {
            None => 8081,
            Some(v) => v
                .parse()
                .map_err(|_| ConfigError::new("PORT", format!("not a port number: {v:?}")))?,
        };
        let source = match (get("JWKS_URL"), get("ACCESS_SECRET")) {
            (Some(url), None) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::new(
                        "JWKS_URL",
                        "must be an http:// or https:// URL",
                    ));
                }
                KeySource::Jwks(url)
            }
            (None, Some(secret)) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(ConfigError::new(
                        "ACCESS_SECRET",
                        format!("must be at least {MIN_SECRET_BYTES} bytes long"),
                    ));
                }
                KeySource::Secret(SecretString::from(secret))
            }
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "JWKS_URL, ACCESS_SECRET",
                    "set one of them: JWKS_URL for EdDSA tokens, ACCESS_SECRET for HS256",
                ));
            }
            (None, None) => {
                return Err(ConfigError::new(
                    "JWKS_URL, ACCESS_SECRET",
                    "one must be set: JWKS_URL for EdDSA tokens (e.g. http://127.0.0.1:8080/.well-known/jwks.json), ACCESS_SECRET for HS256",
                ));
            }
        };
        Ok(Self { host, port, source })
    }
}

/// An unknown `kid` refetches the key set at most this often (milliseconds), so random kids
/// cannot make this server hammer the issuer.
const REFETCH_AT_MOST_EVERY_MS: i64 = 10_000;
/// Kept when the JWKS answer says nothing about caching.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// The verifier's keys and when they were fetched (times in the clock's milliseconds, so tests
/// can move time).
struct Keys {
    source: KeySource,
    verifier: RwLock<Arc<Verifier>>,
    fetched_at_ms: Mutex<Option<i64>>,
    fresh_until_ms: Mutex<Option<i64>>,
    /// How many times the key set was fetched (for the tests).
    fetches: std::sync::atomic::AtomicU64,
}

impl Keys {
    fn new(source: KeySource) -> Self {
        let verifier = match &source {
            KeySource::Secret(secret) => Verifier::from_secret(secret.expose_secret().as_bytes()),
            KeySource::Jwks(_) => Verifier::from_jwks(&Jwks::default()),
            KeySource::Published(jwks) => Verifier::from_jwks(jwks),
        };
        Self {
            source,
            verifier: RwLock::new(Arc::new(verifier)),
            fetched_at_ms: Mutex::new(None),
            fresh_until_ms: Mutex::new(None),
            fetches: Default::default(),
        }
    }

    fn current(&self) -> Arc<Verifier> {
        self.verifier
            .read()
            .map(|v| v.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// The verifier to use for a token naming `kid`: fetches the key set first if the cached
    /// one is stale, or does not know `kid` and was not fetched in the last few seconds.
    async fn for_kid(&self, kid: Option<&str>, now_ms: i64) -> Arc<Verifier> {
        let KeySource::Jwks(url) = &self.source else {
            return self.current();
        };
        let stale = self
            .fresh_until_ms
            .lock()
            .map(|f| f.is_none_or(|until| now_ms >= until))
            .unwrap_or(true);
        let unknown = kid.is_some_and(|k| !self.current().knows(k));
        let may_refetch = self
            .fetched_at_ms
            .lock()
            .map(|f| f.is_none_or(|at| now_ms - at >= REFETCH_AT_MOST_EVERY_MS))
            .unwrap_or(true);
        if stale || (unknown && may_refetch) {
            if let Ok(mut at) = self.fetched_at_ms.lock() {
                *at = Some(now_ms);
            }
            self.fetches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match fetch_jwks(url).await {
                Ok((jwks, max_age)) => {
                    if let Ok(mut v) = self.verifier.write() {
                        *v = Arc::new(Verifier::from_jwks(&jwks));
                    }
                    if let Ok(mut f) = self.fresh_until_ms.lock() {
                        *f = Some(now_ms + max_age.as_millis() as i64);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, url, "could not fetch the JWKS; keeping the keys I had")
                }
            }
        }
        self.current()
    }
}

/// Fetches the key set and how long it may be kept (its `Cache-Control: max-age`).
async fn fetch_jwks(url: &str) -> Result<(Jwks, Duration), String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let mut response = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("{} answered {}", url, response.status()));
    }
    let max_age = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age="))
                .and_then(|s| s.parse::<u64>().ok())
        })
        .map_or(DEFAULT_MAX_AGE, Duration::from_secs);
    let jwks: Jwks = response
        .json()
        .limit(64 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    Ok((jwks, max_age))
}

/// What the stateless verifier trusts about a token: its claims, and how it checked them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub alg: String,
    pub kid: String,
    /// Always true: it has nothing else to go on.
    pub verified_by_signature_alone: bool,
}

#[derive(Serialize)]
struct Refusal {
    error: String,
    /// The check that refused the token (the same names the attack lab shows).
    rule: &'static str,
}

/// The access token a request carries: `Authorization: Bearer`, else the `access_jwt` cookie.
fn token_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .or_else(|| req.cookie(ACCESS_COOKIE).map(|c| c.value().to_owned()))
        .filter(|t| !t.is_empty())
}

struct VerifierState {
    keys: Keys,
    clock: SharedClock,
}

fn refusal(rule: &'static str, error: impl Into<String>) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Refusal {
            error: error.into(),
            rule,
        })
}

async fn profile(req: HttpRequest, state: web::Data<VerifierState>) -> HttpResponse {
    let Some(token) = token_of(&req) else {
        return refusal(
            "token",
            "no access token (send it as Authorization: Bearer or the access_jwt cookie)",
        );
    };
    let kid = jsonwebtoken::decode_header(&token).ok().and_then(|h| h.kid);
    let verifier = state
        .keys
        .for_kid(kid.as_deref(), state.clock.now_ms())
        .await;
    let now = state.clock.now();
    match verifier.verify(TokenKind::Access, &token, now) {
        Verified::Valid(claims) => {
            let alg = jsonwebtoken::decode_header(&token)
                .map(|h| format!("{:?}", h.alg))
                .unwrap_or_default();
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(Profile {
                    sub: claims.sub,
                    sid: claims.sid,
                    iss: claims.iss,
                    aud: claims.aud,
                    iat: claims.iat,
                    exp: claims.exp,
                    jti: claims.jti,
                    alg,
                    kid: kid.unwrap_or_default(),
                    verified_by_signature_alone: true,
                })
        }
        Verified::Expired(claims) => refusal(
            Rule::Expiry.as_str(),
            format!("expired {}s ago", now - claims.exp),
        ),
        Verified::Invalid(why) => refusal(why.rule().as_str(), why.to_string()),
    }
}

/// `/healthz`, which also says how many times the key set was fetched (`ok, 2 fetches`).
async fn healthz(state: web::Data<VerifierState>) -> HttpResponse {
    let fetches = state
        .keys
        .fetches
        .load(std::sync::atomic::Ordering::Relaxed);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!("ok, {fetches} fetches"))
}

/// Serves the stateless verifier on `listener` until stopped.
pub fn serve(
    listener: TcpListener,
    source: KeySource,
    clock: SharedClock,
) -> std::io::Result<Server> {
    let state = web::Data::new(VerifierState {
        keys: Keys::new(source),
        clock,
    });
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/api/profile", web::get().to(profile))
            .route("/healthz", web::get().to(healthz))
    })
    .workers(1)
    .listen(listener)?
    .run())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn it_needs_exactly_one_source_of_keys() {
        assert!(matches!(
            settings(&[("JWKS_URL", "http://127.0.0.1:8080/.well-known/jwks.json")])
                .unwrap()
                .source,
            KeySource::Jwks(_)
        ));
        assert!(matches!(
            settings(&[("ACCESS_SECRET", "a-long-enough-secret-a-long-enough-secret")])
                .unwrap()
                .source,
            KeySource::Secret(_)
        ));
        assert_eq!(settings(&[]).unwrap_err().var, "JWKS_URL, ACCESS_SECRET");
        assert_eq!(
            settings(&[
                ("JWKS_URL", "http://x/jwks"),
                ("ACCESS_SECRET", "a-long-enough-secret-a-long-enough-secret")
            ])
            .unwrap_err()
            .var,
            "JWKS_URL, ACCESS_SECRET"
        );
        assert_eq!(
            settings(&[("JWKS_URL", "file:///etc/passwd")])
                .unwrap_err()
                .var,
            "JWKS_URL"
        );
        assert_eq!(
            settings(&[("ACCESS_SECRET", "short")]).unwrap_err().var,
            "ACCESS_SECRET"
        );
    }
}
