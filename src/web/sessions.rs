//! `/sessions`: the user's live sessions, ending one, and "log out everywhere else".

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;

use super::lineage::{self, Picture};
use super::negotiate;
use super::pages::{Chrome, chrome, private, render};
use crate::auth::cookies;
use crate::auth::guard::Authenticated;
use crate::auth::state::AppState;
use crate::clock::{format_unix, rfc3339};
use crate::error::AppError;

/// One session as the JSON list shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    id: String,
    created_at: String,
    last_seen_at: String,
    user_agent: String,
    keep_logged_in: bool,
    current: bool,
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
    Ok(private(response, &auth))
}

/// Ends one of the user's own sessions. Another user's session, or one that does not exist,
/// is a 404: the answer must not reveal which session ids exist.
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
        for cookie in cookies::clear_both() {
            let _ = response.add_cookie(&cookie);
        }
        return Ok(response);
    }
    let response = if html {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/sessions"))
            .finish()
    } else {
        HttpResponse::NoContent().finish()
    };
    Ok(private(response, &auth))
}

/// "Log out everywhere else": ends every session of the user but this one.
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
    tracing::info!(user = %identity.user().user_id, ended = ended.len(), event = "session_ended",
        cause = "revoke_others", "logged out everywhere else");
    let response = if negotiate::wants_html(&req) {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/sessions?notice=revoked-others"))
            .finish()
    } else {
        HttpResponse::Ok().json(serde_json::json!({ "revoked": ended.len() }))
    };
    Ok(private(response, &auth))
}
