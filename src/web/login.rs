//! `GET /login` (the form) and `POST /login` (form or the course's JSON).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::negotiate::{self, Either};
use super::pages::render;
use crate::app::AppState;
use crate::auth::cookies;
use crate::auth::flow::{self, Started};
use crate::error::{AppError, NOT_AUTHORIZED};
use crate::store::users;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
    pub user_id: String,
    pub keep: bool,
    pub demo_users: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    notice: Option<String>,
}

fn notice_text(code: &str) -> Option<&'static str> {
    match code {
        "logged-out" => Some("You have been logged out."),
        "expired" => Some("Your session has ended. Please log in again."),
        "login-required" => Some("Please log in to see that page."),
        _ => None,
    }
}

pub async fn form(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let page = LoginPage {
        notice: query.notice.as_deref().and_then(notice_text),
        error: None,
        user_id: String::new(),
        keep: false,
        demo_users: state.config.demo_users,
    };
    render(StatusCode::OK, &page)
}

/// The course's JSON body: `{"loginInfo": {"userId", "password"}, "checkedKeepLogin"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonLogin {
    login_info: LoginInfo,
    #[serde(default)]
    checked_keep_login: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoginInfo {
    user_id: String,
    password: String,
}

/// The HTML form: same names, the checkbox sends `on` when ticked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FormLogin {
    user_id: String,
    password: String,
    checked_keep_login: Option<String>,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let body = negotiate::body_bytes(body)?;
    let parsed = negotiate::parse_body::<JsonLogin, FormLogin>(&req, &body)?;
    let from_form = matches!(parsed, Either::Form(_));
    let (user_id, password, keep) = match parsed {
        Either::Json(j) => (
            j.login_info.user_id,
            j.login_info.password,
            j.checked_keep_login,
        ),
        Either::Form(f) => {
            let keep = negotiate::checkbox(f.checked_keep_login.as_deref());
            (f.user_id, f.password, keep)
        }
    };
    let user_id = user_id.trim().to_owned();

    let found = users::find_with_hash(&state.pool, &user_id).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matched = state
        .passwords
        .verify(SecretString::from(password), hash)
        .await?;
    let user = match (matched, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!(user = %user_id, "login failed");
            return if from_form {
                let page = LoginPage {
                    notice: None,
                    // Never say whether the user exists.
                    error: Some("The user ID or password is not correct."),
                    user_id,
                    keep,
                    demo_users: state.config.demo_users,
                };
                render(StatusCode::UNAUTHORIZED, &page)
            } else {
                Ok(HttpResponse::Unauthorized()
                    .content_type("text/plain; charset=utf-8")
                    .body(NOT_AUTHORIZED))
            };
        }
    };

    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let started = flow::start(&state, &user, keep, user_agent).await?;
    // The course's client expects a 302 to /userinfo; a browser form gets the proper 303.
    let mut response = if from_form {
        HttpResponse::SeeOther()
    } else {
        HttpResponse::Found()
    };
    let mut response = response
        .insert_header((header::LOCATION, "/userinfo"))
        .finish();
    set_login_cookies(&mut response, started);
    Ok(response)
}

/// Writes the cookies of a fresh login: access always, refresh only for "keep me logged in".
pub fn set_login_cookies(response: &mut HttpResponse, started: Started) {
    let access = cookies::access(started.access.issued.token, started.access.max_age);
    let _ = response.add_cookie(&access);
    if let Some(refresh) = started.refresh {
        let cookie = cookies::refresh(refresh.issued.token, refresh.max_age.unwrap_or_default());
        let _ = response.add_cookie(&cookie);
    }
}
