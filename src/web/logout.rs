//! `POST /logout`: ends the server-side session and clears both cookies.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::negotiate;
use crate::auth::state::AppState;
use crate::auth::{cookies, flow, guard};
use crate::error::AppError;

/// Logging out twice, or with no cookies at all, is fine: the answer is the same.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (access, refresh, _) = guard::presented_tokens(&req);
    flow::end(&state, access.as_deref(), refresh.as_deref()).await?;
    let mut response = if negotiate::wants_html(&req) {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login?notice=logged-out"))
            .finish()
    } else {
        // 205 Reset Content: the course's contract; it carries no body.
        HttpResponse::ResetContent().finish()
    };
    for cookie in cookies::clear_both() {
        let _ = response.add_cookie(&cookie);
    }
    Ok(response)
}
