//! Security headers on every response, and the refusal of cross-site state-changing requests
//! (but those from an origin the operator listed in `CORS_ALLOWED_ORIGINS`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;

use actix_web::ResponseError;

use super::state::AppState;
use super::teach::cross_site;
use crate::error::AppError;

/// Scripts and styles only from this origin (no inline script), never framed, no sniffing,
/// no referrer leaks to other sites. Forms may only post back here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers every response carries; over TLS also HSTS, so browsers keep to HTTPS.
pub fn headers(tls: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"));
    if tls {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}

/// Why a request is cross-site, if it is. A browser's `Sec-Fetch-Site` is trusted first: only
/// `same-origin` (our own pages) and `none` (typed in, bookmarks) pass. Without it, an
/// `Origin` header must name this very site (a sandboxed or privacy-stripped `null` does not).
/// Requests with neither header (curl, scripts, the course's test client) are not a browser
/// acting for another site, and pass.
pub fn cross_site_reason(req: &ServiceRequest) -> Option<&'static str> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().unwrap_or_default() {
            "same-origin" | "none" => None,
            _ => Some("Sec-Fetch-Site says another site started it"),
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return Some("Origin is not readable");
    };
    let info = req.connection_info();
    let same = origin
        .strip_prefix(info.scheme())
        .and_then(|rest| rest.strip_prefix("://"))
        .is_some_and(|host| host.eq_ignore_ascii_case(info.host()));
    (!same).then_some("Origin is another site")
}

/// Refuses cross-site POSTs (and other unsafe methods) with 403 before any handler runs.
/// The refusal is a normal response, so the other middleware (headers, HTML error pages)
/// still applies to it.
pub async fn same_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Demo mode notes what other sites try, for the cross-site page to show.
    let demo = req
        .app_data::<web::Data<AppState>>()
        .filter(|s| s.demo.is_some())
        .cloned();
    // An origin the operator listed is trusted with the user's cookies: its requests pass.
    let listed = || {
        let origin = req.headers().get(header::ORIGIN);
        let state = req.app_data::<web::Data<AppState>>();
        origin
            .zip(state)
            .is_some_and(|(o, s)| s.is_allowed_origin(o.as_bytes()))
    };
    if !safe
        && let Some(reason) = cross_site_reason(&req)
        && !listed()
    {
        tracing::warn!(path = %req.path(), reason, "refused a cross-site request");
        let response =
            AppError::Forbidden(format!("Cross-site request refused ({reason}).")).error_response();
        if let Some(state) = &demo {
            cross_site::record(state, req.request(), response.status(), true);
        }
        return Ok(req.into_response(response).map_into_right_body());
    }
    let res = next.call(req).await?;
    if let Some(state) = &demo {
        cross_site::record(state, res.request(), res.status(), false);
    }
    Ok(res.map_into_left_body())
}
