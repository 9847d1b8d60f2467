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
use super::teach::{self, class};
use super::{cookies, negotiate};
use crate::auth::flow::Identity;
use crate::clock::{format_unix, rfc3339};
use crate::error::{AppError, ErrorBody};
use crate::i18n::Texts;
use crate::store::sessions::{EndCause, Session};

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
    /// The browser, named ("Chrome 131 on Linux"), and as it said itself.
    browser: String,
    user_agent: String,
    keep_logged_in: bool,
    current: bool,
    /// Demo mode: a session of this browser that has ended, and why.
    ended: Option<&'static str>,
    /// Kept sessions: their refresh tokens, drawn.
    lineage: Option<Picture>,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    rows: Vec<SessionRow>,
    notice: Option<&'static str>,
    /// Demo mode's shared account: this browser's sessions alone are shown and ended.
    shared: bool,
}

#[derive(serde::Deserialize)]
pub struct SessionsQuery {
    notice: Option<String>,
}

/// Whether `identity` is demo mode's shared account, which every learner of a class may use:
/// what one does to it must not reach another's session.
fn shared(state: &AppState, identity: &Identity) -> bool {
    state.config.demo.shared_account() == Some(identity.user().user_id.as_str())
}

/// The live sessions this request may see: all of the user's, but only this one on the shared
/// demo account.
async fn live_sessions(
    state: &AppState,
    identity: &Identity,
    now: i64,
) -> Result<Vec<Session>, AppError> {
    let mut found = state.sessions.list_active(identity.user().id, now).await?;
    if shared(state, identity) {
        found.retain(|s| s.id == identity.session().id);
    }
    Ok(found)
}

/// Demo mode: the sessions this browser started for this user that have ended since (they
/// stay, with their lineage, for the rest of the lesson).
async fn ended_here(
    req: &HttpRequest,
    state: &AppState,
    identity: &Identity,
    now: i64,
) -> Result<Vec<Session>, AppError> {
    let (Some(class), Some(learner)) = (teach::class_of(state), class::learner(req)) else {
        return Ok(Vec::new());
    };
    let ids = class.sessions_of(&learner);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut rows = state.sessions.rows(&ids).await?;
    rows.retain(|s| s.user_pk == identity.user().id && !s.is_active(now));
    rows.reverse();
    Ok(rows)
}

/// Your live sessions, newest first.
#[utoipa::path(get, path = "/sessions", tag = "sessions",
    security(("access_jwt" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every live session of the user (on demo mode's shared account, this one alone).", body = Vec<SessionView>),
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
    let found = live_sessions(&state, identity, now).await?;
    let current = identity.session().id.as_str();
    if !negotiate::wants_html(&req) {
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
        return Ok(HttpResponse::Ok().json(views));
    }
    let chrome = chrome(&req, true, "sessions");
    let notice = match query.notice.as_deref() {
        Some("revoked-others") => Some(chrome.t.notice_revoked_others),
        Some("shared-account") => Some(chrome.t.notice_shared_account),
        _ => None,
    };
    let ended = ended_here(&req, &state, identity, now).await?;
    let mut rows = Vec::with_capacity(found.len() + ended.len());
    for s in found.into_iter().chain(ended) {
        rows.push(row(&state, chrome.t, s, current).await?);
    }
    let page = SessionsPage {
        shared: shared(&state, identity),
        chrome,
        rows,
        notice,
    };
    render(StatusCode::OK, &page)
}

/// One session as the page shows it.
async fn row(
    state: &AppState,
    t: &'static Texts,
    s: Session,
    current: &str,
) -> Result<SessionRow, AppError> {
    let lineage = match s.keep_logged_in {
        true => Some(lineage::draw(t, &state.sessions.lineage_of(&s.id).await?)),
        false => None,
    };
    let ended = (s.revoked_at.is_some() || s.expires_at <= state.clock.now())
        .then(|| ended_because(t, s.ended_by()));
    Ok(SessionRow {
        current: s.id == current,
        created: format_unix(s.created_at),
        last_seen: format_unix(s.last_seen_at),
        browser: browser_name(t, &s.user_agent),
        user_agent: s.user_agent,
        keep_logged_in: s.keep_logged_in,
        id: s.id,
        ended,
        lineage,
    })
}

/// Why a session ended, for its row.
fn ended_because(t: &'static Texts, cause: Option<EndCause>) -> &'static str {
    match cause {
        Some(EndCause::Logout) => t.ended_logout,
        Some(EndCause::Revoke | EndCause::RevokeOthers) => t.ended_revoked,
        Some(EndCause::PasswordChange) => t.ended_password,
        Some(EndCause::Reuse) => t.ended_theft,
        Some(EndCause::Reset) => t.ended_reset,
        None => t.ended_expired,
    }
}

/// A browser's name, from its User-Agent: "Chrome 131 on Linux", "Firefox 133 on Windows"
/// (in the page's words); what it said itself when it is none of those.
pub fn browser_name(t: &Texts, agent: &str) -> String {
    let version = |marker: &str| {
        agent
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split(['.', ' ', ';', ')']).next())
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ]
    .into_iter()
    .find_map(|(marker, name)| version(marker).map(|v| format!("{name} {v}")));
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => t.browser_on.replace("{browser}", &b).replace("{system}", s),
        (Some(b), None) => b,
        _ => agent.chars().take(40).collect(),
    }
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
    // On the shared demo account, only this browser's own sessions are its to end.
    let mine = sid == identity.session().id
        || teach::class_of(&state)
            .zip(class::learner(&req))
            .is_some_and(|(class, learner)| class.started_by(&sid, &learner));
    if shared(&state, identity) && !mine {
        return Err(AppError::NotFound);
    }
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
    if shared(&state, identity) {
        // The other sessions of the shared account are other learners': none is ended.
        return Ok(if negotiate::wants_html(&req) {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/sessions?notice=shared-account"))
                .finish()
        } else {
            HttpResponse::Ok().json(Revoked { revoked: 0 })
        });
    }
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
