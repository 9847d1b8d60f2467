//! `POST /logout`: ends the server-side session and clears both cookies.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::routes::Routes;
use super::state::AppState;
use super::teach::{self, class};
use super::{chrome, cookies, guard, negotiate};
use crate::auth::session;
use crate::error::{AppError, ErrorBody};
use crate::vocab::LessonStep;

pub fn configure(routes: &mut Routes) {
    routes.add("/logout", |r| r.route(web::post().to(submit)));
}

/// Where a browser goes after logging out: the login page, in the language it had (the
/// answer's `Clear-Site-Data` drops the `lang` cookie with the others), and in demo mode with
/// its learner id (which would go too, and with it the lesson's progress).
fn after_logout(state: &AppState, req: &HttpRequest) -> String {
    let lang = chrome::lang(req).code();
    let learner = teach::class_of(state)
        .and(class::learner(req))
        .map(|id| format!("&learner={id}"))
        .unwrap_or_default();
    format!("/login?notice=logged-out&lang={lang}{learner}")
}

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
    session::end(state.auth(), access.as_deref(), refresh.as_deref()).await?;
    teach::step_done(&state, &req, LessonStep::Logout);
    let mut response = if negotiate::wants_html(&req) {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, after_logout(&state, &req)))
            .finish()
    } else {
        // 205 Reset Content: the course's contract; it carries no body.
        HttpResponse::ResetContent().finish()
    };
    cookies::log_out(&mut response);
    Ok(response)
}
