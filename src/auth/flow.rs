//! Sessions in motion: starting one at login, ending one at logout, and resolving the tokens a
//! request brings into "who is this" plus whatever must be reissued. Each step is recorded as
//! a `FlowEvent`, which the user-info page shows as the request's timeline.

use time::Duration;

use super::decide::{self, AfterRotation, Decision, SessionState, TokenState};
use super::tokens::{self, Claims, Issued, TokenKind, Verified};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::sessions::{NewRefresh, Session};
use crate::store::users::User;

/// One step the server took, with a stable name (`data-event` in the page) and a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEvent {
    pub name: &'static str,
    pub detail: Option<String>,
}

impl FlowEvent {
    fn new(name: &'static str) -> Self {
        Self { name, detail: None }
    }

    fn with(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            detail: Some(detail.into()),
        }
    }
}

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

/// The user behind a request, and the tokens now in force.
pub struct Identity {
    pub user: User,
    pub session: Session,
    pub access: Claims,
    pub refresh: Option<Claims>,
}

pub enum Verdict {
    Authenticated(Box<Identity>),
    Rejected { clear_cookies: bool },
}

pub struct Resolution {
    pub verdict: Verdict,
    pub events: Vec<FlowEvent>,
    pub new_access: Option<NewCookie>,
    pub new_refresh: Option<NewCookie>,
}

/// Longest user agent kept for the sessions page.
const MAX_USER_AGENT: usize = 256;

fn cookie_for(issued: Issued, now: i64, persistent: bool) -> NewCookie {
    let max_age = persistent.then(|| Duration::seconds(issued.claims.exp - now));
    NewCookie { issued, max_age }
}

/// Starts a session for `user`. With `keep_logged_in`, the access cookie is persistent and a
/// refresh token comes too; without it, the access cookie dies with the browser and the
/// session with the token.
pub async fn start(
    state: &AppState,
    user: &User,
    keep_logged_in: bool,
    user_agent: &str,
) -> Result<Started, AppError> {
    let now = state.clock.now();
    let config = &state.config;
    let sid = tokens::new_id();
    let lifetime = if keep_logged_in {
        config.session_max_lifetime
    } else {
        config.access_token_ttl
    };
    let session = Session {
        id: sid.clone(),
        user_pk: user.id,
        keep_logged_in,
        user_agent: user_agent.chars().take(MAX_USER_AGENT).collect(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime.whole_seconds(),
        revoked_at: None,
    };
    let access_exp = (now + config.access_token_ttl.whole_seconds()).min(session.expires_at);
    let access = state
        .tokens
        .issue(TokenKind::Access, &user.user_id, &sid, now, access_exp)?;
    let refresh = if keep_logged_in {
        let exp = (now + config.refresh_token_ttl.whole_seconds()).min(session.expires_at);
        Some(
            state
                .tokens
                .issue(TokenKind::Refresh, &user.user_id, &sid, now, exp)?,
        )
    } else {
        None
    };
    let fingerprint = refresh.as_ref().map(|r| tokens::fingerprint(&r.token));
    let stored = refresh
        .as_ref()
        .zip(fingerprint.as_deref())
        .map(|(r, f)| NewRefresh {
            fingerprint: f,
            issued_at: now,
            expires_at: r.claims.exp,
        });
    state.sessions.create(&session, stored.as_ref()).await?;
    tracing::info!(user = %user.user_id, session = %sid, keep_logged_in, "login");
    Ok(Started {
        session,
        access: cookie_for(access, now, keep_logged_in),
        refresh: refresh.map(|r| cookie_for(r, now, true)),
    })
}

/// Ends the session named by whichever genuine token the client holds (expired ones count:
/// logging out must work after the access token ran out). Nothing to end is fine.
pub async fn end(
    state: &AppState,
    access: Option<&str>,
    refresh: Option<&str>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let genuine = |kind, token: Option<&str>| match token.map(|t| state.tokens.verify(kind, t, now))
    {
        Some(Verified::Valid(c) | Verified::Expired(c)) => Some(c.sid),
        _ => None,
    };
    let sid = genuine(TokenKind::Access, access).or_else(|| genuine(TokenKind::Refresh, refresh));
    if let Some(sid) = sid
        && state.sessions.revoke(&sid, now).await?
    {
        tracing::info!(session = %sid, "logout");
    }
    Ok(())
}

fn check(
    state: &AppState,
    kind: TokenKind,
    raw: Option<&str>,
    now: i64,
    events: &mut Vec<FlowEvent>,
) -> (TokenState, Option<Claims>) {
    let prefix = kind.as_str();
    let (token_state, claims, event) = match raw.map(|t| state.tokens.verify(kind, t, now)) {
        None => (
            TokenState::Missing,
            None,
            FlowEvent::new(event_name(kind, "missing")),
        ),
        Some(Verified::Valid(c)) => (
            TokenState::Valid,
            Some(c),
            FlowEvent::new(event_name(kind, "verified")),
        ),
        Some(Verified::Expired(c)) => {
            let detail = format!("{prefix} token expired {}s ago", now - c.exp);
            (
                TokenState::Expired,
                None,
                FlowEvent::with(event_name(kind, "expired"), detail),
            )
        }
        Some(Verified::Invalid(why)) => (
            TokenState::Invalid,
            None,
            FlowEvent::with(event_name(kind, "invalid"), why.to_string()),
        ),
    };
    events.push(event);
    (token_state, claims)
}

fn event_name(kind: TokenKind, what: &str) -> &'static str {
    match (kind, what) {
        (TokenKind::Access, "missing") => "access-missing",
        (TokenKind::Access, "verified") => "access-verified",
        (TokenKind::Access, "expired") => "access-expired",
        (TokenKind::Access, _) => "access-invalid",
        (TokenKind::Refresh, "missing") => "refresh-missing",
        (TokenKind::Refresh, "verified") => "refresh-verified",
        (TokenKind::Refresh, "expired") => "refresh-expired",
        (TokenKind::Refresh, _) => "refresh-invalid",
    }
}

/// A new refresh token for the session, and the fingerprint the database keeps of it.
fn next_refresh(
    state: &AppState,
    user: &User,
    session: &Session,
    now: i64,
    expires_at: i64,
) -> Result<(Issued, String), AppError> {
    let issued = state.tokens.issue(
        TokenKind::Refresh,
        &user.user_id,
        &session.id,
        now,
        expires_at,
    )?;
    let fingerprint = tokens::fingerprint(&issued.token);
    Ok((issued, fingerprint))
}

/// Turns the tokens a request brings into a verdict, following `decide`.
pub async fn resolve(
    state: &AppState,
    access_raw: Option<&str>,
    refresh_raw: Option<&str>,
) -> Result<Resolution, AppError> {
    let now = state.clock.now();
    let mut events = Vec::new();
    let (access_state, access) = check(state, TokenKind::Access, access_raw, now, &mut events);
    // The refresh token only matters when the access token failed, or to top up a kept
    // session; checking it always keeps the logic in one place and costs one HMAC.
    let (refresh_state, refresh) = check(state, TokenKind::Refresh, refresh_raw, now, &mut events);
    let sid = decide::session_to_load(
        (access_state, access.as_ref().map(|c| c.sid.as_str())),
        (refresh_state, refresh.as_ref().map(|c| c.sid.as_str())),
    );
    let found = match sid {
        Some(sid) => state.sessions.find_with_user(sid, now).await?,
        None => None,
    };
    let subject = access.as_ref().or(refresh.as_ref()).map(|c| c.sub.as_str());
    let session_state = match &found {
        Some((s, u)) if Some(u.user_id.as_str()) == subject => {
            if s.is_active(now) {
                SessionState::Active {
                    keep_logged_in: s.keep_logged_in,
                }
            } else {
                SessionState::Ended
            }
        }
        _ => SessionState::Unknown,
    };
    let decision = decide::decide(access_state, refresh_state, session_state);
    let rejected = |events, clear_cookies| Resolution {
        verdict: Verdict::Rejected { clear_cookies },
        events,
        new_access: None,
        new_refresh: None,
    };
    let (session, user) = match (decision, found) {
        (Decision::Reject { clear_cookies }, _) => {
            if session_state == SessionState::Ended {
                events.push(FlowEvent::new("session-ended"));
            }
            return Ok(rejected(events, clear_cookies));
        }
        (_, Some(found)) => found,
        // `decide` never serves without a session; answer as if it had rejected.
        (_, None) => return Ok(rejected(events, true)),
    };
    if now - session.last_seen_at >= 60 {
        state.sessions.touch(&session.id, now).await?;
    }
    let config = &state.config;
    let refresh_exp = (now + config.refresh_token_ttl.whole_seconds()).min(session.expires_at);
    match (decision, access) {
        (Decision::Serve, Some(access)) => Ok(Resolution {
            verdict: Verdict::Authenticated(Box::new(Identity {
                user,
                session,
                access,
                refresh,
            })),
            events,
            new_access: None,
            new_refresh: None,
        }),
        (Decision::ServeAndReissueRefresh, Some(access)) => {
            let (issued, fingerprint) = next_refresh(state, &user, &session, now, refresh_exp)?;
            let stored = NewRefresh {
                fingerprint: &fingerprint,
                issued_at: now,
                expires_at: issued.claims.exp,
            };
            state
                .sessions
                .reissue_refresh(&session.id, &stored, now)
                .await?;
            events.push(FlowEvent::new("refresh-reissued"));
            let claims = issued.claims.clone();
            Ok(Resolution {
                verdict: Verdict::Authenticated(Box::new(Identity {
                    user,
                    session,
                    access,
                    refresh: Some(claims),
                })),
                events,
                new_access: None,
                new_refresh: Some(cookie_for(issued, now, true)),
            })
        }
        (Decision::Refresh, _) => {
            let presented = refresh_raw.map(tokens::fingerprint).unwrap_or_default();
            let (next, next_fingerprint) = next_refresh(state, &user, &session, now, refresh_exp)?;
            let stored = NewRefresh {
                fingerprint: &next_fingerprint,
                issued_at: now,
                expires_at: next.claims.exp,
            };
            let grace = config.refresh_reuse_grace.whole_seconds();
            let rotation = state
                .sessions
                .rotate_refresh(&session.id, &presented, &stored, now, grace)
                .await?;
            let (new_refresh, refresh_claims, refresh_event) =
                match decide::after_rotation(rotation) {
                    AfterRotation::ServeWithNewTokens => {
                        let event = FlowEvent::new("refresh-rotated");
                        let claims = next.claims.clone();
                        (Some(cookie_for(next, now, true)), Some(claims), event)
                    }
                    AfterRotation::ServeWithNewAccessOnly => {
                        let event = FlowEvent::new("refresh-grace");
                        (None, refresh, event)
                    }
                    AfterRotation::RevokeSession => {
                        state.sessions.revoke(&session.id, now).await?;
                        tracing::warn!(
                            user = %user.user_id, session = %session.id, at = now,
                            "security: a rotated refresh token was used again; session revoked"
                        );
                        events.push(FlowEvent::new("reuse-detected"));
                        events.push(FlowEvent::new("session-revoked"));
                        return Ok(rejected(events, true));
                    }
                    AfterRotation::Reject => {
                        events.push(FlowEvent::with(
                            "refresh-invalid",
                            "this session never issued that refresh token",
                        ));
                        return Ok(rejected(events, true));
                    }
                };
            let access_exp =
                (now + config.access_token_ttl.whole_seconds()).min(session.expires_at);
            let new_access = state.tokens.issue(
                TokenKind::Access,
                &user.user_id,
                &session.id,
                now,
                access_exp,
            )?;
            events.push(FlowEvent::new("refreshed"));
            events.push(refresh_event);
            let access_claims = new_access.claims.clone();
            let mut session = session;
            session.last_seen_at = now;
            Ok(Resolution {
                verdict: Verdict::Authenticated(Box::new(Identity {
                    user,
                    session,
                    access: access_claims,
                    refresh: refresh_claims,
                })),
                events,
                new_access: Some(cookie_for(new_access, now, true)),
                new_refresh,
            })
        }
        // `decide` serves only on a valid access token; anything else is a refusal.
        _ => Ok(rejected(events, true)),
    }
}
