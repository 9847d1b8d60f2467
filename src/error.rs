//! One error type for every handler. It answers with a clear 4xx for anything the client got
//! wrong, and a bare 500 (details only in the log) for anything we got wrong.
//!
//! Non-HTML clients get `Not Authorized` as plain text for a 401 (the course's contract) and
//! `{"error": "..."}` for everything else; `web::pages::html_errors` turns the same errors
//! into pages for browsers, using the message stored in the response's extensions.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

/// The course's 401 body, byte for byte: its client compares against it.
pub const NOT_AUTHORIZED: &str = "Not Authorized";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{NOT_AUTHORIZED}")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("Nothing here.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("The request body is too large (the limit is {0} bytes).")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Something went wrong on our side.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

/// The human message of an error response, kept so an HTML page can be made of it later.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(source) = self {
            tracing::error!(error = %source, "request failed");
        }
        let message = self.to_string();
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        let mut response = if matches!(self, AppError::Unauthorized) {
            response
                .content_type("text/plain; charset=utf-8")
                .body(NOT_AUTHORIZED)
        } else {
            response.json(serde_json::json!({ "error": message }))
        };
        response.extensions_mut().insert(ErrorMessage(message));
        response
    }
}
