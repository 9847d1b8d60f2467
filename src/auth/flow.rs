//! Sessions in motion: starting one at login, ending one at logout, and resolving the tokens a
//! request brings into "who is this" plus whatever must be reissued. Each step is recorded as
//! a `FlowEvent`, which the user-info page shows as the request's timeline.
//!
//! [`resolve`] reads top to bottom: check both tokens, find the session, let `decide` pick the
//! case, then one short function per case: [`serve`], [`serve_and_reissue`], [`refresh_with_token`] or a
//! refusal.

use std::sync::Arc;

use time::Duration;

use super::decide::{self, Decision, SessionState, TokenState};
use super::state::AppState;
use super::tokens::{self, Claims, Issued, TokenKind, Verified};
use crate::error::AppError;
use crate::lineage::{Branch, Theft};
use crate::store::sessions::{
    Confirmation, EndCause, LiveSession, NewRefresh, PresentedRefresh, RefreshOutcome, Session,
};
use crate::store::users::User;
use crate::vocab::Event;

/// One step the server took, with a stable name (`data-event` in the page) and a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEvent {
    pub name: Event,
    pub detail: Option<String>,
}

impl FlowEvent {
    fn new(name: Event) -> Self {
        Self { name, detail: None }
    }

    fn with(name: Event, detail: impl Into<String>) -> Self {
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
    /// Log in again. `theft`: the session was just ended because a token of it came back from
    /// a branch that is no longer the session's.
    Rejected {
        clear_cookies: bool,
        theft: bool,
    },
}

pub struct Resolution {
    pub verdict: Verdict,
    pub events: Vec<FlowEvent>,
    pub new_access: Option<NewCookie>,
    pub new_refresh: Option<NewCookie>,
}

impl Resolution {
    fn rejected(events: Vec<FlowEvent>, clear_cookies: bool, theft: bool) -> Self {
        Resolution {
            verdict: Verdict::Rejected {
                clear_cookies,
                theft,
            },
            events,
            new_access: None,
            new_refresh: None,
        }
    }
}

/// Longest user agent kept for the sessions page.
const MAX_USER_AGENT: usize = 256;

/// How often a live session's "last seen" is written (seconds).
const TOUCH_EVERY: i64 = 60;

fn cookie_for(issued: Issued, now: i64, persistent: bool) -> NewCookie {
    let max_age = persistent.then(|| Duration::seconds(issued.claims.exp - now));
    NewCookie { issued, max_age }
}

/// A refresh token signed and its database record made ready, never stored raw.
struct Minted {
    issued: Issued,
    fingerprint: String,
}

impl Minted {
    fn record(&self, now_ms: i64) -> NewRefresh<'_> {
        NewRefresh {
            fingerprint: &self.fingerprint,
            jti: &self.issued.claims.jti,
            issued_ms: now_ms,
            expires_at: self.issued.claims.exp,
        }
    }
}

fn mint_refresh(
    state: &AppState,
    user: &str,
    session: &Session,
    now: i64,
) -> Result<Minted, AppError> {
    let exp = (now + state.config.refresh_token_ttl.whole_seconds()).min(session.expires_at);
    let issued = state
        .tokens
        .issue(TokenKind::Refresh, user, &session.id, now, exp, None)?;
    let fingerprint = tokens::fingerprint(&issued.token);
    Ok(Minted {
        issued,
        fingerprint,
    })
}

fn mint_access(
    state: &AppState,
    user: &str,
    session: &Session,
    now: i64,
    rjti: Option<&str>,
) -> Result<Issued, AppError> {
    let exp = (now + state.config.access_token_ttl.whole_seconds()).min(session.expires_at);
    state
        .tokens
        .issue(TokenKind::Access, user, &session.id, now, exp, rjti)
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
    let now_ms = state.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let config = &state.config;
    let lifetime = if keep_logged_in {
        config.session_max_lifetime
    } else {
        config.access_token_ttl
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
    };
    let refresh = if keep_logged_in {
        Some(mint_refresh(state, &user.user_id, &session, now)?)
    } else {
        None
    };
    let rjti = refresh.as_ref().map(|r| r.issued.claims.jti.as_str());
    let access = mint_access(state, &user.user_id, &session, now, rjti)?;
    let record = refresh.as_ref().map(|r| r.record(now_ms));
    state.sessions.create(&session, record.as_ref()).await?;
    tracing::info!(user = %user.user_id, session = %state.tokens.session_tag(&session.id),
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
        state.metrics.session_ended(EndCause::Logout, 1);
        tracing::info!(session = %state.tokens.session_tag(&sid),
            event = "session_ended", cause = EndCause::Logout.as_str(), "logout");
    }
    Ok(())
}

/// Ends a session because a token of it came back from a branch that is no longer the
/// session's, and says so in the log: the one line an operator should alert on.
async fn end_for_theft(
    state: &AppState,
    live: &LiveSession,
    why: Theft,
    already_ended: bool,
) -> Result<(), AppError> {
    if !already_ended {
        state
            .sessions
            .revoke(&live.session.id, state.clock.now())
            .await?;
    }
    tracing::warn!(
        event = "refresh_reuse",
        user = %live.user.user_id,
        session = %state.tokens.session_tag(&live.session.id),
        reason = why.as_str(),
        "security: a token from a branch the session has left came back; session ended"
    );
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
    let (token_state, claims, event) = match raw.map(|t| state.tokens.verify(kind, t, now)) {
        None => (TokenState::Missing, None, FlowEvent::new(missing)),
        Some(Verified::Valid(c)) => (TokenState::Valid, Some(c), FlowEvent::new(verified)),
        Some(Verified::Expired(c)) => {
            let detail = format!("{prefix} token expired {}s ago", now - c.exp);
            (TokenState::Expired, None, FlowEvent::with(expired, detail))
        }
        Some(Verified::Invalid(why)) => (
            TokenState::Invalid,
            None,
            FlowEvent::with(invalid, why.to_string()),
        ),
    };
    events.push(event);
    (token_state, claims)
}

/// What the request's tokens and session came to, carried from one step to the next.
struct Request<'a> {
    state: &'a AppState,
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
    state: &AppState,
    access_raw: Option<&str>,
    refresh_raw: Option<&str>,
) -> Result<Resolution, AppError> {
    let now_ms = state.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let mut events = Vec::new();
    let (access_state, access) = check(state, TokenKind::Access, access_raw, now, &mut events);
    // The refresh token only matters when the access token failed, or to top up a kept
    // session; checking it always keeps the logic in one place, and a token seen before is a
    // digest and a cache lookup (see `tokens`).
    let (refresh_state, refresh) = check(state, TokenKind::Refresh, refresh_raw, now, &mut events);
    let sid = decide::session_to_load(
        (access_state, access.as_ref().map(|c| c.sid.as_str())),
        (refresh_state, refresh.as_ref().map(|c| c.sid.as_str())),
    );
    let found = match sid {
        Some(sid) => state.sessions.find(sid, now).await?,
        None => None,
    };
    let subject = access.as_ref().or(refresh.as_ref()).map(|c| c.sub.as_str());
    let session_state = match &found {
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
    };
    let decision = decide::decide(access_state, refresh_state, session_state);
    if let Decision::Reject { clear_cookies } = decision {
        if session_state == SessionState::Ended {
            events.push(FlowEvent::new(Event::SessionEnded));
        }
        return Ok(Resolution::rejected(events, clear_cookies, false));
    }
    // `decide` never serves without a session; answer as if it had rejected.
    let Some(live) = found else {
        return Ok(Resolution::rejected(events, true, false));
    };
    if now - live.session.last_seen_at >= TOUCH_EVERY {
        state.sessions.touch(&live, now);
    }
    let request = Request {
        state,
        now_ms,
        now,
        events,
        live,
        access,
        refresh,
        refresh_raw,
    };
    // The cases that write to the database are boxed: their futures are large, and kept
    // inline they would make every request's future (moved a few times per request) as large.
    match decision {
        Decision::Serve => serve(request).await,
        Decision::ServeAndReissueRefresh => Box::pin(serve_and_reissue(request)).await,
        Decision::Refresh => Box::pin(refresh_with_token(request)).await,
        Decision::Reject { clear_cookies } => {
            Ok(Resolution::rejected(request.events, clear_cookies, false))
        }
    }
}

/// Where the valid access token stands in a kept session's lineage. `Ok(true)`: on the
/// current branch (possibly just confirmed); `Ok(false)`: an older branch, still fine.
/// `Err`: the request must be refused, and how.
async fn check_branch(request: &mut Request<'_>) -> Result<Result<bool, Resolution>, AppError> {
    let state = request.state;
    let live = request.live.clone();
    let Some(access) = &request.access else {
        return Ok(Ok(false));
    };
    let lineage = &live.lineage;
    let branch = lineage.branch_of(access.rjti.as_deref());
    match branch {
        Branch::Untracked | Branch::Current => Ok(Ok(true)),
        Branch::Ancestor => Ok(Ok(false)),
        Branch::Dropped => {
            Box::pin(end_for_theft(state, &live, Theft::DroppedBranchUsed, false)).await?;
            Ok(Err(theft_refusal(std::mem::take(&mut request.events))))
        }
        Branch::Pending => {
            let jti = access.rjti.clone().unwrap_or_default();
            // Best effort: a database that cannot take the write now does not stop a request
            // the cache can serve; the next request confirms instead.
            match Box::pin(state.sessions.confirm(&live, &jti, request.now_ms)).await {
                Ok(Confirmation::Confirmed) => {
                    request.events.push(FlowEvent::new(Event::RefreshConfirmed));
                    Ok(Ok(true))
                }
                Ok(Confirmation::Nothing) => Ok(Ok(false)),
                Ok(Confirmation::Theft) => {
                    Box::pin(end_for_theft(state, &live, Theft::DroppedBranchUsed, true)).await?;
                    Ok(Err(theft_refusal(std::mem::take(&mut request.events))))
                }
                Ok(Confirmation::SessionEnded) => {
                    request.events.push(FlowEvent::new(Event::SessionEnded));
                    Ok(Err(Resolution::rejected(
                        std::mem::take(&mut request.events),
                        true,
                        false,
                    )))
                }
                Err(e) if crate::error::is_unavailable(&e) => {
                    tracing::warn!(error = %e, "could not confirm a refresh token now; will on a later request");
                    Ok(Ok(false))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn theft_refusal(mut events: Vec<FlowEvent>) -> Resolution {
    events.push(FlowEvent::new(Event::ReuseDetected));
    events.push(FlowEvent::new(Event::SessionRevoked));
    Resolution::rejected(events, true, true)
}

fn authenticated(
    request: Request<'_>,
    access: Claims,
    refresh: Option<Claims>,
    new_access: Option<NewCookie>,
    new_refresh: Option<NewCookie>,
) -> Resolution {
    Resolution {
        verdict: Verdict::Authenticated(Box::new(Identity {
            live: request.live,
            access,
            refresh,
        })),
        events: request.events,
        new_access,
        new_refresh,
    }
}

/// Case 1: a valid access token on an active session.
async fn serve(mut request: Request<'_>) -> Result<Resolution, AppError> {
    if request.live.session.keep_logged_in
        && let Err(refusal) = check_branch(&mut request).await?
    {
        return Ok(refusal);
    }
    // `decide` serves only on a valid access token, so its claims are here.
    let Some(access) = request.access.take() else {
        return Ok(Resolution::rejected(request.events, true, false));
    };
    let refresh = request.refresh.take();
    Ok(authenticated(request, access, refresh, None, None))
}

/// Case 3: a valid access token on a kept session whose refresh cookie is gone, expired or
/// broken: serve, and issue a new refresh token as a child of the current one, but only to a
/// client on the current branch (an old access token must not grow into a new refresh token).
async fn serve_and_reissue(mut request: Request<'_>) -> Result<Resolution, AppError> {
    let on_current = match check_branch(&mut request).await? {
        Ok(on_current) => on_current,
        Err(refusal) => return Ok(refusal),
    };
    let Some(access) = request.access.take() else {
        return Ok(Resolution::rejected(request.events, true, false));
    };
    if !on_current {
        return Ok(authenticated(request, access, None, None, None));
    }
    let state = request.state;
    let live = request.live.clone();
    let child = mint_refresh(state, &live.user.user_id, &live.session, request.now)?;
    let grace_ms = state.config.refresh_reuse_grace.whole_milliseconds() as i64;
    let outcome = state
        .sessions
        .refresh(
            &live,
            None,
            &child.record(request.now_ms),
            request.now_ms,
            grace_ms,
        )
        .await?;
    match outcome {
        RefreshOutcome::Issued { dropped, .. } => {
            if dropped.is_some() {
                request.events.push(FlowEvent::new(Event::BranchDropped));
            }
            request.events.push(FlowEvent::new(Event::RefreshReissued));
            let claims = child.issued.claims.clone();
            let cookie = cookie_for(child.issued, request.now, true);
            Ok(authenticated(
                request,
                access,
                Some(claims),
                None,
                Some(cookie),
            ))
        }
        // Another tab asked a moment ago and its answer carries the new refresh token.
        RefreshOutcome::Grace { .. } => Ok(authenticated(request, access, None, None, None)),
        RefreshOutcome::SessionEnded => {
            request.events.push(FlowEvent::new(Event::SessionEnded));
            Ok(Resolution::rejected(request.events, true, false))
        }
        RefreshOutcome::Theft(_) | RefreshOutcome::Unknown => {
            Ok(Resolution::rejected(request.events, true, false))
        }
    }
}

/// Case 2: the access token is unusable and the refresh token is valid: follow the lineage
/// rule (`lineage::plan_refresh`, applied inside the store's transaction).
async fn refresh_with_token(mut request: Request<'_>) -> Result<Resolution, AppError> {
    let state = request.state;
    let live = request.live.clone();
    let (now, now_ms) = (request.now, request.now_ms);
    let fingerprint = request
        .refresh_raw
        .map(tokens::fingerprint)
        .unwrap_or_default();
    let presented = PresentedRefresh {
        fingerprint: &fingerprint,
        jti: request.refresh.as_ref().map_or("", |c| c.jti.as_str()),
    };
    let child = mint_refresh(state, &live.user.user_id, &live.session, now)?;
    let grace_ms = state.config.refresh_reuse_grace.whole_milliseconds() as i64;
    let outcome = state
        .sessions
        .refresh(
            &live,
            Some(presented),
            &child.record(now_ms),
            now_ms,
            grace_ms,
        )
        .await?;
    let (rjti, new_refresh) = match outcome {
        RefreshOutcome::Issued { confirmed, dropped } => {
            if confirmed {
                request.events.push(FlowEvent::new(Event::RefreshConfirmed));
            }
            if dropped.is_some() {
                request.events.push(FlowEvent::new(Event::BranchDropped));
            }
            (Some(child.issued.claims.jti.clone()), Some(child.issued))
        }
        RefreshOutcome::Grace { current } => (current, None),
        RefreshOutcome::Theft(why) => {
            end_for_theft(state, &live, why, true).await?;
            return Ok(theft_refusal(request.events));
        }
        RefreshOutcome::Unknown => {
            request.events.push(FlowEvent::with(
                Event::RefreshInvalid,
                "this session never issued that refresh token",
            ));
            return Ok(Resolution::rejected(request.events, true, false));
        }
        RefreshOutcome::SessionEnded => {
            request.events.push(FlowEvent::new(Event::SessionEnded));
            return Ok(Resolution::rejected(request.events, true, false));
        }
    };
    let access = mint_access(
        state,
        &live.user.user_id,
        &live.session,
        now,
        rjti.as_deref(),
    )?;
    request.events.push(FlowEvent::new(Event::Refreshed));
    request
        .events
        .push(FlowEvent::new(if new_refresh.is_some() {
            Event::RefreshRotated
        } else {
            Event::RefreshGrace
        }));
    let refresh_claims = match &new_refresh {
        Some(issued) => Some(issued.claims.clone()),
        None => request.refresh.take(),
    };
    let access_claims = access.claims.clone();
    let new_access = Some(cookie_for(access, now, true));
    let new_refresh = new_refresh.map(|issued| cookie_for(issued, now, true));
    Ok(authenticated(
        request,
        access_claims,
        refresh_claims,
        new_access,
        new_refresh,
    ))
}
