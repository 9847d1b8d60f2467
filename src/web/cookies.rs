//! The one place that reads, builds or clears `access_jwt` and `refresh_jwt`, so their
//! attributes can never drift apart: `HttpOnly` (page scripts cannot read them), `Secure`
//! (HTTPS only; browsers make an exception for http://localhost), `SameSite=Strict` (never sent
//! on a request another site starts), `Path=/`, and no `Domain` (this host only).
//!
//! It also writes the cookies a request renewed: the guard leaves them on the request
//! ([`Renewed`]), and one middleware ([`write_renewed`]) puts them (and `Cache-Control:
//! no-store`) on whatever answer the handler gave, so no handler can forget them.

use actix_web::body::MessageBody;
use actix_web::cookie::time::{Duration, OffsetDateTime};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

pub use crate::vocab::{ACCESS_COOKIE, REFRESH_COOKIE};

/// The values of the request's cookies `names`, borrowed from its `Cookie` headers in one
/// pass. A browser sends `name=value` pairs separated by `; ` (RFC 6265 §5.4), and that is all
/// this reads: no attributes, no percent-decoding and no list of owned cookies, which is what
/// `HttpRequest::cookie` costs on every authenticated request. Our cookies hold base64url
/// tokens and language codes, which need no decoding. The first cookie of a name wins, as with
/// `HttpRequest::cookie`; a header that is not UTF-8 is skipped.
pub fn read_each<'r, const N: usize>(
    req: &'r HttpRequest,
    names: [&str; N],
) -> [Option<&'r str>; N] {
    let mut found = [None; N];
    for value in req.headers().get_all(header::COOKIE) {
        let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
            continue;
        };
        for (name, v) in value.split(';').filter_map(|pair| pair.split_once('=')) {
            let name = name.trim();
            if let Some(i) = names.iter().position(|n| *n == name)
                && found[i].is_none()
            {
                found[i] = Some(v.trim());
            }
        }
    }
    found
}

/// The value of the request's cookie `name` (see [`read_each`]).
pub fn read<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    let [value] = read_each(req, [name]);
    value
}

fn base(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// The access cookie. `max_age: None` makes it a session cookie, gone when the browser
/// closes: what a login without "keep me logged in" gets.
pub fn access(token: String, max_age: Option<Duration>) -> Cookie<'static> {
    let mut cookie = base(ACCESS_COOKIE, token);
    if let Some(age) = max_age {
        cookie.set_max_age(age);
    }
    cookie
}

/// The refresh cookie: always persistent, as long-lived as the token inside.
pub fn refresh(token: String, max_age: Duration) -> Cookie<'static> {
    let mut cookie = base(REFRESH_COOKIE, token);
    cookie.set_max_age(max_age);
    cookie
}

/// A cookie that makes the browser drop `name`: same attributes, empty, already expired.
pub fn clear(name: &'static str) -> Cookie<'static> {
    let mut cookie = base(name, String::new());
    cookie.set_max_age(Duration::ZERO);
    cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    cookie
}

pub fn clear_both() -> [Cookie<'static>; 2] {
    [clear(ACCESS_COOKIE), clear(REFRESH_COOKIE)]
}

/// Sent on logout beside the two expired cookies: asks the browser to drop every cookie it
/// holds for this site (a belt to the braces above, and it also catches cookies a bug might
/// have set under another name or path).
pub const CLEAR_SITE_DATA: (&str, &str) = ("clear-site-data", "\"cookies\"");

/// Ends a browser's login on `response`: both cookies expired (in place of any this request
/// renewed), and every cookie of this site dropped (logout, ending the session in use).
pub fn log_out(response: &mut HttpResponse) {
    replace(response, ACCESS_COOKIE, &clear(ACCESS_COOKIE));
    replace(response, REFRESH_COOKIE, &clear(REFRESH_COOKIE));
    response.headers_mut().insert(
        header::HeaderName::from_static(CLEAR_SITE_DATA.0),
        HeaderValue::from_static(CLEAR_SITE_DATA.1),
    );
}

/// The cookies the guard renewed for this request, left on it for [`write_renewed`]. Present
/// on every authenticated request (empty when nothing was renewed): its answer carries user
/// data.
pub struct Renewed(pub Vec<Cookie<'static>>);

/// Marks an answer that sets a token cookie itself, on purpose (a demo that expires or forgets
/// a token): a renewed cookie of that name is not written over it.
struct Replaced(Vec<&'static str>);

/// Sets `cookie` on `response` in place of any renewed cookie of the same name.
pub fn replace(response: &mut HttpResponse, name: &'static str, cookie: &Cookie<'static>) {
    let _ = response.add_cookie(cookie);
    let mut extensions = response.extensions_mut();
    match extensions.get_mut::<Replaced>() {
        Some(replaced) => replaced.0.push(name),
        None => {
            extensions.insert(Replaced(vec![name]));
        }
    }
}

/// Writes the renewed cookies (all but those the handler replaced) and `Cache-Control:
/// no-store` on the answer to every authenticated request, whatever the handler answered.
pub async fn write_renewed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let renewed = res.request().extensions_mut().remove::<Renewed>();
    if let Some(Renewed(cookies)) = renewed {
        let response = res.response_mut();
        let replaced = response.extensions_mut().remove::<Replaced>();
        for cookie in &cookies {
            let skip = replaced
                .as_ref()
                .is_some_and(|r| r.0.contains(&cookie.name()));
            if !skip {
                // Only fails on a cookie that is not a valid header value; ours always are.
                let _ = response.add_cookie(cookie);
            }
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_carries_the_same_protections() {
        for c in [
            access("t".into(), None),
            access("t".into(), Some(Duration::days(1))),
            refresh("t".into(), Duration::days(7)),
            clear(ACCESS_COOKIE),
        ] {
            let text = c.to_string();
            for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
                assert!(text.contains(attr), "{text} lacks {attr}");
            }
            assert!(!text.contains("Domain"), "{text}");
        }
    }

    #[test]
    fn reads_cookies_as_the_browser_sent_them() {
        use actix_web::test::TestRequest;
        let req = TestRequest::default()
            .insert_header((
                header::COOKIE,
                "lang=ko; access_jwt=a.b.c ;refresh_jwt=d.e.f",
            ))
            .append_header((header::COOKIE, "access_jwt=second; theme=dark"))
            .to_http_request();
        assert_eq!(
            read(&req, ACCESS_COOKIE),
            Some("a.b.c"),
            "the first one wins"
        );
        assert_eq!(read(&req, REFRESH_COOKIE), Some("d.e.f"));
        assert_eq!(read(&req, "theme"), Some("dark"), "from a second header");
        assert_eq!(read(&req, "lang"), Some("ko"));
        assert_eq!(read(&req, "missing"), None);
        assert_eq!(
            read_each(&req, [REFRESH_COOKIE, ACCESS_COOKIE, "y"]),
            [Some("d.e.f"), Some("a.b.c"), None]
        );
        // Broken pairs are skipped, an empty value is an empty value, nothing is decoded, and
        // a name must match exactly.
        let req = TestRequest::default()
            .insert_header((
                header::COOKIE,
                "garbage; =x; access_jwt=; Refresh_jwt=no; refresh_jwt=a%2Eb; access%5Fjwt=no",
            ))
            .to_http_request();
        assert_eq!(read(&req, ACCESS_COOKIE), Some(""));
        assert_eq!(read(&req, REFRESH_COOKIE), Some("a%2Eb"));
        assert_eq!(
            read(&TestRequest::default().to_http_request(), ACCESS_COOKIE),
            None
        );
        // A header that is not UTF-8 is skipped on its own; the others still count.
        let req = TestRequest::default()
            .insert_header((
                header::COOKIE,
                header::HeaderValue::from_bytes(b"access_jwt=\xff\xfe").unwrap(),
            ))
            .append_header((header::COOKIE, "refresh_jwt=r"))
            .to_http_request();
        assert_eq!(
            read_each(&req, [ACCESS_COOKIE, REFRESH_COOKIE]),
            [None, Some("r")]
        );
    }

    #[test]
    fn session_and_persistent_access_cookies() {
        assert!(!access("t".into(), None).to_string().contains("Max-Age"));
        assert!(
            access("t".into(), Some(Duration::days(1)))
                .to_string()
                .contains("Max-Age=86400")
        );
        assert!(clear(REFRESH_COOKIE).to_string().contains("Max-Age=0"));
    }
}
