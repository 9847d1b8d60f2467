//! Small pages: `/`, `/how-it-works`, the 404 answer, and error responses turned into HTML
//! pages for browsers.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::chrome::{Chrome, chrome, render};
use super::guard::Authenticated;
use super::negotiate;
use super::routes::Routes;
use super::state::AppState;
use super::teach::Elsewhere;
use crate::error::{AppError, ErrorMessage};

pub fn configure(routes: &mut Routes) {
    routes
        .add("/", |r| r.route(web::get().to(home)))
        .add("/how-it-works", |r| r.route(web::get().to(how_it_works)));
}

/// `/`: the user's page when logged in, else the login form.
pub async fn home(auth: Option<Authenticated>) -> HttpResponse {
    let target = if auth.is_some() {
        "/userinfo"
    } else {
        "/login"
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish()
}

#[derive(Template)]
#[template(path = "how.html")]
struct HowPage {
    chrome: Chrome,
    /// Demo mode: the other site's page, which tries cross-site attacks on this one.
    elsewhere: Elsewhere,
    demo: bool,
}

/// `/how-it-works`: the flows as sequence diagrams, and the ideas behind them.
pub async fn how_it_works(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Option<Authenticated>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(&req, auth.is_some(), "how");
    let elsewhere = Elsewhere::of(&state, &req, chrome.lang);
    let page = HowPage {
        chrome,
        elsewhere,
        demo: state.config.demo.mode,
    };
    render(StatusCode::OK, &page)
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
