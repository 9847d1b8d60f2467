//! A class of learners on one server in demo mode: each browser is a learner, and nothing one
//! does to the shared `kimcoding` touches another; a learner's own demo account; the lesson's
//! steps, marked from what each learner's session really did; and the teacher's reset.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use reqwest::{StatusCode, header};
use time::Duration;

use crate::helpers::{
    DEMO_PASSWORD, DEMO_USER, Jar, TestApp, body_json, page, sid, spawn, spawn_with,
};

async fn demo() -> TestApp {
    spawn_with(&[("DEMO_MODE", "true")]).await
}

/// The ids of the sessions `GET /sessions` lists to `jar`.
async fn listed(app: &TestApp, jar: &Jar) -> Vec<String> {
    let response = app.get("/sessions", jar, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    let list = body_json(response).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn one_learner_on_the_shared_account_never_ends_anothers_session() {
    let app = demo().await;
    let anna = app.logged_in(true).await;
    let ben = app.logged_in(true).await;
    let ben_again = app.logged_in(false).await;
    assert_ne!(
        anna.get("lab_learner"),
        ben.get("lab_learner"),
        "two browsers"
    );

    // "Log out everywhere else" ends nobody's session and says why.
    let response = app.post("/sessions/revoke-others", &anna, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["revoked"], 0);
    let response = app.post("/sessions/revoke-others", &anna, true).await;
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sessions?notice=shared-account"
    );
    let html = page(&app, "/sessions?notice=shared-account", &anna).await;
    assert!(html.contains("ended nobody&#39;s session"), "{html}");
    for jar in [&ben, &ben_again] {
        assert_eq!(app.userinfo(jar).await.status(), StatusCode::OK);
    }

    // The sessions page lists this browser's sessions only, and ends only those.
    assert_eq!(listed(&app, &anna).await, [sid(&anna)]);
    let html = page(&app, "/sessions", &anna).await;
    assert!(
        !html.contains(&sid(&ben)),
        "no other learner's session shown"
    );
    let response = app
        .post(&format!("/sessions/{}/revoke", sid(&ben)), &anna, false)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.userinfo(&ben).await.status(), StatusCode::OK);

    // Its password cannot be changed: a 403 that says why, and 1234 still works.
    let response = app.change_password(&anna, "a-new-long-password").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let said = body_json(response).await;
    assert!(
        said["error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot be changed in demo mode"),
        "{said}"
    );
    assert_eq!(app.userinfo(&ben).await.status(), StatusCode::OK);
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn wrong_passwords_lock_the_shared_account_only_for_the_address_that_sent_them() {
    let app = demo().await;
    for _ in 0..6 {
        let response = app.login_json(DEMO_USER, "wrong", false).await;
        assert_ne!(response.status(), StatusCode::FOUND);
    }
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address that guessed is locked out"
    );
    // Another learner, from another address, logs in as usual.
    let elsewhere = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = elsewhere
        .post(app.url("/login"))
        .json(&serde_json::json!({
            "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD },
            "checkedKeepLogin": false
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn outside_demo_mode_the_account_is_one_user_as_before() {
    let app = spawn().await;
    let here = app.logged_in(true).await;
    let other = app.logged_in(false).await;
    assert_eq!(listed(&app, &here).await.len(), 2);
    let response = app.post("/sessions/revoke-others", &here, false).await;
    assert_eq!(body_json(response).await["revoked"], 1);
    assert_eq!(
        app.userinfo(&other).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/demo/account", &Jar::default(), true)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(!app.text("/login").await.contains("own-demo-account"));
}

/// Makes an own demo account from a fresh browser: its cookies, name and password.
async fn own_account(app: &TestApp) -> (Jar, String, String) {
    let login = app.text("/login").await;
    assert!(login.contains(r#"data-action="own-demo-account""#));
    let response = app.post("/demo/account", &Jar::default(), true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut jar = Jar::default();
    jar.take(&response);
    assert!(
        jar.get("refresh_jwt").is_some(),
        "kept, so every demo works"
    );
    let html = response.text().await.unwrap();
    let field = |name: &str| {
        let mark = format!(r#"data-field="{name}">"#);
        let at = html.find(&mark).unwrap() + mark.len();
        html[at..].split('<').next().unwrap().to_owned()
    };
    (jar, field("userId"), field("password"))
}

#[tokio::test]
async fn an_own_demo_account_is_made_in_one_click_and_expires() {
    let app = demo().await;
    let (jar, name, password) = own_account(&app).await;
    let me = body_json(app.userinfo(&jar).await).await;
    assert_eq!(me["userId"], name.as_str());
    let (_, other_name, _) = own_account(&app).await;
    assert_ne!(name, other_name, "each learner their own");

    // The name and password shown work, and the account is not shared: a password change works.
    assert_eq!(
        app.login_json(&name, &password, false).await.status(),
        StatusCode::FOUND
    );
    let response = app
        .post_json(
            "/password",
            &jar,
            &serde_json::json!({ "currentPassword": password, "newPassword": "my-own-secret-77" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // 12 hours later it cannot log in, and the sweep (here, at the next start) deletes it.
    app.advance(Duration::hours(12) + Duration::seconds(1));
    assert_eq!(
        app.login_json(&name, "my-own-secret-77", false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let restarted = app.restart().await;
    assert_eq!(
        restarted
            .login_json(&name, "my-own-secret-77", false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let users = restarted
        .sql_i64(
            "SELECT COUNT(*) FROM users WHERE user_id = $1",
            &[name.as_str()],
        )
        .await;
    assert_eq!(users, Some(0));
}

/// `data-step` → `data-done` of the lesson page as `jar` sees it.
async fn lesson(app: &TestApp, jar: &Jar) -> Vec<(String, bool)> {
    let html = page(app, "/lesson", jar).await;
    html.split("data-step=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let done = rest
                .split("data-done=\"")
                .nth(1)
                .and_then(|d| d.split('"').next())
                .unwrap();
            (name, done == "true")
        })
        .collect()
}

fn done(steps: &[(String, bool)]) -> Vec<&str> {
    steps
        .iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| n.as_str())
        .collect()
}

#[tokio::test]
async fn the_lessons_steps_are_marked_from_what_this_learners_session_did() {
    let app = demo().await;
    let stranger = Jar::default();
    let steps = lesson(&app, &stranger).await;
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "login",
            "inspect",
            "refresh",
            "lose-answer",
            "replay",
            "two-servers",
            "lab",
            "cross-site",
            "logout"
        ]
    );
    assert!(done(&steps).is_empty());

    let mut jar = app.logged_in(true).await;
    let other = app.logged_in(true).await;
    assert_eq!(done(&lesson(&app, &jar).await), ["login"]);
    page(&app, "/userinfo?lesson=inspect", &jar).await;
    assert_eq!(done(&lesson(&app, &jar).await), ["login", "inspect"]);

    // Expire the access token: the next load refreshes.
    jar.take(&app.post("/demo/expire-access", &jar, true).await);
    jar.take(&app.get("/userinfo", &jar, true).await);
    // Lose an answer: the next load drops the child it never got.
    jar.take(&app.post("/demo/lose-answer", &jar, true).await);
    jar.take(&app.get("/userinfo", &jar, true).await);
    assert_eq!(
        done(&lesson(&app, &jar).await),
        ["login", "inspect", "refresh", "lose-answer"]
    );

    // The lab.
    let response = app
        .client
        .post(app.url("/lab"))
        .headers(jar.headers())
        .header(header::ACCEPT, "text/html")
        .form(&[("attack", "alg-none")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Two servers: keep a copy, log out, ask both with the copy.
    let response = app.post("/demo/two-servers/copy", &jar, true).await;
    let copy = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    app.post(&format!("{copy}/logout"), &jar, true).await;
    let response = app.post(&format!("{copy}/ask"), &jar, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let steps = lesson(&app, &jar).await;
    assert!(done(&steps).contains(&"two-servers"), "{steps:?}");
    assert!(done(&steps).contains(&"lab"), "{steps:?}");

    // A new session in this browser, then a replay: the theft caught.
    app.log_in_again(&mut jar, true).await;
    jar.take(&app.post("/demo/replay-refresh", &jar, true).await);
    let response = app.get("/userinfo", &jar, true).await;
    assert_eq!(response.headers()[header::LOCATION], "/demo/theft");
    let steps = lesson(&app, &jar).await;
    assert!(done(&steps).contains(&"replay"), "{steps:?}");
    assert!(!done(&steps).contains(&"logout"));

    // The other learner did nothing but log in.
    assert_eq!(done(&lesson(&app, &other).await), ["login"]);
}

#[tokio::test]
async fn logging_out_is_a_step_done_and_the_page_stays_in_its_language() {
    let app = demo().await;
    let jar = app.logged_in(false).await;
    let learner = jar.get("lab_learner").unwrap().to_owned();
    let response = app.post("/logout?lang=ko", &jar, true).await;
    let back = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        back,
        format!("/login?notice=logged-out&lang=ko&learner={learner}")
    );
    // Clear-Site-Data drops every cookie: the id comes back from the link.
    let html = page(&app, &back, &Jar::default()).await;
    assert!(html.contains(r#"<html lang="ko">"#));
    assert!(html.contains("로그아웃되었습니다."));
    let again = Jar::default().with("lab_learner", &learner);
    assert!(done(&lesson(&app, &again).await).contains(&"logout"));
}

#[tokio::test]
async fn every_way_a_session_ends_has_its_own_reason_on_the_login_page() {
    let app = spawn().await;
    // Ended from another device.
    let laptop = app.logged_in(false).await;
    let phone = app.logged_in(false).await;
    app.post(&format!("/sessions/{}/revoke", sid(&phone)), &laptop, false)
        .await;
    // A password change ends the others.
    let changed = app.logged_in(false).await;
    let response = app.change_password(&laptop, "a-much-longer-pass").await;
    assert_eq!(response.status(), StatusCode::OK);
    let expectations: [(&Jar, &str, &str); 2] = [
        (
            &phone,
            "ended-elsewhere",
            "ended from another browser or device",
        ),
        (
            &changed,
            "ended-password",
            "The password of this account was changed",
        ),
    ];
    for (jar, notice, words) in expectations {
        let response = app.get("/userinfo", jar, true).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let to = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(to, format!("/login?notice={notice}"));
        assert!(app.text(&to).await.contains(words), "{notice}");
    }
    // Logged out, expired, theft: each its own words.
    for (notice, words) in [
        ("logged-out", "You have been logged out."),
        ("expired", "Your session has ended"),
        ("reuse-detected", "ended the whole session"),
        ("access-expired", "Your access token expired"),
    ] {
        let html = app.text(&format!("/login?notice={notice}")).await;
        assert!(html.contains(words), "{notice}");
    }
}

/// Runs `jwt-cookie-lab demo reset` against `app`'s database, as a teacher would beside the
/// running server; its standard output.
fn reset_the_class(app: &TestApp) -> String {
    let here = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"))
        .args(["demo", "reset"])
        .current_dir(here.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(app.settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

#[tokio::test]
async fn the_teachers_reset_starts_the_class_afresh_while_the_server_runs() {
    let app = demo().await;
    let mut anna = app.logged_in(true).await;
    let ben = app.logged_in(false).await;
    let (own, name, password) = own_account(&app).await;
    // Anna's session is in the server's memory now: the reset must reach it there.
    page(&app, "/userinfo?lesson=inspect", &anna).await;
    assert_eq!(done(&lesson(&app, &anna).await), ["login", "inspect"]);
    // A lock-out for this address.
    for _ in 0..6 {
        app.login_json(DEMO_USER, "wrong", false).await;
    }
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let out = reset_the_class(&app);
    let started = std::time::Instant::now();
    assert!(out.contains("ended 3 sessions"), "{out}");
    assert!(out.contains("deleted 1 demo accounts"), "{out}");
    assert!(out.contains("restored kimcoding / 1234"), "{out}");
    assert!(!out.contains("cleared 0 lock-outs"), "{out}");

    // The running server notices within a second: sessions it had cached are refused...
    let took = app
        .userinfo_until_refused(
            &anna,
            started,
            std::time::Duration::from_secs(1),
            "a session after the reset",
            || {},
        )
        .await;
    assert!(took < std::time::Duration::from_secs(1));
    for jar in [&ben, &own] {
        assert_eq!(app.userinfo(jar).await.status(), StatusCode::UNAUTHORIZED);
    }
    // ...a browser is told why...
    let response = app.get("/userinfo", &anna, true).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?notice=class-reset"
    );
    anna.take(&response);
    let html = page(&app, "/login?notice=class-reset", &anna).await;
    assert!(html.contains("The teacher reset the class"));
    // ...and the lesson starts over, the lock-out is gone, the own account too.
    assert!(done(&lesson(&app, &anna).await).is_empty());
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
    assert_eq!(
        app.login_json(&name, &password, false).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_reset_restores_the_shared_password_after_a_change_outside_demo_mode() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    assert_eq!(
        app.change_password(&jar, "changed-by-someone")
            .await
            .status(),
        StatusCode::OK
    );
    let out = reset_the_class(&app);
    assert!(out.contains("restored kimcoding / 1234"), "{out}");
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::FOUND
    );
}
