//! `GET /signup` and `POST /signup`: create an account (form or JSON), then log in.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use utoipa::ToSchema;

use super::chrome::{Chrome, chrome, render};
use super::login::{set_login_cookies, start_session};
use super::negotiate::{self, Either};
use super::routes::Routes;
use super::state::AppState;
use crate::auth::accounts;
use crate::domain::{AccountForm, NewAccount};
use crate::error::{AppError, ErrorBody};
use crate::i18n::Lang;
use crate::store::users::{self, User};

pub fn configure(routes: &mut Routes) {
    routes.add("/signup", |r| {
        r.route(web::get().to(form)).route(web::post().to(submit))
    });
}

/// What a sign-up sends. The same names for the form and for JSON.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = SignUpRequest)]
pub struct SignUp {
    /// 3 to 32 of `A-Z a-z 0-9 _ . -`.
    #[schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub user_id: String,
    /// 8 to 128 characters, not the user ID, not a well-known password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// One `@`, something before it, a dotted domain after it, no spaces.
    #[schema(pattern = r"^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$", max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub position: String,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub location: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub bio: String,
    /// "Keep me logged in" (a boolean; forms send the string `on`).
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub checked_keep_login: Option<serde_json::Value>,
}

impl SignUp {
    /// The fields as the account rules take them.
    pub fn as_form(&self) -> AccountForm<'_> {
        AccountForm {
            user_id: &self.user_id,
            password: &self.password,
            email: &self.email,
            name: &self.name,
            position: &self.position,
            location: &self.location,
            bio: &self.bio,
        }
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    chrome: Chrome,
    error: Option<String>,
    user_id: String,
    email: String,
    name: String,
    position: String,
    location: String,
    bio: String,
}

fn page(
    req: &HttpRequest,
    status: StatusCode,
    error: Option<String>,
    form: SignUp,
) -> Result<HttpResponse, AppError> {
    render(
        status,
        &SignUpPage {
            chrome: chrome(req, false, "signup"),
            error,
            user_id: form.user_id,
            email: form.email,
            name: form.name,
            position: form.position,
            location: form.location,
            bio: form.bio,
        },
    )
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    page(&req, StatusCode::OK, None, SignUp::default())
}

/// Creates an account and logs it in.
#[utoipa::path(post, path = "/signup", tag = "account",
    request_body(content = SignUp, content_type = "application/json"),
    responses(
        (status = 201, description = "Created and logged in.", body = User,
            headers(("Location" = String, description = "/userinfo"),
                    ("Set-Cookie" = String, description = "access_jwt (and refresh_jwt)"))),
        (status = 400, description = "Broken JSON, a missing or unknown field, or a value the rules refuse.", body = ErrorBody),
        (status = 403, description = "A cross-site request, refused.", body = ErrorBody),
        (status = 409, description = "That user ID is taken.", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB.", body = ErrorBody),
        (status = 415, description = "Not JSON (or a form).", body = ErrorBody),
        (status = 503, description = "The database is unavailable, or too many passwords are waiting to be checked.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let body = negotiate::body_bytes(body)?;
    let parsed = negotiate::parse_body::<SignUp, SignUp>(&req, &body)?;
    let from_form = matches!(parsed, Either::Form(_));
    let (Either::Json(mut form) | Either::Form(mut form)) = parsed;
    form.user_id = form.user_id.trim().to_owned();
    form.email = form.email.trim().to_owned();
    form.name = form.name.trim().to_owned();
    let keep = match &form.checked_keep_login {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => negotiate::checkbox(Some(s)),
        _ => false,
    };

    let refuse = |status: StatusCode, message: String, form: SignUp| {
        if from_form {
            page(&req, status, Some(message), form)
        } else if status == StatusCode::CONFLICT {
            Err(AppError::Conflict(message))
        } else {
            Err(AppError::BadRequest(message))
        }
    };
    let account = match NewAccount::parse(form.as_form()) {
        Ok(account) => account,
        Err(invalid) => {
            let lang = if from_form {
                chrome(&req, false, "signup").lang
            } else {
                Lang::En
            };
            return refuse(StatusCode::BAD_REQUEST, invalid.message(lang), form);
        }
    };
    let taken = || chrome(&req, false, "signup").t.user_id_taken.to_owned();
    // Cheap early answer; the insert below is what really decides a race.
    if users::exists(&state.db, &form.user_id).await? {
        return refuse(StatusCode::CONFLICT, taken(), form);
    }
    form.password.clear();
    let now = state.clock.now();
    let Some(user) = accounts::create(&state.db, &state.passwords, account, now).await? else {
        return refuse(StatusCode::CONFLICT, taken(), form);
    };
    tracing::info!(user = %user.user_id, "signed up");
    logged_in(&req, &state, &user, keep, from_form).await
}

/// A new account's first session: `303` for the form, `201` with the user for JSON.
async fn logged_in(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    keep: bool,
    from_form: bool,
) -> Result<HttpResponse, AppError> {
    let started = start_session(req, state, user, keep).await?;
    let mut response = if from_form {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/userinfo"))
            .finish()
    } else {
        HttpResponse::Created()
            .insert_header((header::LOCATION, "/userinfo"))
            .json(user)
    };
    set_login_cookies(&mut response, started);
    Ok(response)
}
