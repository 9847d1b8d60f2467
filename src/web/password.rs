//! `GET /password` and `POST /password`: change your password. Every other session of the
//! user ends; the one in use stays.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::login::client_address;
use super::negotiate::{self, Either};
use super::pages::{Chrome, chrome, private, render, retry_after};
use crate::auth::guard::Authenticated;
use crate::auth::password::check_new_password;
use crate::auth::state::AppState;
use crate::auth::throttle::Admission;
use crate::error::{AppError, ErrorBody};
use crate::i18n::Lang;
use crate::store::sessions::EndCause;
use crate::store::users;

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
    auth: Authenticated,
    query: web::Query<PasswordQuery>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(&req, true, "password");
    let notice = match query.notice.as_deref() {
        Some("changed") => Some(chrome.t.notice_password_changed),
        _ => None,
    };
    let page = PasswordPage {
        chrome,
        notice,
        error: None,
    };
    Ok(private(render(StatusCode::OK, &page)?, &auth))
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
        (status = 403, description = "The current password is wrong (or the request is cross-site).", body = ErrorBody),
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
    let identity = &auth.identity;
    let user = identity.user();
    let address = client_address(&req);

    // The form answers with itself and the message; other clients with a JSON error.
    let refuse = |status: StatusCode, message: String| -> Result<HttpResponse, AppError> {
        if from_form {
            let page = PasswordPage {
                chrome: chrome(&req, true, "password"),
                notice: None,
                error: Some(message),
            };
            Ok(private(render(status, &page)?, &auth))
        } else {
            Err(match status {
                StatusCode::FORBIDDEN => AppError::Forbidden(message),
                _ => AppError::BadRequest(message),
            })
        }
    };

    let admission = state.throttle.check(&user.user_id, address).await?;
    if let Admission::Wait(retry_after_secs) = admission {
        if !from_form {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        let message = chrome(&req, true, "password").t.retry_in(retry_after_secs);
        let page = refuse(StatusCode::TOO_MANY_REQUESTS, message)?;
        return Ok(retry_after(page, retry_after_secs));
    }
    let stored = users::find_hash_by_pk(&state.db, user.id).await?;
    let current_ok = state
        .passwords
        .verify(SecretString::from(change.current_password), stored)
        .await?;
    if !current_ok {
        state.throttle.failed(&user.user_id, address).await?;
        let message = chrome(&req, true, "password")
            .t
            .wrong_current_password
            .to_owned();
        return refuse(StatusCode::FORBIDDEN, message);
    }
    state.throttle.succeeded(&user.user_id, admission).await?;
    if let Err(weak) = check_new_password(&user.user_id, &change.new_password) {
        let lang = if from_form {
            chrome(&req, true, "password").lang
        } else {
            Lang::En
        };
        return refuse(StatusCode::BAD_REQUEST, weak.message(lang).to_owned());
    }
    let hash = state
        .passwords
        .hash(SecretString::from(change.new_password))
        .await?;
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
    let response = if from_form {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/password?notice=changed"))
            .finish()
    } else {
        HttpResponse::Ok().json(PasswordChanged {
            changed: true,
            other_sessions_ended: ended.len(),
        })
    };
    Ok(private(response, &auth))
}
