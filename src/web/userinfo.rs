//! `GET /userinfo`: who you are, as a page or as the course's JSON.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::negotiate;
use super::pages::{Chrome, chrome, render};
use crate::auth::flow::FlowEvent;
use crate::auth::guard::Authenticated;
use crate::error::AppError;
use crate::store::users::User;

#[derive(Template)]
#[template(path = "userinfo.html")]
struct UserInfoPage<'a> {
    chrome: Chrome,
    user: &'a User,
    events: &'a [FlowEvent],
    access_via: &'a str,
    keep_logged_in: bool,
}

pub async fn show(req: HttpRequest, auth: Authenticated) -> Result<HttpResponse, AppError> {
    let identity = &auth.identity;
    let mut response = if negotiate::wants_html(&req) {
        let page = UserInfoPage {
            chrome: chrome(&req, true, "userinfo"),
            user: &identity.user,
            events: &auth.events,
            access_via: auth.access_via,
            keep_logged_in: identity.session.keep_logged_in,
        };
        render(StatusCode::OK, &page)?
    } else {
        HttpResponse::Ok().json(&identity.user)
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    auth.write_cookies(&mut response);
    Ok(response)
}
