//! `GET /userinfo`: who you are, as a page or as the course's JSON. The page also shows the
//! tokens decoded and the server's steps for this very request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::chrome::{Chrome, chrome, render};
use super::guard::Authenticated;
use super::negotiate;
use super::routes::Routes;
use super::state::AppState;
use super::teach::Elsewhere;
use super::teach::inspect::{self, TokenView};
use crate::error::{AppError, ErrorBody};
use crate::i18n::describe_event;
use crate::store::users::User;
use crate::vocab::Event;

pub fn configure(routes: &mut Routes) {
    routes.add("/userinfo", |r| r.route(web::get().to(show)));
}

pub struct TimelineStep {
    pub name: Event,
    pub description: &'static str,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "userinfo.html")]
struct UserInfoPage<'a> {
    chrome: Chrome,
    user: &'a User,
    timeline: Vec<TimelineStep>,
    access_via: &'a str,
    keep_logged_in: bool,
    tokens: Vec<TokenView>,
    now: i64,
    demo_mode: bool,
    /// Demo mode: the other site's page, and the course-style client.
    elsewhere: Elsewhere,
}

/// Who you are. The access token comes from the `access_jwt` cookie or `Authorization: Bearer`;
/// an expired one is renewed from `refresh_jwt` (the new cookies come with the answer).
#[utoipa::path(get, path = "/userinfo", tag = "session",
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The user. Renewed cookies, if any, are set.", body = User),
        (status = 401, description = "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 503, description = "The database is unavailable.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    let identity = &auth.identity;
    let response = if negotiate::wants_html(&req) {
        let chrome = chrome(&req, true, "userinfo");
        let now = state.clock.now();
        let keep = identity.session().keep_logged_in;
        let access = &identity.access;
        let mut tokens = vec![inspect::inspect(
            chrome.t,
            &auth.access_token,
            true,
            keep.then_some(access.exp - access.iat),
            now,
        )];
        if let (Some(raw), Some(claims)) = (&auth.refresh_token, &identity.refresh) {
            tokens.push(inspect::inspect(
                chrome.t,
                raw,
                false,
                Some(claims.exp - claims.iat),
                now,
            ));
        }
        let timeline = auth
            .events
            .iter()
            .map(|e| TimelineStep {
                name: e.name,
                description: describe_event(chrome.lang, e.name),
                detail: e.detail.clone(),
            })
            .collect();
        let chrome_lang = chrome.lang;
        let page = UserInfoPage {
            chrome,
            user: identity.user(),
            timeline,
            access_via: auth.access_via,
            keep_logged_in: keep,
            tokens,
            now,
            demo_mode: state.config.demo.mode,
            elsewhere: Elsewhere::of(&state, &req, chrome_lang),
        };
        render(StatusCode::OK, &page)?
    } else {
        HttpResponse::Ok().json(identity.user())
    };
    Ok(response)
}
