//! Demo mode's course-style client: the course's split, a single-page client on one origin and
//! the API on another of the same site, served by the app itself on `DEMO_CLIENT_PORT` under
//! the very host name the learner uses (so it is the same *site*, another *origin*). The app
//! lists that origin for CORS itself. The page logs in through the JSON API with
//! `fetch(..., { credentials: "include" })` and shows, for each call, what the request carried
//! and which CORS headers came back, read from what the app recorded (`GET
//! /demo/client/report`), since a script cannot see a request's `Sec-Fetch-Site` or a
//! preflight at all. It is the opposite case of the other site (`cross_site`), which is
//! another *site*.
//!
//! The calls are kept per page load (`visit`, in the page's address), found by the `Referer`
//! the page sends with each call, so one learner's report never shows another's.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use askama::Template;

use super::demo_only;
use super::memory::{CLIENT_CALLS_MAX, ClientCall, Demo};
use crate::auth::tokens;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::web::chrome::lang;
use crate::web::cookies::{self, ACCESS_COOKIE};
use crate::web::routes::Routes;
use crate::web::state::AppState;

pub fn configure(routes: &mut Routes) {
    routes.add("/demo/client/report", |r| r.route(web::get().to(report)));
}

/// The client's origins for a server on `host` whose client listens on `port`: under both
/// loopback names, since the learner may reach the app by either.
pub fn origins(port: u16, tls: bool) -> Vec<String> {
    let scheme = if tls { "https" } else { "http" };
    ["localhost", "127.0.0.1"]
        .map(|host| format!("{scheme}://{host}:{port}"))
        .to_vec()
}

/// The client's address, for a page of the app reached at `host` (its `Host` header).
pub fn link(scheme: &str, host: &str, port: u16, lang: Lang) -> String {
    let name = host_name(host);
    format!("{scheme}://{name}:{port}/?lang={}", lang.code())
}

/// `host` without its port (an IPv6 address keeps its brackets).
fn host_name(host: &str) -> &str {
    match host.rfind(':') {
        Some(at) if !host[at..].contains(']') => &host[..at],
        _ => host,
    }
}

#[derive(Template)]
#[template(path = "course_client.html")]
struct ClientPage {
    lang: Lang,
    t: &'static Texts,
    api: String,
    own: String,
    visit: String,
}

struct ClientSite {
    app_port: u16,
    scheme: &'static str,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    visit: Option<String>,
}

async fn page(
    req: HttpRequest,
    site: web::Data<ClientSite>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let lang = lang(&req);
    let Some(visit) = query.visit.as_deref().filter(|v| valid_visit(v)) else {
        // A visit of its own, in the page's address: its calls carry it in their Referer.
        let id = tokens::new_id();
        return HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/?visit={id}&lang={}", lang.code()),
            ))
            .finish();
    };
    let host = req.connection_info().host().to_owned();
    let api = format!("{}://{}:{}", site.scheme, host_name(&host), site.app_port);
    let page = ClientPage {
        lang,
        t: lang.texts(),
        own: format!("{}://{host}", site.scheme),
        visit: visit.to_owned(),
        api: api.clone(),
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {api}; form-action 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, csp))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            // The whole address goes with each call, so the app can tell this visit's calls.
            .insert_header((header::REFERRER_POLICY, "no-referrer-when-downgrade"))
            .body(html),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// A visit id as the app makes them: 32 hex digits.
fn valid_visit(visit: &str) -> bool {
    visit.len() == 32 && visit.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../static/course-client.js"))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../static/style.css"))
}

/// Serves the client on `listener` for the app on `app_port` (over TLS with `tls`, as the app
/// is: `http://localhost` and `https://localhost` are different sites).
pub fn serve(
    listener: TcpListener,
    app_port: u16,
    tls: Option<rustls::ServerConfig>,
) -> std::io::Result<Server> {
    let site = web::Data::new(ClientSite {
        app_port,
        scheme: if tls.is_some() { "https" } else { "http" },
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(site.clone())
            .route("/", web::get().to(page))
            .route("/course-client.js", web::get().to(script))
            .route("/style.css", web::get().to(stylesheet))
    })
    .workers(1);
    Ok(match tls {
        Some(tls) => server.listen_rustls_0_23(listener, tls)?,
        None => server.listen(listener)?,
    }
    .run())
}

/// The visit a call of the client belongs to, when its `Origin` is the client's: from its
/// `Referer`, or, for a call without one (the browser follows the login's `302` under the
/// app's own `Referrer-Policy`, which sends none), from the session its cookie names, which
/// that visit's login started.
fn visit_of(demo: &Demo, req: &ServiceRequest) -> Option<String> {
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    if !demo.client_origins.iter().any(|o| o == origin) {
        return None;
    }
    let from_referer = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once('?'))
        .and_then(|(_, query)| query.split('&').find_map(|p| p.strip_prefix("visit=")))
        .filter(|visit| valid_visit(visit))
        .map(str::to_owned);
    from_referer.or_else(|| {
        let token = cookies::read(req.request(), ACCESS_COOKIE)?;
        demo.client_visits.get(&session_of(token)?)
    })
}

/// The `sid` a token names, read without checking it: it only tells which visit's report a
/// call goes into, and the app checks the token itself as always.
fn session_of(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["sid"].as_str().map(str::to_owned)
}

/// The session an answer's new access cookie names (a login's).
fn session_set_by<B>(res: &ServiceResponse<B>) -> Option<String> {
    res.response()
        .cookies()
        .find(|c| c.name() == ACCESS_COOKIE && !c.value().is_empty())
        .and_then(|c| session_of(c.value()))
}

/// Notes each call of the client (demo mode): what the request carried, and the CORS headers
/// of the answer as it leaves. Sits outside the CORS layer, so it sees preflights too.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let demo = state.as_ref().and_then(|s| s.demo.as_ref());
    let visit = demo.and_then(|demo| visit_of(demo, &req));
    let Some((state, visit)) = state
        .zip(visit)
        .filter(|_| req.path() != "/demo/client/report")
    else {
        return next.call(req).await;
    };
    let headers = req.headers();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut call = ClientCall {
        at: state.clock.now(),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        origin: text(header::ORIGIN).unwrap_or_default(),
        sec_fetch_site: text(header::HeaderName::from_static("sec-fetch-site")),
        cookie_sent: cookies::read(req.request(), ACCESS_COOKIE).is_some(),
        preflight: req.method() == Method::OPTIONS
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
        status: 0,
        allow_origin: None,
        allow_credentials: None,
        vary: None,
    };
    let res = next.call(req).await?;
    let answer = |name: header::HeaderName| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    call.status = res.status().as_u16();
    call.allow_origin = answer(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    call.allow_credentials = answer(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    call.vary = answer(header::VARY);
    if let Some(demo) = &state.demo {
        if let Some(sid) = session_set_by(&res) {
            demo.client_visits.insert(sid, visit.clone());
        }
        let calls = demo
            .client_calls
            .get_with(visit, || Arc::new(Mutex::new(Vec::new())));
        if let Ok(mut calls) = calls.lock()
            && calls.len() < CLIENT_CALLS_MAX
        {
            calls.push(call);
        }
    }
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    visit: String,
}

/// `GET /demo/client/report?visit=…`: what the app saw of one visit's calls, oldest first.
/// The client reads it through the same CORS as every other call.
pub async fn report(
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let demo = demo_only(&state)?;
    let calls: Vec<ClientCall> = demo
        .client_calls
        .get(&query.visit)
        .and_then(|calls| calls.lock().ok().map(|c| c.clone()))
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(calls))
}
