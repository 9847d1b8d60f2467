//! Demo mode's "other site": a second origin (`DEMO_CROSS_SITE_PORT`) whose page, in the
//! learner's own browser, tries what a malicious site would — read the app's cookies, read
//! `/userinfo` with the browser's credentials, post a form to `/logout` — and then shows what
//! happened and which defence stopped it. It asks the app what the app saw (`GET
//! /demo/cross-site/report`, readable by that origin alone), since a page cannot see the answers
//! of another origin: that is the point.
//!
//! For the browser to treat it as another *site* (not just another origin: SameSite ignores
//! ports), the page is reached under the app's other loopback name: the app on `127.0.0.1`
//! links to `http://localhost:<port>`, and the other way round.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use askama::Template;

use super::{Seen, demo_only};
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::web::chrome::lang;
use crate::web::cookies::{self, ACCESS_COOKIE};
use crate::web::routes::Routes;
use crate::web::state::AppState;

/// Requests remembered for the report (of every visit together).
const SEEN_MAX: usize = 200;

pub fn configure(routes: &mut Routes) {
    routes.add("/demo/cross-site/report", |r| {
        r.route(web::get().to(report))
    });
}

/// The app's other loopback name: what makes the two a different *site* for the browser.
pub fn other_host(host: &str) -> &'static str {
    if host.starts_with("localhost") {
        "127.0.0.1"
    } else {
        "localhost"
    }
}

/// The "other site" URL to link to from a page of the app reached at `host` (its `Host`);
/// `visit`: the id its requests carry back, so the report shows this browser's alone.
pub fn link(host: &str, port: u16, lang: Lang, visit: Option<&str>) -> String {
    let visit = visit.map(|v| format!("&visit={v}")).unwrap_or_default();
    format!(
        "http://{}:{port}/?lang={}{visit}",
        other_host(host),
        lang.code()
    )
}

/// The `demo_visit` (the other site's requests) or `visit` (its report) of a query.
fn visit_in(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, v)| k == name && v.len() <= 64)
        .map(|(_, v)| v)
}

#[derive(Template)]
#[template(path = "cross_site.html")]
struct OtherSitePage {
    lang: Lang,
    t: &'static Texts,
    app: String,
    own: String,
}

struct OtherSite {
    app_port: u16,
    scheme: &'static str,
}

async fn page(req: HttpRequest, site: web::Data<OtherSite>) -> HttpResponse {
    let host = req.connection_info().host().to_owned();
    let own = format!("http://{host}");
    let app = format!("{}://{}:{}", site.scheme, other_host(&host), site.app_port);
    let lang = lang(&req);
    let page = OtherSitePage {
        lang,
        t: lang.texts(),
        app: app.clone(),
        own,
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {app}; frame-src {app}; form-action {app}; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, csp))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../static/cross-site.js"))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../static/style.css"))
}

/// Serves the other site on `listener`.
pub fn serve(listener: TcpListener, app_port: u16, tls: bool) -> std::io::Result<Server> {
    let site = web::Data::new(OtherSite {
        app_port,
        scheme: if tls { "https" } else { "http" },
    });
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(site.clone())
            .route("/", web::get().to(page))
            .route("/cross-site.js", web::get().to(script))
            .route("/style.css", web::get().to(stylesheet))
    })
    .workers(1)
    .listen(listener)?
    .run())
}

/// Whether `origin` is the other site's (under either loopback name).
fn is_other_site(state: &AppState, origin: &str) -> bool {
    let Some(port) = state.demo.as_ref().and_then(|d| d.cross_site_port) else {
        return false;
    };
    [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ]
    .iter()
    .any(|o| o == origin)
}

/// Notes what a request from another site looked like and how it was answered (demo mode).
pub fn record(state: &AppState, req: &HttpRequest, res_status: StatusCode, refused: bool) {
    let Some(demo) = &state.demo else {
        return;
    };
    let headers = req.headers();
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_other_site(state, origin) || req.path() == "/demo/cross-site/report" {
        return;
    }
    let cookie_sent = cookies::read(req, ACCESS_COOKIE).is_some();
    let refused_by = if refused {
        Some("same-origin")
    } else if res_status == StatusCode::UNAUTHORIZED && !cookie_sent {
        Some("samesite")
    } else {
        None
    };
    let at = state.clock.now();
    let seen = Seen {
        visit: visit_in(req.query_string(), "demo_visit"),
        at,
        time: crate::clock::format_unix(at)
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_owned(),
        method: req.method().to_string(),
        path: req.path().to_owned(),
        origin: origin.to_owned(),
        sec_fetch_site: site.to_owned(),
        cookie_sent,
        status: res_status.as_u16(),
        refused_by,
    };
    if let Ok(mut log) = demo.cross_site_seen.lock() {
        if log.len() >= SEEN_MAX {
            log.pop_front();
        }
        log.push_back(seen);
    }
}

/// What the report tells the other site's page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    /// Whether the browser of this visit was logged in to the app (its newest session is
    /// live); `null` for a page opened without the app's link.
    logged_in: Option<bool>,
    /// What this visit's requests looked like, oldest first.
    seen: Vec<Seen>,
}

/// `GET /demo/cross-site/report?visit=`: what the app saw from this visit of the other site
/// (the browser that followed the app's link, and no other). Readable by that origin only
/// (CORS), and only in demo mode.
pub async fn report(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let demo = demo_only(&state)?;
    let visit = visit_in(req.query_string(), "visit");
    let learner = visit
        .as_deref()
        .and_then(|v| demo.class.learner_of_visit(v));
    let seen: Vec<Seen> = demo
        .cross_site_seen
        .lock()
        .map(|log| {
            log.iter()
                .filter(|s| visit.is_some() && s.visit == visit)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(learner) = &learner
        && !seen.is_empty()
    {
        demo.class
            .done(learner, crate::vocab::LessonStep::CrossSite);
    }
    let logged_in = match &learner {
        Some(learner) => Some(logged_in(&state, &demo.class.sessions_of(learner)).await?),
        None => None,
    };
    let seen = Report { logged_in, seen };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    response.insert_header((header::VARY, "Origin"));
    if let Some(origin) = req.headers().get(header::ORIGIN)
        && origin.to_str().is_ok_and(|o| is_other_site(&state, o))
    {
        response.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
    }
    Ok(response.json(seen))
}

/// Whether the newest of these sessions is live.
async fn logged_in(state: &AppState, sessions: &[String]) -> Result<bool, AppError> {
    let Some(newest) = sessions.last() else {
        return Ok(false);
    };
    let now = state.clock.now();
    let live = state.sessions.find(newest, now).await?;
    Ok(live.is_some_and(|l| l.session.is_active(now)))
}
