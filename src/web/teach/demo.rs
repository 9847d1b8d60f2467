//! Demo mode's buttons on `/userinfo`: they change your tokens on purpose, so a class can watch
//! the server react on the next page load. Each goes through the same functions a real request
//! takes (`auth::session` mints, the session store refreshes and confirms). Off demo mode
//! every route here is a 404.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::demo_only;
use crate::auth::session::mint_refresh;
use crate::auth::tokens::{self, TokenKind};
use crate::error::AppError;
use crate::store::sessions::{PresentedRefresh, RefreshOutcome};
use crate::vocab::LessonStep;
use crate::web::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::web::guard::Authenticated;
use crate::web::negotiate;
use crate::web::routes::Routes;
use crate::web::state::AppState;

pub fn configure(routes: &mut Routes) {
    routes
        .add("/demo/expire-access", |r| {
            r.route(web::post().to(expire_access))
        })
        .add("/demo/forget-refresh", |r| {
            r.route(web::post().to(forget_refresh))
        })
        .add("/demo/replay-refresh", |r| {
            r.route(web::post().to(replay_refresh))
        })
        .add("/demo/lose-answer", |r| {
            r.route(web::post().to(lose_answer))
        });
}

/// Back to `/userinfo`'s timeline, with the banner of the lesson step this demo is for.
fn back_to_userinfo(step: LessonStep) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/userinfo?lesson={step}#timeline"),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The demos that need a refresh token, asked of a session without one: back to the page,
/// whose demo box says why (never a bare 400).
fn needs_a_kept_session(
    req: &HttpRequest,
    auth: &Authenticated,
) -> Result<Option<HttpResponse>, AppError> {
    if auth.identity.session().keep_logged_in && auth.refresh_token.is_some() {
        return Ok(None);
    }
    if !negotiate::wants_html(req) {
        return Err(AppError::BadRequest(
            "This demo needs a refresh token: log in with “keep me logged in” first.".into(),
        ));
    }
    Ok(Some(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/userinfo?notice=needs-kept#demo"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
    ))
}

/// An access cookie holding a correctly signed token whose `exp` has just passed, on the same
/// branch of the lineage as the current one. The cookie itself stays as persistent as before,
/// so the browser keeps sending it.
fn expired_access_cookie(
    state: &AppState,
    auth: &Authenticated,
) -> Result<Cookie<'static>, AppError> {
    let identity = &auth.identity;
    let now = state.clock.now();
    let ttl = state.config.sessions.access_token_ttl.whole_seconds();
    let issued = state.tokens.issue(
        TokenKind::Access,
        &identity.user().user_id,
        &identity.session().id,
        now - ttl,
        now - 1,
        identity.access.rjti.as_deref(),
    )?;
    let max_age = identity
        .session()
        .keep_logged_in
        .then(|| time::Duration::seconds(ttl));
    Ok(cookies::access(issued.token, max_age))
}

/// Back to `/userinfo` with an expired access token in place of the one in force.
fn with_expired_access(
    state: &AppState,
    auth: &Authenticated,
    step: LessonStep,
) -> Result<HttpResponse, AppError> {
    let mut response = back_to_userinfo(step);
    cookies::replace(
        &mut response,
        ACCESS_COOKIE,
        &expired_access_cookie(state, auth)?,
    );
    Ok(response)
}

/// "Expire my access token now": the next load shows access-expired, then the refresh.
pub async fn expire_access(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    with_expired_access(&state, &auth, LessonStep::Refresh)
}

/// "Forget my refresh token": the next load of a kept session shows a new one being issued.
pub async fn forget_refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    if let Some(back) = needs_a_kept_session(&req, &auth)? {
        return Ok(back);
    }
    let mut response = back_to_userinfo(LessonStep::Refresh);
    cookies::replace(
        &mut response,
        REFRESH_COOKIE,
        &cookies::clear(REFRESH_COOKIE),
    );
    Ok(response)
}

/// Has the server refresh with the browser's current refresh token, as if the browser had
/// sent it, and throws the answer away. The browser's next refresh is then judged without the
/// grace window, as it would be much later (the lineage keeps the true times). Returns the
/// child's `jti` (the token itself is discarded unseen).
async fn refresh_behind_the_browsers_back(
    state: &AppState,
    auth: &Authenticated,
) -> Result<String, AppError> {
    let now_ms = state.clock.now_ms();
    let identity = &auth.identity;
    let Some(current) = auth.refresh_token.as_deref() else {
        return Err(AppError::Conflict(
            "There is no refresh token to use: log in with “keep me logged in” first.".into(),
        ));
    };
    let at = now_ms.div_euclid(1000);
    let child = mint_refresh(
        state.auth(),
        &identity.user().user_id,
        identity.session(),
        at,
    )?;
    let presented = PresentedRefresh {
        fingerprint: &tokens::fingerprint(current),
        // The cookie's jti (empty if its claims are not at hand: the store then places the
        // token by its fingerprint alone).
        jti: identity.refresh.as_ref().map_or("", |c| c.jti.as_str()),
    };
    let outcome = state
        .sessions
        .refresh(
            &identity.live,
            Some(presented),
            &child.record(now_ms),
            now_ms,
            state.config.sessions.grace_ms(),
        )
        .await?;
    state
        .sessions
        .next_refresh_without_grace(&identity.session().id);
    match outcome {
        RefreshOutcome::Issued { .. } => Ok(child.issued.claims.jti),
        _ => Err(AppError::Conflict(
            "The server could not use your refresh token just now; reload and try again.".into(),
        )),
    }
}

/// "Lose a refresh answer": the server refreshes with your refresh token and the answer never
/// reaches you, as on a dropped connection. Your access token is expired, so the next load
/// presents the same refresh token again: the unconfirmed child is dropped, you get a new one,
/// and nothing is called theft.
pub async fn lose_answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    if let Some(back) = needs_a_kept_session(&req, &auth)? {
        return Ok(back);
    }
    refresh_behind_the_browsers_back(&state, &auth).await?;
    with_expired_access(&state, &auth, LessonStep::LoseAnswer)
}

/// "Replay an old refresh token": plays the thief. The server refreshes with a copy of your
/// refresh token and uses the child it got (so it replaces yours), judged without the grace window; your
/// access token is expired, so your browser's next load presents its now retired refresh
/// token: theft detected, the whole session ends. The thief's token is thrown away; nothing
/// raw is stored.
pub async fn replay_refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    if let Some(back) = needs_a_kept_session(&req, &auth)? {
        return Ok(back);
    }
    let thiefs = refresh_behind_the_browsers_back(&state, &auth).await?;
    let now = state.clock.now();
    let Some(live) = state
        .sessions
        .find(&auth.identity.session().id, now)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    state
        .sessions
        .confirm(&live, &thiefs, state.clock.now_ms())
        .await?;
    // Keep the browser's (now retired) refresh token; only the access token goes.
    with_expired_access(&state, &auth, LessonStep::Replay)
}
