//! The guided lesson's words (`/lesson`): for each step, what to do, what to look for and why,
//! and the banner on the page the step leads to.

use super::Lang;
use crate::vocab::LessonStep;

/// One step of the lesson, for people.
pub struct StepText {
    pub title: &'static str,
    /// What to do.
    pub todo: &'static str,
    /// What to look for.
    pub look: &'static str,
    /// Why it matters.
    pub why: &'static str,
}

type Pair = (&'static str, &'static str);

/// `(title, todo, look, why)`, English and Korean.
fn words(step: LessonStep) -> [Pair; 4] {
    match step {
        LessonStep::Login => [
            ("Log in and keep the session", "로그인하고 세션 유지하기"),
            (
                "Log in with “Keep me logged in” ticked (or make a demo account of your own, which does it for you).",
                "“로그인 상태 유지”를 켜고 로그인하세요(또는 내 데모 계정을 만들면 알아서 켜집니다).",
            ),
            (
                "Two cookies arrive: access_jwt for a day and refresh_jwt for a week, both HttpOnly, Secure and SameSite=Strict.",
                "쿠키 두 개가 옵니다. 하루 동안 유효한 access_jwt와 일주일 동안 유효한 refresh_jwt로, 둘 다 HttpOnly, Secure, SameSite=Strict입니다.",
            ),
            (
                "Only a kept session has a refresh token, and every step after this one needs it.",
                "리프레시 토큰은 로그인 상태를 유지하는 세션에만 있고, 이후 단계는 모두 그 토큰이 있어야 합니다.",
            ),
        ],
        LessonStep::Inspect => [
            ("Read your tokens", "내 토큰 읽어 보기"),
            (
                "Open User info and scroll to “Your tokens, decoded”.",
                "내 정보 페이지를 열고 “내 토큰 해부”까지 내려가세요.",
            ),
            (
                "Each token's three parts, each claim with what it means (sid names your session on the server; rjti ties the access token to its refresh token), and the cookie's attributes.",
                "토큰마다 세 부분과 클레임별 뜻(sid는 서버의 내 세션을 가리키고, rjti는 액세스 토큰을 짝이 되는 리프레시 토큰에 묶습니다), 그리고 쿠키 속성을 보세요.",
            ),
            (
                "A JWT is signed, not encrypted: anyone holding it can read it. What protects it is the signature, and the cookie that keeps scripts away from it.",
                "JWT는 서명만 되어 있을 뿐 암호화되지 않아서, 가진 사람은 누구나 읽을 수 있습니다. 토큰을 지켜 주는 것은 서명, 그리고 스크립트가 토큰에 손대지 못하게 막는 쿠키입니다.",
            ),
        ],
        LessonStep::Refresh => [
            (
                "Expire the access token and watch the refresh",
                "액세스 토큰을 만료시키고 갱신 지켜보기",
            ),
            (
                "Press “Expire my access token now”: the page reloads with the token already past its exp.",
                "“액세스 토큰 지금 만료시키기”를 누르세요. 페이지가 exp가 지난 토큰으로 다시 열립니다.",
            ),
            (
                "The timeline: access-expired, then refreshed and refresh-rotated. A new pair of tokens arrived without a login.",
                "타임라인을 보세요. access-expired 다음에 refreshed와 refresh-rotated가 이어집니다. 로그인 없이 새 토큰 한 쌍이 왔습니다.",
            ),
            (
                "A short-lived access token limits what a stolen one is worth; the refresh token quietly replaces it.",
                "액세스 토큰의 수명이 짧으면 도난당해도 쓸모가 적습니다. 리프레시 토큰이 조용히 새것으로 바꿔 줍니다.",
            ),
        ],
        LessonStep::LoseAnswer => [
            ("Lose an answer", "응답 하나 잃어버리기"),
            (
                "Press “Lose a refresh answer”: the server rotates your refresh token, and the answer never reaches you, as on a dropped connection.",
                "“갱신 응답 잃어버리기”를 누르세요. 서버가 리프레시 토큰을 교체하지만, 연결이 끊긴 것처럼 응답이 오지 않습니다.",
            ),
            (
                "The timeline: branch-dropped. The token you never got is dropped, you get a new one, and you stay logged in.",
                "타임라인에서 branch-dropped를 보세요. 받지 못한 토큰은 폐기되고 새 토큰이 오며, 로그인은 그대로 유지됩니다.",
            ),
            (
                "Rotation must survive lost answers, or every flaky network would log people out, or be mistaken for theft.",
                "토큰 교체는 응답이 사라져도 문제없이 동작해야 합니다. 그렇지 않으면 네트워크가 불안정할 때마다 사용자가 로그아웃되거나 도난으로 오해받습니다.",
            ),
        ],
        LessonStep::Replay => [
            (
                "Replay an old token and see the theft caught",
                "옛 토큰을 다시 보내 도난 잡아내기",
            ),
            (
                "Press “Replay an old refresh token”: the server plays a thief who used a copy of your refresh token first.",
                "“예전 리프레시 토큰 재사용하기”를 누르세요. 서버가 도둑 역할을 맡아 내 리프레시 토큰의 복사본을 먼저 씁니다.",
            ),
            (
                "The evidence page: reuse-detected, the token that came back and its place in the lineage, and the whole session ended.",
                "증거 페이지에서 reuse-detected, 다시 온 토큰과 계보 속 위치, 그리고 세션 전체가 끝난 것을 보세요.",
            ),
            (
                "A refresh token that was already replaced can only come back from a copy: ending the session locks out the thief and the owner alike, and the owner simply logs in again.",
                "이미 교체된 리프레시 토큰이 다시 왔다면 복사본에서 나온 것일 수밖에 없습니다. 세션을 끝내면 도둑도 주인도 막히고, 주인은 다시 로그인하면 됩니다.",
            ),
        ],
        LessonStep::TwoServers => [
            ("The two servers after logout", "로그아웃 뒤의 두 서버"),
            (
                "On “Same token, two servers”, press “Keep a copy, as a thief would”; on the copy's page press “Log out the real user”, then “Send the copy to both servers”.",
                "“같은 토큰, 두 서버” 페이지에서 “도둑처럼 복사본 챙기기”를 누르고, 복사본 페이지에서 “진짜 사용자 로그아웃하기”를 누른 뒤 “복사본을 두 서버에 보내기”를 누르세요.",
            ),
            (
                "The app refuses the copy at once (401); the stateless verifier still says yes (200) until the token's exp.",
                "앱은 복사본을 즉시 거부하지만(401), 무상태 검증 서버는 토큰의 exp까지 계속 받아들입니다(200).",
            ),
            (
                "Logging out ends a session on the server; a server that only checks signatures cannot know that.",
                "로그아웃은 서버에서 세션을 끝냅니다. 서명만 확인하는 서버는 그 사실을 알 수 없습니다.",
            ),
        ],
        LessonStep::Lab => [
            ("An attack in the lab", "실험실에서 공격해 보기"),
            (
                "Open the attack lab, pick an attack (alg: none, a changed payload, HS512...), send it.",
                "공격 실험실을 열고 공격 하나(alg: none, 페이로드 바꾸기, HS512 등)를 골라 보내세요.",
            ),
            (
                "The verdict names the check that refused the token, and says what went wrong; every check before it passed.",
                "판정은 토큰을 거부한 검사를 짚고 무엇이 잘못됐는지 말해 줍니다. 그 앞의 검사는 모두 통과했습니다.",
            ),
            (
                "Each classic JWT attack fails at one precise check: knowing which is knowing why the check exists.",
                "고전적인 JWT 공격은 저마다 정확히 한 검사에서 막힙니다. 어느 검사인지 알면 그 검사가 왜 있는지 알게 됩니다.",
            ),
        ],
        LessonStep::CrossSite => [
            ("The other site", "다른 사이트"),
            (
                "Open the other site from User info: its page tries to read your cookies, read /userinfo and log you out.",
                "내 정보 페이지에서 다른 사이트를 여세요. 그 페이지가 내 쿠키를 읽고, /userinfo를 읽고, 나를 로그아웃시키려 합니다.",
            ),
            (
                "Each attempt blocked, with the defence that stopped it, and what the app saw of your browser's requests.",
                "시도가 하나하나 막힌 결과와 그것을 막은 방어, 그리고 앱이 내 브라우저의 요청에서 본 내용을 보세요.",
            ),
            (
                "HttpOnly, SameSite=Strict, CORS and a same-origin check each close one door a malicious page would use.",
                "HttpOnly, SameSite=Strict, CORS, 같은 출처 확인은 각각 악성 페이지가 쓸 문 하나를 닫습니다.",
            ),
        ],
        LessonStep::Logout => [
            ("Log out", "로그아웃하기"),
            ("Press Log out.", "로그아웃을 누르세요."),
            (
                "Both cookies cleared, and the session ended on the server: its tokens are refused everywhere from now on.",
                "쿠키 두 개가 지워지고 서버의 세션이 끝납니다. 이제 그 토큰은 어디서나 거부됩니다.",
            ),
            (
                "Deleting cookies alone would leave a copied token working; ending the session is what makes logout real.",
                "쿠키만 지우면 복사된 토큰은 계속 통합니다. 세션을 끝내야 로그아웃이 진짜가 됩니다.",
            ),
        ],
    }
}

/// A step's words in `lang`.
pub fn describe_step(lang: Lang, step: LessonStep) -> StepText {
    let pick = |(en, ko): Pair| match lang {
        Lang::En => en,
        Lang::Ko => ko,
    };
    let [title, todo, look, why] = words(step);
    StepText {
        title: pick(title),
        todo: pick(todo),
        look: pick(look),
        why: pick(why),
    }
}

/// Where a step is done, with the banner that says what to look at (`?lesson=`).
pub fn step_page(step: LessonStep) -> &'static str {
    match step {
        LessonStep::Login => "/login?lesson=login",
        LessonStep::Inspect => "/userinfo?lesson=inspect#inspector",
        LessonStep::Refresh => "/userinfo?lesson=refresh#demo",
        LessonStep::LoseAnswer => "/userinfo?lesson=lose-answer#demo",
        LessonStep::Replay => "/userinfo?lesson=replay#demo",
        LessonStep::TwoServers => "/demo/two-servers?lesson=two-servers",
        LessonStep::Lab => "/lab?lesson=lab",
        LessonStep::CrossSite => "/userinfo?lesson=cross-site#demo",
        LessonStep::Logout => "/userinfo?lesson=logout",
    }
}
