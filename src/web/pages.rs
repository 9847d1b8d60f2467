//! Small pages and the pieces every page shares: `/`, `/healthz`, the 404 answer, rendering,
//! and turning error responses into HTML pages for browsers.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use askama::Template;

use super::negotiate;
use crate::auth::guard::Authenticated;
use crate::error::{AppError, ErrorMessage};

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

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
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
    let page = ErrorPage {
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
