//! `POST /logout`: ends the server-side session and clears both cookies.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::negotiate;
use crate::auth::state::AppState;
use crate::auth::{cookies, flow, guard};
use crate::error::{AppError, ErrorBody};

/// Logs out: ends the session on the server (its tokens are refused from now on, everywhere),
/// clears both cookies and asks the browser to drop this site's cookies. Logging out twice, or
/// with no cookies at all, is fine: the answer is the same.
#[utoipa::path(post, path = "/logout", tag = "session",
    security((), ("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 205, description = "Logged out (Reset Content, no body).",
            headers(("Set-Cookie" = String, description = "access_jwt and refresh_jwt, expired"),
                    ("Clear-Site-Data" = String, description = "\"cookies\""))),
        (status = 403, description = "A cross-site request, refused.", body = ErrorBody),
        (status = 503, description = "The database is unavailable: the session could not be ended; try again.",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
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
    response.headers_mut().insert(
        header::HeaderName::from_static(cookies::CLEAR_SITE_DATA.0),
        header::HeaderValue::from_static(cookies::CLEAR_SITE_DATA.1),
    );
    Ok(response)
}
