//! JWTs: the claims we put in them, the two kinds (access and refresh, each with its own keys),
//! signing, and verification. Access tokens are signed HS256 (a shared secret) or EdDSA
//! (Ed25519: a private key signs, the public key in the JWKS verifies); refresh tokens, read by
//! this app alone, are always HS256. The algorithm is pinned per key: a token's `kid` picks the
//! key, and the key says which algorithm it accepts, whatever else the header claims.
//!
//! Expiry and not-before are checked here against our own clock rather than by jsonwebtoken,
//! so tests can move time, and so an expired-but-genuine token can be told apart from a forged
//! one (the refresh flow and the teaching timeline both need that difference).
//!
//! [`Verifier::verify_traced`] records every check it makes, under stable rule names: the
//! attack lab shows that record, so what a learner sees are the checks real requests go
//! through (a real request may take them from the cache below; the lab never does).
//! Real requests pass [`NoTrace`], which records nothing and costs nothing.
//!
//! An Ed25519 signature check costs several times the rest of a request, and even with HMAC
//! decoding the header and the claims is most of the token's cost, so a verifier remembers the
//! tokens it has fully verified (as Envoy's JWT filter does): under the SHA-256 of the token's
//! kind and the whole token, never the token itself, it keeps the claims it found, and a token
//! with exactly those bytes, presented as the same kind, skips only the signature and header
//! checks, whose answer those bytes and that kind's keys alone decide. A kept session's browser
//! sends both of its tokens with every request, so both kinds are remembered. Expiry and
//! not-before are checked again on every use, and nothing about sessions is cached here:
//! revocation, and where a refresh token stands in its session's lineage, are decided after
//! this, on every request.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{AccessKeys, Config, SecretPair};
use crate::error::AppError;
use crate::vocab::{Detail, Rule};

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

/// Why a token was refused. Shown to learners on the timeline and in the lab; never includes
/// the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    TooLong,
    Malformed,
    Algorithm,
    /// The header carries a key or a key's address (`jwk`, `jku`, `x5u`, `x5c`).
    KeyInToken,
    UnknownKey,
    Signature,
    WrongKind,
    Issuer,
    Audience,
    NotYetValid,
    Claims,
}

impl Invalid {
    /// The check that refused the token (`data-rule` in the lab).
    pub fn rule(self) -> Rule {
        match self {
            Invalid::TooLong => Rule::Size,
            Invalid::Malformed => Rule::Structure,
            Invalid::Algorithm => Rule::Algorithm,
            Invalid::KeyInToken => Rule::KeyInToken,
            Invalid::UnknownKey => Rule::KeyId,
            Invalid::Signature => Rule::Signature,
            Invalid::WrongKind => Rule::Type,
            Invalid::Issuer => Rule::Issuer,
            Invalid::Audience => Rule::Audience,
            Invalid::NotYetValid => Rule::NotBefore,
            Invalid::Claims => Rule::Claims,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::TooLong => "token too long",
            Invalid::Malformed => "not a well-formed JWT",
            Invalid::Algorithm => "algorithm is not the one this key is pinned to",
            Invalid::KeyInToken => "the header brings its own key (jwk, jku, x5u or x5c)",
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

/// Where the checks of one verification are written down. Real requests use [`NoTrace`].
pub trait Trace {
    /// `rule` passed (`true`) or refused the token (`false`); `detail` says what was seen.
    fn step(&mut self, rule: Rule, passed: bool, detail: Option<Detail>);

    /// Whether anything is listening (so callers can skip building details).
    fn wants(&self) -> bool {
        true
    }
}

/// Records nothing.
pub struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn step(&mut self, _: Rule, _: bool, _: Option<Detail>) {}

    #[inline(always)]
    fn wants(&self) -> bool {
        false
    }
}

/// One recorded check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub rule: Rule,
    pub passed: bool,
    pub detail: Option<Detail>,
}

impl Trace for Vec<Step> {
    fn step(&mut self, rule: Rule, passed: bool, detail: Option<Detail>) {
        self.push(Step {
            rule,
            passed,
            detail,
        });
    }
}

/// A freshly signed token. The raw string goes into a cookie and nowhere else.
pub struct Issued {
    pub token: String,
    pub claims: Claims,
}

/// One key: the algorithm it is pinned to, what it verifies with, and (if this app signs with
/// it) what it signs with.
struct Key {
    kid: String,
    alg: Algorithm,
    signing: Option<EncodingKey>,
    verifying: DecodingKey,
    /// EdDSA: the raw public key, for the JWKS.
    public: Option<[u8; 32]>,
}

impl Key {
    fn hmac(kind: TokenKind, secret: &[u8]) -> Self {
        Self {
            kid: key_id(kind, secret),
            alg: Algorithm::HS256,
            signing: Some(EncodingKey::from_secret(secret)),
            verifying: DecodingKey::from_secret(secret),
            public: None,
        }
    }

    fn ed25519_public(public: &ed25519_dalek::VerifyingKey) -> Self {
        let bytes = public.to_bytes();
        Self {
            kid: key_id(TokenKind::Access, &bytes),
            alg: Algorithm::EdDSA,
            signing: None,
            verifying: DecodingKey::from_ed_der(&bytes),
            public: Some(bytes),
        }
    }

    fn ed25519(private: &ed25519_dalek::SigningKey) -> Self {
        let mut key = Self::ed25519_public(&private.verifying_key());
        key.signing = private
            .to_pkcs8_der()
            .ok()
            .map(|der| EncodingKey::from_ed_der(der.as_bytes()));
        key
    }
}

/// The keys of one kind of token: the first signs (if it can); all verify.
struct KeyRing {
    keys: Vec<Key>,
}

impl KeyRing {
    fn hmac(kind: TokenKind, pair: &SecretPair) -> Self {
        let mut keys = vec![Key::hmac(kind, pair.current.expose_secret().as_bytes())];
        keys.extend(
            pair.previous
                .as_ref()
                .map(|p| Key::hmac(kind, p.expose_secret().as_bytes())),
        );
        Self { keys }
    }

    fn find(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    fn current(&self) -> Option<&Key> {
        self.keys.first()
    }
}

/// A short, public name for a key: a prefix of the SHA-256 of its secret (or public key),
/// which reveals nothing usable.
pub fn key_id(kind: TokenKind, material: &[u8]) -> String {
    let digest = Sha256::digest(material);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", &kind.as_str()[..1])
}

/// Checks tokens: every check, in order, the same for the app and for the stateless verifier.
pub struct Verifier {
    access: KeyRing,
    /// `None` for a verifier that only ever sees access tokens (the stateless one).
    refresh: Option<KeyRing>,
    hs256: Validation,
    eddsa: Validation,
    /// Tokens verified in full, by [`digest`] (see the module's note).
    verified: quick_cache::sync::Cache<[u8; 32], Arc<Claims>, Weigh>,
}

/// The memory a verifier on its own (the stateless one) gives its verified tokens; the app's
/// takes its share of `SESSION_CACHE_MEMORY` (`Config::cache_budgets`).
pub const STATELESS_VERIFIED_MEMORY: u64 = 32 << 20;

/// What the cache keeps per entry beyond key and value, as the session cache counts it too.
const ENTRY_OVERHEAD: usize = 96;

/// About the bytes one remembered token holds, for the memory budget.
#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<[u8; 32], Arc<Claims>> for Weigh {
    fn weight(&self, _: &[u8; 32], claims: &Arc<Claims>) -> u64 {
        weight(claims)
    }
}

fn weight(claims: &Claims) -> u64 {
    let strings = [
        &claims.iss,
        &claims.sub,
        &claims.aud,
        &claims.jti,
        &claims.sid,
    ]
    .iter()
    .map(|s| s.capacity())
    .sum::<usize>()
        + claims.rjti.as_ref().map_or(0, String::capacity);
    let bytes = ENTRY_OVERHEAD
        + std::mem::size_of::<([u8; 32], Arc<Claims>)>()
        // The Arc's allocation: its two counts and the claims.
        + 2 * std::mem::size_of::<usize>()
        + std::mem::size_of::<Claims>()
        + strings;
    bytes as u64
}

/// The cache key of a token presented as `kind`: the same bytes presented as the other kind
/// are another key, so a remembered access token can never pass as a refresh token.
fn digest(kind: TokenKind, token: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_str().as_bytes());
    hasher.update(b".");
    hasher.update(token.as_bytes());
    hasher.finalize().into()
}

/// The time checks alone, for a token whose signature and claims were already verified.
fn in_time(claims: Claims, now: i64) -> Verified {
    if claims.nbf > now {
        Verified::Invalid(Invalid::NotYetValid)
    } else if claims.exp <= now {
        Verified::Expired(claims)
    } else {
        Verified::Valid(claims)
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    // Time is checked by `verify` against our clock; structure is enforced by `Claims`.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.required_spec_claims = HashSet::new();
    validation
}

/// One public key of a JWKS (RFC 7517; an Ed25519 key is `OKP` per RFC 8037).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    /// `OKP`: an octet key pair.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The name tokens use in their header to pick this key.
    pub kid: String,
    /// `EdDSA`: the only algorithm this key verifies.
    pub alg: String,
    /// `sig`: for signatures.
    #[serde(rename = "use")]
    pub use_: String,
}

/// A JSON Web Key Set: the public keys that sign access tokens.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Verifier {
    /// `memory`: the bytes its verified tokens may hold; past that the least used go.
    fn new(access: KeyRing, refresh: Option<KeyRing>, memory: u64) -> Self {
        super::crypto::install();
        // No time to live: expiry is checked on every use, and a token no one presents any
        // more is the first to go when room is needed.
        let typical = usize::try_from((memory / 512).max(16)).unwrap_or(usize::MAX);
        let verified = quick_cache::sync::Cache::with_weighter(typical, memory, Weigh);
        Self {
            access,
            refresh,
            hs256: validation(Algorithm::HS256),
            eddsa: validation(Algorithm::EdDSA),
            verified,
        }
    }

    /// A verifier of access tokens that knows only a shared secret (HS256).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self::new(
            KeyRing {
                keys: vec![Key::hmac(TokenKind::Access, secret)],
            },
            None,
            STATELESS_VERIFIED_MEMORY,
        )
    }

    /// A verifier of access tokens that knows only public keys (a JWKS). Keys that are not
    /// Ed25519 signing keys are ignored.
    pub fn from_jwks(jwks: &Jwks) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519" && k.alg == "EdDSA" && k.use_ == "sig")
            .filter_map(|k| {
                let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(&k.x).ok()?.try_into().ok()?;
                let public = ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()?;
                let mut key = Key::ed25519_public(&public);
                key.kid = k.kid.clone();
                Some(key)
            })
            .collect();
        Self::new(KeyRing { keys }, None, STATELESS_VERIFIED_MEMORY)
    }

    /// Whether `kid` names a key this verifier knows (the stateless verifier refetches its JWKS
    /// when it does not).
    pub fn knows(&self, kid: &str) -> bool {
        self.access.find(kid).is_some()
    }

    fn ring(&self, kind: TokenKind) -> Option<&KeyRing> {
        match kind {
            TokenKind::Access => Some(&self.access),
            TokenKind::Refresh => self.refresh.as_ref(),
        }
    }

    /// The bytes the verified tokens hold, as the budget counts them (for the metrics).
    pub fn cached_bytes(&self) -> u64 {
        self.verified.weight()
    }

    /// Checks a token presented as `kind` at time `now`.
    pub fn verify(&self, kind: TokenKind, token: &str, now: i64) -> Verified {
        if token.len() > MAX_TOKEN_BYTES {
            return self.verify_traced(kind, token, now, &mut NoTrace);
        }
        let verified = &self.verified;
        let digest = digest(kind, token);
        if let Some(claims) = verified.get(&digest) {
            return in_time(Claims::clone(&claims), now);
        }
        let verdict = self.verify_traced(kind, token, now, &mut NoTrace);
        if let Verified::Valid(claims) = &verdict {
            verified.insert(digest, Arc::new(claims.clone()));
        }
        verdict
    }

    /// `verify`, writing each check into `trace` under its rule name.
    pub fn verify_traced(
        &self,
        kind: TokenKind,
        token: &str,
        now: i64,
        trace: &mut impl Trace,
    ) -> Verified {
        let key = match self.key_for(kind, token, trace) {
            Ok(key) => key,
            Err(why) => return Verified::Invalid(why),
        };
        let validation = match key.alg {
            Algorithm::EdDSA => &self.eddsa,
            _ => &self.hs256,
        };
        let claims = match jsonwebtoken::decode::<Claims>(token, &key.verifying, validation) {
            Ok(data) => data.claims,
            Err(e) => return refused(trace, classify(e.kind()), None),
        };
        if trace.wants() {
            trace.step(Rule::Signature, true, None);
            trace.step(Rule::Issuer, true, Some(Detail::Value(claims.iss.clone())));
            trace.step(
                Rule::Audience,
                true,
                Some(Detail::Value(claims.aud.clone())),
            );
        }
        checked_claims(claims, kind, now, trace)
    }

    /// The header's checks, in order: size, structure, no key of its own, a `kid` naming one of
    /// this kind's keys, and the algorithm that key is pinned to. The key, or why not (already
    /// in the trace).
    fn key_for(
        &self,
        kind: TokenKind,
        token: &str,
        trace: &mut impl Trace,
    ) -> Result<&Key, Invalid> {
        let wants = trace.wants();
        if token.len() > MAX_TOKEN_BYTES {
            let detail = Detail::Bytes(token.len());
            return Err(refuse(trace, Invalid::TooLong, Some(detail)));
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Err(refuse(trace, unreadable_header(token), None));
        };
        if wants {
            trace.step(Rule::Structure, true, None);
        }
        let brings_a_key = header.jwk.is_some()
            || header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some();
        if brings_a_key {
            return Err(refuse(trace, Invalid::KeyInToken, None));
        }
        let found = header
            .kid
            .as_deref()
            .and_then(|kid| self.ring(kind)?.find(kid));
        let Some(key) = found else {
            let detail = wants
                .then(|| header.kid.clone())
                .flatten()
                .map(Detail::Value);
            return Err(refuse(trace, Invalid::UnknownKey, detail));
        };
        if wants {
            trace.step(Rule::KeyId, true, Some(Detail::Value(key.kid.clone())));
        }
        if header.alg != key.alg {
            let detail = wants.then(|| Detail::AlgMismatch {
                presented: format!("{:?}", header.alg),
                pinned: format!("{:?}", key.alg),
            });
            return Err(refuse(trace, Invalid::Algorithm, detail));
        }
        if wants {
            trace.step(
                Rule::Algorithm,
                true,
                Some(Detail::Value(format!("{:?}", key.alg))),
            );
        }
        Ok(key)
    }

    /// The public keys of access tokens, for `/.well-known/jwks.json`; empty with HS256 (a
    /// secret is never published).
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self
                .access
                .keys
                .iter()
                .filter_map(|k| {
                    Some(Jwk {
                        kty: "OKP".into(),
                        crv: "Ed25519".into(),
                        x: URL_SAFE_NO_PAD.encode(k.public?),
                        kid: k.kid.clone(),
                        alg: "EdDSA".into(),
                        use_: "sig".into(),
                    })
                })
                .collect(),
        }
    }
}

pub struct Tokens {
    verifier: Verifier,
    /// Keys [`Tokens::session_tag`]: derived from the refresh secret, so every instance
    /// sharing the secret names a session the same way in its logs.
    log_key: hmac::Hmac<Sha256>,
}

impl std::ops::Deref for Tokens {
    type Target = Verifier;

    fn deref(&self) -> &Verifier {
        &self.verifier
    }
}

impl Tokens {
    pub fn new(config: &Config) -> Self {
        let access = match &config.tokens.access_keys {
            AccessKeys::Hmac(pair) => KeyRing::hmac(TokenKind::Access, pair),
            AccessKeys::Ed25519 { current, previous } => {
                let mut keys = vec![Key::ed25519(current)];
                keys.extend(previous.as_ref().map(Key::ed25519_public));
                KeyRing { keys }
            }
        };
        let refresh = KeyRing::hmac(TokenKind::Refresh, &config.tokens.refresh_secret);
        use hmac::Mac;
        let log_key = hmac::Hmac::<Sha256>::new_from_slice(
            format!(
                "session-tag:{}",
                config.tokens.refresh_secret.current.expose_secret()
            )
            .as_bytes(),
        )
        .expect("HMAC takes a key of any length");
        Self {
            verifier: Verifier::new(access, Some(refresh), config.cache_budgets().1),
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

    fn signing_key(&self, kind: TokenKind) -> Result<&Key, AppError> {
        self.verifier
            .ring(kind)
            .and_then(KeyRing::current)
            .filter(|k| k.signing.is_some())
            .ok_or_else(|| AppError::internal("no signing key"))
    }

    pub fn current_kid(&self, kind: TokenKind) -> &str {
        self.signing_key(kind).map_or("", |k| k.kid.as_str())
    }

    /// The algorithm access (or refresh) tokens are signed with.
    pub fn algorithm(&self, kind: TokenKind) -> Algorithm {
        self.signing_key(kind).map_or(Algorithm::HS256, |k| k.alg)
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
        let token = self.sign(kind, &claims)?;
        Ok(Issued { token, claims })
    }

    /// Signs `claims` exactly as given, with the current key of `kind` (the attack lab's
    /// "as if the attacker had the key" uses this).
    pub fn sign(&self, kind: TokenKind, claims: &impl Serialize) -> Result<String, AppError> {
        let key = self.signing_key(kind)?;
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        let signing = key
            .signing
            .as_ref()
            .ok_or_else(|| AppError::internal("no signing key"))?;
        jsonwebtoken::encode(&header, claims, signing).map_err(AppError::internal)
    }
}

/// The claims' own checks, once the signature holds: the kind, then the time.
fn checked_claims(claims: Claims, kind: TokenKind, now: i64, trace: &mut impl Trace) -> Verified {
    let wants = trace.wants();
    if claims.typ != kind {
        let seen = Detail::Value(claims.typ.as_str().to_owned());
        return refused(trace, Invalid::WrongKind, Some(seen));
    }
    if wants {
        trace.step(
            Rule::Type,
            true,
            Some(Detail::Value(kind.as_str().to_owned())),
        );
    }
    if claims.nbf > now {
        let detail = Detail::NotBefore(claims.nbf);
        return refused(trace, Invalid::NotYetValid, Some(detail));
    }
    if claims.exp <= now {
        if wants {
            let detail = Detail::ExpiredAgo {
                kind: kind.as_str(),
                seconds: now - claims.exp,
            };
            trace.step(Rule::Expiry, false, Some(detail));
        }
        return Verified::Expired(claims);
    }
    if wants {
        trace.step(
            Rule::Expiry,
            true,
            Some(Detail::SecondsLeft(claims.exp - now)),
        );
    }
    Verified::Valid(claims)
}

/// Records the refusal of `why` and returns it.
fn refuse(trace: &mut impl Trace, why: Invalid, detail: Option<Detail>) -> Invalid {
    trace.step(why.rule(), false, detail);
    why
}

fn refused(trace: &mut impl Trace, why: Invalid, detail: Option<Detail>) -> Verified {
    trace.step(why.rule(), false, detail);
    Verified::Invalid(why)
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
        Some(alg) if alg != "HS256" && alg != "EdDSA" => Invalid::Algorithm,
        _ => Invalid::Malformed,
    }
}

/// The token of an `Authorization` header's value, if its scheme is `Bearer` (other schemes
/// are not ours).
pub fn bearer(header_value: &str) -> Option<&str> {
    header_value
        .strip_prefix("Bearer ")
        .or_else(|| header_value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
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

    fn eddsa() -> Tokens {
        tokens_with(&[("TOKEN_ALG", "EdDSA")])
    }

    /// A token with `header` and `payload`, signed by hand with an Ed25519 key.
    fn sign_ed(
        header: &serde_json::Value,
        payload: &serde_json::Value,
        key: &ed25519_dalek::SigningKey,
    ) -> String {
        use ed25519_dalek::Signer;
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload.to_string());
        let sig = key.sign(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    #[test]
    fn eddsa_tokens_verify_with_the_published_key_alone() {
        let t = eddsa();
        let issued = t
            .issue(TokenKind::Access, "kimcoding", "s", NOW, NOW + 60, None)
            .unwrap();
        assert_eq!(t.algorithm(TokenKind::Access), Algorithm::EdDSA);
        assert_eq!(t.algorithm(TokenKind::Refresh), Algorithm::HS256);
        assert!(matches!(
            t.verify(TokenKind::Access, &issued.token, NOW),
            Verified::Valid(_)
        ));
        let jwks = t.jwks();
        assert_eq!(jwks.keys.len(), 1);
        let jwk = &jwks.keys[0];
        assert_eq!(
            (
                jwk.kty.as_str(),
                jwk.crv.as_str(),
                jwk.alg.as_str(),
                jwk.use_.as_str()
            ),
            ("OKP", "Ed25519", "EdDSA", "sig")
        );
        assert_eq!(jwk.kid, t.current_kid(TokenKind::Access));
        let json = serde_json::to_value(&jwks).unwrap();
        assert!(json["keys"][0].get("d").is_none(), "never a private key");
        // A verifier that knows nothing but the JWKS accepts the token...
        let stateless = Verifier::from_jwks(&jwks);
        assert!(matches!(
            stateless.verify(TokenKind::Access, &issued.token, NOW),
            Verified::Valid(_)
        ));
        // ...and can sign nothing: it holds no private key.
        assert!(stateless.access.keys.iter().all(|k| k.signing.is_none()));
        // With HS256 there is nothing to publish.
        assert!(tokens().jwks().keys.is_empty());
    }

    #[test]
    fn eddsa_forgeries_are_refused_with_their_rule() {
        let t = eddsa();
        let kid = t.current_kid(TokenKind::Access).to_owned();
        let public = URL_SAFE_NO_PAD.decode(&t.jwks().keys[0].x).unwrap();
        let attacker = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let attacker_jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
        let hs256_with_public = {
            use hmac::{Hmac, Mac};
            let h = URL_SAFE_NO_PAD.encode(header("HS256", &kid).to_string());
            let p = URL_SAFE_NO_PAD.encode(payload("access").to_string());
            let mut mac = Hmac::<Sha256>::new_from_slice(&public).unwrap();
            mac.update(format!("{h}.{p}").as_bytes());
            format!(
                "{h}.{p}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        };
        let cases = [
            (hs256_with_public, Invalid::Algorithm),
            (
                sign_ed(&header("EdDSA", &kid), &payload("access"), &attacker),
                Invalid::Signature,
            ),
            (
                sign_ed(
                    &serde_json::json!({"alg": "EdDSA", "kid": kid, "jwk": attacker_jwk}),
                    &payload("access"),
                    &attacker,
                ),
                Invalid::KeyInToken,
            ),
            (
                sign_ed(
                    &serde_json::json!({"alg": "EdDSA", "kid": kid, "jku": "https://evil.example/jwks.json"}),
                    &payload("access"),
                    &attacker,
                ),
                Invalid::KeyInToken,
            ),
            (
                sign_raw(&header("none", &kid), &payload("access"), A),
                Invalid::Algorithm,
            ),
            (
                sign_ed(
                    &header("EdDSA", "a-000000000000"),
                    &payload("access"),
                    &attacker,
                ),
                Invalid::UnknownKey,
            ),
        ];
        for (token, why) in cases {
            assert_eq!(
                t.verify(TokenKind::Access, &token, NOW),
                Verified::Invalid(why),
                "{token:.60}"
            );
        }
    }

    #[test]
    fn remembered_tokens_still_expire_and_altered_ones_are_checked_afresh() {
        for t in [tokens(), eddsa()] {
            let alg = t.algorithm(TokenKind::Access);
            let issued = t
                .issue(TokenKind::Access, "kimcoding", "s", NOW, NOW + 60, None)
                .unwrap();
            let cache = &t.verified;
            assert_eq!(
                t.verify(TokenKind::Access, &issued.token, NOW),
                Verified::Valid(issued.claims.clone())
            );
            assert_eq!(cache.len(), 1, "{alg:?}: a valid token is remembered");
            // Remembered, yet the clock still decides: expiry and not-before, each time.
            assert_eq!(
                t.verify(TokenKind::Access, &issued.token, NOW + 60),
                Verified::Expired(issued.claims.clone())
            );
            assert_eq!(
                t.verify(TokenKind::Access, &issued.token, NOW - 1),
                Verified::Invalid(Invalid::NotYetValid)
            );
            // Any other bytes are another token: a changed payload under the remembered
            // signature is checked in full and refused.
            let [h, _, sig] = issued.token.split('.').collect::<Vec<_>>()[..] else {
                panic!("three parts")
            };
            let mut forged = payload("access");
            forged["sub"] = "admin".into();
            let tampered = format!("{h}.{}.{sig}", URL_SAFE_NO_PAD.encode(forged.to_string()));
            assert_eq!(
                t.verify(TokenKind::Access, &tampered, NOW),
                Verified::Invalid(Invalid::Signature),
                "{alg:?}"
            );
            // Refused tokens are never remembered, and nothing is stored under the token's
            // own digest: keys are digests of the kind and the token.
            assert_eq!(cache.len(), 1, "{alg:?}");
            let (key, _) = cache.iter().next().unwrap();
            assert_eq!(key, digest(TokenKind::Access, &issued.token));
            assert_ne!(
                key,
                <[u8; 32]>::from(Sha256::digest(issued.token.as_bytes()))
            );

            // Refresh tokens are remembered too, under their own kind: a remembered access
            // token presented as a refresh token is checked in full (and refused: other keys),
            // and the other way round.
            let refresh = t
                .issue(TokenKind::Refresh, "kimcoding", "s", NOW, NOW + 60, None)
                .unwrap();
            assert_eq!(
                t.verify(TokenKind::Refresh, &refresh.token, NOW),
                Verified::Valid(refresh.claims.clone())
            );
            assert_eq!(cache.len(), 2, "{alg:?}");
            assert_eq!(
                t.verify(TokenKind::Refresh, &refresh.token, NOW + 60),
                Verified::Expired(refresh.claims.clone()),
                "{alg:?}: the clock still decides"
            );
            assert!(matches!(
                t.verify(TokenKind::Refresh, &issued.token, NOW),
                Verified::Invalid(_)
            ));
            assert!(matches!(
                t.verify(TokenKind::Access, &refresh.token, NOW),
                Verified::Invalid(_)
            ));
        }
    }

    #[test]
    fn the_trace_records_each_check_under_its_rule() {
        let t = tokens();
        let issued = t
            .issue(TokenKind::Access, "u", "s", NOW, NOW + 60, None)
            .unwrap();
        let mut steps: Vec<Step> = Vec::new();
        assert!(matches!(
            t.verify_traced(TokenKind::Access, &issued.token, NOW, &mut steps),
            Verified::Valid(_)
        ));
        let rules: Vec<&str> = steps.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "structure",
                "key-id",
                "algorithm",
                "signature",
                "issuer",
                "audience",
                "type",
                "expiry"
            ]
        );
        assert!(steps.iter().all(|s| s.passed));
        let mut steps: Vec<Step> = Vec::new();
        let forged = sign_raw(
            &header("HS512", t.current_kid(TokenKind::Access)),
            &payload("access"),
            A,
        );
        t.verify_traced(TokenKind::Access, &forged, NOW, &mut steps);
        let last = steps.last().unwrap();
        assert_eq!((last.rule.as_str(), last.passed), ("algorithm", false));
    }
}
