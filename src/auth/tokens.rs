//! JWTs: the claims we put in them, the two kinds (access and refresh, each with its own key),
//! signing, and verification. HS256 only. A token's `kid` names the key that signed it, so an
//! operator can rotate a secret while tokens signed with the previous one keep working.
//!
//! Expiry and not-before are checked here against our own clock rather than by jsonwebtoken,
//! so tests can move time, and so an expired-but-genuine token can be told apart from a forged
//! one (the refresh flow and the teaching timeline both need that difference).

use std::collections::HashSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, SecretPair};
use crate::error::AppError;

pub const ISSUER: &str = "jwt-cookie-lab";
pub const AUDIENCE: &str = "jwt-cookie-lab:web";

/// Longer tokens are refused before any parsing: ours are about 400 bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// Every claim our tokens carry. All are required: a token missing any of them is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user's login name (the course's `userId`).
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    /// Unique per token: what rotation and reuse detection track.
    pub jti: String,
    /// The server-side session this token belongs to.
    pub sid: String,
    pub typ: TokenKind,
    /// Access tokens of a kept session: the `jti` of the refresh token issued together with
    /// this one, which places it in the session's refresh-token lineage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rjti: Option<String>,
}

/// Why a token was refused. Shown to learners on the timeline; never includes the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    TooLong,
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    WrongKind,
    Issuer,
    Audience,
    NotYetValid,
    Claims,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::TooLong => "token too long",
            Invalid::Malformed => "not a well-formed JWT",
            Invalid::Algorithm => "algorithm is not HS256",
            Invalid::UnknownKey => "unknown key id (kid)",
            Invalid::Signature => "signature does not match",
            Invalid::WrongKind => "wrong kind of token",
            Invalid::Issuer => "wrong issuer (iss)",
            Invalid::Audience => "wrong audience (aud)",
            Invalid::NotYetValid => "not valid yet (nbf)",
            Invalid::Claims => "claims missing or malformed",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    Valid(Claims),
    /// Genuine (our key, our claims) but past its `exp`.
    Expired(Claims),
    Invalid(Invalid),
}

/// A freshly signed token. The raw string goes into a cookie and nowhere else.
pub struct Issued {
    pub token: String,
    pub claims: Claims,
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn new(kind: TokenKind, secret: &[u8]) -> Self {
        Self {
            kid: key_id(kind, secret),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// The current key signs; the previous one (during a rotation) only verifies.
struct KeyRing {
    current: Key,
    previous: Option<Key>,
}

impl KeyRing {
    fn new(kind: TokenKind, pair: &SecretPair) -> Self {
        Self {
            current: Key::new(kind, pair.current.expose_secret().as_bytes()),
            previous: pair
                .previous
                .as_ref()
                .map(|p| Key::new(kind, p.expose_secret().as_bytes())),
        }
    }

    fn find(&self, kid: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.kid == kid)
    }
}

/// A short, public name for a key: a prefix of its SHA-256, which reveals nothing usable.
pub fn key_id(kind: TokenKind, secret: &[u8]) -> String {
    let digest = Sha256::digest(secret);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", &kind.as_str()[..1])
}

pub struct Tokens {
    access: KeyRing,
    refresh: KeyRing,
    validation: Validation,
    /// Keys [`Tokens::session_tag`]: derived from the refresh secret, so every instance
    /// sharing the secret names a session the same way in its logs.
    log_key: hmac::Hmac<Sha256>,
}

impl Tokens {
    pub fn new(config: &Config) -> Self {
        super::crypto::install();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        // Time is checked by `verify` against our clock; structure is enforced by `Claims`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims = HashSet::new();
        use hmac::Mac;
        let log_key = hmac::Hmac::<Sha256>::new_from_slice(
            format!(
                "session-tag:{}",
                config.refresh_secret.current.expose_secret()
            )
            .as_bytes(),
        )
        .expect("HMAC takes a key of any length");
        Self {
            access: KeyRing::new(TokenKind::Access, &config.access_secret),
            refresh: KeyRing::new(TokenKind::Refresh, &config.refresh_secret),
            validation,
            log_key,
        }
    }

    /// A session's name in the logs: a keyed hash of its id, never the id itself (OWASP's
    /// logging advice). Lines about one session can be linked; the id cannot be read back.
    pub fn session_tag(&self, sid: &str) -> String {
        use hmac::Mac;
        let mut mac = self.log_key.clone();
        mac.update(sid.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }

    fn ring(&self, kind: TokenKind) -> &KeyRing {
        match kind {
            TokenKind::Access => &self.access,
            TokenKind::Refresh => &self.refresh,
        }
    }

    pub fn current_kid(&self, kind: TokenKind) -> &str {
        &self.ring(kind).current.kid
    }

    /// Signs a new token of `kind` for user `sub` in session `sid`, valid from `now` until
    /// `expires_at` (both Unix seconds). `rjti`: for an access token, the refresh token it
    /// belongs with.
    pub fn issue(
        &self,
        kind: TokenKind,
        sub: &str,
        sid: &str,
        now: i64,
        expires_at: i64,
        rjti: Option<&str>,
    ) -> Result<Issued, AppError> {
        let key = &self.ring(kind).current;
        let claims = Claims {
            iss: ISSUER.into(),
            sub: sub.into(),
            aud: AUDIENCE.into(),
            exp: expires_at,
            nbf: now,
            iat: now,
            jti: new_id(),
            sid: sid.into(),
            typ: kind,
            rjti: rjti.map(str::to_owned),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(AppError::internal)?;
        Ok(Issued { token, claims })
    }

    /// Checks a token presented as `kind` at time `now`.
    pub fn verify(&self, kind: TokenKind, token: &str, now: i64) -> Verified {
        if token.len() > MAX_TOKEN_BYTES {
            return Verified::Invalid(Invalid::TooLong);
        }
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            Err(_) => return Verified::Invalid(unreadable_header(token)),
        };
        if header.alg != Algorithm::HS256 {
            return Verified::Invalid(Invalid::Algorithm);
        }
        let Some(key) = header
            .kid
            .as_deref()
            .and_then(|kid| self.ring(kind).find(kid))
        else {
            return Verified::Invalid(Invalid::UnknownKey);
        };
        let claims = match jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation) {
            Ok(data) => data.claims,
            Err(e) => return Verified::Invalid(classify(e.kind())),
        };
        if claims.typ != kind {
            return Verified::Invalid(Invalid::WrongKind);
        }
        if claims.nbf > now {
            return Verified::Invalid(Invalid::NotYetValid);
        }
        if claims.exp <= now {
            return Verified::Expired(claims);
        }
        Verified::Valid(claims)
    }
}

fn classify(kind: &ErrorKind) -> Invalid {
    match kind {
        ErrorKind::InvalidSignature => Invalid::Signature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm => Invalid::Algorithm,
        ErrorKind::InvalidIssuer => Invalid::Issuer,
        ErrorKind::InvalidAudience => Invalid::Audience,
        ErrorKind::ImmatureSignature => Invalid::NotYetValid,
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => Invalid::Claims,
        ErrorKind::Json(_) => Invalid::Claims,
        _ => Invalid::Malformed,
    }
}

/// Why a header did not parse: an algorithm the library does not even know (`none`, `None`,
/// `RS1024`...) is called what it is; anything else is just malformed.
fn unreadable_header(token: &str) -> Invalid {
    let alg = token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v.get("alg").and_then(|a| a.as_str()).map(str::to_owned));
    match alg {
        Some(alg) if alg != "HS256" => Invalid::Algorithm,
        _ => Invalid::Malformed,
    }
}

/// 122 random bits, for session ids and `jti`s.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What the database keeps of a refresh token: its SHA-256, never the token itself.
pub fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const A: &str = "access-secret-access-secret-access-secret";
    const R: &str = "refresh-secret-refresh-secret-refresh-secret";
    const NOW: i64 = 1_800_000_000;

    fn tokens_with(vars: &[(&str, &str)]) -> Tokens {
        let config = Config::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        Tokens::new(&config)
    }

    fn tokens() -> Tokens {
        tokens_with(&[("ACCESS_SECRET", A), ("REFRESH_SECRET", R)])
    }

    fn sign_raw(header: &serde_json::Value, payload: &serde_json::Value, secret: &str) -> String {
        use hmac::{Hmac, Mac};
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload.to_string());
        // Signed by hand, so the tests can forge tokens jsonwebtoken would refuse to make.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{h}.{p}").as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn payload(kind: &str) -> serde_json::Value {
        serde_json::json!({"iss": ISSUER, "sub": "kimcoding", "aud": AUDIENCE, "exp": NOW + 60,
            "nbf": NOW, "iat": NOW, "jti": "j", "sid": "s", "typ": kind})
    }

    fn header(alg: &str, kid: &str) -> serde_json::Value {
        serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid})
    }

    #[test]
    fn issued_tokens_verify_with_every_claim() {
        let t = tokens();
        let issued = t
            .issue(TokenKind::Access, "kimcoding", "sid1", NOW, NOW + 60, None)
            .unwrap();
        assert_eq!(issued.token.split('.').count(), 3);
        let Verified::Valid(c) = t.verify(TokenKind::Access, &issued.token, NOW) else {
            panic!()
        };
        assert_eq!(
            (c.sub.as_str(), c.sid.as_str(), c.typ),
            ("kimcoding", "sid1", TokenKind::Access)
        );
        assert_eq!(
            (c.iss.as_str(), c.aud.as_str(), c.iat, c.nbf, c.exp),
            (ISSUER, AUDIENCE, NOW, NOW, NOW + 60)
        );
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(
            header.kid.as_deref(),
            Some(t.current_kid(TokenKind::Access))
        );
    }

    #[test]
    fn jtis_are_unique() {
        let t = tokens();
        let a = t
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        let b = t
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        assert_ne!(a.claims.jti, b.claims.jti);
    }

    #[test]
    fn expiry_follows_the_clock() {
        let t = tokens();
        let issued = t
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        assert!(matches!(
            t.verify(TokenKind::Access, &issued.token, NOW + 59),
            Verified::Valid(_)
        ));
        assert!(matches!(
            t.verify(TokenKind::Access, &issued.token, NOW + 60),
            Verified::Expired(_)
        ));
        assert_eq!(
            t.verify(TokenKind::Access, &issued.token, NOW - 1),
            Verified::Invalid(Invalid::NotYetValid)
        );
    }

    #[test]
    fn kinds_never_pass_for_each_other() {
        let t = tokens();
        let access = t
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        let refresh = t
            .issue(TokenKind::Refresh, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        // Different keys, so the kid alone already refuses them.
        assert_eq!(
            t.verify(TokenKind::Refresh, &access.token, NOW),
            Verified::Invalid(Invalid::UnknownKey)
        );
        assert_eq!(
            t.verify(TokenKind::Access, &refresh.token, NOW),
            Verified::Invalid(Invalid::UnknownKey)
        );
        // Signed with the access key and its kid but claiming to be a refresh token.
        let kid = t.current_kid(TokenKind::Access).to_string();
        let forged = sign_raw(&header("HS256", &kid), &payload("refresh"), A);
        assert_eq!(
            t.verify(TokenKind::Access, &forged, NOW),
            Verified::Invalid(Invalid::WrongKind)
        );
    }

    #[test]
    fn forgeries_are_refused() {
        let t = tokens();
        let kid = t.current_kid(TokenKind::Access).to_string();
        let good = sign_raw(&header("HS256", &kid), &payload("access"), A);
        assert!(matches!(
            t.verify(TokenKind::Access, &good, NOW),
            Verified::Valid(_)
        ));

        let cases: Vec<(String, Invalid)> = vec![
            (
                sign_raw(&header("none", &kid), &payload("access"), A),
                Invalid::Algorithm,
            ),
            (
                sign_raw(&header("NoNe", &kid), &payload("access"), A),
                Invalid::Algorithm,
            ),
            (
                sign_raw(&header("RS256", &kid), &payload("access"), A),
                Invalid::Algorithm,
            ),
            (
                sign_raw(&header("HS512", &kid), &payload("access"), A),
                Invalid::Algorithm,
            ),
            (
                sign_raw(&header("HS256", "a-000000000000"), &payload("access"), A),
                Invalid::UnknownKey,
            ),
            (
                sign_raw(
                    &header("HS256", &kid),
                    &payload("access"),
                    "wrong-secret-wrong-secret-wrong-secret",
                ),
                Invalid::Signature,
            ),
            (
                sign_raw(
                    &header("HS256", &kid),
                    &{
                        let mut p = payload("access");
                        p["iss"] = "evil".into();
                        p
                    },
                    A,
                ),
                Invalid::Issuer,
            ),
            (
                sign_raw(
                    &header("HS256", &kid),
                    &{
                        let mut p = payload("access");
                        p["aud"] = "evil".into();
                        p
                    },
                    A,
                ),
                Invalid::Audience,
            ),
            (
                sign_raw(
                    &header("HS256", &kid),
                    &{
                        let mut p = payload("access");
                        p.as_object_mut().unwrap().remove("exp");
                        p
                    },
                    A,
                ),
                Invalid::Claims,
            ),
            (
                sign_raw(&header("HS256", &kid), &serde_json::json!([1, 2]), A),
                Invalid::Claims,
            ),
            (String::new(), Invalid::Malformed),
            ("a.b".into(), Invalid::Malformed),
            ("!!!.@@@.###".into(), Invalid::Malformed),
            ("x".repeat(MAX_TOKEN_BYTES + 1), Invalid::TooLong),
        ];
        for (token, why) in cases {
            assert_eq!(
                t.verify(TokenKind::Access, &token, NOW),
                Verified::Invalid(why),
                "{token:.60}"
            );
        }

        // Tampering with the payload of a genuine token breaks its signature.
        let parts: Vec<&str> = good.split('.').collect();
        let mut p = payload("access");
        p["sub"] = "admin".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(p.to_string()),
            parts[2]
        );
        assert_eq!(
            t.verify(TokenKind::Access, &tampered, NOW),
            Verified::Invalid(Invalid::Signature)
        );
    }

    #[test]
    fn the_previous_key_verifies_but_never_signs() {
        let old = tokens();
        let old_token = old
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap()
            .token;
        let rotated = tokens_with(&[
            (
                "ACCESS_SECRET",
                "the-new-access-secret-the-new-access-secret",
            ),
            ("ACCESS_SECRET_PREVIOUS", A),
            ("REFRESH_SECRET", R),
        ]);
        assert!(matches!(
            rotated.verify(TokenKind::Access, &old_token, NOW),
            Verified::Valid(_)
        ));
        let new_token = rotated
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap()
            .token;
        let kid = jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .unwrap();
        assert_ne!(kid, old.current_kid(TokenKind::Access));
        let dropped = tokens_with(&[
            (
                "ACCESS_SECRET",
                "the-new-access-secret-the-new-access-secret",
            ),
            ("REFRESH_SECRET", R),
        ]);
        assert_eq!(
            dropped.verify(TokenKind::Access, &old_token, NOW),
            Verified::Invalid(Invalid::UnknownKey)
        );
    }

    #[test]
    fn fingerprints_hide_the_token() {
        let f = fingerprint("abc");
        assert_eq!(f.len(), 64);
        assert!(!f.contains("abc"));
    }
}
