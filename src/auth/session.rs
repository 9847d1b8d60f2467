//! Sessions starting and ending: a login's new session and tokens, a logout, and the minting
//! every refresh uses (also the demo buttons, which go through the same functions as real
//! requests).

use time::Duration;

use super::Auth;
use super::tokens::{self, Issued, TokenKind, Verified};
use crate::error::AppError;
use crate::store::sessions::{EndCause, NewRefresh, Session};
use crate::store::users::User;

/// Longest user agent kept for the sessions page.
const MAX_USER_AGENT: usize = 256;

/// A token to put in a cookie, and the cookie's Max-Age (`None`: a session cookie).
pub struct NewCookie {
    pub issued: Issued,
    pub max_age: Option<Duration>,
}

/// Tokens just made for a login.
pub struct Started {
    pub session: Session,
    pub access: NewCookie,
    pub refresh: Option<NewCookie>,
}

pub fn cookie_for(issued: Issued, now: i64, persistent: bool) -> NewCookie {
    let max_age = persistent.then(|| Duration::seconds(issued.claims.exp - now));
    NewCookie { issued, max_age }
}

/// A refresh token signed and its database record made ready, never stored raw.
pub struct Minted {
    pub issued: Issued,
    pub fingerprint: String,
}

impl Minted {
    /// The record of this token, issued at `issued_ms`.
    pub fn record(&self, issued_ms: i64) -> NewRefresh<'_> {
        NewRefresh {
            fingerprint: &self.fingerprint,
            jti: &self.issued.claims.jti,
            issued_ms,
            expires_at: self.issued.claims.exp,
        }
    }
}

/// A refresh token for `user` in `session`, issued at `now` (seconds): it lives
/// `REFRESH_TOKEN_TTL`, never past the session's end.
pub fn mint_refresh(
    auth: Auth<'_>,
    user: &str,
    session: &Session,
    now: i64,
) -> Result<Minted, AppError> {
    let exp = (now + auth.lifetimes.refresh_token_ttl.whole_seconds()).min(session.expires_at);
    let issued = auth
        .tokens
        .issue(TokenKind::Refresh, user, &session.id, now, exp, None)?;
    let fingerprint = tokens::fingerprint(&issued.token);
    Ok(Minted {
        issued,
        fingerprint,
    })
}

/// An access token for `user` in `session`, issued at `now` with the refresh token `rjti`: it
/// lives `ACCESS_TOKEN_TTL`, never past the session's end.
pub fn mint_access(
    auth: Auth<'_>,
    user: &str,
    session: &Session,
    now: i64,
    rjti: Option<&str>,
) -> Result<Issued, AppError> {
    let exp = (now + auth.lifetimes.access_token_ttl.whole_seconds()).min(session.expires_at);
    auth.tokens
        .issue(TokenKind::Access, user, &session.id, now, exp, rjti)
}

/// Starts a session for `user`. With `keep_logged_in`, the access cookie is persistent and a
/// refresh token comes too; without it, the access cookie dies with the browser and the
/// session with the token.
pub async fn start(
    auth: Auth<'_>,
    user: &User,
    keep_logged_in: bool,
    user_agent: &str,
) -> Result<Started, AppError> {
    let now_ms = auth.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let lifetime = if keep_logged_in {
        auth.lifetimes.max_lifetime
    } else {
        auth.lifetimes.access_token_ttl
    };
    let session = Session {
        id: tokens::new_id(),
        user_pk: user.id,
        keep_logged_in,
        user_agent: user_agent.chars().take(MAX_USER_AGENT).collect(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime.whole_seconds(),
        revoked_at: None,
        end_cause: None,
    };
    let refresh = if keep_logged_in {
        Some(mint_refresh(auth, &user.user_id, &session, now)?)
    } else {
        None
    };
    let rjti = refresh.as_ref().map(|r| r.issued.claims.jti.as_str());
    let access = mint_access(auth, &user.user_id, &session, now, rjti)?;
    let record = refresh.as_ref().map(|r| r.record(now_ms));
    auth.sessions.create(&session, record.as_ref()).await?;
    tracing::info!(user = %user.user_id, session = %auth.tokens.session_tag(&session.id),
        keep_logged_in, event = "login", "login");
    Ok(Started {
        session,
        access: cookie_for(access, now, keep_logged_in),
        refresh: refresh.map(|r| cookie_for(r.issued, now, true)),
    })
}

/// Ends the session named by whichever genuine token the client holds (expired ones count:
/// logging out must work after the access token ran out). Nothing to end is fine.
pub async fn end(
    auth: Auth<'_>,
    access: Option<&str>,
    refresh: Option<&str>,
) -> Result<(), AppError> {
    let now = auth.clock.now();
    let genuine = |kind, token: Option<&str>| match token.map(|t| auth.tokens.verify(kind, t, now))
    {
        Some(Verified::Valid(c) | Verified::Expired(c)) => Some(c.sid),
        _ => None,
    };
    let sid = genuine(TokenKind::Access, access).or_else(|| genuine(TokenKind::Refresh, refresh));
    if let Some(sid) = sid
        && auth.sessions.revoke(&sid, now, EndCause::Logout).await?
    {
        auth.metrics.session_ended(EndCause::Logout, 1);
        tracing::info!(session = %auth.tokens.session_tag(&sid),
            event = "session_ended", cause = EndCause::Logout.as_str(), "logout");
    }
    Ok(())
}
