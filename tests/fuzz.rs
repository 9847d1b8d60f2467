//! Property tests on the token and cookie parsing path: whatever bytes arrive, nothing panics,
//! and nothing but a genuine token is ever accepted.

use actix_web::test::TestRequest;
use jwt_cookie_lab::auth::tokens::{TokenKind, Tokens, Verified};
use jwt_cookie_lab::config::Config;
use jwt_cookie_lab::i18n::Lang;
use jwt_cookie_lab::web::guard::presented_tokens;
use proptest::prelude::*;

fn tokens() -> Tokens {
    let config = Config::from_lookup(|k| match k {
        "ACCESS_SECRET" => Some("fuzz-access-secret-0123456789-abcdefghijkl".into()),
        "REFRESH_SECRET" => Some("fuzz-refresh-secret-0123456789-abcdefghijkl".into()),
        _ => None,
    })
    .unwrap();
    Tokens::new(&config)
}

const NOW: i64 = 1_800_000_000;

/// Dot-joined pieces of base64url-ish text, the shape a token parser looks at first.
fn token_like() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9_=+/-]{0,80}", 0..5).prop_map(|parts| parts.join("."))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_are_never_accepted(s in any::<String>()) {
        let t = tokens();
        for kind in [TokenKind::Access, TokenKind::Refresh] {
            prop_assert!(matches!(t.verify(kind, &s, NOW), Verified::Invalid(_)));
        }
    }

    #[test]
    fn token_shaped_junk_is_never_accepted(s in token_like()) {
        let t = tokens();
        prop_assert!(matches!(t.verify(TokenKind::Access, &s, NOW), Verified::Invalid(_)));
    }

    #[test]
    fn any_change_to_a_genuine_token_is_refused(index in 0usize..400, byte in any::<u8>()) {
        let t = tokens();
        let genuine = t.issue(TokenKind::Access, "kim", "sid", NOW, NOW + 60, None).unwrap().token;
        let mut bytes = genuine.clone().into_bytes();
        let i = index % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(changed != genuine);
        // One changed byte anywhere (header, payload, signature, a dot) is never valid; the
        // base64 decoder refuses non-canonical spare bits, so no change decodes the same.
        let verdict = t.verify(TokenKind::Access, &changed, NOW);
        prop_assert!(!matches!(verdict, Verified::Valid(_)), "accepted after changing byte {}", i);
    }

    #[test]
    fn any_cookie_or_authorization_header_is_read_without_panicking(
        cookie in prop::collection::vec(any::<u8>(), 0..300),
        auth in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut request = TestRequest::default();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_bytes(&cookie) {
            request = request.insert_header((actix_web::http::header::COOKIE, value));
        }
        if let Ok(value) = actix_web::http::header::HeaderValue::from_bytes(&auth) {
            request = request.insert_header((actix_web::http::header::AUTHORIZATION, value));
        }
        let (access, refresh, _) = presented_tokens(&request.to_http_request());
        let t = tokens();
        for token in [access, refresh].into_iter().flatten() {
            prop_assert!(matches!(t.verify(TokenKind::Access, &token, NOW), Verified::Invalid(_)));
        }
    }

    #[test]
    fn any_accept_language_header_is_read_without_panicking(header in any::<String>()) {
        let _ = Lang::from_accept_language(&header);
        let _ = Lang::choose(Some(&header), Some(&header), Some(&header));
    }
}
