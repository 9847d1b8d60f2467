//! Demo mode (`DEMO_MODE=true`): buttons that change your tokens on purpose, so a class can
//! watch the server react on the next page load. Off demo mode every route here is a 404.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::auth::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::auth::guard::Authenticated;
use crate::auth::tokens::{self, TokenKind};
use crate::error::AppError;
use crate::store::sessions::NewRefresh;

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

/// An access cookie holding a correctly signed token whose `exp` has just passed. The cookie
/// itself stays as persistent as before, so the browser keeps sending it.
fn expired_access_cookie(
    state: &AppState,
    auth: &Authenticated,
) -> Result<actix_web::cookie::Cookie<'static>, AppError> {
    let identity = &auth.identity;
    let now = state.clock.now();
    let ttl = state.config.access_token_ttl.whole_seconds();
    let issued = state.tokens.issue(
        TokenKind::Access,
        &identity.user.user_id,
        &identity.session.id,
        now - ttl,
        now - 1,
    )?;
    let max_age = identity
        .session
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

/// "Replay an old refresh token": plays the thief. The server rotates your current refresh
/// token as if someone else had used it before the grace window, and your access token is
/// expired, so your browser's next load presents the old refresh token: reuse detected, the
/// whole session ends. The thief's token is thrown away; nothing raw is stored.
pub async fn replay_refresh(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let identity = &auth.identity;
    let Some(current) = auth.refresh_token.as_deref() else {
        return Err(AppError::BadRequest(
            "There is no refresh token to replay: log in with “keep me logged in” first.".into(),
        ));
    };
    let now = state.clock.now();
    let grace = state.config.refresh_reuse_grace.whole_seconds();
    let used_at = now - grace - 1;
    let exp =
        (now + state.config.refresh_token_ttl.whole_seconds()).min(identity.session.expires_at);
    let thiefs = state.tokens.issue(
        TokenKind::Refresh,
        &identity.user.user_id,
        &identity.session.id,
        used_at,
        exp,
    )?;
    let fingerprint = tokens::fingerprint(&thiefs.token);
    let stored = NewRefresh {
        fingerprint: &fingerprint,
        issued_at: used_at,
        expires_at: exp,
    };
    state
        .sessions
        .rotate_refresh(
            &identity.session.id,
            &tokens::fingerprint(current),
            &stored,
            used_at,
            grace,
        )
        .await?;
    let mut response = back_to_userinfo();
    // Keep the browser's (now old) refresh token; only the access token goes.
    auth.write_cookies_except(&mut response, ACCESS_COOKIE);
    let _ = response.add_cookie(&expired_access_cookie(&state, &auth)?);
    Ok(response)
}
