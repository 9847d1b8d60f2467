//! What the stable names mean, for people: the steps of a request's timeline, the checks of
//! a token, the attacks of the lab, and error statuses. Each `match` is exhaustive on its enum.

use super::Lang;
use crate::vocab::{Attack, Detail, Event, Rule};

/// A page-language line for an error status, shown above the server's own message.
pub fn describe_status(lang: Lang, status: u16) -> Option<&'static str> {
    let (en, ko) = match status {
        400 => (
            "The request could not be understood.",
            "요청을 이해할 수 없습니다.",
        ),
        401 => ("Please log in.", "로그인해 주세요."),
        403 => ("This request is not allowed.", "허용되지 않는 요청입니다."),
        404 => ("There is no such page.", "그런 페이지는 없습니다."),
        405 => (
            "This page does not accept that method.",
            "이 페이지는 그 방식의 요청을 받지 않습니다.",
        ),
        409 => (
            "That conflicts with what exists.",
            "이미 있는 것과 충돌합니다.",
        ),
        413 => ("The request is too large.", "요청이 너무 큽니다."),
        415 => (
            "That kind of content is not accepted.",
            "그런 형식의 내용은 받지 않습니다.",
        ),
        429 => (
            "Too many attempts; wait a little.",
            "시도가 너무 많습니다. 잠시 기다려 주세요.",
        ),
        500..=599 => (
            "Something went wrong on our side.",
            "서버에서 문제가 생겼습니다.",
        ),
        _ => return None,
    };
    Some(match lang {
        Lang::En => en,
        Lang::Ko => ko,
    })
}

/// What each step of the request timeline means, for people.
pub fn describe_event(lang: Lang, event: Event) -> &'static str {
    let (en, ko) = match event {
        Event::AccessVerified => (
            "Access token verified: signature, issuer, audience, type and time all check out.",
            "액세스 토큰 검증 완료: 서명, 발급자, 대상, 종류, 시간이 모두 맞습니다.",
        ),
        Event::AccessMissing => (
            "No access token came with the request.",
            "요청에 액세스 토큰이 없습니다.",
        ),
        Event::AccessExpired => (
            "The access token is genuine but past its exp.",
            "액세스 토큰은 진짜지만 exp가 지났습니다.",
        ),
        Event::AccessInvalid => (
            "The access token is not one the server signed (or is malformed).",
            "서버가 서명한 액세스 토큰이 아니거나 형식이 잘못되었습니다.",
        ),
        Event::RefreshVerified => ("Refresh token verified.", "리프레시 토큰 검증 완료."),
        Event::RefreshMissing => (
            "No refresh token came with the request.",
            "요청에 리프레시 토큰이 없습니다.",
        ),
        Event::RefreshExpired => (
            "The refresh token is past its exp.",
            "리프레시 토큰의 exp가 지났습니다.",
        ),
        Event::RefreshInvalid => (
            "The refresh token is not valid for this session.",
            "이 세션에 유효한 리프레시 토큰이 아닙니다.",
        ),
        Event::Refreshed => (
            "A new access token was issued from the refresh token.",
            "리프레시 토큰으로 새 액세스 토큰을 발급했습니다.",
        ),
        Event::RefreshRotated => (
            "A new refresh token was issued (rotation). It replaces the one you sent once your browser uses it.",
            "새 리프레시 토큰을 발급했습니다(로테이션). 브라우저가 새 토큰을 쓰면 방금 보낸 토큰은 새 토큰으로 교체됩니다.",
        ),
        Event::RefreshGrace => (
            "Another request (another tab) used this refresh token a moment ago: within the grace window you get a new access token, and no second refresh token.",
            "다른 요청(다른 탭)이 방금 이 리프레시 토큰을 사용했습니다. 유예 시간 안이라 새 액세스 토큰만 주고 리프레시 토큰은 더 만들지 않습니다.",
        ),
        Event::RefreshConfirmed => (
            "Your browser used the refresh token issued last time (or the access token that came with it): that token is now the current one, and its parent retires.",
            "브라우저가 지난번에 발급된 리프레시 토큰(또는 함께 온 액세스 토큰)을 사용했습니다. 이제 그 토큰이 현재 토큰이고 부모 토큰은 교체되었습니다.",
        ),
        Event::BranchDropped => (
            "A refresh token issued earlier never showed up (its answer was lost) and its parent came back: that unconfirmed token is dropped. This is not theft.",
            "앞서 발급한 리프레시 토큰이 한 번도 쓰이지 않았고(응답이 사라짐) 부모 토큰이 다시 왔습니다. 확인되지 않은 그 토큰은 폐기합니다. 도난이 아닙니다.",
        ),
        Event::RefreshReissued => (
            "This kept session had no usable refresh token, so a new one was issued.",
            "로그인 상태 유지 세션에 쓸 수 있는 리프레시 토큰이 없어 새로 발급했습니다.",
        ),
        Event::ReuseDetected => (
            "A token from a branch the session has left came back (a retired refresh token, or a token of a dropped branch): a copy exists.",
            "세션이 이미 떠난 분기의 토큰이 다시 왔습니다(교체된 리프레시 토큰이거나 폐기된 분기의 토큰). 누군가 복사본을 가지고 있다는 뜻입니다.",
        ),
        Event::SessionRevoked => ("The whole session was ended.", "세션 전체를 끝냈습니다."),
        Event::SessionEnded => (
            "The session was logged out, revoked, or is past its lifetime.",
            "세션이 로그아웃되었거나 취소되었거나 수명이 끝났습니다.",
        ),
    };
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

/// An attack of the lab: its title, and what it tries and why it fails.
pub fn describe_attack(lang: Lang, attack: Attack) -> (&'static str, &'static str) {
    let (en, ko): ((&str, &str), (&str, &str)) = match attack {
        Attack::Unchanged => (
            (
                "Your token, unchanged",
                "The control: a genuine token on a live session is accepted. Every other attack starts from this one.",
            ),
            (
                "바꾸지 않은 내 토큰",
                "대조군: 살아 있는 세션의 진짜 토큰은 받아들여집니다. 다른 모든 공격은 여기서 출발합니다.",
            ),
        ),
        Attack::TamperPayload => (
            (
                "Change the payload, keep the signature",
                "Makes you “admin” (or whatever you type) and keeps the old signature. The signature covers header and payload: one changed character and it no longer matches.",
            ),
            (
                "페이로드 바꾸고 서명은 그대로",
                "나를 “admin”(또는 입력한 값)으로 바꾸고 원래 서명은 그대로 둡니다. 서명은 헤더와 페이로드 전체에 대한 것이므로 한 글자만 바뀌어도 맞지 않습니다.",
            ),
        ),
        Attack::AlgNone => (
            (
                "alg: none",
                "Claims the token needs no signature at all, the oldest JWT attack. The key named by kid is pinned to one algorithm, and none is not it.",
            ),
            (
                "alg: none",
                "서명이 아예 필요 없다고 주장하는, 가장 오래된 JWT 공격입니다. kid가 가리키는 키는 알고리즘 하나에 고정되어 있고, 그 알고리즘은 none이 아닙니다.",
            ),
        ),
        Attack::GuessedSecret => (
            (
                "Sign with a guessed secret",
                "Signs HS256 with “secret”, the classic weak key. The server's secrets are at least 32 random bytes, so the signature does not match (with EdDSA, HS256 is not even the pinned algorithm).",
            ),
            (
                "추측한 비밀 키로 서명",
                "흔한 약한 키인 “secret”으로 HS256 서명을 합니다. 서버의 비밀 키는 최소 32바이트의 무작위 값이라 서명이 맞지 않습니다(EdDSA라면 HS256은 고정된 알고리즘조차 아닙니다).",
            ),
        ),
        Attack::Hs512 => (
            (
                "Switch to HS512",
                "Signs with HS512 using the server's own key material. Even the right key is refused with the wrong algorithm: the algorithm is pinned per key, not taken from the header.",
            ),
            (
                "HS512로 바꾸기",
                "서버 자신의 키 재료로 HS512 서명을 합니다. 키가 맞아도 알고리즘이 다르면 거부됩니다. 알고리즘은 헤더가 아니라 키마다 고정되어 있습니다.",
            ),
        ),
        Attack::PublicKeyAsSecret => (
            (
                "HS256 with the public key",
                "Algorithm confusion: takes the public key from the JWKS and uses it as an HMAC secret. A naive verifier would check HMAC with that same public key and accept. Here the key is pinned to EdDSA.",
            ),
            (
                "공개 키로 HS256",
                "알고리즘 혼동: JWKS의 공개 키를 HMAC 비밀 키로 씁니다. 허술한 검증기라면 같은 공개 키로 HMAC을 확인해 받아들이겠지만, 여기서는 그 키가 EdDSA에 고정되어 있습니다.",
            ),
        ),
        Attack::OtherKey => (
            (
                "Sign with another Ed25519 key",
                "Signs with a key pair the attacker made, under the server's kid. Only the server's private key makes signatures its public key accepts.",
            ),
            (
                "다른 Ed25519 키로 서명",
                "공격자가 만든 키 쌍으로 서버의 kid를 달고 서명합니다. 서버의 공개 키가 받아들이는 서명은 서버의 개인 키만 만들 수 있습니다.",
            ),
        ),
        Attack::RefreshAsAccess => (
            (
                "Use the refresh token as an access token",
                "Presents your refresh token where an access token belongs. Refresh tokens have their own key, unknown to the access checks, and say typ: refresh.",
            ),
            (
                "리프레시 토큰을 액세스 토큰으로",
                "액세스 토큰 자리에 리프레시 토큰을 내밉니다. 리프레시 토큰은 액세스 검사가 모르는 자기만의 키를 쓰고 typ: refresh라고 적혀 있습니다.",
            ),
        ),
        Attack::UnknownKid => (
            (
                "A made-up kid",
                "Names a key the server does not have. kid only picks among the server's own keys; nothing else is tried.",
            ),
            (
                "지어낸 kid",
                "서버에 없는 키를 가리킵니다. kid는 서버 자신의 키 중에서만 고르며, 다른 것은 시도하지 않습니다.",
            ),
        ),
        Attack::JwkHeader => (
            (
                "Bring your own key (jwk)",
                "Puts the attacker's public key in the header and signs with its private key. A verifier that trusted the header's key would accept anything. The header may not carry a key here.",
            ),
            (
                "내 키 가져오기(jwk)",
                "헤더에 공격자의 공개 키를 넣고 그 개인 키로 서명합니다. 헤더의 키를 믿는 검증기라면 무엇이든 받아들입니다. 여기서는 헤더에 키를 담을 수 없습니다.",
            ),
        ),
        Attack::JkuHeader => (
            (
                "Point to your own key set (jku)",
                "Tells the server to fetch keys from the attacker's URL. The server never fetches keys named by a token.",
            ),
            (
                "내 키 세트 가리키기(jku)",
                "서버에 공격자의 URL에서 키를 가져오라고 요구합니다. 서버는 토큰이 가리키는 키를 절대 가져오지 않습니다.",
            ),
        ),
        Attack::WrongType => (
            (
                "typ: refresh in an access token",
                "Signed with the real access key (as if it leaked) but says it is a refresh token. Each kind is accepted only where it belongs.",
            ),
            (
                "액세스 토큰에 typ: refresh",
                "진짜 액세스 키로 서명했지만(키가 샜다고 가정) 리프레시 토큰이라고 적혀 있습니다. 토큰은 종류마다 제자리에서만 통합니다.",
            ),
        ),
        Attack::WrongAudience => (
            (
                "A token meant for another service",
                "Signed with the real key but with another aud. A token for one service must not open another.",
            ),
            (
                "다른 서비스용 토큰",
                "진짜 키로 서명했지만 aud가 다릅니다. 한 서비스용 토큰이 다른 서비스를 열어서는 안 됩니다.",
            ),
        ),
        Attack::Expired => (
            (
                "An expired token, re-signed",
                "Signed with the real key, exp a minute ago. Expired is expired: only the refresh flow can renew it.",
            ),
            (
                "만료된 토큰, 다시 서명",
                "진짜 키로 서명했고 exp는 1분 전입니다. 만료는 만료이며, 새로 받는 길은 리프레시 흐름뿐입니다.",
            ),
        ),
        Attack::NotYetValid => (
            (
                "A token from the future",
                "Signed with the real key, nbf an hour from now. It is refused until then.",
            ),
            (
                "미래에서 온 토큰",
                "진짜 키로 서명했고 nbf는 한 시간 뒤입니다. 그때까지는 거부됩니다.",
            ),
        ),
        Attack::ForgedSession => (
            (
                "Forge a session with the key",
                "As if the signing key had leaked: a perfectly signed token for “admin” in a session that never existed. Every token check passes; the server still refuses, because it looks the session up. A stateless server would have said yes.",
            ),
            (
                "키로 세션 위조하기",
                "서명 키가 샜다고 가정한, 존재한 적 없는 세션의 “admin” 토큰입니다. 토큰 검사는 모두 통과하지만 서버는 세션을 찾아보기 때문에 여전히 거부합니다. 무상태 서버라면 받아들였을 것입니다.",
            ),
        ),
    };
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

/// A check of the verification path, by its rule name.
pub fn describe_rule(lang: Lang, rule: Rule) -> &'static str {
    let (en, ko) = match rule {
        Rule::Size => (
            "The token is short enough to read at all.",
            "토큰이 읽을 수 있을 만큼 짧습니다.",
        ),
        Rule::Structure => (
            "Three Base64URL parts, a JSON header.",
            "Base64URL 조각 세 개로 되어 있고 헤더가 JSON입니다.",
        ),
        Rule::KeyInToken => (
            "The header names no key of its own (jwk, jku, x5u, x5c).",
            "헤더가 자기 키(jwk, jku, x5u, x5c)를 가리키지 않습니다.",
        ),
        Rule::KeyId => (
            "kid names one of the server's own keys.",
            "kid가 서버 자신의 키 중 하나를 가리킵니다.",
        ),
        Rule::Algorithm => (
            "The header's alg is the one that key is pinned to.",
            "헤더의 alg가 그 키에 고정된 알고리즘과 같습니다.",
        ),
        Rule::Signature => (
            "The signature was made by that key over exactly this header and payload.",
            "그 키가 바로 이 헤더와 페이로드에 서명했습니다.",
        ),
        Rule::Issuer => ("iss is this server.", "iss가 이 서버입니다."),
        Rule::Audience => ("aud is this service.", "aud가 이 서비스입니다."),
        Rule::Claims => (
            "Every claim is there, with the right type.",
            "클레임이 모두 있고 형식도 올바릅니다.",
        ),
        Rule::Type => (
            "typ says access: refresh tokens are not accepted here.",
            "typ가 access입니다. 리프레시 토큰은 여기서 받지 않습니다.",
        ),
        Rule::NotBefore => ("nbf has passed.", "nbf가 지났습니다."),
        Rule::Expiry => ("exp has not passed.", "exp가 지나지 않았습니다."),
        Rule::Session => (
            "The session named by sid exists, and is this user's.",
            "sid가 가리키는 세션이 있고 이 사용자의 것입니다.",
        ),
        Rule::SessionActive => (
            "That session has not been logged out or revoked, and is within its lifetime.",
            "그 세션은 로그아웃되거나 취소되지 않았고 수명도 남아 있습니다.",
        ),
        Rule::Branch => (
            "The token is not from a dropped branch of the refresh-token lineage.",
            "토큰이 리프레시 토큰 계보에서 폐기된 분기의 것이 아닙니다.",
        ),
    };
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

/// A check of the verification path that refused a token, worded as what went wrong (the lab's
/// verdict and its failed steps; [`describe_rule`] words a check that passed).
pub fn describe_rule_failed(lang: Lang, rule: Rule) -> &'static str {
    let (en, ko) = match rule {
        Rule::Size => (
            "The token is too long to read at all.",
            "토큰이 너무 길어서 읽지 않습니다.",
        ),
        Rule::Structure => (
            "It is not three Base64URL parts with a JSON header.",
            "Base64URL 조각 세 개와 JSON 헤더로 된 형식이 아닙니다.",
        ),
        Rule::KeyInToken => (
            "The header brings a key of its own (jwk, jku, x5u or x5c): never trusted.",
            "헤더가 자기 키(jwk, jku, x5u, x5c)를 가져왔습니다. 이런 키는 절대 믿지 않습니다.",
        ),
        Rule::KeyId => (
            "kid names no key the server has.",
            "kid가 가리키는 키가 서버에 없습니다.",
        ),
        Rule::Algorithm => (
            "The header's alg is not the one that key is pinned to.",
            "헤더의 alg가 그 키에 고정된 알고리즘과 다릅니다.",
        ),
        Rule::Signature => (
            "The signature does not match: that key did not sign this header and payload.",
            "서명이 맞지 않습니다. 그 키가 이 헤더와 페이로드에 서명한 것이 아닙니다.",
        ),
        Rule::Issuer => ("iss is not this server.", "iss가 이 서버가 아닙니다."),
        Rule::Audience => ("aud is not this service.", "aud가 이 서비스가 아닙니다."),
        Rule::Claims => (
            "A claim is missing or has the wrong type.",
            "빠졌거나 형식이 틀린 클레임이 있습니다.",
        ),
        Rule::Type => (
            "typ is not access: this is not an access token.",
            "typ가 access가 아닙니다. 액세스 토큰이 아닙니다.",
        ),
        Rule::NotBefore => (
            "nbf is in the future: the token is not valid yet.",
            "nbf 시각이 아직 오지 않았습니다. 아직 유효하지 않은 토큰입니다.",
        ),
        Rule::Expiry => (
            "exp has passed: the token has expired.",
            "exp가 지났습니다. 토큰이 만료되었습니다.",
        ),
        Rule::Session => (
            "No such session: sid names no session of this user.",
            "그런 세션이 없습니다. sid가 이 사용자의 세션을 가리키지 않습니다.",
        ),
        Rule::SessionActive => (
            "That session has ended (logged out, revoked) or is past its lifetime.",
            "그 세션은 이미 끝났거나(로그아웃, 취소) 수명이 지났습니다.",
        ),
        Rule::Branch => (
            "The token is from a dropped branch of the refresh-token lineage.",
            "토큰이 리프레시 토큰 계보에서 폐기된 분기의 것입니다.",
        ),
    };
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

/// What a check or a step saw, in the page's language.
pub fn describe_detail(lang: Lang, detail: &Detail) -> String {
    let ko = lang == Lang::Ko;
    match detail {
        Detail::Value(value) => value.clone(),
        Detail::Bytes(n) if ko => format!("{n}바이트"),
        Detail::Bytes(n) => format!("{n} bytes"),
        Detail::AlgMismatch { presented, pinned } if ko => {
            format!("받은 것은 {presented}, 고정된 것은 {pinned}")
        }
        Detail::AlgMismatch { presented, pinned } => {
            format!("{presented} presented, {pinned} pinned")
        }
        Detail::ExpiredAgo { kind, seconds } => {
            let ago = lang.texts().span(*seconds);
            match (ko, *kind) {
                (true, "refresh") => format!("리프레시 토큰이 {ago} 전에 만료"),
                (true, _) => format!("액세스 토큰이 {ago} 전에 만료"),
                (false, kind) => format!("{kind} token expired {ago} ago"),
            }
        }
        Detail::SecondsLeft(seconds) => {
            let left = lang.texts().span(*seconds);
            if ko {
                format!("{left} 남음")
            } else {
                format!("{left} left")
            }
        }
        Detail::NotBefore(nbf) if ko => format!("nbf {nbf}: 아직 오지 않은 시각"),
        Detail::NotBefore(nbf) => format!("nbf {nbf}, still to come"),
        Detail::Refused(rule) => describe_rule_failed(lang, *rule).to_owned(),
        Detail::NeverIssued if ko => "이 세션이 발급한 적 없는 리프레시 토큰".to_owned(),
        Detail::NeverIssued => "this session never issued that refresh token".to_owned(),
    }
}
