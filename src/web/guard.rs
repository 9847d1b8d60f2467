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
use crate::auth::flow::{self, FlowEvent, Identity, Verdict};
use crate::auth::session::NewCookie;
use crate::error::{AppError, NOT_AUTHORIZED};

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

/// The answer to a request that must log in (again).
/// `theft` picks the login page's notice: the session was ended for safety.
pub fn rejection(req: &HttpRequest, clear_cookies: bool, theft: bool) -> HttpResponse {
    let mut response = if wants_html(req) {
        let notice = match (theft, clear_cookies) {
            (true, _) => "reuse-detected",
            (false, true) => "expired",
            (false, false) => "login-required",
        };
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
                Verdict::Rejected {
                    clear_cookies,
                    theft,
                } => Err(actix_web::error::InternalError::from_response(
                    NOT_AUTHORIZED,
                    rejection(&req, clear_cookies, theft),
                )
                .into()),
            }
        })
    }
}
