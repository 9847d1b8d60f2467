//! `/sessions`: the user's live sessions, ending one, and "log out everywhere else".

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use utoipa::ToSchema;

use super::chrome::{Chrome, chrome, render};
use super::guard::Authenticated;
use super::routes::Routes;
use super::state::AppState;
use super::teach::lineage::{self, Picture};
use super::{cookies, negotiate};
use crate::clock::{format_unix, rfc3339};
use crate::error::{AppError, ErrorBody};
use crate::store::sessions::EndCause;

pub fn configure(routes: &mut Routes) {
    routes
        .add("/sessions", |r| r.route(web::get().to(list)))
        .add("/sessions/revoke-others", |r| {
            r.route(web::post().to(revoke_others))
        })
        .add("/sessions/{id}/revoke", |r| r.route(web::post().to(revoke)));
}

/// One session as the JSON list shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Session)]
struct SessionView {
    id: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_seen_at: String,
    user_agent: String,
    keep_logged_in: bool,
    /// The session this request belongs to.
    current: bool,
}

/// How many sessions "log out everywhere else" ended.
#[derive(Serialize, ToSchema)]
struct Revoked {
    revoked: usize,
}

struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    user_agent: String,
    keep_logged_in: bool,
    current: bool,
    /// Kept sessions: their refresh tokens, drawn.
    lineage: Option<Picture>,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    rows: Vec<SessionRow>,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize)]
pub struct SessionsQuery {
    notice: Option<String>,
}

/// Your live sessions, newest first.
#[utoipa::path(get, path = "/sessions", tag = "sessions",
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every live session of the user.", body = Vec<SessionView>),
        (status = 401, description = "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 503, description = "The database is unavailable.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<SessionsQuery>,
) -> Result<HttpResponse, AppError> {
    let identity = &auth.identity;
    let now = state.clock.now();
    let found = state.sessions.list_active(identity.user().id, now).await?;
    let current = identity.session().id.as_str();
    let response = if negotiate::wants_html(&req) {
        let chrome = chrome(&req, true, "sessions");
        let notice = match query.notice.as_deref() {
            Some("revoked-others") => Some(chrome.t.notice_revoked_others),
            _ => None,
        };
        let mut rows = Vec::with_capacity(found.len());
        for s in found {
            let lineage = if s.keep_logged_in {
                let entries = state.sessions.lineage_of(&s.id).await?;
                Some(lineage::draw(chrome.t, &entries))
            } else {
                None
            };
            rows.push(SessionRow {
                current: s.id == current,
                created: format_unix(s.created_at),
                last_seen: format_unix(s.last_seen_at),
                user_agent: s.user_agent,
                keep_logged_in: s.keep_logged_in,
                id: s.id,
                lineage,
            });
        }
        render(
            StatusCode::OK,
            &SessionsPage {
                chrome,
                rows,
                notice,
            },
        )?
    } else {
        let views: Vec<SessionView> = found
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current,
                created_at: rfc3339(s.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                user_agent: s.user_agent,
                keep_logged_in: s.keep_logged_in,
                id: s.id,
            })
            .collect();
        HttpResponse::Ok().json(views)
    };
    Ok(response)
}

/// Ends one of the user's own sessions. Another user's session, or one that does not exist,
/// is a 404: the answer must not reveal which session ids exist.
#[utoipa::path(post, path = "/sessions/{id}/revoke", tag = "sessions",
    params(("id" = String, Path, description = "A session id, from GET /sessions.")),
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Ended (if it was this one, you are logged out: cookies cleared)."),
        (status = 401, description = "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 403, description = "A cross-site request, refused.", body = ErrorBody),
        (status = 404, description = "No such session of yours.", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let sid = path.into_inner();
    let identity = &auth.identity;
    if sid.len() > 64 {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    if !state
        .sessions
        .revoke_for_user(identity.user().id, &sid, now)
        .await?
    {
        return Err(AppError::NotFound);
    }
    state.metrics.session_ended(EndCause::Revoke, 1);
    tracing::info!(user = %identity.user().user_id, session = %state.tokens.session_tag(&sid),
        event = "session_ended", cause = "revoke", "session ended by its user");
    let html = negotiate::wants_html(&req);
    if sid == identity.session().id {
        // Ending the session in use is logging out.
        let mut response = if html {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login?notice=logged-out"))
                .finish()
        } else {
            HttpResponse::NoContent().finish()
        };
        cookies::log_out(&mut response);
        return Ok(response);
    }
    let response = if html {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/sessions"))
            .finish()
    } else {
        HttpResponse::NoContent().finish()
    };
    Ok(response)
}

/// "Log out everywhere else": ends every session of the user but this one.
#[utoipa::path(post, path = "/sessions/revoke-others", tag = "sessions",
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "How many sessions were ended.", body = Revoked),
        (status = 401, description = "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
            body = String, content_type = "text/plain", example = "Not Authorized"),
        (status = 403, description = "A cross-site request, refused.", body = ErrorBody),
        (status = 503, description = "The database is unavailable.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn revoke_others(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    let identity = &auth.identity;
    let now = state.clock.now();
    let ended = state
        .sessions
        .revoke_others(identity.user().id, &identity.session().id, now, None)
        .await?;
    state
        .metrics
        .session_ended(EndCause::RevokeOthers, ended.len() as u64);
    tracing::info!(user = %identity.user().user_id, ended = ended.len(), event = "session_ended",
        cause = "revoke_others", "logged out everywhere else");
    let response = if negotiate::wants_html(&req) {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/sessions?notice=revoked-others"))
            .finish()
    } else {
        HttpResponse::Ok().json(Revoked {
            revoked: ended.len(),
        })
    };
    Ok(response)
}
