//! Demo mode's buttons on `/userinfo`: they change your tokens on purpose, so a class can watch
//! the server react on the next page load. Each goes through the same functions a real request
//! takes (`auth::session` mints, the session store refreshes and confirms). Off demo mode
//! every route here is a 404.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::demo_only;
use crate::auth::session::mint_refresh;
use crate::auth::tokens::{self, TokenKind};
use crate::error::AppError;
use crate::store::sessions::{PresentedRefresh, RefreshOutcome};
use crate::web::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::web::guard::Authenticated;
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

fn back_to_userinfo() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/userinfo#timeline"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
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
fn with_expired_access(state: &AppState, auth: &Authenticated) -> Result<HttpResponse, AppError> {
    let mut response = back_to_userinfo();
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
    with_expired_access(&state, &auth)
}

/// "Forget my refresh token": the next load of a kept session shows a new one being issued.
pub async fn forget_refresh(
    state: web::Data<AppState>,
    _auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let mut response = back_to_userinfo();
    cookies::replace(
        &mut response,
        REFRESH_COOKIE,
        &cookies::clear(REFRESH_COOKIE),
    );
    Ok(response)
}

/// Has the server refresh with the browser's current refresh token, as if the browser had
/// sent it, and throws the answer away. `backdated_ms`: when that happened; both demos below
/// put it just past the grace window, so the next load is judged as it would be much later.
/// Returns the child's `jti` (the token itself is discarded unseen).
async fn refresh_behind_the_browsers_back(
    state: &AppState,
    auth: &Authenticated,
    backdated_ms: i64,
) -> Result<String, AppError> {
    let identity = &auth.identity;
    let Some(current) = auth.refresh_token.as_deref() else {
        return Err(AppError::BadRequest(
            "There is no refresh token to use: log in with “keep me logged in” first.".into(),
        ));
    };
    let at = backdated_ms.div_euclid(1000);
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
            &child.record(backdated_ms),
            backdated_ms,
            state.config.sessions.grace_ms(),
        )
        .await?;
    match outcome {
        RefreshOutcome::Issued { .. } => Ok(child.issued.claims.jti),
        _ => Err(AppError::BadRequest(
            "The server could not use your refresh token just now; reload and try again.".into(),
        )),
    }
}

fn just_past_the_grace(state: &AppState) -> i64 {
    state.clock.now_ms() - state.config.sessions.grace_ms() - 1
}

/// "Lose a refresh answer": the server refreshes with your refresh token and the answer never
/// reaches you, as on a dropped connection. Your access token is expired, so the next load
/// presents the same refresh token again: the unconfirmed child is dropped, you get a new one,
/// and nothing is called theft.
pub async fn lose_answer(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    refresh_behind_the_browsers_back(&state, &auth, just_past_the_grace(&state)).await?;
    with_expired_access(&state, &auth)
}

/// "Replay an old refresh token": plays the thief. The server refreshes with a copy of your
/// refresh token and uses the child it got (so it replaces yours), past the grace window; your
/// access token is expired, so your browser's next load presents its now retired refresh
/// token: theft detected, the whole session ends. The thief's token is thrown away; nothing
/// raw is stored.
pub async fn replay_refresh(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let when = just_past_the_grace(&state);
    let thiefs = refresh_behind_the_browsers_back(&state, &auth, when).await?;
    let now = state.clock.now();
    let Some(live) = state
        .sessions
        .find(&auth.identity.session().id, now)
        .await?
    else {
        return Err(AppError::NotFound);
    };
    state.sessions.confirm(&live, &thiefs, when).await?;
    // Keep the browser's (now retired) refresh token; only the access token goes.
    with_expired_access(&state, &auth)
}
