//! `GET /password` and `POST /password`: change your password. Every other session of the
//! user ends; the one in use stays.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::chrome::{Chrome, chrome, render, retry_after};
use super::guard::Authenticated;
use super::login::client_address;
use super::negotiate::{self, Either};
use super::routes::Routes;
use super::state::AppState;
use crate::auth::credentials::Checked;
use crate::domain::NewPassword;
use crate::error::{AppError, ErrorBody};
use crate::i18n::Lang;
use crate::store::sessions::EndCause;

pub fn configure(routes: &mut Routes) {
    routes.add("/password", |r| {
        r.route(web::get().to(form)).route(web::post().to(submit))
    });
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordQuery {
    notice: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PasswordChange {
    current_password: String,
    /// 8 to 128 characters, not the user ID, not a well-known password.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// A password change that went through.
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct PasswordChanged {
    changed: bool,
    /// Every other session of the user ended with it.
    other_sessions_ended: usize,
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<PasswordQuery>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(&req, true, "password");
    let notice = match query.notice.as_deref() {
        Some("changed") => Some(chrome.t.notice_password_changed),
        _ => None,
    };
    // Said before anyone types: on the shared demo account a change is refused.
    let shared = state.config.demo.shared_account() == Some(auth.identity.user().user_id.as_str());
    let page = PasswordPage {
        error: shared.then(|| chrome.t.shared_password.to_owned()),
        chrome,
        notice,
    };
    render(StatusCode::OK, &page)
}

/// Changes the password; every other session of the user ends in the same transaction.
#[utoipa::path(post, path = "/password", tag = "account",
    request_body(content = PasswordChange, content_type = "application/json"),
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Changed.", body = PasswordChanged),
        (status = 400, description = "Broken JSON, a missing or unknown field, or a new password the rules refuse.", body = ErrorBody),
        (status = 401, description = "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 403, description = "The current password is wrong, the account is demo mode's shared kimcoding (its password stays 1234), or the request is cross-site.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "Not JSON (or a form).", body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "The database is unavailable, or too many passwords are waiting to be checked.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let body = negotiate::body_bytes(body)?;
    let parsed = negotiate::parse_body::<PasswordChange, PasswordChange>(&req, &body)?;
    let from_form = matches!(parsed, Either::Form(_));
    let (Either::Json(change) | Either::Form(change)) = parsed;
    let refuse = Refusal {
        req: &req,
        from_form,
    };
    let user = auth.identity.user();
    if state.config.demo.shared_account() == Some(user.user_id.as_str()) {
        // A new password would lock the rest of the class out of the shared account.
        let message = refuse.texts().shared_password.to_owned();
        return refuse.with(StatusCode::FORBIDDEN, message);
    }
    let current = SecretString::from(change.current_password);
    let checked = state
        .credentials()
        .current_password(user.id, &user.user_id, current, client_address(&req))
        .await?;
    match checked {
        Checked::Right(()) => {}
        Checked::Wait(retry_after_secs) => return refuse.throttled(retry_after_secs),
        Checked::Wrong => {
            let message = refuse.texts().wrong_current_password.to_owned();
            return refuse.with(StatusCode::FORBIDDEN, message);
        }
    }
    let new_password = match NewPassword::parse(&user.user_id, change.new_password) {
        Ok(new_password) => new_password,
        Err(weak) => {
            let message = weak.message(refuse.lang()).to_owned();
            return refuse.with(StatusCode::BAD_REQUEST, message);
        }
    };
    let ended = change_password(&state, &auth, new_password).await?;
    let response = if from_form {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/password?notice=changed"))
            .finish()
    } else {
        HttpResponse::Ok().json(PasswordChanged {
            changed: true,
            other_sessions_ended: ended,
        })
    };
    Ok(response)
}

/// Hashes the new password and sets it, ending every other session of the user in the same
/// transaction; returns how many ended.
async fn change_password(
    state: &AppState,
    auth: &Authenticated,
    new_password: NewPassword,
) -> Result<usize, AppError> {
    let identity = &auth.identity;
    let user = identity.user();
    let hash = state.passwords.hash(new_password.into_secret()).await?;
    let now = state.clock.now();
    let ended = state
        .sessions
        .revoke_others(user.id, &identity.session().id, now, Some(&hash))
        .await?;
    state
        .metrics
        .session_ended(EndCause::PasswordChange, ended.len() as u64);
    tracing::info!(user = %user.user_id, other_sessions_ended = ended.len(),
        event = "password_changed", "password changed");
    Ok(ended.len())
}

/// How a refused change is answered: the form with its message, or a JSON error.
struct Refusal<'a> {
    req: &'a HttpRequest,
    from_form: bool,
}

impl Refusal<'_> {
    fn lang(&self) -> Lang {
        if self.from_form {
            chrome(self.req, true, "password").lang
        } else {
            Lang::En
        }
    }

    fn texts(&self) -> &'static crate::i18n::Texts {
        chrome(self.req, true, "password").t
    }

    fn with(&self, status: StatusCode, message: String) -> Result<HttpResponse, AppError> {
        if !self.from_form {
            return Err(match status {
                StatusCode::FORBIDDEN => AppError::Forbidden(message),
                _ => AppError::BadRequest(message),
            });
        }
        let page = PasswordPage {
            chrome: chrome(self.req, true, "password"),
            notice: None,
            error: Some(message),
        };
        render(status, &page)
    }

    fn throttled(&self, retry_after_secs: u64) -> Result<HttpResponse, AppError> {
        if !self.from_form {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        let message = self.texts().retry_in(retry_after_secs);
        let page = self.with(StatusCode::TOO_MANY_REQUESTS, message)?;
        Ok(retry_after(page, retry_after_secs))
    }
}
