//! `GET /signup` and `POST /signup`: create an account (form or JSON), then log in.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::login::{set_login_cookies, start_session};
use super::negotiate::{self, Either};
use super::pages::{Chrome, chrome, render};
use crate::auth::password::{WeakPassword, check_new_password};
use crate::auth::state::AppState;
use crate::error::{AppError, ErrorBody};
use crate::i18n::Lang;
use crate::store::users::User;
use crate::store::users::{self, NewUser};

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

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_SHORT_FIELD_CHARS: usize = 64;
pub const MAX_BIO_CHARS: usize = 500;

/// What is wrong with a sign-up, said in the page's language (JSON answers use English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    UserId,
    Password(WeakPassword),
    Email,
    Required(Field),
    TooLong(Field, usize),
    ControlCharacters(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Position,
    Location,
    Bio,
}

impl Field {
    fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Field::Name, Lang::En) => "name",
            (Field::Position, Lang::En) => "position",
            (Field::Location, Lang::En) => "location",
            (Field::Bio, Lang::En) => "bio",
            (Field::Name, Lang::Ko) => "이름",
            (Field::Position, Lang::Ko) => "직무",
            (Field::Location, Lang::Ko) => "지역",
            (Field::Bio, Lang::Ko) => "소개",
        }
    }
}

impl Invalid {
    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (Invalid::UserId, Lang::En) => {
                "The user ID must be 3 to 32 characters: letters, digits, '_', '.' or '-'.".into()
            }
            (Invalid::UserId, Lang::Ko) => {
                "아이디는 영문자, 숫자, '_', '.', '-'로 된 3~32자여야 합니다.".into()
            }
            (Invalid::Password(weak), lang) => weak.message(lang).into(),
            (Invalid::Email, Lang::En) => "The email address does not look valid.".into(),
            (Invalid::Email, Lang::Ko) => "이메일 주소가 올바르지 않아 보입니다.".into(),
            (Invalid::Required(f), Lang::En) => format!("The {} is required.", f.name(lang)),
            (Invalid::Required(f), Lang::Ko) => format!("{}을(를) 입력해 주세요.", f.name(lang)),
            (Invalid::TooLong(f, max), Lang::En) => {
                format!("The {} must be at most {max} characters.", f.name(lang))
            }
            (Invalid::TooLong(f, max), Lang::Ko) => {
                format!("{}은(는) {max}자 이하여야 합니다.", f.name(lang))
            }
            (Invalid::ControlCharacters(f), Lang::En) => {
                format!("The {} contains control characters.", f.name(lang))
            }
            (Invalid::ControlCharacters(f), Lang::Ko) => {
                format!("{}에 제어 문자가 들어 있습니다.", f.name(lang))
            }
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Invalid {}

/// userId: 3–32 of `A-Z a-z 0-9 _ . -`, so it is safe in URLs, logs and pages alike.
pub fn check_user_id(user_id: &str) -> Result<(), Invalid> {
    let ok_len = (3..=32).contains(&user_id.len());
    let ok_chars = user_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(Invalid::UserId)
    }
}

/// A valid-looking address: one `@`, something before it, a dotted domain after it, no
/// spaces. Whether it exists only a confirmation mail could tell.
pub fn check_email(email: &str) -> Result<(), Invalid> {
    if email.chars().count() > MAX_EMAIL_CHARS
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Invalid::Email);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Invalid::Email);
    };
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        Err(Invalid::Email)
    } else {
        Ok(())
    }
}

fn check_text(value: &str, max: usize, field: Field, required: bool) -> Result<(), Invalid> {
    if required && value.trim().is_empty() {
        return Err(Invalid::Required(field));
    }
    if value.chars().count() > max {
        return Err(Invalid::TooLong(field, max));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::ControlCharacters(field));
    }
    Ok(())
}

/// Every rule of a sign-up; the first broken one is the answer.
pub fn validate(form: &SignUp) -> Result<(), Invalid> {
    check_user_id(&form.user_id)?;
    check_new_password(&form.user_id, &form.password).map_err(Invalid::Password)?;
    check_email(&form.email)?;
    check_text(&form.name, MAX_NAME_CHARS, Field::Name, true)?;
    check_text(
        &form.position,
        MAX_SHORT_FIELD_CHARS,
        Field::Position,
        false,
    )?;
    check_text(
        &form.location,
        MAX_SHORT_FIELD_CHARS,
        Field::Location,
        false,
    )?;
    check_text(&form.bio, MAX_BIO_CHARS, Field::Bio, false)?;
    Ok(())
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
    if let Err(invalid) = validate(&form) {
        let lang = if from_form {
            chrome(&req, false, "signup").lang
        } else {
            Lang::En
        };
        return refuse(StatusCode::BAD_REQUEST, invalid.message(lang), form);
    }
    let taken = || chrome(&req, false, "signup").t.user_id_taken.to_owned();
    // Cheap early answer; the insert below is what really decides a race.
    if users::exists(&state.db, &form.user_id).await? {
        return refuse(StatusCode::CONFLICT, taken(), form);
    }
    let hash = state
        .passwords
        .hash(SecretString::from(std::mem::take(&mut form.password)))
        .await?;
    let new = NewUser {
        user_id: &form.user_id,
        password_hash: &hash,
        email: &form.email,
        name: &form.name,
        position: &form.position,
        location: &form.location,
        bio: &form.bio,
    };
    let Some(user) = users::insert(&state.db, &new, state.clock.now()).await? else {
        return refuse(StatusCode::CONFLICT, taken(), form);
    };
    tracing::info!(user = %user.user_id, "signed up");
    let started = start_session(&req, &state, &user, keep).await?;
    let mut response = if from_form {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/userinfo"))
            .finish()
    } else {
        HttpResponse::Created()
            .insert_header((header::LOCATION, "/userinfo"))
            .json(&user)
    };
    set_login_cookies(&mut response, started);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids() {
        for ok in ["kim", "kim.coding", "a_b-c", &"x".repeat(32)] {
            assert_eq!(check_user_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ki",
            &"x".repeat(33),
            "kim coding",
            "x' OR '1'='1",
            "김코딩",
            "<b>",
            "",
        ] {
            assert!(check_user_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["kimcoding@authstates.com", "a.b+c@sub.example.kr"] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "kim",
            "kim@",
            "@example.com",
            "kim@example",
            "kim@@example.com",
            "kim @example.com",
            "kim@example..com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
