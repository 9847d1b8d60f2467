//! Probes for whatever runs the server: `/healthz` says the process answers (liveness: restart
//! it if not); `/readyz` says it can serve (readiness: send it traffic or not).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::UNAVAILABLE_RETRY_AFTER_SECS;
use crate::web::AppState;

/// What `/readyz` found.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    database: &'static str,
    /// PostgreSQL: `connected` or `disconnected`; SQLite: `none` (one server, nobody to hear).
    listener: &'static str,
}

/// Liveness: the process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "probes",
    responses((status = 200, description = "The process answers.", body = String,
        content_type = "text/plain", example = "ok")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Readiness: `200` when the database answers and (on PostgreSQL) the invalidation listener is
/// connected, so this instance both serves and hears of every logout; `503` otherwise.
#[utoipa::path(get, path = "/readyz", tag = "probes",
    responses(
        (status = 200, description = "Ready to serve.", body = Readiness),
        (status = 503, description = "The database does not answer, or (PostgreSQL) the listener is not connected.",
            body = Readiness, headers(("Retry-After" = u64, description = "Seconds to wait before asking again."))),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database_ok = state.db.ping().await.is_ok();
    let listener = match &state.listener {
        None => "none",
        Some(l) if l.is_connected() => "connected",
        Some(_) => "disconnected",
    };
    let ready = database_ok && listener != "disconnected";
    let body = Readiness {
        database: if database_ok { "ok" } else { "unavailable" },
        listener,
    };
    let mut response = if ready {
        HttpResponse::Ok()
    } else {
        let mut r = HttpResponse::ServiceUnavailable();
        r.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS));
        r
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
