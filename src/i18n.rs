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

/// Every fixed string of the pages. Long explanations live in the per-language templates
/// under `templates/explain/`.
pub struct Texts {
    pub lang_name: &'static str,
    pub nav_userinfo: &'static str,
    pub nav_sessions: &'static str,
    pub nav_password: &'static str,
    pub nav_how: &'static str,
    pub nav_login: &'static str,
    pub nav_signup: &'static str,
    pub footer: &'static str,
    pub back_home: &'static str,

    pub login_title: &'static str,
    pub user_id: &'static str,
    pub password: &'static str,
    pub keep_logged_in: &'static str,
    pub login_button: &'static str,
    pub demo_account: &'static str,
    pub keep_hint: &'static str,
    pub login_failed: &'static str,
    pub too_many_attempts: &'static str,
    pub seconds: &'static str,
    pub notice_logged_out: &'static str,
    pub notice_expired: &'static str,
    pub notice_login_required: &'static str,
    pub notice_signed_up: &'static str,
    pub no_account: &'static str,

    pub email: &'static str,
    pub name: &'static str,
    pub position: &'static str,
    pub location: &'static str,
    pub bio: &'static str,
    pub logout_button: &'static str,
    pub timeline_title: &'static str,
    pub timeline_hint: &'static str,
    pub sent_by: &'static str,
    pub session_kept: &'static str,
    pub session_browser: &'static str,

    pub sessions_title: &'static str,
    pub sessions_hint: &'static str,
    pub created: &'static str,
    pub last_seen: &'static str,
    pub device: &'static str,
    pub kept: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub this_session: &'static str,
    pub revoke: &'static str,
    pub revoke_others: &'static str,
    pub notice_revoked_others: &'static str,

    pub password_title: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub change_password: &'static str,
    pub password_rules: &'static str,
    pub wrong_current_password: &'static str,
    pub notice_password_changed: &'static str,

    pub signup_title: &'static str,
    pub signup_button: &'static str,
    pub optional: &'static str,
    pub user_id_taken: &'static str,
}

pub static EN: Texts = Texts {
    lang_name: "English",
    nav_userinfo: "User info",
    nav_sessions: "Sessions",
    nav_password: "Password",
    nav_how: "How it works",
    nav_login: "Log in",
    nav_signup: "Sign up",
    footer: "JWTs in HttpOnly cookies, sessions in SQLite, written in Rust.",
    back_home: "Back to the start",

    login_title: "Log in",
    user_id: "User ID",
    password: "Password",
    keep_logged_in: "Keep me logged in",
    login_button: "Log in",
    demo_account: "Demo account:",
    keep_hint: "Without “keep me logged in” you get only an access token, in a cookie that \
                disappears when the browser closes. With it you also get a refresh token that \
                keeps you logged in for days.",
    login_failed: "The user ID or password is not correct.",
    too_many_attempts: "Too many failed attempts. Try again in",
    seconds: "seconds",
    notice_logged_out: "You have been logged out.",
    notice_expired: "Your session has ended. Please log in again.",
    notice_login_required: "Please log in to see that page.",
    notice_signed_up: "Welcome! Your account was created.",
    no_account: "No account yet?",

    email: "Email",
    name: "Name",
    position: "Position",
    location: "Location",
    bio: "Bio",
    logout_button: "Log out",
    timeline_title: "What happened on this request",
    timeline_hint: "The server's own steps for the request that made this page, in order.",
    sent_by: "Access token sent by",
    session_kept: "Session kept (“keep me logged in”).",
    session_browser: "Session ends when the browser closes.",

    sessions_title: "Your sessions",
    sessions_hint: "Every login is a session on the server. Ending one makes its tokens \
                    worthless at once, even ones that have not expired.",
    created: "Logged in",
    last_seen: "Last seen",
    device: "Browser",
    kept: "Kept",
    yes: "yes",
    no: "no",
    this_session: "this session",
    revoke: "End",
    revoke_others: "Log out everywhere else",
    notice_revoked_others: "Every other session was ended.",

    password_title: "Change your password",
    current_password: "Current password",
    new_password: "New password",
    change_password: "Change password",
    password_rules: "8 to 128 characters, not your user ID, not a well-known password.",
    wrong_current_password: "The current password is not correct.",
    notice_password_changed: "Password changed. Your other sessions were logged out.",

    signup_title: "Create an account",
    signup_button: "Sign up",
    optional: "optional",
    user_id_taken: "That user ID is taken.",
};

pub static KO: Texts = Texts {
    lang_name: "한국어",
    nav_userinfo: "내 정보",
    nav_sessions: "세션",
    nav_password: "비밀번호",
    nav_how: "동작 원리",
    nav_login: "로그인",
    nav_signup: "회원가입",
    footer: "HttpOnly 쿠키에 담긴 JWT, SQLite에 저장된 세션, Rust로 작성했습니다.",
    back_home: "처음으로",

    login_title: "로그인",
    user_id: "아이디",
    password: "비밀번호",
    keep_logged_in: "로그인 상태 유지",
    login_button: "로그인",
    demo_account: "데모 계정:",
    keep_hint: "“로그인 상태 유지”를 선택하지 않으면 액세스 토큰만 받고, 그 쿠키는 브라우저를 닫으면 \
                사라집니다. 선택하면 리프레시 토큰도 받아 며칠 동안 로그인이 유지됩니다.",
    login_failed: "아이디 또는 비밀번호가 올바르지 않습니다.",
    too_many_attempts: "실패한 시도가 너무 많습니다. 다시 시도하기까지",
    seconds: "초",
    notice_logged_out: "로그아웃되었습니다.",
    notice_expired: "세션이 끝났습니다. 다시 로그인해 주세요.",
    notice_login_required: "그 페이지를 보려면 로그인해 주세요.",
    notice_signed_up: "환영합니다! 계정이 만들어졌습니다.",
    no_account: "아직 계정이 없나요?",

    email: "이메일",
    name: "이름",
    position: "직무",
    location: "지역",
    bio: "소개",
    logout_button: "로그아웃",
    timeline_title: "이 요청에서 일어난 일",
    timeline_hint: "이 페이지를 만든 요청에 대해 서버가 밟은 단계를 순서대로 보여 줍니다.",
    sent_by: "액세스 토큰 전달 방식:",
    session_kept: "로그인 상태 유지 세션입니다.",
    session_browser: "브라우저를 닫으면 끝나는 세션입니다.",

    sessions_title: "내 세션",
    sessions_hint: "로그인할 때마다 서버에 세션이 하나 생깁니다. 세션을 끝내면 그 세션의 토큰은 \
                    만료 전이라도 즉시 쓸 수 없게 됩니다.",
    created: "로그인 시각",
    last_seen: "마지막 사용",
    device: "브라우저",
    kept: "유지",
    yes: "예",
    no: "아니요",
    this_session: "현재 세션",
    revoke: "끝내기",
    revoke_others: "다른 모든 곳에서 로그아웃",
    notice_revoked_others: "다른 세션을 모두 끝냈습니다.",

    password_title: "비밀번호 변경",
    current_password: "현재 비밀번호",
    new_password: "새 비밀번호",
    change_password: "비밀번호 변경",
    password_rules: "8자 이상 128자 이하, 아이디와 다르고, 흔히 쓰이는 비밀번호가 아니어야 합니다.",
    wrong_current_password: "현재 비밀번호가 올바르지 않습니다.",
    notice_password_changed: "비밀번호를 바꿨습니다. 다른 세션은 모두 로그아웃되었습니다.",

    signup_title: "계정 만들기",
    signup_button: "가입하기",
    optional: "선택",
    user_id_taken: "이미 사용 중인 아이디입니다.",
};

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
