//! The Korean of the API reference page (`/api`): every summary and description of the
//! OpenAPI document, keyed by its English. The document itself (`/openapi.json`) stays in
//! English, as tools read it; the page a person reads comes in both languages. A new
//! description without its Korean fails `every_description_has_its_korean`.

/// `(English, Korean)`: one row per summary or description of the document.
pub const KO: &[(&str, &str)] = &[
    (
        "The body of every error answer to a JSON client, except the course's `401`, which is the\nplain text `Not Authorized`. (For the API description; the answer itself is built in\n`error_response`.)",
        "JSON 클라이언트에 가는 모든 오류 응답의 본문입니다. 단, 강의에서 쓰는 `401`은 평문 `Not Authorized`입니다. (API 설명용이며, 응답 자체는 `error_response`에서 만들어집니다.)",
    ),
    (
        "What went wrong, in English.",
        "무엇이 잘못되었는지, 영어로.",
    ),
    (
        "One public key of a JWKS (RFC 7517; an Ed25519 key is `OKP` per RFC 8037).",
        "JWKS의 공개 키 하나(RFC 7517; Ed25519 키는 RFC 8037에 따라 `OKP`).",
    ),
    (
        "`EdDSA`: the only algorithm this key verifies.",
        "`EdDSA`: 이 키가 검증하는 유일한 알고리즘.",
    ),
    ("`Ed25519`.", "`Ed25519`."),
    (
        "The name tokens use in their header to pick this key.",
        "토큰이 헤더에서 이 키를 고를 때 쓰는 이름.",
    ),
    ("`OKP`: an octet key pair.", "`OKP`: 옥텟 키 쌍."),
    ("`sig`: for signatures.", "`sig`: 서명용."),
    ("The public key, base64url.", "공개 키, base64url."),
    (
        "A JSON Web Key Set: the public keys that sign access tokens.",
        "JSON Web Key Set: 액세스 토큰에 서명하는 공개 키들.",
    ),
    ("The login name.", "로그인 이름."),
    (
        "The course's JSON body: `{\"loginInfo\": {\"userId\", \"password\"}, \"checkedKeepLogin\"}`.",
        "강의에서 쓰는 JSON 본문: `{\"loginInfo\": {\"userId\", \"password\"}, \"checkedKeepLogin\"}`.",
    ),
    (
        "\"Keep me logged in\": a refresh token too, and persistent cookies.",
        "\"로그인 상태 유지\": 리프레시 토큰도 발급하고, 쿠키를 영구 쿠키로.",
    ),
    (
        "8 to 128 characters, not the user ID, not a well-known password.",
        "8~128자, 사용자 ID와 다르고, 널리 알려진 비밀번호가 아닐 것.",
    ),
    (
        "A password change that went through.",
        "완료된 비밀번호 변경.",
    ),
    (
        "Every other session of the user ended with it.",
        "그 사용자의 다른 세션은 모두 함께 끝났습니다.",
    ),
    ("What `/readyz` found.", "`/readyz`가 확인한 것."),
    ("`ok` or `unavailable`.", "`ok` 또는 `unavailable`."),
    (
        "PostgreSQL: `connected` or `disconnected`; SQLite: `none` (one server, nobody to hear).",
        "PostgreSQL: `connected` 또는 `disconnected`; SQLite: `none`(서버가 하나라 들을 상대가 없음).",
    ),
    (
        "How many sessions \"log out everywhere else\" ended.",
        "\"다른 모든 곳에서 로그아웃\"으로 끝난 세션 수.",
    ),
    (
        "One session as the JSON list shows it.",
        "JSON 목록에 보이는 세션 하나.",
    ),
    ("RFC 3339, UTC.", "RFC 3339, UTC."),
    (
        "The session this request belongs to.",
        "이 요청이 속한 세션.",
    ),
    (
        "What a sign-up sends. The same names for the form and for JSON.",
        "회원 가입이 보내는 것. 폼과 JSON 모두 같은 이름.",
    ),
    (
        "\"Keep me logged in\" (a boolean; forms send the string `on`).",
        "\"로그인 상태 유지\"(불리언; 폼은 문자열 `on`을 보냄).",
    ),
    (
        "One `@`, something before it, a dotted domain after it, no spaces.",
        "`@` 하나, 그 앞에 무언가, 뒤에 점이 있는 도메인, 공백 없음.",
    ),
    (
        "3 to 32 of `A-Z a-z 0-9 _ . -`.",
        "`A-Z a-z 0-9 _ . -` 중 3~32자.",
    ),
    (
        "A user as anyone may see it: never the password hash. Serialises to the course's\n`/userinfo` JSON (which is why it also describes itself for the OpenAPI document).",
        "누구나 볼 수 있는 사용자 정보: 비밀번호 해시는 절대 없습니다. 강의에서 쓰는 `/userinfo` JSON으로 직렬화됩니다(그래서 OpenAPI 문서용으로 자신을 설명하기도 합니다).",
    ),
    (
        "The access token, in the HttpOnly cookie the login set.",
        "로그인이 설정한 HttpOnly 쿠키 속 액세스 토큰.",
    ),
    (
        "The access token as `Authorization: Bearer <token>` (it wins over the cookie).",
        "`Authorization: Bearer <token>`으로 보낸 액세스 토큰(쿠키보다 우선).",
    ),
    (
        "The JSON API of jwt-cookie-lab: log in with JWTs kept in cookies, see who you are, log out. Clients that do not ask for `text/html` get these answers; browsers get pages. The access token travels in the `access_jwt` cookie or as `Authorization: Bearer`; the refresh token only in the `refresh_jwt` cookie.",
        "jwt-cookie-lab의 JSON API: 쿠키에 담은 JWT로 로그인하고, 내가 누구인지 보고, 로그아웃합니다. `text/html`을 요청하지 않는 클라이언트는 이 응답을 받고, 브라우저는 페이지를 받습니다. 액세스 토큰은 `access_jwt` 쿠키나 `Authorization: Bearer`로, 리프레시 토큰은 `refresh_jwt` 쿠키로만 오갑니다.",
    ),
    (
        "The current and, during a rotation, the previous public key.",
        "현재 공개 키와, 키 교체 중에는 이전 공개 키.",
    ),
    ("public, max-age=300", "public, max-age=300"),
    (
        "This server signs with HS256: nothing public to publish.",
        "이 서버는 HS256으로 서명하므로 공개할 키가 없습니다.",
    ),
    (
        "The public keys of access tokens (EdDSA). With HS256 the key is a shared secret, and a\nsecret is never published: the answer is then `404`.",
        "액세스 토큰의 공개 키(EdDSA). HS256에서 키는 공유 비밀이고, 비밀은 절대 공개하지 않으므로 그때의 응답은 `404`입니다.",
    ),
    ("The process answers.", "프로세스가 응답합니다."),
    (
        "Liveness: the process is up and answering.",
        "활성 확인(liveness): 프로세스가 살아 있고 응답합니다.",
    ),
    (
        "Logged in. `access_jwt` is set (and `refresh_jwt` with checkedKeepLogin), `HttpOnly; Secure; SameSite=Strict; Path=/`.",
        "로그인됨. `access_jwt`가 설정됩니다(checkedKeepLogin이면 `refresh_jwt`도). `HttpOnly; Secure; SameSite=Strict; Path=/`.",
    ),
    ("/userinfo", "/userinfo"),
    (
        "access_jwt (and refresh_jwt)",
        "access_jwt (그리고 refresh_jwt)",
    ),
    (
        "Broken JSON, a missing or unknown field.",
        "깨진 JSON, 빠졌거나 알 수 없는 필드.",
    ),
    (
        "Wrong user ID or password (the answer does not say which).",
        "잘못된 사용자 ID 또는 비밀번호(어느 쪽인지는 말하지 않습니다).",
    ),
    (
        "A cross-site request, refused.",
        "사이트 간 요청이라 거부됨.",
    ),
    ("The body is over 16 KiB.", "본문이 16 KiB를 넘습니다."),
    ("Not JSON (or a form).", "JSON(또는 폼)이 아닙니다."),
    (
        "Too many failures for this account or from this address.",
        "이 계정 또는 이 주소에서 실패가 너무 많습니다.",
    ),
    ("Seconds to wait.", "기다려야 할 시간(초)."),
    (
        "The database is unavailable, or too many passwords are waiting to be checked.",
        "데이터베이스를 쓸 수 없거나, 확인을 기다리는 비밀번호가 너무 많습니다.",
    ),
    (
        "Logs in. JSON clients get the course's contract: `302` to `/userinfo` with the cookies, or\n`401 Not Authorized`. (Browsers post the form, `application/x-www-form-urlencoded` with the\nsame names, and get `303` or the form again.)",
        "로그인합니다. JSON 클라이언트는 강의에서 정한 규약대로 쿠키와 함께 `/userinfo`로 가는 `302`, 또는 `401 Not Authorized`를 받습니다. (브라우저는 같은 이름으로 `application/x-www-form-urlencoded` 폼을 보내고 `303` 또는 다시 폼을 받습니다.)",
    ),
    (
        "Logged out (Reset Content, no body).",
        "로그아웃됨(Reset Content, 본문 없음).",
    ),
    ("\"cookies\"", "\"cookies\""),
    (
        "access_jwt and refresh_jwt, expired",
        "access_jwt와 refresh_jwt, 만료됨",
    ),
    (
        "The database is unavailable: the session could not be ended; try again.",
        "데이터베이스를 쓸 수 없어 세션을 끝내지 못했습니다. 다시 시도하세요.",
    ),
    (
        "Logs out: ends the session on the server (its tokens are refused from now on, everywhere),\nclears both cookies and asks the browser to drop this site's cookies. Logging out twice, or\nwith no cookies at all, is fine: the answer is the same.",
        "로그아웃합니다: 서버에서 세션을 끝내고(그 토큰들은 이제 어디서나 거부됩니다), 두 쿠키를 지우고, 브라우저에 이 사이트의 쿠키를 버리라고 요청합니다. 두 번 로그아웃하거나 쿠키 없이 해도 괜찮습니다: 응답은 같습니다.",
    ),
    ("Changed.", "변경됨."),
    (
        "Broken JSON, a missing or unknown field, or a new password the rules refuse.",
        "깨진 JSON, 빠졌거나 알 수 없는 필드, 또는 규칙에 맞지 않는 새 비밀번호.",
    ),
    (
        "No valid token, or its session has ended: log in again. Stale cookies are cleared.",
        "유효한 토큰이 없거나 그 세션이 끝났습니다: 다시 로그인하세요. 낡은 쿠키는 지워집니다.",
    ),
    (
        "The current password is wrong, the account is demo mode's shared kimcoding (its password stays 1234), or the request is cross-site.",
        "현재 비밀번호가 틀렸거나, 데모 모드의 공유 계정 kimcoding이거나(비밀번호는 계속 1234), 사이트 간 요청입니다.",
    ),
    (
        "Too many wrong current passwords.",
        "틀린 현재 비밀번호가 너무 많습니다.",
    ),
    (
        "Changes the password; every other session of the user ends in the same transaction.",
        "비밀번호를 바꿉니다. 그 사용자의 다른 세션은 같은 트랜잭션에서 모두 끝납니다.",
    ),
    ("Ready to serve.", "서비스할 준비가 됨."),
    (
        "The database does not answer, or (PostgreSQL) the listener is not connected.",
        "데이터베이스가 응답하지 않거나, (PostgreSQL) 리스너가 연결되어 있지 않습니다.",
    ),
    (
        "Seconds to wait before asking again.",
        "다시 묻기 전에 기다릴 시간(초).",
    ),
    (
        "Readiness: `200` when the database answers and (on PostgreSQL) the invalidation listener is\nconnected, so this instance both serves and hears of every logout; `503` otherwise.",
        "준비 확인(readiness): 데이터베이스가 응답하고 (PostgreSQL에서는) 무효화 리스너가 연결되어 있으면 `200`. 그래야 이 인스턴스가 요청을 처리하면서 모든 로그아웃 소식을 듣습니다. 그렇지 않으면 `503`.",
    ),
    (
        "Every live session of the user (on demo mode's shared account, this one alone).",
        "사용자의 살아 있는 모든 세션(데모 모드의 공유 계정에서는 이 브라우저의 세션만).",
    ),
    (
        "The database is unavailable.",
        "데이터베이스를 쓸 수 없습니다.",
    ),
    (
        "Your live sessions, newest first.",
        "살아 있는 내 세션들, 최신순.",
    ),
    ("How many sessions were ended.", "끝난 세션 수."),
    (
        "\"Log out everywhere else\": ends every session of the user but this one.",
        "\"다른 모든 곳에서 로그아웃\": 이 세션을 뺀 사용자의 모든 세션을 끝냅니다.",
    ),
    (
        "A session id, from GET /sessions.",
        "GET /sessions에서 얻은 세션 ID.",
    ),
    (
        "Ended (if it was this one, you are logged out: cookies cleared).",
        "끝남(이 세션이었다면 로그아웃된 것입니다: 쿠키가 지워짐).",
    ),
    ("No such session of yours.", "그런 내 세션이 없습니다."),
    (
        "Ends one of the user's own sessions. Another user's session, or one that does not exist,\nis a 404: the answer must not reveal which session ids exist.",
        "사용자 자신의 세션 하나를 끝냅니다. 다른 사용자의 세션이나 없는 세션은 `404`입니다: 어떤 세션 ID가 있는지 응답이 드러내면 안 되기 때문입니다.",
    ),
    ("Created and logged in.", "계정이 만들어지고 로그인됨."),
    (
        "Broken JSON, a missing or unknown field, or a value the rules refuse.",
        "깨진 JSON, 빠졌거나 알 수 없는 필드, 또는 규칙에 맞지 않는 값.",
    ),
    ("That user ID is taken.", "이미 쓰이는 사용자 ID입니다."),
    (
        "Creates an account and logs it in.",
        "계정을 만들고 로그인합니다.",
    ),
    (
        "The user. Renewed cookies, if any, are set.",
        "사용자. 갱신된 쿠키가 있으면 함께 설정됩니다.",
    ),
    (
        "Who you are. The access token comes from the `access_jwt` cookie or `Authorization: Bearer`;\nan expired one is renewed from `refresh_jwt` (the new cookies come with the answer).",
        "내가 누구인지. 액세스 토큰은 `access_jwt` 쿠키나 `Authorization: Bearer`에서 옵니다. 만료되었으면 `refresh_jwt`로 갱신합니다(새 쿠키가 응답과 함께 옵니다).",
    ),
    (
        "Logging in and out, and who you are.",
        "로그인과 로그아웃, 그리고 내가 누구인지.",
    ),
    (
        "Your sessions on the server, and ending them.",
        "서버에 있는 내 세션들과, 그것들을 끝내기.",
    ),
    (
        "Creating an account and changing its password.",
        "계정 만들기와 비밀번호 바꾸기.",
    ),
    (
        "For load balancers and orchestrators.",
        "로드 밸런서와 오케스트레이터용.",
    ),
    (
        "Public keys, for services that verify access tokens themselves.",
        "액세스 토큰을 직접 검증하는 서비스를 위한 공개 키.",
    ),
];

/// The Korean of one of the document's descriptions, if it has one.
pub fn korean(english: &str) -> Option<&'static str> {
    KO.iter().find(|(en, _)| *en == english).map(|(_, ko)| *ko)
}
