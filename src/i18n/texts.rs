//! Every fixed string of the pages, in English and Korean, declared once as pairs.

/// Declares `Texts`, its English and Korean instances, and `Texts::all` (every string, so a
/// test can check them all) from one list of `field: (english, korean)`.
macro_rules! texts {
    ($($field:ident: ($en:expr, $ko:expr $(,)?),)*) => {
        /// Every fixed string of the pages. Long explanations live in the per-language
        /// templates under `templates/explain/`. They contain no HTML-special characters
        /// (a test checks), so templates may print them without escaping.
        pub struct Texts {
            $(pub $field: &'static str,)*
        }

        pub static EN: Texts = Texts { $($field: $en,)* };
        pub static KO: Texts = Texts { $($field: $ko,)* };

        impl Texts {
            /// Every string, in declaration order.
            pub fn all(&self) -> Vec<&'static str> {
                vec![$(self.$field,)*]
            }
        }
    };
}

texts! {
    lang_name: (
        "English",
        "한국어",
    ),
    // Day, hour, minute, second, as a span of time writes them (see `Texts::span`).
    units: (
        "d h m s",
        "일 시간 분 초",
    ),
    nav_userinfo: (
        "User info",
        "내 정보",
    ),
    nav_sessions: (
        "Sessions",
        "세션",
    ),
    nav_password: (
        "Password",
        "비밀번호",
    ),
    nav_how: (
        "How it works",
        "동작 원리",
    ),
    nav_lesson: (
        "Lesson",
        "실습",
    ),
    view_projector: (
        "Projector view",
        "발표용 화면",
    ),
    view_desk: (
        "Desk view",
        "일반 화면",
    ),
    own_account_button: (
        "Try it with your own demo account",
        "내 데모 계정으로 해 보기",
    ),
    own_account_hint: (
        "One click: a fresh account of your own, logged in and kept. What you do to it touches nobody else.",
        "한 번만 누르면 나만의 새 계정이 만들어지고 “로그인 상태 유지”로 로그인됩니다. 그 계정으로 무엇을 해도 다른 사람에게는 영향이 없습니다.",
    ),
    own_account_title: (
        "Your own demo account",
        "내 데모 계정",
    ),
    own_account_intro: (
        "This browser is logged in to it, with “Keep me logged in”, so every demo of the lesson works. To log in again later (after the logout step, say), use:",
        "이 브라우저는 “로그인 상태 유지”로 이 계정에 로그인되어 있으므로 실습의 모든 실험을 해 볼 수 있습니다. 나중에(예를 들어 로그아웃 단계를 마친 뒤) 다시 로그인할 때는 아래 정보를 쓰세요:",
    ),
    own_account_once: (
        "Note them now: the password is shown this once. The account goes away by itself after",
        "지금 적어 두세요. 비밀번호는 이번 한 번만 보여 줍니다. 이 계정은 만든 지",
    ),
    own_account_hours: (
        " hours.",
        "시간이 지나면 저절로 사라집니다.",
    ),
    own_account_lesson: (
        "Start the lesson",
        "실습 시작하기",
    ),
    own_account_name: (
        "A learner",
        "실습생",
    ),
    shared_password: (
        "kimcoding's password cannot be changed in demo mode: the whole class logs in with kimcoding / 1234. Make a demo account of your own on the login page to try a password change.",
        "데모 모드에서는 kimcoding의 비밀번호를 바꿀 수 없습니다. 반 전체가 kimcoding / 1234로 로그인하기 때문입니다. 비밀번호 변경을 해 보려면 로그인 페이지에서 내 데모 계정을 만드세요.",
    ),
    api_machine: (
        "The machine-readable description, to generate a client from or hold the server to with a fuzzer:",
        "기계가 읽을 수 있는 명세입니다. 이 명세로 클라이언트를 생성하거나, 퍼저로 서버가 명세대로 동작하는지 검사할 수 있습니다:",
    ),
    api_auth: (
        "Authentication",
        "인증",
    ),
    api_params: (
        "Parameters",
        "매개변수",
    ),
    api_request: (
        "Request body",
        "요청 본문",
    ),
    api_status: (
        "Status",
        "상태 코드",
    ),
    api_body: (
        "Body",
        "본문",
    ),
    api_headers: (
        "Headers",
        "헤더",
    ),
    api_schemas: (
        "Schemas",
        "스키마",
    ),
    api_field: (
        "Field",
        "필드",
    ),
    api_type: (
        "Type",
        "형식",
    ),
    api_required: (
        "Required",
        "필수",
    ),
    api_none: (
        "none",
        "없음",
    ),
    api_or: (
        " or ",
        " 또는 ",
    ),
    browser_on: (
        "{browser} on {system}",
        "{system}의 {browser}",
    ),
    notice_shared_account: (
        "kimcoding is shared by the whole class: “Log out everywhere else” ended nobody's session, and only this browser's sessions are listed. Your own demo account (on the login page) is yours alone.",
        "kimcoding은 반 전체가 함께 쓰는 계정입니다. 그래서 “다른 모든 곳에서 로그아웃”을 눌러도 실제로 끝난 세션은 없고, 목록에도 이 브라우저의 세션만 보입니다. 로그인 페이지에서 만드는 내 데모 계정은 나 혼자 씁니다.",
    ),
    sessions_shared: (
        "kimcoding is shared by the class: only this browser's sessions are shown here, and only they can be ended from here.",
        "kimcoding은 반 전체가 함께 쓰는 계정이라 여기에는 이 브라우저의 세션만 보이고, 그 세션만 끝낼 수 있습니다.",
    ),
    ended_logout: (
        "Ended: logged out",
        "끝남: 로그아웃",
    ),
    ended_revoked: (
        "Ended from another browser or device",
        "끝남: 다른 브라우저나 기기에서",
    ),
    ended_password: (
        "Ended: the password was changed",
        "끝남: 비밀번호 변경",
    ),
    ended_theft: (
        "Ended: theft detected (a replaced refresh token came back)",
        "끝남: 도난 적발(교체된 리프레시 토큰이 다시 옴)",
    ),
    ended_reset: (
        "Ended: the class was reset",
        "끝남: 수업 초기화",
    ),
    ended_expired: (
        "Ended: past its lifetime",
        "끝남: 수명 만료",
    ),
    theft_title: (
        "Theft caught: the session was ended",
        "도난 적발: 세션을 끝냈습니다",
    ),
    theft_intro: (
        "Your browser presented a refresh token that had already been replaced: only a copy could still have it. The server does not know which of the two holders is the thief, so it ended the whole session, for both of you. You simply log in again; the thief cannot.",
        "브라우저가 이미 교체된 리프레시 토큰을 보냈습니다. 이런 토큰은 누군가 복사해 두지 않았다면 다시 나올 수 없습니다. 서버는 둘 중 누가 도둑인지 알 수 없으므로 세션 전체를 끝내 양쪽을 모두 막았습니다. 나는 다시 로그인하면 되지만 도둑은 그럴 수 없습니다.",
    ),
    theft_token_title: (
        "The token that came back",
        "다시 온 토큰",
    ),
    theft_token: (
        "The refresh token presented, by the first characters of its jti:",
        "보낸 리프레시 토큰(jti 앞부분):",
    ),
    theft_why: (
        "In the drawing below it sits on the session's line, already replaced by its child (which the thief used first). The session's lineage stays on the Sessions page, marked ended, for the rest of the lesson.",
        "아래 계보 그림에서 그 토큰을 찾아보세요. 이미 자식 토큰(도둑이 먼저 쓴 토큰)으로 교체된 상태입니다. 이 세션의 계보는 ‘끝남’ 표시와 함께 실습이 끝날 때까지 세션 페이지에 남습니다.",
    ),
    theft_login_again: (
        "Log in again",
        "다시 로그인",
    ),
    lesson_title: (
        "The lesson, step by step",
        "단계별 실습",
    ),
    lesson_intro: (
        "Walk these steps in order. The server marks each one done from what your own session really did: nobody else's clicks count, and reloading this page shows where you are.",
        "순서대로 따라 해 보세요. 서버는 내 세션이 실제로 한 일을 보고 단계마다 완료 표시를 합니다. 다른 사람이 누른 것은 반영되지 않으며, 이 페이지를 새로 고치면 어디까지 했는지 볼 수 있습니다.",
    ),
    lesson_done: (
        "Done",
        "완료",
    ),
    lesson_todo: (
        "To do",
        "미완료",
    ),
    lesson_go: (
        "Go there",
        "하러 가기",
    ),
    lesson_what: (
        "Do:",
        "할 일:",
    ),
    lesson_look: (
        "Look for:",
        "살펴볼 것:",
    ),
    lesson_why: (
        "Why:",
        "이유:",
    ),
    lesson_back: (
        "Back to the lesson",
        "실습으로 돌아가기",
    ),
    lesson_progress: (
        "steps done of",
        "단계 완료, 전체",
    ),
    nav_api: (
        "API",
        "API",
    ),
    nav_login: (
        "Log in",
        "로그인",
    ),
    nav_signup: (
        "Sign up",
        "회원가입",
    ),
    footer: (
        "JWTs in HttpOnly cookies, sessions on the server (SQLite or PostgreSQL), written in Rust.",
        "HttpOnly 쿠키에 담은 JWT와 서버(SQLite 또는 PostgreSQL)에 저장하는 세션. Rust로 작성했습니다.",
    ),
    back_home: (
        "Back to the start",
        "처음으로",
    ),
    login_title: (
        "Log in",
        "로그인",
    ),
    user_id: (
        "User ID",
        "아이디",
    ),
    password: (
        "Password",
        "비밀번호",
    ),
    keep_logged_in: (
        "Keep me logged in",
        "로그인 상태 유지",
    ),
    login_button: (
        "Log in",
        "로그인",
    ),
    demo_account: (
        "Demo account:",
        "데모 계정:",
    ),
    keep_hint: (
        "Without “keep me logged in” you get only an access token, in a cookie that \
                disappears when the browser closes. With it you also get a refresh token that \
                keeps you logged in for days.",
        "“로그인 상태 유지”를 선택하지 않으면 액세스 토큰만 받고, 그 쿠키는 브라우저를 닫으면 \
                사라집니다. 선택하면 리프레시 토큰도 받아 며칠 동안 로그인이 유지됩니다.",
    ),
    login_failed: (
        "The user ID or password is not correct.",
        "아이디 또는 비밀번호가 올바르지 않습니다.",
    ),
    too_many_attempts: (
        "Too many failed attempts. Try again in",
        "실패한 시도가 너무 많습니다.",
    ),
    seconds: (
        "seconds",
        "초 뒤에 다시 시도해 주세요",
    ),
    notice_logged_out: (
        "You have been logged out.",
        "로그아웃되었습니다.",
    ),
    notice_expired: (
        "Your session has ended. Please log in again.",
        "세션이 끝났습니다. 다시 로그인해 주세요.",
    ),
    notice_login_required: (
        "Please log in to see that page.",
        "그 페이지를 보려면 로그인해 주세요.",
    ),
    notice_ended_elsewhere: (
        "This session was ended from another browser or device (on its Sessions page). Log in again to start a new one.",
        "다른 브라우저나 기기의 세션 페이지에서 이 세션을 끝냈습니다. 새 세션을 시작하려면 다시 로그인해 주세요.",
    ),
    notice_ended_password: (
        "The password of this account was changed, which ended every other session, this one too. Log in with the new password.",
        "이 계정의 비밀번호가 바뀌면서 이 세션을 비롯한 다른 세션이 모두 끝났습니다. 새 비밀번호로 로그인해 주세요.",
    ),
    notice_access_expired: (
        "Your access token expired. Without “keep me logged in” there is no refresh token to renew it, so the server asks you to log in again.",
        "액세스 토큰이 만료되었습니다. “로그인 상태 유지”를 선택하지 않아 토큰을 갱신해 줄 리프레시 토큰이 없으므로, 다시 로그인해야 합니다.",
    ),
    notice_class_reset: (
        "The teacher reset the class: every session ended and the demo accounts are gone. Log in again (kimcoding / 1234, or a new account of your own).",
        "선생님이 수업을 초기화했습니다. 모든 세션이 끝났고 데모 계정도 지워졌습니다. kimcoding / 1234나 새로 만든 내 데모 계정으로 다시 로그인해 주세요.",
    ),
    notice_signed_up: (
        "Welcome! Your account was created.",
        "환영합니다! 계정이 만들어졌습니다.",
    ),
    no_account: (
        "No account yet?",
        "아직 계정이 없나요?",
    ),
    email: (
        "Email",
        "이메일",
    ),
    name: (
        "Name",
        "이름",
    ),
    position: (
        "Position",
        "직무",
    ),
    location: (
        "Location",
        "지역",
    ),
    bio: (
        "Bio",
        "소개",
    ),
    logout_button: (
        "Log out",
        "로그아웃",
    ),
    timeline_title: (
        "What happened on this request",
        "이 요청에서 일어난 일",
    ),
    timeline_hint: (
        "The server's own steps for the request that made this page, in order.",
        "이 페이지를 만든 요청을 서버가 어떤 단계로 처리했는지 순서대로 보여 줍니다.",
    ),
    sent_by: (
        "The access token came in",
        "액세스 토큰이 온 곳:",
    ),
    session_kept: (
        "Session kept (“keep me logged in”).",
        "로그인 상태 유지 세션입니다.",
    ),
    session_browser: (
        "Session ends when the browser closes.",
        "브라우저를 닫으면 끝나는 세션입니다.",
    ),
    sessions_title: (
        "Your sessions",
        "내 세션",
    ),
    sessions_hint: (
        "Every login is a session on the server. Ending one makes its tokens \
                    worthless at once, even ones that have not expired.",
        "로그인할 때마다 서버에 세션이 하나 생깁니다. 세션을 끝내면 그 세션의 토큰은 \
                    만료 전이라도 즉시 쓸 수 없게 됩니다.",
    ),
    created: (
        "Logged in",
        "로그인 시각",
    ),
    last_seen: (
        "Last seen",
        "마지막 사용",
    ),
    device: (
        "Browser",
        "브라우저",
    ),
    kept: (
        "Kept",
        "유지",
    ),
    yes: (
        "yes",
        "예",
    ),
    no: (
        "no",
        "아니요",
    ),
    this_session: (
        "this session",
        "현재 세션",
    ),
    revoke: (
        "End",
        "끝내기",
    ),
    revoke_others: (
        "Log out everywhere else",
        "다른 모든 곳에서 로그아웃",
    ),
    notice_revoked_others: (
        "Every other session was ended.",
        "다른 세션을 모두 끝냈습니다.",
    ),
    password_title: (
        "Change your password",
        "비밀번호 변경",
    ),
    current_password: (
        "Current password",
        "현재 비밀번호",
    ),
    new_password: (
        "New password",
        "새 비밀번호",
    ),
    change_password: (
        "Change password",
        "비밀번호 변경",
    ),
    password_rules: (
        "8 to 128 characters, not your user ID, not a well-known password.",
        "8자 이상 128자 이하, 아이디와 다르고, 흔히 쓰이는 비밀번호가 아니어야 합니다.",
    ),
    wrong_current_password: (
        "The current password is not correct.",
        "현재 비밀번호가 올바르지 않습니다.",
    ),
    notice_password_changed: (
        "Password changed. Your other sessions were logged out.",
        "비밀번호를 바꿨습니다. 다른 세션은 모두 로그아웃되었습니다.",
    ),
    signup_title: (
        "Create an account",
        "계정 만들기",
    ),
    signup_button: (
        "Sign up",
        "가입하기",
    ),
    optional: (
        "optional",
        "선택",
    ),
    user_id_taken: (
        "That user ID is taken.",
        "이미 사용 중인 아이디입니다.",
    ),
    inspector_title: (
        "Your tokens, decoded",
        "내 토큰 해부",
    ),
    inspector_hint: (
        "This is what the server reads in your cookies. The cookies are HttpOnly, so no script on this page could read them: the server decoded them for you. The signature is shortened on purpose; the whole token never appears in a page.",
        "서버가 쿠키에서 읽은 내용입니다. 쿠키가 HttpOnly라서 이 페이지의 어떤 스크립트도 읽을 수 없으므로, 서버가 대신 풀어서 보여 줍니다. 서명은 일부러 줄여서 보여 주며, 토큰 전체는 어떤 페이지에도 나오지 않습니다.",
    ),
    access_token: (
        "Access token (access_jwt)",
        "액세스 토큰 (access_jwt)",
    ),
    refresh_token: (
        "Refresh token (refresh_jwt)",
        "리프레시 토큰 (refresh_jwt)",
    ),
    no_refresh_token: (
        "No refresh token: you logged in without “keep me logged in”, so when the access token expires you log in again.",
        "리프레시 토큰이 없습니다. “로그인 상태 유지” 없이 로그인했으므로 액세스 토큰이 만료되면 다시 로그인해야 합니다.",
    ),
    part_header: (
        "Header",
        "헤더",
    ),
    part_payload: (
        "Payload",
        "페이로드",
    ),
    part_signature: (
        "Signature",
        "서명",
    ),
    three_parts: (
        "A JWT is three Base64URL parts joined by dots: header, payload, signature. Base64URL is an encoding, not encryption: anyone holding the token can read the payload, so nothing secret goes in it. Only the signature, made with a key that never leaves the server, proves the server wrote it.",
        "JWT는 점으로 이어진 세 개의 Base64URL 조각(헤더, 페이로드, 서명)입니다. Base64URL은 암호화가 아니라 인코딩일 뿐입니다. 토큰을 가진 사람은 누구나 페이로드를 읽을 수 있으니 비밀은 넣지 않습니다. 서버가 발급했음을 증명하는 것은 서버 밖으로 나가지 않는 키로 만든 서명뿐입니다.",
    ),
    claim: (
        "Claim",
        "클레임",
    ),
    value: (
        "Value",
        "값",
    ),
    meaning: (
        "Meaning",
        "의미",
    ),
    expires_in: (
        "expires in",
        "만료까지",
    ),
    expired_ago: (
        "expired",
        "만료됨",
    ),
    cookie_title: (
        "The cookie, as the server set it",
        "서버가 설정한 쿠키",
    ),
    session_cookie: (
        "no Max-Age: a session cookie",
        "Max-Age 없음: 세션 쿠키",
    ),
    why_httponly: (
        "Page scripts cannot read it, so an XSS bug cannot steal the token.",
        "페이지 스크립트가 읽을 수 없어서 XSS 버그가 있어도 토큰을 훔칠 수 없습니다.",
    ),
    why_secure: (
        "Sent only over HTTPS (browsers make an exception for localhost), so nobody on the network sees it.",
        "HTTPS로만 전송되므로(localhost는 예외) 네트워크의 누구도 볼 수 없습니다.",
    ),
    why_samesite: (
        "Never sent on a request another site starts, which stops cross-site request forgery.",
        "다른 사이트가 시작한 요청에는 절대 실려 가지 않아 CSRF를 막습니다.",
    ),
    why_path: (
        "Sent with every request to this site, and no Domain: never to a subdomain.",
        "이 사이트의 모든 요청에 실리며 Domain이 없으므로 하위 도메인에는 가지 않습니다.",
    ),
    why_session_cookie: (
        "Without “keep me logged in” the cookie dies when the browser closes.",
        "“로그인 상태 유지”를 선택하지 않았으므로 브라우저를 닫으면 쿠키가 사라집니다.",
    ),
    why_max_age: (
        "The browser keeps it this long, even across restarts: “keep me logged in”.",
        "“로그인 상태 유지”를 선택했으므로 브라우저를 다시 켜도 이 기간 동안 쿠키를 보관합니다.",
    ),
    explain_iss: (
        "Issuer: who made the token. We refuse tokens from anyone else.",
        "발급자: 토큰을 만든 쪽. 다른 발급자의 토큰은 거부합니다.",
    ),
    explain_sub: (
        "Subject: whom the token is about — your user ID.",
        "주체: 토큰이 가리키는 사람, 즉 내 아이디.",
    ),
    explain_aud: (
        "Audience: who the token is for. A token meant for another service is refused here.",
        "대상: 토큰을 받을 쪽. 다른 서비스용 토큰은 여기서 거부됩니다.",
    ),
    explain_exp: (
        "Expires: after this moment the token is refused.",
        "만료 시각: 이 시각 이후에는 거부됩니다.",
    ),
    explain_nbf: (
        "Not before: before this moment the token is refused.",
        "시작 시각: 이 시각 전에는 거부됩니다.",
    ),
    explain_iat: (
        "Issued at: when the server signed it.",
        "발급 시각: 서버가 서명한 때.",
    ),
    explain_jti: (
        "JWT ID: unique per token, so each one can be told apart (rotation relies on it).",
        "토큰 ID: 토큰마다 달라서 서로 구별할 수 있습니다(로테이션에 쓰입니다).",
    ),
    explain_sid: (
        "Our claim: the server-side session this token belongs to. Logout ends it, and the token with it.",
        "우리가 정한 클레임: 이 토큰이 속한 서버 쪽 세션. 로그아웃하면 세션이 끝나고 이 토큰도 함께 무효가 됩니다.",
    ),
    explain_rjti: (
        "Our claim, in a kept session's access token: the jti of the refresh token issued with it. It places this access token in the session's refresh-token lineage: an access token whose refresh token was replaced still works until it expires, one from a branch the session dropped is refused as theft.",
        "우리가 정한 클레임으로, 로그인 상태 유지 세션의 액세스 토큰에 들어 있는 값입니다. 함께 발급된 리프레시 토큰의 jti이며, 이 값으로 액세스 토큰이 세션의 리프레시 토큰 계보에서 어디에 있는지 알 수 있습니다. 짝이 되는 리프레시 토큰이 교체되어도 액세스 토큰은 만료될 때까지 쓸 수 있지만, 세션이 폐기한 분기에서 나온 액세스 토큰은 도난으로 보고 거부합니다.",
    ),
    explain_typ: (
        "Our claim: access or refresh. One is never accepted where the other is expected.",
        "우리가 정한 클레임: access 또는 refresh. 한쪽을 받아야 할 자리에 다른 쪽이 오면 절대 받지 않습니다.",
    ),
    explain_alg: (
        "Algorithm: HS256 (HMAC with SHA-256). The server accepts no other, whatever the header says.",
        "알고리즘: HS256(SHA-256 HMAC). 헤더에 뭐라고 적혀 있든 다른 알고리즘은 받지 않습니다.",
    ),
    explain_kid: (
        "Key ID: which of the server's keys signed it, so keys can be rotated.",
        "키 ID: 서버의 키 중 어느 것으로 서명했는지 알려 주므로, 키를 바꿔 가며 쓸 수 있습니다.",
    ),
    demo_title: (
        "Make it happen",
        "직접 해 보기",
    ),
    demo_hint: (
        "Demo mode is on. Each button changes your cookies on purpose; the timeline above shows what the server does on the next page load.",
        "데모 모드가 켜져 있습니다. 각 버튼은 일부러 쿠키를 바꿉니다. 다음 페이지를 불러올 때 서버가 하는 일이 위 타임라인에 나타납니다.",
    ),
    demo_expire: (
        "Expire my access token now",
        "액세스 토큰 지금 만료시키기",
    ),
    demo_forget: (
        "Forget my refresh token",
        "리프레시 토큰 잊어버리기",
    ),
    demo_replay: (
        "Replay an old refresh token",
        "예전 리프레시 토큰 재사용하기",
    ),
    demo_replay_hint: (
        "Replay: a thief refreshes with a copy of your refresh token and uses the child it gets, so the child becomes current and your token retires. Your browser then presents its retired token: a token from a branch the session has left, so the server ends the whole session.",
        "재사용: 도둑이 복사한 리프레시 토큰으로 갱신하고 받은 자식 토큰을 쓰면, 그 자식이 현재 토큰이 되고 내 토큰은 교체됩니다. 그 뒤 내 브라우저가 교체된 토큰을 보내면, 세션이 이미 떠난 분기의 토큰이므로 서버는 세션 전체를 끝냅니다.",
    ),
    demo_needs_kept: (
        "Forgetting, losing and replaying a refresh token need one: this session was started without “Keep me logged in”, so it has none. Log out and log in again with it ticked (or make a demo account of your own) to try them.",
        "리프레시 토큰 잊어버리기, 갱신 응답 잃어버리기, 재사용하기 실험에는 리프레시 토큰이 필요합니다. 이 세션은 “로그인 상태 유지” 없이 시작해서 리프레시 토큰이 없습니다. 로그아웃한 뒤 “로그인 상태 유지”를 켜고 다시 로그인하면(또는 내 데모 계정을 만들면) 해 볼 수 있습니다.",
    ),
    via_cookie: (
        "the access_jwt cookie",
        "access_jwt 쿠키",
    ),
    via_bearer: (
        "an Authorization: Bearer header",
        "Authorization: Bearer 헤더",
    ),
    demo_lose: (
        "Lose a refresh answer",
        "갱신 응답 잃어버리기",
    ),
    demo_lose_hint: (
        "Lose: the server refreshes with your refresh token and the answer never reaches you, as on a dropped connection. Your next load presents the same token again: the child you never received is dropped and you get a new one. Nothing is called theft.",
        "잃어버리기: 서버가 내 리프레시 토큰으로 갱신했지만, 연결이 끊긴 것처럼 응답이 도착하지 않습니다. 다음 요청에서 같은 토큰을 다시 보내면 받지 못한 자식 토큰은 폐기되고 새 토큰을 받습니다. 이 경우는 도난으로 보지 않습니다.",
    ),
    lineage_title: (
        "Refresh-token lineage",
        "리프레시 토큰 계보",
    ),
    lineage_hint: (
        "Each circle is a refresh token this session has had, oldest on the left (the first characters of its ID and when it was issued; never the token). A new one starts pending and becomes current only when your browser uses it; then its parent retires. A pending one that never arrived is dropped when its parent comes back.",
        "원 하나하나가 이 세션이 거쳐 온 리프레시 토큰이며, 왼쪽일수록 오래된 토큰입니다(토큰 자체가 아니라 ID 앞부분과 발급 시각만 보여 줍니다). 새 토큰은 대기 상태로 시작해 브라우저가 사용해야 현재 토큰이 되고, 그때 부모 토큰은 교체됩니다. 도착하지 못한 대기 토큰은 부모가 다시 오면 폐기됩니다.",
    ),
    state_current: (
        "current",
        "현재",
    ),
    state_pending: (
        "pending",
        "대기",
    ),
    state_retired: (
        "retired",
        "교체됨",
    ),
    state_dropped: (
        "dropped",
        "폐기됨",
    ),
    state_issued: (
        "issued",
        "발급",
    ),
    state_confirmed: (
        "confirmed",
        "확인",
    ),
    notice_reuse: (
        "A refresh token that had already been used came back. That means a copy exists somewhere, so the server ended the whole session. Please log in again.",
        "이미 사용된 리프레시 토큰이 다시 들어왔습니다. 어딘가에 복사본이 있다는 뜻이므로 서버가 세션 전체를 끝냈습니다. 다시 로그인해 주세요.",
    ),
    how_title: (
        "How it works",
        "동작 원리",
    ),
    nav_demos: (
        "Try it",
        "직접 해 보기",
    ),
    demos_hint: (
        "Demo mode: see the trade-offs and the attacks with your own token.",
        "데모 모드: 내 토큰으로 트레이드오프와 공격을 직접 확인해 보세요.",
    ),
    ts_title: (
        "Same token, two servers",
        "같은 토큰, 두 서버",
    ),
    ts_intro: (
        "The app checks a token's signature and then its session on the server: it is stateful. The stateless verifier beside it checks the signature alone: it has no database. Send the same access token to both and compare their answers.",
        "앱은 토큰의 서명을 확인한 다음 서버에 있는 세션을 확인합니다(상태 유지). 옆에 있는 무상태 검증 서버는 서명만 확인하며 데이터베이스가 없습니다. 같은 액세스 토큰을 두 서버에 보내 답을 비교해 보세요.",
    ),
    ts_mode_eddsa: (
        "Tokens are signed with EdDSA: the verifier holds only the public keys, from the app's JWKS. It can check tokens but can never sign one.",
        "토큰은 EdDSA로 서명됩니다. 검증 서버는 앱의 JWKS에서 받은 공개 키만 가지고 있어서 토큰을 확인할 수는 있어도 절대 만들 수는 없습니다.",
    ),
    ts_mode_hs256: (
        "Tokens are signed with HS256: the verifier holds the very secret the app signs with, so it could also make tokens. Try “Mint a token with the shared secret”.",
        "토큰은 HS256으로 서명됩니다. 검증 서버가 앱이 서명할 때 쓰는 바로 그 비밀 키를 가지고 있으므로 토큰을 만들 수도 있습니다. “공유 비밀 키로 토큰 만들기”를 눌러 보세요.",
    ),
    ts_ask: (
        "Ask both servers with my access token",
        "내 액세스 토큰으로 두 서버에 묻기",
    ),
    ts_copy: (
        "Keep a copy, as a thief would",
        "도둑처럼 복사본 챙기기",
    ),
    ts_copy_hint: (
        "The server keeps the copy in its memory under a random address and never shows the token. Then log out, and send the copy again.",
        "서버는 복사본을 무작위 주소에 연결해 메모리에만 보관하고, 토큰 자체는 보여 주지 않습니다. 그다음 로그아웃하고 복사본을 다시 보내 보세요.",
    ),
    ts_mint: (
        "Mint a token with the shared secret",
        "공유 비밀 키로 토큰 만들기",
    ),
    ts_mint_hint: (
        "Signs a token for the user “admin” in a session that never existed, with the secret every HS256 verifier must hold.",
        "모든 HS256 검증 서버가 가지고 있어야 하는 비밀 키로, 존재한 적 없는 세션에 속한 “admin” 사용자의 토큰에 서명합니다.",
    ),
    ts_app: (
        "The app (stateful)",
        "앱 (상태 유지)",
    ),
    ts_verifier: (
        "Stateless verifier",
        "무상태 검증 서버",
    ),
    ts_app_ok: (
        "Served: the signature is good and the session is active.",
        "응답함: 서명이 맞고 세션이 살아 있습니다.",
    ),
    ts_verifier_ok: (
        "Accepted, on the signature alone.",
        "서명만 보고 받아들였습니다.",
    ),
    ts_refused: (
        "Refused.",
        "거부했습니다.",
    ),
    ts_verifier_down: (
        "The verifier did not answer.",
        "검증 서버가 응답하지 않았습니다.",
    ),
    ts_copy_title: (
        "A copied access token",
        "복사된 액세스 토큰",
    ),
    ts_copy_intro: (
        "This is what a thief holds: a copy of your access token, shown decoded. The token itself stays on the server.",
        "도둑이 가진 것과 같은 내 액세스 토큰의 복사본을 풀어서 보여 줍니다. 토큰 자체는 서버에만 있습니다.",
    ),
    ts_copy_ask: (
        "Send the copy to both servers",
        "복사본을 두 서버에 보내기",
    ),
    ts_logout_victim: (
        "Log out the real user",
        "진짜 사용자 로그아웃하기",
    ),
    ts_logout_hint: (
        "Ends the session this token belongs to, exactly as your logout would, and clears this browser's cookies. Then send the copy again.",
        "이 토큰이 속한 세션을 내 로그아웃과 똑같이 끝내고 이 브라우저의 쿠키를 지웁니다. 그다음 복사본을 다시 보내 보세요.",
    ),
    ts_notice_logged_out: (
        "The real user has logged out: the session is over.",
        "진짜 사용자가 로그아웃했습니다. 세션이 끝났습니다.",
    ),
    ts_expired_copy: (
        "The copy has expired: even the stateless verifier refuses it now.",
        "복사본이 만료되었습니다. 이제 무상태 검증 서버도 거부합니다.",
    ),
    ts_why_title: (
        "Why the answers differ",
        "두 답이 다른 이유",
    ),
    ts_why: (
        "Before logout both servers accept the token. After it, the app refuses the copy at once: it looks the session up and finds it ended. The stateless verifier cannot know that: it has no session store, so it honours the copy until its exp. That is the trade-off. The verifier needs no database and can run anywhere, but it cannot take a token back; the app pays a cached session lookup per request and a write per refresh, and in return logout is real. Short access-token lifetimes bound what stateless services risk.",
        "로그아웃 전에는 두 서버 모두 토큰을 받아들입니다. 로그아웃 뒤에는 앱이 세션을 찾아보고 끝났다는 것을 알기에 복사본을 즉시 거부합니다. 무상태 검증 서버는 세션 저장소가 없어서 그 사실을 알 수 없으므로 exp까지 복사본을 받아들입니다. 이것이 트레이드오프입니다. 검증 서버는 데이터베이스 없이 어디서든 실행할 수 있지만 한번 발급된 토큰을 무를 수 없습니다. 앱은 요청마다 (캐시된) 세션을 조회하고 리프레시마다 한 번 쓰는 비용을 치르는 대신, 로그아웃이 실제로 효력을 가집니다. 액세스 토큰의 수명을 짧게 하면 무상태 서비스가 떠안는 위험도 그만큼으로 제한됩니다.",
    ),
    ts_mint_why: (
        "With a shared secret, every service that verifies tokens can also sign them: the stateless verifier took this forged “admin” token as genuine. The app refused it only because no such session exists. With EdDSA a verifier holds public keys and cannot sign at all, so a leaked verifier does not leak the power to log in as anyone.",
        "비밀 키를 공유하면 토큰을 검증하는 모든 서비스가 토큰을 만들 수도 있습니다. 무상태 검증 서버는 위조된 “admin” 토큰을 진짜로 받아들였습니다. 앱이 거부한 것은 그런 세션이 없기 때문일 뿐입니다. EdDSA라면 검증 서버는 공개 키만 가지고 있어 서명을 전혀 할 수 없으므로, 검증 서버가 털려도 아무 사용자로나 로그인할 수 있는 능력까지 새어 나가지는 않습니다.",
    ),
    cs_title: (
        "Another site",
        "다른 사이트",
    ),
    cs_intro: (
        "This page comes from another site. In your browser it now tries what a malicious page would do to the app. Nothing here can work; each result says which defence stopped it. The app it attacks:",
        "이 페이지는 다른 사이트에서 왔습니다. 지금 내 브라우저 안에서 악성 페이지가 앱에 할 법한 일을 시도합니다. 여기서는 아무것도 통하지 않으며, 결과마다 어떤 방어가 막았는지 알려 줍니다. 공격 대상 앱:",
    ),
    cs_running: (
        "trying…",
        "시도하는 중…",
    ),
    cs_result_label: (
        "What happened:",
        "결과:",
    ),
    cs_cookie_title: (
        "Read the app's cookies",
        "앱의 쿠키 읽기",
    ),
    cs_cookie_what: (
        "A script here reads document.cookie.",
        "여기 있는 스크립트가 document.cookie를 읽습니다.",
    ),
    cs_cookie_empty: (
        "document.cookie is empty: no cookie of the app is visible here.",
        "document.cookie가 비어 있습니다. 앱의 쿠키는 여기서 하나도 보이지 않습니다.",
    ),
    cs_cookie_others: (
        "document.cookie shows only this site's own cookies:",
        "document.cookie에는 이 사이트 자신의 쿠키만 보입니다:",
    ),
    cs_cookie_leaked: (
        "The app's token cookie is visible here. It should never be.",
        "앱의 토큰 쿠키가 여기서 보입니다. 있어서는 안 되는 일입니다.",
    ),
    cs_cookie_defence: (
        "Cookies belong to the site that set them: another site's page never sees them. And even the app's own pages cannot read access_jwt or refresh_jwt: they are HttpOnly, so a script injected into the app (XSS) could not steal them either.",
        "쿠키는 설정한 사이트의 것이라 다른 사이트의 페이지에서는 보이지 않습니다. 게다가 access_jwt와 refresh_jwt는 HttpOnly라서 앱 자신의 페이지에서도 읽을 수 없으므로, 앱에 주입된 스크립트(XSS)도 훔칠 수 없습니다.",
    ),
    cs_fetch_title: (
        "Read /userinfo with your credentials",
        "내 자격 증명으로 /userinfo 읽기",
    ),
    cs_fetch_what: (
        "A script here calls fetch on the app's /userinfo with credentials: include.",
        "여기 있는 스크립트가 credentials: include로 앱의 /userinfo에 fetch를 보냅니다.",
    ),
    cs_fetch_blocked: (
        "The browser did not let this page read the answer",
        "브라우저가 이 페이지에 응답을 읽지 못하게 했습니다",
    ),
    cs_fetch_read: (
        "This page read the answer:",
        "이 페이지가 응답을 읽었습니다:",
    ),
    cs_fetch_defence: (
        "SameSite=Strict: the browser sent the request without the app's cookies, so the app answered 401 (see what the app saw, below). CORS: the app allows no other origin to read its answers, so the browser does not even show this page that 401.",
        "SameSite=Strict: 브라우저가 앱의 쿠키 없이 요청을 보냈으므로 앱은 401로 답했습니다(아래 앱이 본 것 참고). CORS: 앱이 다른 출처가 응답을 읽도록 허락하지 않으므로 브라우저는 그 401조차 이 페이지에 보여 주지 않습니다.",
    ),
    cs_post_title: (
        "Log you out with a form",
        "폼으로 로그아웃시키기",
    ),
    cs_post_what: (
        "A hidden form here posts to the app's /logout, as a cross-site request forgery would.",
        "여기 숨겨진 폼이 사이트 간 요청 위조(CSRF)처럼 앱의 /logout으로 POST를 보냅니다.",
    ),
    cs_post_refused: (
        "The app refused it: you are still logged in",
        "앱이 거부했습니다. 여전히 로그인되어 있습니다",
    ),
    cs_post_refused_anon: (
        "The app refused it (and you were not logged in, so there was nothing to log out of)",
        "앱이 거부했습니다(게다가 로그인하지 않은 상태라 로그아웃될 것도 없었습니다)",
    ),
    cs_post_done: (
        "The app accepted it. It should never have.",
        "앱이 받아들였습니다. 있어서는 안 되는 일입니다.",
    ),
    cs_post_unknown: (
        "The app saw no such request.",
        "앱은 그런 요청을 보지 못했습니다.",
    ),
    cs_post_defence: (
        "SameSite=Strict kept the cookies off the request, and the app's same-origin check (the browser says Sec-Fetch-Site: cross-site) refused it with 403 before any handler ran.",
        "SameSite=Strict가 요청에서 쿠키를 뺐고, 앱의 같은 출처 확인(브라우저가 Sec-Fetch-Site: cross-site라고 알려 줌)이 핸들러가 실행되기도 전에 403으로 거부했습니다.",
    ),
    cs_same_origin: (
        "same-origin check",
        "같은 출처 확인",
    ),
    cs_seen_title: (
        "What the app saw",
        "앱이 본 것",
    ),
    cs_seen_hint: (
        "A page cannot read another origin's answers, so this one asks the app, which lets this origin, and no other, read the report.",
        "페이지는 다른 출처의 응답을 읽을 수 없으므로 앱에 물어봅니다. 앱은 이 출처에만 이 보고서를 읽도록 허락합니다.",
    ),
    cs_col_request: (
        "Request",
        "요청",
    ),
    cs_col_cookie: (
        "Cookie came",
        "쿠키 전송",
    ),
    cs_col_answer: (
        "Answer",
        "응답",
    ),
    cs_col_defence: (
        "Stopped by",
        "막은 방어",
    ),
    cs_col_time: (
        "When",
        "시각",
    ),
    cs_no_visit: (
        "This page was not opened from the app's link, so the app cannot tell your attempts from anyone else's, and shows none. Open it from the app's User info page.",
        "이 페이지를 앱의 링크로 열지 않았기 때문에, 앱은 내 시도와 다른 사람의 시도를 구별할 수 없어 아무것도 보여 주지 않습니다. 앱의 내 정보 페이지에서 열어 주세요.",
    ),
    cs_logged_out: (
        "You were not logged in to the app when this page tried: there was nothing to steal. Log in there, then open this page again from its link.",
        "이 페이지가 시도할 때 앱에 로그인되어 있지 않았습니다. 훔칠 것이 없었던 셈입니다. 앱에 로그인한 뒤 링크로 이 페이지를 다시 열어 보세요.",
    ),
    cs_back: (
        "Back to the app",
        "앱으로 돌아가기",
    ),
    cs_link: (
        "Open a page of another site that tries to attack this one",
        "이 사이트를 공격해 보는 다른 사이트의 페이지 열기",
    ),
    cl_title: (
        "The course's client, on another port",
        "다른 포트에서 실행되는 강의용 클라이언트",
    ),
    cl_intro: (
        "This page is another origin of the same site as the app: same scheme and host name, another port. Like the course's React client (axios with withCredentials = true), it calls the app's JSON API with fetch(..., { credentials: 'include' }). CORS decides whether this page's script may read the answers; SameSite decides whether the browser sends the cookies, and on the same site it does. The app it calls:",
        "이 페이지는 앱과 같은 사이트의 다른 출처입니다. 스킴과 호스트 이름은 같고 포트만 다릅니다. 강의의 React 클라이언트(withCredentials = true인 axios)처럼 fetch(..., { credentials: 'include' })로 앱의 JSON API를 호출합니다. 이 페이지의 스크립트가 답을 읽어도 되는지는 CORS가 정하고, 브라우저가 쿠키를 보낼지는 SameSite가 정하는데, 같은 사이트라서 보냅니다. 호출하는 앱:",
    ),
    cl_checking: (
        "Asking the app who you are…",
        "앱에 내가 누구인지 묻는 중…",
    ),
    cl_login_title: (
        "Log in through the JSON API",
        "JSON API로 로그인",
    ),
    cl_login_failed: (
        "Login failed (the app answered 401; the course's client shows 로그인에 실패했습니다.)",
        "로그인에 실패했습니다.",
    ),
    cl_blocked: (
        "The browser did not let this page read the answer (CORS): is this origin in the app's CORS_ALLOWED_ORIGINS?",
        "브라우저가 이 페이지에 답을 읽지 못하게 했습니다(CORS). 이 출처가 앱의 CORS_ALLOWED_ORIGINS에 있나요?",
    ),
    cl_mypage_title: (
        "My page, from /userinfo",
        "/userinfo에서 가져온 마이페이지",
    ),
    cl_mypage_hint: (
        "The profile below is the JSON the app answered. Reload this page: you stay logged in, because the browser sends the app's cookies with every call from this page.",
        "아래 프로필은 앱이 답한 JSON입니다. 이 페이지를 새로 고쳐 보세요. 이 페이지에서 보내는 요청마다 브라우저가 앱의 쿠키를 함께 보내기 때문에 로그인이 유지됩니다.",
    ),
    cl_calls_title: (
        "Every call, as the browser and the app saw it",
        "브라우저와 앱이 본 모든 요청",
    ),
    cl_calls_hint: (
        "The script sees only the status of an answer it is allowed to read. The app reports what the request carried (Origin, Sec-Fetch-Site, whether the cookies came) and which CORS headers it put on the answer, including the preflight the browser sent before the JSON login.",
        "스크립트는 읽어도 되는 답의 상태 코드만 봅니다. 앱은 요청에 무엇이 실려 왔는지(Origin, Sec-Fetch-Site, 쿠키가 왔는지)와 답에 어떤 CORS 헤더를 붙였는지 알려 줍니다. JSON 로그인 전에 브라우저가 보낸 사전 요청(preflight)도 함께 보입니다.",
    ),
    cl_col_call: (
        "Call",
        "요청",
    ),
    cl_col_seen: (
        "What the request carried",
        "요청에 실려 온 것",
    ),
    cl_col_cors: (
        "CORS headers on the answer",
        "답에 붙은 CORS 헤더",
    ),
    cl_cookies_sent: (
        "cookies sent",
        "쿠키 보냄",
    ),
    cl_no_cookies: (
        "no cookies",
        "쿠키 없음",
    ),
    cl_preflight: (
        "preflight",
        "사전 요청",
    ),
    cl_none: (
        "none",
        "없음",
    ),
    cl_report_off: (
        "The app keeps no report outside demo mode; the script's own view is above.",
        "데모 모드가 아니면 앱이 보고를 남기지 않습니다. 스크립트가 본 것은 위에 있습니다.",
    ),
    cl_link: (
        "Open the course's client on another port (same site, another origin)",
        "다른 포트의 강의 클라이언트 열기(같은 사이트, 다른 출처)",
    ),
    lab_title: (
        "Attack lab",
        "공격 실험실",
    ),
    lab_intro: (
        "Start from your own access token, pick an attack, change the header or the payload if you like, and send it. The server runs it through the very checks every request meets and shows where it stopped, and why.",
        "내 액세스 토큰에서 시작해 공격을 고르고, 원하면 헤더나 페이로드를 바꾼 뒤 보내 보세요. 서버는 모든 요청이 거치는 바로 그 검사로 토큰을 확인하고, 어디서 왜 멈췄는지 보여 줍니다.",
    ),
    lab_your_token: (
        "Your access token, decoded",
        "풀어 본 내 액세스 토큰",
    ),
    lab_your_token_hint: (
        "Header and payload as the server reads them. The token itself is never shown.",
        "서버가 읽는 그대로의 헤더와 페이로드입니다. 토큰 자체는 보여 주지 않습니다.",
    ),
    lab_pick: (
        "Attack",
        "공격",
    ),
    lab_edits: (
        "Change the token (optional)",
        "토큰 바꾸기(선택)",
    ),
    lab_send: (
        "Send it",
        "보내기",
    ),
    lab_accepted: (
        "Accepted.",
        "받아들임.",
    ),
    lab_all_passed: (
        "Every check passed.",
        "모든 검사를 통과했습니다.",
    ),
    lab_refused: (
        "Refused. The check that failed:",
        "거부됨. 통과하지 못한 검사:",
    ),
    lab_steps: (
        "The server's checks, in order",
        "서버의 검사 단계(순서대로)",
    ),
    lab_sent: (
        "What was sent",
        "보낸 토큰",
    ),
}

impl Texts {
    /// A span of time, its two largest units: `1d 0h`, `5m 3s` (`1일 0시간`, `5분 3초`).
    pub fn span(&self, secs: i64) -> String {
        let mut units = self.units.split(' ');
        let mut unit = || units.next().unwrap_or_default();
        let (d, h, m, s) = (unit(), unit(), unit(), unit());
        let secs = secs.max(0);
        let (days, hours, minutes, seconds) = (
            secs / 86_400,
            secs % 86_400 / 3600,
            secs % 3600 / 60,
            secs % 60,
        );
        match (days, hours, minutes) {
            (0, 0, 0) => format!("{seconds}{s}"),
            (0, 0, _) => format!("{minutes}{m} {seconds}{s}"),
            (0, _, _) => format!("{hours}{h} {minutes}{m}"),
            _ => format!("{days}{d} {hours}{h}"),
        }
    }

    /// "Too many failed attempts. Try again in N seconds.", in this language.
    pub fn retry_in(&self, secs: u64) -> String {
        format!("{} {secs} {}.", self.too_many_attempts, self.seconds)
    }
}
