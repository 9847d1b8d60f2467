//! A request's tokens, resolved into "who is this" plus whatever must be reissued. Each step is
//! recorded as a [`FlowEvent`], which the user-info page shows as the request's timeline.
//!
//! [`resolve`] reads top to bottom: check both tokens, find the session, let `decide` pick the
//! case, then one short function per case (in [`cases`]): serve, serve and reissue a refresh
//! token, refresh, or refuse.

mod cases;

use std::sync::Arc;

use super::Auth;
use super::decide::{self, Decision, SessionState, TokenState};
use super::session::NewCookie;
use super::tokens::{Claims, TokenKind, Verified};
use crate::error::AppError;
use crate::lineage::Theft;
use crate::store::sessions::{EndCause, LiveSession, Session};
use crate::store::users::User;
use crate::vocab::{Detail, Event};

/// One step the server took, with a stable name (`data-event` in the page) and a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEvent {
    pub name: Event,
    pub detail: Option<Detail>,
}

impl FlowEvent {
    fn new(name: Event) -> Self {
        Self { name, detail: None }
    }

    fn with(name: Event, detail: Detail) -> Self {
        Self {
            name,
            detail: Some(detail),
        }
    }
}

/// The user behind a request, and the tokens now in force.
pub struct Identity {
    /// The session as the cache holds it, with its user and lineage (shared, not copied).
    pub live: Arc<LiveSession>,
    pub access: Claims,
    pub refresh: Option<Claims>,
}

impl Identity {
    pub fn user(&self) -> &User {
        &self.live.user
    }

    pub fn session(&self) -> &Session {
        &self.live.session
    }
}

pub enum Verdict {
    Authenticated(Box<Identity>),
    /// Log in again, for this reason.
    Rejected {
        clear_cookies: bool,
        why: Rejection,
    },
}

/// Why a request must log in again: what the login page tells the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No token at all (or none of ours).
    LoginRequired,
    /// The access token ran out and there is no refresh token (no "keep me logged in").
    AccessExpired,
    /// The session ended for this cause (logged out, ended elsewhere, ...).
    Ended(EndCause),
    /// A token of the session just came back from a branch it has left: it was ended now.
    Theft,
    /// Anything else: the tokens or the session are past their lifetime, or unusable.
    Expired,
}

impl Rejection {
    /// The reason a refusal carries, from what the request's tokens and session came to.
    fn of(events: &[FlowEvent], found: Option<&LiveSession>, clear_cookies: bool) -> Self {
        let has = |name: Event| events.iter().any(|e| e.name == name);
        if has(Event::ReuseDetected) {
            return Rejection::Theft;
        }
        if let Some(cause) = found.and_then(|live| live.session.ended_by()) {
            return Rejection::Ended(cause);
        }
        if has(Event::AccessExpired) && has(Event::RefreshMissing) {
            return Rejection::AccessExpired;
        }
        match clear_cookies {
            true => Rejection::Expired,
            false => Rejection::LoginRequired,
        }
    }
}

pub struct Resolution {
    pub verdict: Verdict,
    pub events: Vec<FlowEvent>,
    pub new_access: Option<NewCookie>,
    pub new_refresh: Option<NewCookie>,
}

impl Resolution {
    /// A refusal; its reason is settled by `resolve` once the whole request is known.
    fn rejected(events: Vec<FlowEvent>, clear_cookies: bool) -> Self {
        Resolution {
            verdict: Verdict::Rejected {
                clear_cookies,
                why: Rejection::Expired,
            },
            events,
            new_access: None,
            new_refresh: None,
        }
    }

    /// A refusal gets its reason (see [`Rejection::of`]); `found`: the session the request
    /// named, as read.
    fn settled(mut self, found: Option<&LiveSession>) -> Self {
        if let Verdict::Rejected { clear_cookies, why } = &mut self.verdict {
            *why = Rejection::of(&self.events, found, *clear_cookies);
        }
        self
    }
}

/// Ends a session because a token of it came back from a branch that is no longer the
/// session's, and says so in the log: the one line an operator should alert on.
async fn end_for_theft(
    auth: Auth<'_>,
    live: &LiveSession,
    why: Theft,
    already_ended: bool,
) -> Result<(), AppError> {
    if !already_ended {
        auth.sessions
            .revoke(&live.session.id, auth.clock.now(), EndCause::Reuse)
            .await?;
    }
    tracing::warn!(
        event = "refresh_reuse",
        user = %live.user.user_id,
        session = %auth.tokens.session_tag(&live.session.id),
        reason = why.as_str(),
        "security: a token from a branch the session has left came back; session ended"
    );
    Ok(())
}

/// Verifies one token of the request and records what it came to.
fn check(
    auth: Auth<'_>,
    kind: TokenKind,
    raw: Option<&str>,
    now: i64,
    events: &mut Vec<FlowEvent>,
) -> (TokenState, Option<Claims>) {
    let [missing, verified, expired, invalid] = match kind {
        TokenKind::Access => [
            Event::AccessMissing,
            Event::AccessVerified,
            Event::AccessExpired,
            Event::AccessInvalid,
        ],
        TokenKind::Refresh => [
            Event::RefreshMissing,
            Event::RefreshVerified,
            Event::RefreshExpired,
            Event::RefreshInvalid,
        ],
    };
    let (token_state, claims, event) = match raw.map(|t| auth.tokens.verify(kind, t, now)) {
        None => (TokenState::Missing, None, FlowEvent::new(missing)),
        Some(Verified::Valid(c)) => (TokenState::Valid, Some(c), FlowEvent::new(verified)),
        Some(Verified::Expired(c)) => {
            let detail = Detail::ExpiredAgo {
                kind: kind.as_str(),
                seconds: now - c.exp,
            };
            (TokenState::Expired, None, FlowEvent::with(expired, detail))
        }
        Some(Verified::Invalid(why)) => (
            TokenState::Invalid,
            None,
            FlowEvent::with(invalid, Detail::Refused(why.rule())),
        ),
    };
    events.push(event);
    (token_state, claims)
}

/// What the server knows of the session `found`, for a request whose tokens name `subject`.
fn session_state(found: Option<&LiveSession>, subject: Option<&str>, now: i64) -> SessionState {
    match found {
        Some(live) if Some(live.user.user_id.as_str()) == subject => {
            if live.session.is_active(now) {
                SessionState::Active {
                    keep_logged_in: live.session.keep_logged_in,
                }
            } else {
                SessionState::Ended
            }
        }
        _ => SessionState::Unknown,
    }
}

/// What the request's tokens and session came to, carried from one step to the next.
struct Request<'a> {
    auth: Auth<'a>,
    now_ms: i64,
    now: i64,
    events: Vec<FlowEvent>,
    live: Arc<LiveSession>,
    access: Option<Claims>,
    refresh: Option<Claims>,
    refresh_raw: Option<&'a str>,
}

/// Turns the tokens a request brings into a verdict, following `decide`.
pub async fn resolve(
    auth: Auth<'_>,
    access_raw: Option<&str>,
    refresh_raw: Option<&str>,
) -> Result<Resolution, AppError> {
    let now_ms = auth.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let mut events = Vec::new();
    let (access_state, access) = check(auth, TokenKind::Access, access_raw, now, &mut events);
    // The refresh token only matters when the access token failed, or to top up a kept
    // session; checking it always keeps the logic in one place, and a token seen before is a
    // digest and a cache lookup (see `tokens`).
    let (refresh_state, refresh) = check(auth, TokenKind::Refresh, refresh_raw, now, &mut events);
    let sid = decide::session_to_load(
        (access_state, access.as_ref().map(|c| c.sid.as_str())),
        (refresh_state, refresh.as_ref().map(|c| c.sid.as_str())),
    );
    let found = match sid {
        Some(sid) => auth.sessions.find(sid, now).await?,
        None => None,
    };
    let subject = access.as_ref().or(refresh.as_ref()).map(|c| c.sub.as_str());
    let session_state = session_state(found.as_deref(), subject, now);
    let decision = decide::decide(access_state, refresh_state, session_state);
    if let Decision::Reject { clear_cookies } = decision {
        if session_state == SessionState::Ended {
            events.push(FlowEvent::new(Event::SessionEnded));
        }
        return Ok(Resolution::rejected(events, clear_cookies).settled(found.as_deref()));
    }
    // `decide` never serves without a session; answer as if it had rejected.
    let Some(live) = found else {
        return Ok(Resolution::rejected(events, true).settled(None));
    };
    auth.sessions.touch(&live, now);
    let request = Request {
        auth,
        now_ms,
        now,
        events,
        live,
        access,
        refresh,
        refresh_raw,
    };
    Ok(cases::follow(decision, request).await?.settled(None))
}
