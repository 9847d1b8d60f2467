//! One error type for every handler. It answers with a clear 4xx for anything the client got
//! wrong, a 503 with `Retry-After` when the database cannot serve the request (locked, full,
//! read-only, down), and a bare 500 (details only in the log) for anything we got wrong.
//!
//! Non-HTML clients get `Not Authorized` as plain text for a 401 (the course's contract) and
//! `{"error": "..."}` for everything else; `web::pages::html_errors` turns the same errors
//! into pages for browsers, using the message stored in the response's extensions.
//!
//! Which database errors mean "unavailable" ([`is_unavailable`]) is decided here too, at the
//! bottom, so the store's retries and this type's 503 follow one rule.

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
    /// A 404 with a reason worth giving.
    #[error("{0}")]
    NotFoundBecause(String),
    #[error("{0}")]
    Conflict(String),
    #[error("The request body is too large (the limit is {0} bytes).")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database cannot serve this request right now; nothing was changed.
    #[error(
        "The service is briefly unavailable (its database is not answering). Try again in a few seconds."
    )]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// More passwords are waiting to be checked than the hashing threads can get through in a
    /// few seconds; nothing was changed.
    #[error("The server is busy checking other passwords. Try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }
}

/// Seconds a client is asked to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Seconds a client is asked to wait when the password queue is full.
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// SQLite extended result codes, by their primary code (`code & 0xff`), that mean the file is
/// busy, locked, read-only, full or unreadable right now: not a bug, and not the client's fault.
const SQLITE_UNAVAILABLE: [i64; 7] = [
    5,  // SQLITE_BUSY
    6,  // SQLITE_LOCKED
    8,  // SQLITE_READONLY
    10, // SQLITE_IOERR
    13, // SQLITE_FULL
    14, // SQLITE_CANTOPEN
    15, // SQLITE_PROTOCOL
];

/// PostgreSQL SQLSTATE classes and codes that mean the server cannot serve us right now.
fn postgres_unavailable(state: &str) -> bool {
    matches!(
        &state[..state.len().min(2)],
        "08" // connection exception
        | "53" // insufficient resources (disk full, too many connections)
        | "57" // operator intervention: shutdown, restart, statement timeout, cannot connect now
        | "58" // system error (I/O)
    ) || matches!(
        state,
        "40001" // serialization failure
        | "40P01" // deadlock detected
        | "55P03" // lock not available (lock_timeout)
        | "25006" // read-only transaction (a standby)
    )
}

/// Whether a database error means "unavailable" (answer 503 and try again later) rather than a
/// bug in our queries (500).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            if let Ok(sqlite) = code.parse::<i64>() {
                SQLITE_UNAVAILABLE.contains(&(sqlite & 0xff))
            } else {
                postgres_unavailable(code)
            }
        }
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    /// A database that is locked, full, read-only or unreachable is not our bug and not the
    /// client's: 503. Anything else from the database is a bug: 500.
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            Self::Unavailable(e.into())
        } else {
            Self::internal(e)
        }
    }
}

/// The body of every error answer to a JSON client, except the course's `401`, which is the
/// plain text `Not Authorized`. (For the API description; the answer itself is built in
/// `error_response`.)
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// What went wrong, in English.
    error: String,
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
            AppError::NotFound | AppError::NotFoundBecause(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(source) => tracing::error!(error = %source, "request failed"),
            AppError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable; answered 503")
            }
            _ => {}
        }
        let message = self.to_string();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS));
            }
            AppError::Busy => {
                response.insert_header((header::RETRY_AFTER, BUSY_RETRY_AFTER_SECS));
            }
            _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_postgres_states() {
        for state in [
            "08006", "57P01", "57P03", "57014", "53100", "55P03", "40001",
        ] {
            assert!(postgres_unavailable(state), "{state}");
        }
        for state in ["23505", "42601", "22P02"] {
            assert!(!postgres_unavailable(state), "{state}");
        }
    }
}
