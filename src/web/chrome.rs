//! What every page shares: its frame (language, strings, navigation), the choice of language
//! and the middleware that remembers it, and rendering.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::i18n::{Lang, Texts};

/// What every page's frame needs: the language, its strings, and the navigation state.
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Texts,
    pub logged_in: bool,
    /// Which navigation entry is this page (`userinfo`, `sessions`, `login`, ...).
    pub current: &'static str,
}

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
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v)
}

pub fn chrome(req: &HttpRequest, logged_in: bool, current: &'static str) -> Chrome {
    let lang = lang(req);
    Chrome {
        lang,
        t: lang.texts(),
        logged_in,
        current,
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
    let mut res = next.call(req).await?;
    if let Some(lang) = picked {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
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
