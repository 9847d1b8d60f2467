//! `GET /login` (the form) and `POST /login` (form or the course's JSON).

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::chrome::{Chrome, chrome, render, retry_after};
use super::negotiate::{self, Either};
use super::routes::Routes;
use super::state::AppState;
use crate::auth::credentials::Checked;
use crate::auth::session::{self, Started};
use crate::error::{AppError, ErrorBody};
use crate::i18n::Texts;
use crate::metrics::LoginOutcome;
use crate::store::users::User;
use crate::vocab::LessonStep;
use crate::web::cookies;
use crate::web::teach::{self, class};

pub fn configure(routes: &mut Routes) {
    routes.add("/login", |r| {
        r.route(web::get().to(form)).route(web::post().to(submit))
    });
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub notice: Option<&'static str>,
    /// The notice says something went wrong (a theft, a session ended elsewhere): a warning.
    pub warning: bool,
    pub error: Option<String>,
    pub user_id: String,
    pub keep: bool,
    pub demo_users: bool,
    /// Demo mode: the form that makes a learner's own account.
    pub demo_mode: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    notice: Option<String>,
}

fn notice_text(t: &'static Texts, code: &str) -> Option<&'static str> {
    match code {
        "logged-out" => Some(t.notice_logged_out),
        "expired" => Some(t.notice_expired),
        "login-required" => Some(t.notice_login_required),
        "ended-password" => Some(t.notice_ended_password),
        "ended-elsewhere" => Some(t.notice_ended_elsewhere),
        "access-expired" => Some(t.notice_access_expired),
        "class-reset" => Some(t.notice_class_reset),
        "reuse-detected" => Some(t.notice_reuse),
        "signed-up" => Some(t.notice_signed_up),
        _ => None,
    }
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(&req, false, "login");
    let code = query.notice.as_deref().unwrap_or_default();
    let page = LoginPage {
        notice: notice_text(chrome.t, code),
        warning: !matches!(code, "logged-out" | "signed-up" | "login-required"),
        chrome,
        error: None,
        user_id: String::new(),
        keep: false,
        demo_users: state.config.demo.users,
        demo_mode: state.config.demo.mode,
    };
    render(StatusCode::OK, &page)
}

/// The client's address, for the per-address failure budget. The socket's peer, never a
/// header a client could forge.
pub fn client_address(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

/// The course's JSON body: `{"loginInfo": {"userId", "password"}, "checkedKeepLogin"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = LoginRequest)]
struct JsonLogin {
    login_info: LoginInfo,
    /// "Keep me logged in": a refresh token too, and persistent cookies.
    #[serde(default)]
    checked_keep_login: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoginInfo {
    /// The login name.
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

/// Logs in. JSON clients get the course's contract: `302` to `/userinfo` with the cookies, or
/// `401 Not Authorized`. (Browsers post the form, `application/x-www-form-urlencoded` with the
/// same names, and get `303` or the form again.)
#[utoipa::path(post, path = "/login", tag = "session",
    request_body(content = JsonLogin, content_type = "application/json"),
    responses(
        (status = 302, description = "Logged in. `access_jwt` is set (and `refresh_jwt` with checkedKeepLogin), `HttpOnly; Secure; SameSite=Strict; Path=/`.",
            headers(("Location" = String, description = "/userinfo"),
                    ("Set-Cookie" = String, description = "access_jwt (and refresh_jwt)"))),
        (status = 400, description = "Broken JSON, a missing or unknown field.", body = ErrorBody),
        (status = 401, description = "Wrong user ID or password (the answer does not say which).",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 403, description = "A cross-site request, refused.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "Not JSON (or a form).", body = ErrorBody),
        (status = 429, description = "Too many failures for this account or from this address.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "The database is unavailable, or too many passwords are waiting to be checked.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let body = negotiate::body_bytes(body)?;
    let mut attempt = Attempt::parse(&req, &body)?;
    let address = client_address(&req);
    let password = SecretString::from(std::mem::take(&mut attempt.password));
    let checked = state
        .credentials()
        .login(&attempt.user_id, password, address)
        .await?;
    let user = match checked {
        Checked::Right(user) => user,
        Checked::Wait(retry_after_secs) => {
            state.metrics.login(LoginOutcome::Throttled);
            tracing::warn!(user = %attempt.user_id, %address, retry_after_secs,
                event = "login_throttled", "login throttled");
            return attempt.throttled(&req, &state, retry_after_secs);
        }
        Checked::Wrong => {
            state.metrics.login(LoginOutcome::Failed);
            tracing::info!(user = %attempt.user_id, %address, event = "login_failed",
                "login failed");
            return attempt.failed(&req, &state);
        }
    };
    state.metrics.login(LoginOutcome::Ok);
    let started = start_session(&req, &state, &user, attempt.keep).await?;
    // The course's client expects a 302 to /userinfo; a browser form gets the proper 303.
    let mut response = if attempt.from_form {
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

/// A login attempt, from the course's JSON or the form.
struct Attempt {
    user_id: String,
    password: String,
    keep: bool,
    from_form: bool,
}

impl Attempt {
    fn parse(req: &HttpRequest, body: &[u8]) -> Result<Attempt, AppError> {
        let parsed = negotiate::parse_body::<JsonLogin, FormLogin>(req, body)?;
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
        Ok(Attempt {
            user_id: user_id.trim().to_owned(),
            password,
            keep,
            from_form,
        })
    }

    /// The form again with `error`, the user ID kept.
    fn page_again(
        &self,
        req: &HttpRequest,
        state: &AppState,
        status: StatusCode,
        error: String,
    ) -> Result<HttpResponse, AppError> {
        let page = LoginPage {
            chrome: chrome(req, false, "login"),
            notice: None,
            warning: false,
            error: Some(error),
            user_id: self.user_id.clone(),
            keep: self.keep,
            demo_users: state.config.demo.users,
            demo_mode: state.config.demo.mode,
        };
        render(status, &page)
    }

    fn throttled(
        &self,
        req: &HttpRequest,
        state: &AppState,
        retry_after_secs: u64,
    ) -> Result<HttpResponse, AppError> {
        if !self.from_form {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        let message = chrome(req, false, "login").t.retry_in(retry_after_secs);
        let page = self.page_again(req, state, StatusCode::TOO_MANY_REQUESTS, message)?;
        Ok(retry_after(page, retry_after_secs))
    }

    /// Never says whether the user exists.
    fn failed(&self, req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
        if !self.from_form {
            return Err(AppError::Unauthorized);
        }
        let error = chrome(req, false, "login").t.login_failed.to_owned();
        self.page_again(req, state, StatusCode::UNAUTHORIZED, error)
    }
}

/// Starts a session for `user`, remembering the browser it came from (for `/sessions`), and in
/// demo mode which learner's browser it is (a kept session is the lesson's first step).
pub async fn start_session(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    keep: bool,
) -> Result<Started, AppError> {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let started = session::start(state.auth(), user, keep, user_agent).await?;
    if let (Some(class), Some(learner)) = (teach::class_of(state), class::learner(req)) {
        class.started(&learner, &started.session.id);
        if keep {
            class.done(&learner, LessonStep::Login);
        }
    }
    Ok(started)
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
