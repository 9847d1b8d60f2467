//! The token inspector: a verified token taken apart for people, the way jwt.io shows one,
//! plus what only the server knows (what each claim is for, and how its cookie was set).
//! The signature is shortened, so the page never holds a usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::clock::format_unix;
use crate::i18n::Texts;
use crate::vocab::{ACCESS_COOKIE, REFRESH_COOKIE};

pub struct ClaimRow {
    pub name: &'static str,
    pub value: String,
    /// For time claims: the moment, readable.
    pub when: Option<String>,
    pub meaning: &'static str,
}

pub struct CookieAttribute {
    pub attribute: String,
    pub why: &'static str,
}

pub struct TokenView {
    pub title: &'static str,
    pub cookie_name: &'static str,
    pub header_b64: String,
    pub payload_b64: String,
    pub signature_short: String,
    pub header: Vec<ClaimRow>,
    pub claims: Vec<ClaimRow>,
    pub exp: i64,
    pub expires_in: String,
    pub expired: bool,
    pub cookie: Vec<CookieAttribute>,
}

const HEADER_FIELDS: [&str; 3] = ["alg", "typ", "kid"];
const CLAIMS: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "typ",
];

/// The claims shown: the usual ones, and `rjti` when the token has it (a kept session's access
/// token).
fn claim_names(payload: &Value) -> Vec<&'static str> {
    let mut names = CLAIMS.to_vec();
    if !payload["rjti"].is_null() {
        names.push("rjti");
    }
    names
}

fn meaning(t: &'static Texts, part: &str, name: &str) -> &'static str {
    match (part, name) {
        ("header", "alg") => t.explain_alg,
        ("header", "kid") => t.explain_kid,
        ("header", "typ") => "JWT",
        (_, "iss") => t.explain_iss,
        (_, "sub") => t.explain_sub,
        (_, "aud") => t.explain_aud,
        (_, "exp") => t.explain_exp,
        (_, "nbf") => t.explain_nbf,
        (_, "iat") => t.explain_iat,
        (_, "jti") => t.explain_jti,
        (_, "sid") => t.explain_sid,
        (_, "rjti") => t.explain_rjti,
        (_, "typ") => t.explain_typ,
        _ => "",
    }
}

fn decode(part: &str) -> Value {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn rows(
    t: &'static Texts,
    part: &'static str,
    names: &[&'static str],
    json: &Value,
) -> Vec<ClaimRow> {
    names
        .iter()
        .map(|&name| {
            let value = &json[name];
            let when = matches!(name, "exp" | "nbf" | "iat")
                .then(|| value.as_i64().map(format_unix))
                .flatten();
            ClaimRow {
                name,
                value: shown(value),
                when,
                meaning: meaning(t, part, name),
            }
        })
        .collect()
}

pub fn shorten(signature: &str) -> String {
    let chars: Vec<char> = signature.chars().collect();
    if chars.len() <= 12 {
        return "…".into();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// A token part as shown: base64url text only (the template prints it unescaped). A verified
/// token always passes; anything else is replaced, never printed.
fn base64url_only(part: &str) -> String {
    if part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        part.to_owned()
    } else {
        "…".to_owned()
    }
}

/// Takes apart a token the guard has already verified. `max_age`: the cookie's Max-Age in
/// seconds, or `None` for a session cookie.
pub fn inspect(
    t: &'static Texts,
    token: &str,
    is_access: bool,
    max_age: Option<i64>,
    now: i64,
) -> TokenView {
    let mut parts = token.splitn(3, '.');
    let header_b64 = base64url_only(parts.next().unwrap_or_default());
    let payload_b64 = base64url_only(parts.next().unwrap_or_default());
    let signature = parts.next().unwrap_or_default();
    let header_json = decode(&header_b64);
    let payload_json = decode(&payload_b64);
    let exp = payload_json["exp"].as_i64().unwrap_or_default();
    TokenView {
        title: if is_access {
            t.access_token
        } else {
            t.refresh_token
        },
        cookie_name: if is_access {
            ACCESS_COOKIE
        } else {
            REFRESH_COOKIE
        },
        signature_short: shorten(signature),
        header: rows(t, "header", &HEADER_FIELDS, &header_json),
        claims: rows(t, "payload", &claim_names(&payload_json), &payload_json),
        header_b64,
        payload_b64,
        exp,
        expires_in: t.span(exp - now),
        expired: exp <= now,
        cookie: cookie_attributes(t, max_age),
    }
}

/// The cookie's attributes as the server set them, each with why.
fn cookie_attributes(t: &'static Texts, max_age: Option<i64>) -> Vec<CookieAttribute> {
    let attribute = |attribute: &str, why| CookieAttribute {
        attribute: attribute.to_owned(),
        why,
    };
    let lifetime = match max_age {
        Some(secs) => attribute(&format!("Max-Age={secs} ({})", t.span(secs)), t.why_max_age),
        None => attribute(t.session_cookie, t.why_session_cookie),
    };
    vec![
        attribute("HttpOnly", t.why_httponly),
        attribute("Secure", t.why_secure),
        attribute("SameSite=Strict", t.why_samesite),
        attribute("Path=/", t.why_path),
        lifetime,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;

    #[test]
    fn the_view_never_holds_the_whole_signature() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT","kid":"a-123"}"#);
        let payload =
            URL_SAFE_NO_PAD.encode(r#"{"sub":"kim","exp":1100,"iat":1000,"typ":"access"}"#);
        let signature = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        let token = format!("{header}.{payload}.{signature}");
        let view = inspect(&EN, &token, true, None, 1000);
        assert_eq!(view.signature_short, "abcdef…DEFG");
        assert_eq!(view.header[0].value, "HS256");
        assert_eq!(
            view.claims.iter().find(|c| c.name == "sub").unwrap().value,
            "kim"
        );
        assert_eq!(
            view.claims
                .iter()
                .find(|c| c.name == "exp")
                .unwrap()
                .when
                .as_deref(),
            Some("1970-01-01 00:18:20 UTC")
        );
        assert_eq!(view.expires_in, "1m 40s");
        assert_eq!(view.cookie.last().unwrap().attribute, EN.session_cookie);
        let hostile = inspect(&EN, "<b>.x\"y.sig", true, None, 1000);
        assert_eq!(
            (hostile.header_b64.as_str(), hostile.payload_b64.as_str()),
            ("…", "…")
        );
    }
}
