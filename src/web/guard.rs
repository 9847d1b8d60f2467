//! The HTTP edge of authentication: takes the access token from the `access_jwt` cookie or an
//! `Authorization: Bearer` header and the refresh token from `refresh_jwt`, lets
//! `auth::flow::resolve` decide, and hands the handler an [`Authenticated`]. Renewed cookies
//! are left on the request for `cookies::write_renewed`. A refusal becomes a 401 (`Not
//! Authorized`) for API clients or a redirect to the login page for browsers, clearing stale
//! cookies either way.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};

use super::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE, Renewed};
use super::negotiate::wants_html;
use super::state::AppState;
use crate::auth::flow::{self, FlowEvent, Identity, Rejection, Verdict};
use crate::auth::session::NewCookie;
use crate::error::{AppError, NOT_AUTHORIZED};
use crate::store::sessions::EndCause;
use crate::vocab::Event;
use crate::web::teach::{self, class, theft};

/// Marks a request whose access-log line will be written (see `ops::observe`): only then does
/// the guard note who the request was for, so a server with that log off pays nothing for it.
#[derive(Clone, Copy)]
pub struct LogIdentity;

/// Who a request was for, for its access-log line. The session id is turned into a keyed hash
/// before it is written.
pub struct RequestIdentity {
    pub user: String,
    pub sid: String,
}

/// A request whose tokens check out.
pub struct Authenticated {
    pub identity: Box<Identity>,
    /// What the server did for this request, in order (the teaching timeline).
    pub events: Vec<FlowEvent>,
    /// How the access token travelled: `cookie` or `bearer`.
    pub access_via: &'static str,
    /// The raw tokens now in force (renewed ones if this request renewed them), for the
    /// token inspector and the demo buttons. Never into a page or a log whole.
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// The raw tokens a request carries. Only `Bearer` is taken from `Authorization`; other
/// schemes (Basic, Digest, ...) are not ours and are ignored.
pub fn presented_tokens(req: &HttpRequest) -> (Option<String>, Option<String>, &'static str) {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::tokens::bearer)
        .map(str::to_owned);
    let [access_cookie, refresh_cookie] = cookies::read_each(req, [ACCESS_COOKIE, REFRESH_COOKIE])
        .map(|v| v.filter(|v| !v.is_empty()).map(str::to_owned));
    let (access, via) = match bearer {
        Some(token) => (Some(token), "bearer"),
        None => (access_cookie, "cookie"),
    };
    (access, refresh_cookie, via)
}

fn to_cookie(name: &'static str, new: NewCookie) -> Cookie<'static> {
    match name {
        ACCESS_COOKIE => cookies::access(new.issued.token, new.max_age),
        _ => cookies::refresh(new.issued.token, new.max_age.unwrap_or_default()),
    }
}

/// The login page's notice for why a request must log in again (`/login?notice=`).
pub fn notice_for(why: Rejection) -> &'static str {
    match why {
        Rejection::Theft | Rejection::Ended(EndCause::Reuse) => "reuse-detected",
        Rejection::Ended(EndCause::Logout) => "logged-out",
        Rejection::Ended(EndCause::Revoke | EndCause::RevokeOthers) => "ended-elsewhere",
        Rejection::Ended(EndCause::PasswordChange) => "ended-password",
        Rejection::Ended(EndCause::Reset) => "class-reset",
        Rejection::AccessExpired => "access-expired",
        Rejection::Expired => "expired",
        Rejection::LoginRequired => "login-required",
    }
}

/// The answer to a request that must log in (again): browsers go to the login page, which
/// says why.
pub fn rejection(req: &HttpRequest, clear_cookies: bool, why: Rejection) -> HttpResponse {
    let mut response = if wants_html(req) {
        let notice = notice_for(why);
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?notice={notice}")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    } else {
        AppError::Unauthorized.error_response()
    };
    if clear_cookies {
        for cookie in cookies::clear_both() {
            let _ = response.add_cookie(&cookie);
        }
    }
    response
}

/// Demo mode: the lesson's steps this request's timeline shows done, and a theft's evidence
/// (then the page the browser should see it on).
fn demo_notes(
    state: &AppState,
    req: &HttpRequest,
    resolution: &flow::Resolution,
    access: &Option<String>,
    refresh: &Option<String>,
) -> Option<&'static str> {
    let class = teach::class_of(state)?;
    let events: Vec<Event> = resolution.events.iter().map(|e| e.name).collect();
    let learner = class::learner(req);
    let sid = match &resolution.verdict {
        Verdict::Authenticated(identity) => Some(identity.session().id.as_str()),
        Verdict::Rejected { .. } => None,
    };
    class.saw(learner.as_deref(), sid, &events);
    match &resolution.verdict {
        Verdict::Rejected {
            why: Rejection::Theft,
            ..
        } => theft::noticed(state, req, &events, access.as_deref(), refresh.as_deref()),
        _ => None,
    }
}

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("application state is not configured"))?
                .clone();
            let (access, refresh, access_via) = presented_tokens(&req);
            let resolution =
                flow::resolve(state.auth(), access.as_deref(), refresh.as_deref()).await?;
            state.metrics.flow(resolution.events.iter().map(|e| e.name));
            let theft_page = demo_notes(&state, &req, &resolution, &access, &refresh);
            match resolution.verdict {
                Verdict::Authenticated(identity) => {
                    if req.extensions().contains::<LogIdentity>() {
                        let who = RequestIdentity {
                            user: identity.user().user_id.clone(),
                            sid: identity.session().id.clone(),
                        };
                        req.extensions_mut().insert(who);
                    }
                    let mut set_cookies = Vec::new();
                    let mut access_token = access.unwrap_or_default();
                    let mut refresh_token = identity.refresh.as_ref().and(refresh);
                    if let Some(new) = resolution.new_access {
                        access_token = new.issued.token.clone();
                        set_cookies.push(to_cookie(ACCESS_COOKIE, new));
                    }
                    if let Some(new) = resolution.new_refresh {
                        refresh_token = Some(new.issued.token.clone());
                        set_cookies.push(to_cookie(REFRESH_COOKIE, new));
                    }
                    req.extensions_mut().insert(Renewed(set_cookies));
                    Ok(Authenticated {
                        identity,
                        events: resolution.events,
                        access_via,
                        access_token,
                        refresh_token,
                    })
                }
                Verdict::Rejected { clear_cookies, why } => {
                    let mut answer = rejection(&req, clear_cookies, why);
                    if let Some(page) = theft_page.filter(|_| wants_html(&req)) {
                        answer
                            .headers_mut()
                            .insert(header::LOCATION, header::HeaderValue::from_static(page));
                    }
                    Err(
                        actix_web::error::InternalError::from_response(NOT_AUTHORIZED, answer)
                            .into(),
                    )
                }
            }
        })
    }
}
