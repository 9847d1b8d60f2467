//! Demo mode (`DEMO_MODE=true`): buttons that change your tokens on purpose, so a class can
//! watch the server react on the next page load. Off demo mode every route here is a 404.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::auth::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::auth::guard::Authenticated;
use crate::auth::state::AppState;
use crate::auth::tokens::{self, TokenKind};
use crate::error::AppError;
use crate::store::sessions::{NewRefresh, PresentedRefresh, RefreshOutcome};

fn back_to_userinfo() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/userinfo#timeline"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn demo_only(state: &AppState) -> Result<(), AppError> {
    if state.config.demo_mode {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// An access cookie holding a correctly signed token whose `exp` has just passed, on the same
/// branch of the lineage as the current one. The cookie itself stays as persistent as before,
/// so the browser keeps sending it.
fn expired_access_cookie(
    state: &AppState,
    auth: &Authenticated,
) -> Result<actix_web::cookie::Cookie<'static>, AppError> {
    let identity = &auth.identity;
    let now = state.clock.now();
    let ttl = state.config.access_token_ttl.whole_seconds();
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

/// "Expire my access token now": the next load shows access-expired, then the refresh.
pub async fn expire_access(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let mut response = back_to_userinfo();
    auth.write_cookies_except(&mut response, ACCESS_COOKIE);
    let _ = response.add_cookie(&expired_access_cookie(&state, &auth)?);
    Ok(response)
}

/// "Forget my refresh token": the next load of a kept session shows a new one being issued.
pub async fn forget_refresh(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let mut response = back_to_userinfo();
    auth.write_cookies_except(&mut response, REFRESH_COOKIE);
    let _ = response.add_cookie(&cookies::clear(REFRESH_COOKIE));
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
    let session = identity.session();
    let at = backdated_ms.div_euclid(1000);
    let exp = (at + state.config.refresh_token_ttl.whole_seconds()).min(session.expires_at);
    let child = state.tokens.issue(
        TokenKind::Refresh,
        &identity.user().user_id,
        &session.id,
        at,
        exp,
        None,
    )?;
    let fingerprint = tokens::fingerprint(&child.token);
    let record = NewRefresh {
        fingerprint: &fingerprint,
        jti: &child.claims.jti,
        issued_ms: backdated_ms,
        expires_at: exp,
    };
    let grace_ms = state.config.refresh_reuse_grace.whole_milliseconds() as i64;
    let outcome = state
        .sessions
        .refresh(
            &identity.live,
            Some(PresentedRefresh {
                fingerprint: &tokens::fingerprint(current),
                // The cookie's jti (empty if its claims are not at hand: the store then places
                // the token by its fingerprint alone).
                jti: identity.refresh.as_ref().map_or("", |c| c.jti.as_str()),
            }),
            &record,
            backdated_ms,
            grace_ms,
        )
        .await?;
    match outcome {
        RefreshOutcome::Issued { .. } => Ok(child.claims.jti),
        _ => Err(AppError::BadRequest(
            "The server could not use your refresh token just now; reload and try again.".into(),
        )),
    }
}

fn just_past_the_grace(state: &AppState) -> i64 {
    state.clock.now_ms() - state.config.refresh_reuse_grace.whole_milliseconds() as i64 - 1
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
    let mut response = back_to_userinfo();
    auth.write_cookies_except(&mut response, ACCESS_COOKIE);
    let _ = response.add_cookie(&expired_access_cookie(&state, &auth)?);
    Ok(response)
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
    let mut response = back_to_userinfo();
    // Keep the browser's (now retired) refresh token; only the access token goes.
    auth.write_cookies_except(&mut response, ACCESS_COOKIE);
    let _ = response.add_cookie(&expired_access_cookie(&state, &auth)?);
    Ok(response)
}
