//! Small pages and the pieces every page shares: `/`, `/healthz`, the 404 answer, rendering,
//! and turning error responses into HTML pages for browsers.

use actix_web::body::MessageBody;
use actix_web::body::{BoxBody, EitherBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::ServiceRequest;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::negotiate;
use crate::auth::guard::Authenticated;
use crate::auth::state::AppState;
use crate::error::{AppError, ErrorMessage};
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
    let cookie = crate::auth::cookies::read(req, LANG_COOKIE);
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

/// Marks a response that carries user data `no-store` and adds the cookies this request
/// renewed.
pub fn private(mut response: HttpResponse, auth: &Authenticated) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    auth.write_cookies(&mut response);
    response
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

/// `/`: the user's page when logged in, else the login form.
pub async fn home(auth: Option<Authenticated>) -> HttpResponse {
    let target = if auth.is_some() {
        "/userinfo"
    } else {
        "/login"
    };
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish();
    if let Some(auth) = auth {
        auth.write_cookies(&mut response);
    }
    response
}

#[derive(Template)]
#[template(path = "how.html")]
struct HowPage {
    chrome: Chrome,
    /// Demo mode: the other site's page, which tries cross-site attacks on this one.
    cross_site: Option<String>,
    demo: bool,
}

/// `/how-it-works`: the flows as sequence diagrams, and the ideas behind them.
pub async fn how_it_works(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Option<Authenticated>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(&req, auth.is_some(), "how");
    let cross_site = state
        .demo
        .as_ref()
        .and_then(|d| d.cross_site_port)
        .map(|port| super::cross_site::link(req.connection_info().host(), port, chrome.lang));
    let page = HowPage {
        chrome,
        cross_site,
        demo: state.config.demo_mode,
    };
    let mut response = render(StatusCode::OK, &page)?;
    if let Some(auth) = auth {
        auth.write_cookies(&mut response);
    }
    Ok(response)
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    /// In the page's language.
    summary: Option<&'static str>,
    status: String,
    message: String,
}

/// For browsers, replaces a JSON or plain-text error body by a page saying the same thing.
/// Headers such as `Retry-After` and `Set-Cookie` are kept.
pub fn html_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html || !negotiate::wants_html(res.request()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<ErrorMessage>()
        .map(|m| m.0.clone())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    let chrome = chrome(res.request(), false, "");
    let page = ErrorPage {
        summary: crate::i18n::describe_status(chrome.lang, status.as_u16()),
        chrome,
        status: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
        message,
    };
    let html = page.render().unwrap_or_else(|_| "<h1>Error</h1>".into());
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    let new: HttpResponse<BoxBody> = new.content_type("text/html; charset=utf-8").body(html);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_body(|_, b| EitherBody::right(b)),
    ))
}
