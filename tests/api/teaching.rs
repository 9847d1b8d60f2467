//! The teaching layer: token inspector, request timeline, demo mode, how-it-works, languages.

use reqwest::StatusCode;
use reqwest::header;
use time::Duration;

use crate::helpers::{Jar, claims, page, set_cookies, spawn, spawn_with, timeline};

#[tokio::test]
async fn the_inspector_shows_every_part_but_never_a_whole_token() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let html = page(&app, "/userinfo", &jar).await;
    for name in ["access_jwt", "refresh_jwt"] {
        let token = jar.get(name).unwrap();
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        assert!(html.contains(&format!(r#"data-token="{name}""#)));
        assert!(
            html.contains(head) && html.contains(payload),
            "header and payload are shown"
        );
        assert!(
            !html.contains(signature),
            "the signature of {name} is never whole in the page"
        );
        assert!(!html.contains(token));
        let short = format!("{}…{}", &signature[..6], &signature[signature.len() - 4..]);
        assert!(html.contains(&short), "a shortened signature is shown");
    }
    for claim in [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "typ",
    ] {
        assert_eq!(
            html.matches(&format!(r#"data-claim="{claim}""#)).count(),
            2,
            "{claim} for both tokens"
        );
    }
    for field in ["alg", "typ", "kid"] {
        assert!(html.contains(&format!(r#"data-header="{field}""#)));
    }
    assert!(html.contains("HS256"));
    assert!(
        html.contains(
            claims(jar.get("access_jwt").unwrap())["jti"]
                .as_str()
                .unwrap()
        )
    );
    assert!(
        html.contains("class=\"countdown\" data-exp="),
        "an expires-in countdown"
    );
    assert!(html.contains("UTC"), "times are readable");
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=86400",
        "Max-Age=604800",
    ] {
        assert!(html.contains(attr), "cookie attribute {attr} shown");
    }
    assert!(html.contains("XSS"), "says why HttpOnly");
}

#[tokio::test]
async fn without_keep_the_inspector_shows_a_session_cookie_and_no_refresh_token() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    let html = page(&app, "/userinfo", &jar).await;
    assert!(html.contains("no Max-Age: a session cookie"));
    assert!(!html.contains(r#"data-token="refresh_jwt""#));
    assert!(html.contains("data-no-refresh"));
}

#[tokio::test]
async fn the_timeline_names_each_step_of_this_request() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    assert_eq!(
        timeline(&page(&app, "/userinfo", &jar).await),
        ["access-verified", "refresh-verified"]
    );

    let only_access = app.logged_in(false).await;
    assert_eq!(
        timeline(&page(&app, "/userinfo", &only_access).await),
        ["access-verified", "refresh-missing"]
    );

    let no_access = jar.clone().without("access_jwt");
    let html = page(&app, "/userinfo", &no_access).await;
    assert_eq!(
        timeline(&html),
        [
            "access-missing",
            "refresh-verified",
            "refreshed",
            "refresh-rotated"
        ]
    );
    assert!(html.contains("A new access token was issued from the refresh token."));

    let mut fresh = app.logged_in(true).await;
    let garbage = fresh.clone().with("access_jwt", "not.a.token");
    let response = app.get("/userinfo", &garbage, true).await;
    fresh.take(&response);
    assert_eq!(
        timeline(&response.text().await.unwrap()),
        [
            "access-invalid",
            "refresh-verified",
            "refreshed",
            "refresh-rotated"
        ]
    );

    // The refresh token in `fresh` is the child issued just above, never used yet: presenting
    // it confirms it (its parent retires) before it is rotated in turn.
    app.advance(Duration::days(1) + Duration::seconds(1));
    let html = page(&app, "/userinfo", &fresh).await;
    assert_eq!(
        timeline(&html),
        [
            "access-expired",
            "refresh-verified",
            "refresh-confirmed",
            "refreshed",
            "refresh-rotated"
        ]
    );
}

#[tokio::test]
async fn demo_routes_are_404_unless_demo_mode_is_on() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    for path in [
        "/demo/expire-access",
        "/demo/forget-refresh",
        "/demo/replay-refresh",
    ] {
        assert_eq!(
            app.post(path, &jar, true).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert!(
        !page(&app, "/userinfo", &jar)
            .await
            .contains("/demo/expire-access"),
        "no buttons either"
    );
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::OK,
        "nothing changed"
    );
}

#[tokio::test]
async fn expire_my_access_token_shows_the_refresh_on_the_next_load() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let mut jar = app.logged_in(true).await;
    assert!(
        page(&app, "/userinfo", &jar)
            .await
            .contains(r#"action="/demo/expire-access""#)
    );
    let response = app.post("/demo/expire-access", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/userinfo?lesson=refresh#timeline"
    );
    let cookie = set_cookies(&response)["access_jwt"].clone();
    let c = claims(cookie.value());
    let now = app.clock_now();
    assert!(
        c["exp"].as_i64().unwrap() < now,
        "the new access token has already expired"
    );
    assert_eq!(c["typ"], "access");
    assert_eq!(
        cookie.max_age(),
        Some(Duration::days(1)),
        "but the browser keeps sending it"
    );
    jar.take(&response);

    let html = page(&app, "/userinfo", &jar).await;
    assert_eq!(
        timeline(&html),
        [
            "access-expired",
            "refresh-verified",
            "refreshed",
            "refresh-rotated"
        ]
    );
}

#[tokio::test]
async fn forget_my_refresh_token_shows_a_new_one_being_issued() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let mut jar = app.logged_in(true).await;
    let response = app.post("/demo/forget-refresh", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    jar.take(&response);
    assert!(jar.get("refresh_jwt").is_none());
    let response = app.get("/userinfo", &jar, true).await;
    assert!(set_cookies(&response).contains_key("refresh_jwt"));
    assert_eq!(
        timeline(&response.text().await.unwrap()),
        ["access-verified", "refresh-missing", "refresh-reissued"]
    );
}

#[tokio::test]
async fn losing_a_refresh_answer_costs_nothing() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let mut jar = app.logged_in(true).await;
    let refresh = jar.get("refresh_jwt").unwrap().to_owned();
    let response = app.post("/demo/lose-answer", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    jar.take(&response);
    assert_eq!(
        jar.get("refresh_jwt"),
        Some(refresh.as_str()),
        "the answer never arrived"
    );

    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    jar.take(&response);
    assert_eq!(
        timeline(&response.text().await.unwrap()),
        [
            "access-expired",
            "refresh-verified",
            "branch-dropped",
            "refreshed",
            "refresh-rotated"
        ]
    );
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    assert_eq!(
        app.sql_i64("SELECT revoked_at FROM sessions", &[]).await,
        None,
        "no theft"
    );
}

#[tokio::test]
async fn the_sessions_page_draws_each_kept_sessions_lineage() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let mut jar = app.logged_in(true).await;
    let unkept = app.logged_in(false).await;
    let _ = unkept;
    // A lost answer (a dropped child), then a refresh whose child is used (confirmed).
    let response = app.post("/demo/lose-answer", &jar, true).await;
    jar.take(&response);
    let response = app.get("/userinfo", &jar, true).await;
    jar.take(&response);
    let html = page(&app, "/sessions", &jar).await;
    let states: Vec<&str> = html
        .split("data-token-state=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(states, ["retired", "dropped", "current"], "{html}");
    assert_eq!(
        html.matches("<svg").count(),
        1,
        "only the kept session has a lineage"
    );
    let sid = claims(jar.get("access_jwt").unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("data-lineage=\"{sid}\"")));
    // Short ids and times only: no token, no whole jti.
    let jti = claims(jar.get("refresh_jwt").unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!html.contains(&jti) && html.contains(&jti[..6]));
    assert!(!html.contains(jar.get("refresh_jwt").unwrap()));
    // Each token says when it was issued (under its circle, and in full in its tooltip), and
    // when it was confirmed, retired or dropped.
    let iat = claims(jar.get("refresh_jwt").unwrap())["iat"]
        .as_i64()
        .unwrap();
    let issued = time::OffsetDateTime::from_unix_timestamp(iat).unwrap();
    let (h, m, sec) = (issued.hour(), issued.minute(), issued.second());
    assert!(
        html.contains(&format!("{}… {h:02}:{m:02}:{sec:02}", &jti[..6])),
        "{html}"
    );
    let day = format!(
        "{}-{:02}-{:02} {h:02}:{m:02}:{sec:02} UTC",
        issued.year(),
        u8::from(issued.month()),
        issued.day()
    );
    assert!(html.contains(&format!("issued: {day}")), "{html}");
    for label in ["confirmed: ", "retired: ", "dropped: "] {
        assert!(html.contains(label), "{label}");
    }
    let ko = page(&app, "/sessions?lang=ko", &jar).await;
    assert!(ko.contains("리프레시 토큰 계보") && ko.contains("폐기됨"));
}

#[tokio::test]
async fn how_it_works_states_the_lineage_rule_in_both_languages() {
    let app = spawn().await;
    for (path, words) in [
        (
            "/how-it-works?lang=en",
            ["pending", "retires", "dropped", "not</strong> theft"],
        ),
        (
            "/how-it-works?lang=ko",
            ["대기", "교체", "폐기하고", "도난이 <strong>아닙니다"],
        ),
    ] {
        let html = app.text(path).await;
        assert!(html.contains("data-lineage-rule"), "{path}");
        for word in words {
            assert!(html.contains(word), "{path} lacks {word}");
        }
    }
}

#[tokio::test]
async fn replaying_an_old_refresh_token_ends_the_session() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let mut jar = app.logged_in(true).await;
    let old_refresh = jar.get("refresh_jwt").unwrap().to_owned();
    let response = app.post("/demo/replay-refresh", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    jar.take(&response);
    assert_eq!(
        jar.get("refresh_jwt"),
        Some(old_refresh.as_str()),
        "the browser still holds the old one"
    );

    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/demo/theft",
        "demo mode shows the evidence rather than the login form"
    );
    assert_eq!(
        set_cookies(&response)["refresh_jwt"].value(),
        "",
        "cookies cleared"
    );
    jar.take(&response);
    // The evidence: the request's timeline with the theft, and which token came back: the
    // browser's own, which the thief's refresh had retired.
    let evidence = page(&app, "/demo/theft", &jar).await;
    assert!(
        evidence.contains(r#"data-event="reuse-detected""#),
        "{evidence}"
    );
    let old_jti = claims(&old_refresh)["jti"].as_str().unwrap().to_owned();
    assert!(
        evidence.contains(&format!(r#"data-came-back="{}""#, &old_jti[..6])),
        "{evidence}"
    );
    assert!(evidence.contains("<strong>retired</strong>"), "{evidence}");
    assert!(evidence.contains("<svg"), "the ended session's lineage");
    // Logged in again in the same browser, the ended session stays on /sessions, with why it
    // ended and its lineage, for the rest of the lesson.
    let ended_sid = claims(&old_refresh)["sid"].as_str().unwrap().to_owned();
    app.log_in_again(&mut jar, false).await;
    let sessions = page(&app, "/sessions", &jar).await;
    let card = sessions
        .split(&format!(r#"data-session="{ended_sid}""#))
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_else(|| panic!("the ended session is listed: {sessions}"));
    assert!(card.contains("data-ended"), "{card}");
    assert!(card.contains("data-ended-why"), "{card}");
    assert!(card.contains("<svg"), "its lineage: {card}");
    // Another browser has no such evidence.
    let stranger = app.logged_in(true).await;
    let response = app.get("/demo/theft", &stranger, true).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Outside demo mode's evidence page, the login form says why.
    let login = app.text("/login?notice=reuse-detected").await;
    assert!(login.contains("ended the whole session"));
    // The button's explanation states the lineage rule, in both languages.
    let fresh = app.logged_in(true).await;
    let en = page(&app, "/userinfo", &fresh).await;
    assert!(en.contains("a token from a branch the session has left"));
    assert!(en.contains("the child you never received is dropped"));
    let ko = page(&app, "/userinfo?lang=ko", &fresh).await;
    assert!(ko.contains("세션이 이미 떠난 분기의 토큰이므로"));
    assert!(
        !ko.contains("은퇴") && !ko.contains("갈래"),
        "natural Korean"
    );
    assert!(ko.contains("받지 못한 자식 토큰은 폐기되고"));
    let revoked = app.sql_i64("SELECT revoked_at FROM sessions", &[]).await;
    assert!(revoked.is_some());

    // Without a refresh token there is nothing to replay.
    let unkept = app.logged_in(false).await;
    assert_eq!(
        app.post("/demo/replay-refresh", &unkept, false)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // A browser's form is sent back to the demo buttons, which say what is needed.
    let response = app.post("/demo/replay-refresh", &unkept, true).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(back, "/userinfo?notice=needs-kept#demo");
    let html = page(&app, &back, &unkept).await;
    assert!(
        html.contains(r#"<p class="warning" role="alert">"#),
        "{html}"
    );
}

#[tokio::test]
async fn how_it_works_draws_the_flows_and_is_linked_from_every_page() {
    let app = spawn().await;
    let html = page(&app, "/how-it-works", &Jar::default()).await;
    for diagram in ["login-en", "refresh-en", "logout-en"] {
        assert!(
            html.contains(&format!(r#"data-diagram="{diagram}""#)),
            "{diagram}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 3);
    let cases = html
        .split("data-cases")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert_eq!(
        cases.matches("<tr>").count(),
        5,
        "a header and the four cases"
    );
    for topic in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "rotates",
        "Bearer",
        "Stateless",
    ] {
        assert!(html.contains(topic), "{topic}");
    }
    let jar = app.logged_in(true).await;
    for path in [
        "/login",
        "/userinfo",
        "/sessions",
        "/password",
        "/how-it-works",
    ] {
        assert!(
            page(&app, path, &jar)
                .await
                .contains(r#"href="/how-it-works""#),
            "{path} links it"
        );
    }
}

#[tokio::test]
async fn pages_speak_korean_when_asked_and_remember_it() {
    let app = spawn().await;
    let response = app
        .client
        .get(app.url("/login?lang=ko"))
        .send()
        .await
        .unwrap();
    let lang_cookie = set_cookies(&response)["lang"].clone();
    assert_eq!(lang_cookie.value(), "ko");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ko">"#));
    assert!(html.contains("로그인 상태 유지"));

    // The cookie remembers; the toggle offers English.
    let remembered = Jar::default().with("lang", "ko");
    let html = page(&app, "/how-it-works", &remembered).await;
    assert!(html.contains(r#"<html lang="ko">"#) && html.contains("동작 원리"));
    assert!(html.contains(r#"data-diagram="refresh-ko""#));
    assert!(html.contains(r#"href="?lang=en""#));

    // Else the browser's Accept-Language, by preference; else English.
    let response = app
        .client
        .get(app.url("/login"))
        .header(header::ACCEPT_LANGUAGE, "ko-KR,ko;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"<html lang="ko">"#)
    );
    let response = app
        .client
        .get(app.url("/login"))
        .header(header::ACCEPT_LANGUAGE, "fr-FR")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"<html lang="en">"#)
    );

    // Logged in, in Korean: the profile page and the timeline.
    let jar = app.logged_in(true).await.with("lang", "ko");
    let html = page(&app, "/userinfo", &jar).await;
    assert!(html.contains("이 요청에서 일어난 일") && html.contains("액세스 토큰 검증 완료"));
}

#[tokio::test]
async fn no_page_has_inline_script_or_style() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let jar = app.logged_in(true).await;
    for path in [
        "/login",
        "/userinfo",
        "/sessions",
        "/password",
        "/how-it-works",
        "/how-it-works?lang=ko",
    ] {
        let html = page(&app, path, &jar).await;
        assert!(
            !html.contains(" style="),
            "{path} has an inline style attribute"
        );
        assert!(!html.contains("<style"), "{path} has a style element");
        for script in html.split("<script").skip(1) {
            assert!(
                script.trim_start().starts_with("src=\"/static/"),
                "{path} has an inline script"
            );
        }
        assert!(
            !html.contains(" onclick=") && !html.contains("javascript:"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn errors_and_form_messages_are_in_the_pages_language() {
    let app = spawn().await;
    let korean = Jar::default().with("lang", "ko");
    let response = app.get("/no/such/page", &korean, true).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("그런 페이지는 없습니다.")
    );

    let response = app
        .client
        .post(app.url("/signup"))
        .headers(korean.headers())
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("userId", "park"),
            ("password", "short"),
            ("email", "park@example.com"),
            ("name", "Park"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("비밀번호는 8자 이상이어야 합니다.")
    );

    let response = app.login_form("kimcoding", "wrong", false).await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("The user ID or password is not correct.")
    );
    let response = app
        .client
        .post(app.url("/login"))
        .headers(korean.headers())
        .header(header::ACCEPT, "text/html")
        .form(&[("userId", "kimcoding"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("아이디 또는 비밀번호가 올바르지 않습니다.")
    );
}
