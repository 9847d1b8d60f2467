//! What every page shares: its frame (language, strings, navigation), the choice of language
//! and the middleware that remembers it, and rendering.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::state::AppState;
use crate::auth::tokens::{TokenKind, Verified};
use crate::error::AppError;
use crate::i18n::{Lang, StepText, Texts, describe_step};
use crate::vocab::{ACCESS_COOKIE, LessonStep, REFRESH_COOKIE};

/// What every page's frame needs: the language, its strings, and the navigation state.
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Texts,
    pub logged_in: bool,
    /// Which navigation entry is this page (`userinfo`, `sessions`, `login`, ...).
    pub current: &'static str,
    /// Demo mode: the header links to the lesson.
    pub demo: bool,
    /// A lesson step led here (`?lesson=`): its banner says what to look at.
    pub banner: Option<StepText>,
    /// `?view=projector` (remembered): larger type, for the back of a room.
    pub projector: bool,
}

pub const VIEW_COOKIE: &str = "view";

pub const LANG_COOKIE: &str = "lang";

/// The language of this request: `?lang=`, else the `lang` cookie, else `Accept-Language`.
pub fn lang(req: &HttpRequest) -> Lang {
    let query = lang_query(req.query_string());
    let cookie = super::cookies::read(req, LANG_COOKIE);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(query.as_deref(), cookie, accept)
}

fn lang_query(query: &str) -> Option<String> {
    query_value(query, "lang")
}

fn query_value(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Whether the browser holds a token this server signed and that is in time: the header's
/// idea of "logged in" on pages that do not check the session (the API description, a 404).
fn holds_a_token(req: &HttpRequest, state: &AppState) -> bool {
    let now = state.clock.now();
    [
        (ACCESS_COOKIE, TokenKind::Access),
        (REFRESH_COOKIE, TokenKind::Refresh),
    ]
    .into_iter()
    .any(|(name, kind)| {
        super::cookies::read(req, name)
            .is_some_and(|t| matches!(state.tokens.verify(kind, t, now), Verified::Valid(_)))
    })
}

/// The projector view: `?view=projector` turns it on, `?view=desk` off, the cookie keeps it.
fn projector(req: &HttpRequest) -> bool {
    match query_value(req.query_string(), "view").as_deref() {
        Some("projector") => true,
        Some(_) => false,
        None => super::cookies::read(req, VIEW_COOKIE) == Some("projector"),
    }
}

pub fn chrome(req: &HttpRequest, logged_in: bool, current: &'static str) -> Chrome {
    let lang = lang(req);
    let state = req.app_data::<actix_web::web::Data<AppState>>();
    let demo = state.is_some_and(|s| s.config.demo.mode);
    let banner = query_value(req.query_string(), "lesson")
        .as_deref()
        .and_then(LessonStep::parse)
        .filter(|_| demo)
        .map(|step| describe_step(lang, step));
    Chrome {
        lang,
        t: lang.texts(),
        logged_in: logged_in || state.is_some_and(|s| holds_a_token(req, s)),
        current,
        demo,
        banner,
        projector: projector(req),
    }
}

/// Remembers a language picked with `?lang=` in a cookie, so the next page keeps it.
pub async fn remember_lang(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let picked = lang_query(req.query_string())
        .as_deref()
        .and_then(Lang::parse);
    let view = query_value(req.query_string(), "view");
    let mut res = next.call(req).await?;
    let remember = |name: &'static str, value: &str| {
        Cookie::build(name, value.to_owned())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish()
    };
    if let Some(lang) = picked {
        let _ = res
            .response_mut()
            .add_cookie(&remember(LANG_COOKIE, lang.code()));
    }
    if let Some(view) = view.filter(|v| v == "projector" || v == "desk") {
        let _ = res.response_mut().add_cookie(&remember(VIEW_COOKIE, &view));
    }
    Ok(res)
}

/// Adds `Retry-After` to a page refusing a throttled attempt.
pub fn retry_after(mut response: HttpResponse, secs: u64) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, secs.into());
    response
}

/// Renders a compiled template as an HTML response.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}
