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
use super::teach::{self, class};
use crate::auth::flow::FlowEvent;
use crate::error::{AppError, ErrorBody};
use crate::i18n::{Lang, describe_event};
use crate::store::users::User;
use crate::vocab::{Event, LessonStep};

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
    /// Demo mode: a demo that needs a kept session was asked of a plain one.
    needs_kept: bool,
    /// Position, location and bio, as the page's language shows them.
    profile: [&'a str; 3],
}

/// The course's seeded demo profile is written in English; a Korean page shows it in Korean.
/// Anything a user typed is shown as typed.
fn profile<'a>(lang: crate::i18n::Lang, user: &'a User) -> [&'a str; 3] {
    let korean = |english: &'a str| -> &'a str {
        match english {
            "Frontend Developer" => "프론트엔드 개발자",
            "Seoul, South Korea" => "대한민국 서울",
            "Learning how cookies, JWTs and sessions fit together — one request at a time." => {
                "쿠키와 JWT, 세션이 어떻게 맞물리는지 요청 하나씩 배워 가는 중입니다."
            }
            other => other,
        }
    };
    let fields = [
        user.position.as_str(),
        user.location.as_str(),
        user.bio.as_str(),
    ];
    match lang {
        crate::i18n::Lang::Ko => fields.map(korean),
        crate::i18n::Lang::En => fields,
    }
}

/// The inspector's view of the tokens this request carried: the access token, and the
/// refresh token of a kept session.
fn token_views(t: &'static crate::i18n::Texts, auth: &Authenticated, now: i64) -> Vec<TokenView> {
    let identity = &auth.identity;
    let access = &identity.access;
    let keep = identity.session().keep_logged_in;
    let mut tokens = vec![inspect::inspect(
        t,
        &auth.access_token,
        true,
        keep.then_some(access.exp - access.iat),
        now,
    )];
    if let (Some(raw), Some(claims)) = (&auth.refresh_token, &identity.refresh) {
        tokens.push(inspect::inspect(
            t,
            raw,
            false,
            Some(claims.exp - claims.iat),
            now,
        ));
    }
    tokens
}

/// The request's timeline, described in `lang`.
fn timeline_of(lang: Lang, events: &[FlowEvent]) -> Vec<TimelineStep> {
    events
        .iter()
        .map(|e| TimelineStep {
            name: e.name,
            description: describe_event(lang, e.name),
            detail: e
                .detail
                .as_ref()
                .map(|d| crate::i18n::describe_detail(lang, d)),
        })
        .collect()
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
        let tokens = token_views(chrome.t, &auth, now);
        let timeline = timeline_of(chrome.lang, &auth.events);
        let chrome_lang = chrome.lang;
        // Reading the tokens from the lesson's link is that step done.
        if class::lesson_in(&req) == Some(LessonStep::Inspect) {
            teach::step_done(&state, &req, LessonStep::Inspect);
        }
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
            needs_kept: req.query_string().contains("notice=needs-kept"),
            profile: profile(chrome_lang, identity.user()),
        };
        render(StatusCode::OK, &page)?
    } else {
        HttpResponse::Ok().json(identity.user())
    };
    Ok(response)
}
