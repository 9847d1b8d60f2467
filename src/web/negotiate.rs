//! HTML or JSON: who is asking, and what they sent.
//!
//! Browsers say `Accept: text/html`; the course's client (axios) and curl do not, and get JSON.
//! Request bodies are JSON or HTML-form encoded, chosen by `Content-Type`; anything else is 415.

use actix_web::{HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Largest request body any route accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Browsers say `Accept: text/html` and get pages and redirects; the course's client (axios)
/// and curl do not, and get JSON and status codes.
pub fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The body, or the reason it cannot be had (too large, cut off).
pub fn body_bytes(
    body: Result<actix_web::web::Bytes, actix_web::Error>,
) -> Result<actix_web::web::Bytes, AppError> {
    body.map_err(|e| {
        if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(MAX_BODY_BYTES)
        } else {
            AppError::BadRequest("The request body could not be read.".into())
        }
    })
}

/// Parses a JSON or form body into `T`, with a message that says what was wrong.
pub fn parse_body<J: DeserializeOwned, F: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Either<J, F>, AppError> {
    let mime = req.mime_type().ok().flatten();
    let essence = mime.as_ref().map(|m| m.essence_str().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => serde_json::from_slice(body)
            .map(Either::Json)
            .map_err(|e| AppError::BadRequest(format!("Invalid JSON: {e}"))),
        Some("application/x-www-form-urlencoded") => serde_urlencoded::from_bytes(body)
            .map(Either::Form)
            .map_err(|e| AppError::BadRequest(format!("Invalid form: {e}"))),
        _ => Err(AppError::UnsupportedMediaType(
            "Send application/json or application/x-www-form-urlencoded.".into(),
        )),
    }
}

pub enum Either<J, F> {
    Json(J),
    Form(F),
}

/// An HTML checkbox sends `on` when ticked and nothing when not.
pub fn checkbox(value: Option<&str>) -> bool {
    matches!(value, Some("on" | "true" | "1" | "yes"))
}
