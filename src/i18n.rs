//! English and Korean: every string a page shows, in one place, and the choice of language.
//!
//! The language comes from `?lang=ko|en` (then remembered in a `lang` cookie), else from the
//! cookie, else from the browser's `Accept-Language`, else English.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The language a page toggle offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }

    /// The best of our languages in an `Accept-Language` header, by its q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Query parameter first, then the remembered cookie, then the browser's wish.
    pub fn choose(
        query: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

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
        "HttpOnly 쿠키에 담긴 JWT, 서버(SQLite 또는 PostgreSQL)에 저장된 세션, Rust로 작성했습니다.",
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
        "실패한 시도가 너무 많습니다. 다시 시도하기까지",
    ),
    seconds: (
        "seconds",
        "초",
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
        "이 페이지를 만든 요청에 대해 서버가 밟은 단계를 순서대로 보여 줍니다.",
    ),
    sent_by: (
        "Access token sent by",
        "액세스 토큰 전달 방식:",
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
        "JWT는 점으로 이어진 세 개의 Base64URL 조각(헤더, 페이로드, 서명)입니다. Base64URL은 암호화가 아니라 인코딩일 뿐이라 토큰을 가진 사람은 누구나 페이로드를 읽을 수 있으므로 비밀은 넣지 않습니다. 서버 밖으로 나가지 않는 키로 만든 서명만이 서버가 발급했다는 것을 증명합니다.",
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
        "“로그인 상태 유지”를 안 했으므로 브라우저를 닫으면 쿠키가 사라집니다.",
    ),
    why_max_age: (
        "The browser keeps it this long, even across restarts: “keep me logged in”.",
        "브라우저를 다시 켜도 이 기간 동안 보관합니다: “로그인 상태 유지”.",
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
        "우리가 정한 클레임: 이 토큰이 속한 서버 쪽 세션. 로그아웃하면 세션과 함께 토큰도 끝납니다.",
    ),
    explain_typ: (
        "Our claim: access or refresh. One is never accepted where the other is expected.",
        "우리가 정한 클레임: access 또는 refresh. 서로의 자리에서는 절대 받아들여지지 않습니다.",
    ),
    explain_alg: (
        "Algorithm: HS256 (HMAC with SHA-256). The server accepts no other, whatever the header says.",
        "알고리즘: HS256(SHA-256 HMAC). 헤더에 뭐라고 적혀 있든 다른 알고리즘은 받지 않습니다.",
    ),
    explain_kid: (
        "Key ID: which of the server's keys signed it, so keys can be rotated.",
        "키 ID: 어떤 서버 키로 서명했는지. 키 교체를 가능하게 합니다.",
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
        "재사용: 도둑이 복사한 리프레시 토큰으로 갱신하고 받은 자식 토큰을 사용하면 그 자식이 현재 토큰이 되고 내 토큰은 은퇴합니다. 그 뒤 브라우저가 은퇴한 토큰을 내밀면, 세션이 떠난 갈래의 토큰이므로 서버는 세션 전체를 끝냅니다.",
    ),
    demo_lose: (
        "Lose a refresh answer",
        "갱신 응답 잃어버리기",
    ),
    demo_lose_hint: (
        "Lose: the server refreshes with your refresh token and the answer never reaches you, as on a dropped connection. Your next load presents the same token again: the child you never received is dropped and you get a new one. Nothing is called theft.",
        "잃어버리기: 서버가 내 리프레시 토큰으로 갱신했지만 연결이 끊긴 것처럼 응답이 도착하지 않습니다. 다음 요청에서 같은 토큰을 다시 내밀면, 받지 못한 자식 토큰은 버려지고 새 토큰을 받습니다. 도난으로 보지 않습니다.",
    ),
    lineage_title: (
        "Refresh-token lineage",
        "리프레시 토큰 계보",
    ),
    lineage_hint: (
        "Each circle is a refresh token this session has had, oldest on the left (the first characters of its ID and when it was issued; never the token). A new one starts pending and becomes current only when your browser uses it; then its parent retires. A pending one that never arrived is dropped when its parent comes back.",
        "원 하나가 이 세션이 가졌던 리프레시 토큰 하나이며, 왼쪽이 가장 오래된 것입니다(토큰이 아니라 ID 앞부분과 발급 시각만 보여 줍니다). 새 토큰은 대기 상태로 시작해 브라우저가 사용해야 현재 토큰이 되고, 그때 부모 토큰은 은퇴합니다. 도착하지 못한 대기 토큰은 부모가 다시 오면 버려집니다.",
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
        "은퇴",
    ),
    state_dropped: (
        "dropped",
        "버려짐",
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
}

impl Texts {
    /// "Too many failed attempts. Try again in N seconds.", in this language.
    pub fn retry_in(&self, secs: u64) -> String {
        format!("{} {secs} {}.", self.too_many_attempts, self.seconds)
    }
}

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
pub fn describe_event(lang: Lang, name: &str) -> &'static str {
    let (en, ko) = match name {
        "access-verified" => (
            "Access token verified: signature, issuer, audience, type and time all check out.",
            "액세스 토큰 검증 완료: 서명, 발급자, 대상, 종류, 시간이 모두 맞습니다.",
        ),
        "access-missing" => (
            "No access token came with the request.",
            "요청에 액세스 토큰이 없습니다.",
        ),
        "access-expired" => (
            "The access token is genuine but past its exp.",
            "액세스 토큰은 진짜지만 exp가 지났습니다.",
        ),
        "access-invalid" => (
            "The access token is not one the server signed (or is malformed).",
            "서버가 서명한 액세스 토큰이 아니거나 형식이 잘못되었습니다.",
        ),
        "refresh-verified" => ("Refresh token verified.", "리프레시 토큰 검증 완료."),
        "refresh-missing" => (
            "No refresh token came with the request.",
            "요청에 리프레시 토큰이 없습니다.",
        ),
        "refresh-expired" => (
            "The refresh token is past its exp.",
            "리프레시 토큰의 exp가 지났습니다.",
        ),
        "refresh-invalid" => (
            "The refresh token is not valid for this session.",
            "이 세션에 유효한 리프레시 토큰이 아닙니다.",
        ),
        "refreshed" => (
            "A new access token was issued from the refresh token.",
            "리프레시 토큰으로 새 액세스 토큰을 발급했습니다.",
        ),
        "refresh-rotated" => (
            "A new refresh token was issued (rotation). It replaces the one you sent once your browser uses it.",
            "새 리프레시 토큰을 발급했습니다(로테이션). 브라우저가 새 토큰을 사용하면 보낸 토큰을 대신합니다.",
        ),
        "refresh-grace" => (
            "Another request (another tab) used this refresh token a moment ago: within the grace window you get a new access token, and no second refresh token.",
            "다른 요청(다른 탭)이 방금 이 리프레시 토큰을 사용했습니다. 유예 시간 안이라 새 액세스 토큰만 주고 리프레시 토큰은 더 만들지 않습니다.",
        ),
        "refresh-confirmed" => (
            "Your browser used the refresh token issued last time (or the access token that came with it): that token is now the current one, and its parent retires.",
            "브라우저가 지난번에 발급된 리프레시 토큰(또는 함께 온 액세스 토큰)을 사용했습니다. 이제 그 토큰이 현재 토큰이고 부모 토큰은 은퇴합니다.",
        ),
        "branch-dropped" => (
            "A refresh token issued earlier never showed up (its answer was lost) and its parent came back: that unconfirmed token is dropped. This is not theft.",
            "앞서 발급한 리프레시 토큰이 한 번도 쓰이지 않았고(응답이 사라짐) 부모 토큰이 다시 왔습니다. 확인되지 않은 그 토큰은 버립니다. 도난이 아닙니다.",
        ),
        "refresh-reissued" => (
            "This kept session had no usable refresh token, so a new one was issued.",
            "로그인 유지 세션에 쓸 수 있는 리프레시 토큰이 없어 새로 발급했습니다.",
        ),
        "reuse-detected" => (
            "A token from a branch the session has left came back (a retired refresh token, or a token of a dropped branch): a copy exists.",
            "세션이 떠난 갈래의 토큰(은퇴한 리프레시 토큰이나 버려진 갈래의 토큰)이 다시 왔습니다: 복사본이 있다는 뜻입니다.",
        ),
        "session-revoked" => ("The whole session was ended.", "세션 전체를 끝냈습니다."),
        "session-ended" => (
            "The session was logged out, revoked, or is past its lifetime.",
            "세션이 로그아웃되었거나 취소되었거나 수명이 끝났습니다.",
        ),
        _ => ("", ""),
    };
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_beats_the_cookie_beats_the_browser() {
        assert_eq!(Lang::choose(Some("ko"), Some("en"), Some("en")), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("ko"), Some("en")), Lang::Ko);
        assert_eq!(
            Lang::choose(Some("fr"), None, Some("ko-KR,ko;q=0.9")),
            Lang::Ko
        );
        assert_eq!(Lang::choose(None, None, None), Lang::En);
    }

    /// Templates print these without escaping; keep them free of HTML.
    #[test]
    fn fixed_strings_need_no_escaping() {
        let events = [
            "access-verified",
            "access-missing",
            "access-expired",
            "access-invalid",
            "refresh-verified",
            "refresh-missing",
            "refresh-expired",
            "refresh-invalid",
            "refreshed",
            "refresh-rotated",
            "refresh-grace",
            "refresh-reissued",
            "refresh-confirmed",
            "branch-dropped",
            "reuse-detected",
            "session-revoked",
            "session-ended",
        ];
        for lang in [Lang::En, Lang::Ko] {
            let mut all = lang.texts().all();
            all.extend(events.iter().map(|e| describe_event(lang, e)));
            all.extend((400..600).filter_map(|s| describe_status(lang, s)));
            for text in all {
                assert!(!text.is_empty());
                assert!(!text.contains(['<', '>', '&', '"']), "{text}");
            }
        }
    }

    #[test]
    fn accept_language_respects_q_values() {
        assert_eq!(
            Lang::from_accept_language("en;q=0.5, ko;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-US;q=0.7, ko;q=0.3"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("ko;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language(";;;,q=,"), None);
    }
}
