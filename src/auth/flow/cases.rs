//! One short function per case of the matrix: [`serve`], [`serve_and_reissue`] and
//! [`refresh_with_token`], and the lineage check they share.

use super::{FlowEvent, Identity, Request, Resolution, Verdict, end_for_theft};
use crate::auth::decide::Decision;
use crate::auth::session::{NewCookie, cookie_for, mint_access, mint_refresh};
use crate::auth::tokens::{self, Claims, Issued};
use crate::error::AppError;
use crate::lineage::{Branch, Theft};
use crate::store::sessions::{Confirmation, PresentedRefresh, RefreshOutcome};
use crate::vocab::{Detail, Event};

/// Follows the case `decide` picked.
pub(super) async fn follow(
    decision: Decision,
    request: Request<'_>,
) -> Result<Resolution, AppError> {
    // The cases that write to the database are boxed: their futures are large, and kept
    // inline they would make every request's future (moved a few times per request) as large.
    match decision {
        Decision::Serve => serve(request).await,
        Decision::ServeAndReissueRefresh => Box::pin(serve_and_reissue(request)).await,
        Decision::Refresh => Box::pin(refresh_with_token(request)).await,
        Decision::Reject { clear_cookies } => {
            Ok(Resolution::rejected(request.events, clear_cookies))
        }
    }
}

/// Where the valid access token stands in a kept session's lineage. `Ok(true)`: on the
/// current branch (possibly just confirmed); `Ok(false)`: an older branch, still fine.
/// `Err`: the request must be refused, and how.
async fn check_branch(request: &mut Request<'_>) -> Result<Result<bool, Resolution>, AppError> {
    let auth = request.auth;
    let live = request.live.clone();
    let Some(access) = &request.access else {
        return Ok(Ok(false));
    };
    match live.lineage.branch_of(access.rjti.as_deref()) {
        Branch::Untracked | Branch::Current => Ok(Ok(true)),
        Branch::Ancestor => Ok(Ok(false)),
        Branch::Dropped => {
            Box::pin(end_for_theft(auth, &live, Theft::DroppedBranchUsed, false)).await?;
            Ok(Err(theft_refusal(std::mem::take(&mut request.events))))
        }
        Branch::Pending => {
            let jti = access.rjti.clone().unwrap_or_default();
            Box::pin(confirm_through_access(request, &jti)).await
        }
    }
}

/// An access token of the pending child came back: the child is confirmed. Best effort: a
/// database that cannot take the write now does not stop a request the cache can serve; the
/// next request confirms instead.
async fn confirm_through_access(
    request: &mut Request<'_>,
    jti: &str,
) -> Result<Result<bool, Resolution>, AppError> {
    let auth = request.auth;
    let live = request.live.clone();
    match auth.sessions.confirm(&live, jti, request.now_ms).await {
        Ok(Confirmation::Confirmed) => {
            request.events.push(FlowEvent::new(Event::RefreshConfirmed));
            Ok(Ok(true))
        }
        Ok(Confirmation::Nothing) => Ok(Ok(false)),
        Ok(Confirmation::Theft) => {
            end_for_theft(auth, &live, Theft::DroppedBranchUsed, true).await?;
            Ok(Err(theft_refusal(std::mem::take(&mut request.events))))
        }
        Ok(Confirmation::SessionEnded) => {
            request.events.push(FlowEvent::new(Event::SessionEnded));
            let events = std::mem::take(&mut request.events);
            Ok(Err(Resolution::rejected(events, true)))
        }
        Err(e) if crate::error::is_unavailable(&e) => {
            tracing::warn!(error = %e, "could not confirm a refresh token now; will on a later request");
            Ok(Ok(false))
        }
        Err(e) => Err(e.into()),
    }
}

fn theft_refusal(mut events: Vec<FlowEvent>) -> Resolution {
    events.push(FlowEvent::new(Event::ReuseDetected));
    events.push(FlowEvent::new(Event::SessionRevoked));
    Resolution::rejected(events, true)
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
        return Ok(Resolution::rejected(request.events, true));
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
        return Ok(Resolution::rejected(request.events, true));
    };
    if !on_current {
        return Ok(authenticated(request, access, None, None, None));
    }
    let auth = request.auth;
    let live = request.live.clone();
    let child = mint_refresh(auth, &live.user.user_id, &live.session, request.now)?;
    let record = child.record(request.now_ms);
    let outcome = auth
        .sessions
        .refresh(
            &live,
            None,
            &record,
            request.now_ms,
            auth.sessions
                .grace_ms(&live.session.id, auth.lifetimes.grace_ms()),
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
            Ok(Resolution::rejected(request.events, true))
        }
        RefreshOutcome::Theft(_) | RefreshOutcome::Unknown => {
            Ok(Resolution::rejected(request.events, true))
        }
    }
}

/// Case 2: the access token is unusable and the refresh token is valid: follow the lineage
/// rule (`lineage::plan_refresh`, applied inside the store's transaction).
async fn refresh_with_token(mut request: Request<'_>) -> Result<Resolution, AppError> {
    let auth = request.auth;
    let live = request.live.clone();
    let fingerprint = request
        .refresh_raw
        .map(tokens::fingerprint)
        .unwrap_or_default();
    let presented = PresentedRefresh {
        fingerprint: &fingerprint,
        jti: request.refresh.as_ref().map_or("", |c| c.jti.as_str()),
    };
    let child = mint_refresh(auth, &live.user.user_id, &live.session, request.now)?;
    let record = child.record(request.now_ms);
    let grace_ms = auth
        .sessions
        .grace_ms(&request.live.session.id, auth.lifetimes.grace_ms());
    let outcome = auth
        .sessions
        .refresh(&live, Some(presented), &record, request.now_ms, grace_ms)
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
            end_for_theft(auth, &live, why, true).await?;
            return Ok(theft_refusal(request.events));
        }
        refused => return Ok(refresh_refused(request.events, &refused)),
    };
    reissue_access(request, rjti, new_refresh)
}

/// A refresh token this session never issued, or a session that is over.
fn refresh_refused(mut events: Vec<FlowEvent>, outcome: &RefreshOutcome) -> Resolution {
    let event = match outcome {
        RefreshOutcome::Unknown => FlowEvent::with(Event::RefreshInvalid, Detail::NeverIssued),
        _ => FlowEvent::new(Event::SessionEnded),
    };
    events.push(event);
    Resolution::rejected(events, true)
}

/// After a refresh: a new access token on the branch of `rjti`, with the new refresh token
/// (`None` within the grace window: the other tab's answer carries it).
fn reissue_access(
    mut request: Request<'_>,
    rjti: Option<String>,
    new_refresh: Option<Issued>,
) -> Result<Resolution, AppError> {
    let (auth, now, live) = (request.auth, request.now, request.live.clone());
    let access = mint_access(
        auth,
        &live.user.user_id,
        &live.session,
        now,
        rjti.as_deref(),
    )?;
    request.events.push(FlowEvent::new(Event::Refreshed));
    let step = match new_refresh {
        Some(_) => Event::RefreshRotated,
        None => Event::RefreshGrace,
    };
    request.events.push(FlowEvent::new(step));
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
