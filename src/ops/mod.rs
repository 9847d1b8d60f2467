//! What an operator needs beside the app itself: Prometheus metrics on their own address, logs
//! a pipeline can parse, a readiness probe for load balancers, and a machine-readable
//! description of the JSON API with a reference page.

pub mod logging;
pub mod openapi;
pub mod probes;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use crate::web::guard::{LogIdentity, RequestIdentity};
use crate::web::{AppState, Routes};

/// The operators' routes on the public server: the probes, the API description and its page.
pub fn configure(routes: &mut Routes) {
    routes
        .add("/healthz", |r| r.route(web::get().to(probes::healthz)))
        .add("/readyz", |r| r.route(web::get().to(probes::readyz)))
        .add("/openapi.json", |r| {
            r.route(web::get().to(openapi::document))
        })
        .add("/api", |r| r.route(web::get().to(openapi::reference)));
}

/// The target of the one log line each request gets (`RUST_LOG=…,jwt_cookie_lab::access=off`
/// turns it off).
pub const ACCESS_LOG: &str = "jwt_cookie_lab::access";

/// Request ids: this process's random prefix and a counter. Cheap, unique, and they never
/// reveal anything about the request.
fn next_request_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Times each request for the latency histogram (when metrics are on) and writes its access
/// line (when that log is on): request id, route template, status, latency, and — for a
/// logged-in request — the user and a keyed hash of the session id. Never a path with its query,
/// a cookie or a header.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let metrics_on = state
        .as_ref()
        .is_some_and(|s| s.config.operations.metrics_addr.is_some());
    let log_on = tracing::enabled!(target: ACCESS_LOG, tracing::Level::INFO);
    if !metrics_on && !log_on {
        return next.call(req).await;
    }
    let started = Instant::now();
    let request_id = log_on.then(|| {
        let prefix = state.as_ref().map_or("0", |s| s.instance.as_str());
        next_request_id(prefix)
    });
    if log_on {
        req.extensions_mut().insert(LogIdentity);
    }
    let method = req.method().clone();
    let mut res = next.call(req).await?;
    let elapsed = started.elapsed();
    let route = match res.request().match_name() {
        Some(name) => Some(name),
        None if res.request().path().starts_with("/static/") => Some("/static/{file}"),
        None => None,
    }
    .map(str::to_owned);
    let status = res.status().as_u16();
    if let Some(state) = &state
        && metrics_on
    {
        state
            .metrics
            .request(route.as_deref(), status, elapsed.as_secs_f64());
    }
    if let Some(id) = request_id {
        let state = state.as_ref().map(|s| s.get_ref());
        log_request(&mut res, state, &id, &method, route.as_deref(), elapsed);
    }
    Ok(res)
}

/// The request's access-log line, and its id on the answer.
fn log_request<B>(
    res: &mut ServiceResponse<B>,
    state: Option<&AppState>,
    id: &str,
    method: &actix_web::http::Method,
    route: Option<&str>,
    elapsed: std::time::Duration,
) {
    let (user, session) = match res.request().extensions().get::<RequestIdentity>() {
        Some(who) => (
            Some(who.user.clone()),
            state.map(|s| s.tokens.session_tag(&who.sid)),
        ),
        None => (None, None),
    };
    tracing::info!(
        target: ACCESS_LOG,
        request_id = %id,
        method = %method,
        route = route.unwrap_or(crate::metrics::UNMATCHED),
        status = res.status().as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        user = user.as_deref(),
        session = session.as_deref(),
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
}

/// `GET /metrics` on `METRICS_ADDR`: the Prometheus exposition text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let sessions = &state.sessions;
    let text = state.metrics.render(&crate::metrics::Readings {
        cache: sessions.counters(),
        cache_bytes: sessions.cache().weighted_bytes(),
        cache_entries: sessions.cache().entries(),
        verified_bytes: state.tokens.cached_bytes(),
        activity: &sessions.activity().counters,
        activity_waiting: sessions.activity().waiting(),
        listener: state.listener.as_deref(),
        batches: sessions.batch_counters(),
        argon2_waiting: state.passwords.queue_depth(),
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
