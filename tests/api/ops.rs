//! What an operator relies on: metrics on their own address (never on the public port) that
//! move with what happens, readiness both ways, the API description matching the real answers
//! (the course's requests included), and logout clearing what the browser keeps for the site.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{
    DEMO_PASSWORD, DEMO_USER, TestApp, WITH_METRICS, body_json, metric, set_cookies, sid, spawn,
    spawn_with,
};

#[tokio::test]
async fn metrics_are_off_by_default_and_never_on_the_public_port() {
    let app = spawn().await;
    assert!(app.metrics_address.is_none());
    let on = spawn_with(&[WITH_METRICS]).await;
    for app in [&app, &on] {
        let response = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_counters_move_with_logins_refreshes_and_logouts() {
    let app = spawn_with(&[WITH_METRICS]).await;
    let before = app.metrics().await;
    assert_eq!(
        metric(&before, r#"jwt_lab_logins_total{outcome="ok"}"#),
        0.0
    );

    let mut jar = app.logged_in(true).await;
    assert_eq!(
        app.login_json(DEMO_USER, "wrong", false).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.advance(Duration::days(1) + Duration::seconds(1));
    let response = app.userinfo(&jar).await;
    jar.take(&response);
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    app.post("/logout", &jar, false).await;

    let after = app.metrics().await;
    for (series, expected) in [
        (r#"jwt_lab_logins_total{outcome="ok"}"#, 1.0),
        (r#"jwt_lab_logins_total{outcome="failed"}"#, 1.0),
        (r#"jwt_lab_refreshes_total{outcome="rotated"}"#, 1.0),
        (r#"jwt_lab_refreshes_total{outcome="confirmed"}"#, 1.0),
        (r#"jwt_lab_sessions_ended_total{cause="logout"}"#, 1.0),
    ] {
        assert_eq!(metric(&after, series), expected, "{series}\n{after}");
    }
    assert!(
        metric(
            &after,
            r#"jwt_lab_session_cache_lookups_total{result="hit"}"#
        ) >= 1.0
    );
    assert!(
        metric(
            &after,
            r#"jwt_lab_http_request_duration_seconds_count{route="/userinfo",status="2xx"}"#
        ) >= 2.0,
        "{after}"
    );
    assert!(after.contains(r#"route="/login",status="3xx""#));
    // Label values are templates, never raw paths.
    app.post("/sessions/some-made-up-id/revoke", &jar, false)
        .await;
    app.text("/no/such/page?with=query").await;
    let later = app.metrics().await;
    assert!(later.contains(r#"route="/sessions/{id}/revoke""#));
    assert!(later.contains(r#"route="unmatched",status="4xx""#));
    assert!(!later.contains("some-made-up-id") && !later.contains("no/such/page"));
    assert!(later.contains("jwt_lab_argon2_queue_depth 0"));
}

#[tokio::test]
async fn throttled_logins_and_ended_sessions_are_counted_by_cause() {
    let app = spawn_with(&[WITH_METRICS]).await;
    let here = app.logged_in(false).await;
    let _other = app.logged_in(false).await;
    app.post("/sessions/revoke-others", &here, false).await;
    for _ in 0..5 {
        app.login_json(DEMO_USER, "wrong", false).await;
    }
    assert_eq!(
        app.login_json(DEMO_USER, DEMO_PASSWORD, false)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let text = app.metrics().await;
    assert_eq!(
        metric(&text, r#"jwt_lab_logins_total{outcome="throttled"}"#),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            r#"jwt_lab_sessions_ended_total{cause="revoke_others"}"#
        ),
        1.0
    );
}

/// Each refresh outcome and each way a session ends moves its own series, once per event.
#[tokio::test]
async fn every_refresh_outcome_and_every_way_a_session_ends_is_counted() {
    let app = spawn_with(&[WITH_METRICS, ("REFRESH_REUSE_GRACE", "30s")]).await;
    let past_access = Duration::days(1) + Duration::seconds(1);

    // Rotated, confirmed, then the old refresh token again inside the grace window.
    let mut first = app.logged_in(true).await;
    let old = first.clone().without("access_jwt");
    // A second session whose refresh answer will be lost.
    let lost = app.logged_in(true).await;
    app.advance(past_access);
    let response = app.userinfo(&first).await;
    first.take(&response);
    assert_eq!(app.userinfo(&first).await.status(), StatusCode::OK);
    assert_eq!(app.userinfo(&old).await.status(), StatusCode::OK);
    assert_eq!(app.userinfo(&lost).await.status(), StatusCode::OK);
    // Past the grace: the lost answer's client comes back (its unconfirmed child is dropped),
    // and the first session's retired token comes back (theft).
    app.advance(Duration::seconds(31));
    assert_eq!(app.userinfo(&lost).await.status(), StatusCode::OK);
    assert_eq!(app.userinfo(&old).await.status(), StatusCode::UNAUTHORIZED);
    // A kept session that lost its refresh cookie gets a new one.
    let reissue = app.logged_in(true).await.without("refresh_jwt");
    assert!(set_cookies(&app.userinfo(&reissue).await).contains_key("refresh_jwt"));

    let text = app.metrics().await;
    for (outcome, expected) in [
        ("rotated", 3.0),
        ("confirmed", 1.0),
        ("grace", 1.0),
        ("branch_dropped", 1.0),
        ("reuse_detected", 1.0),
        ("reissued", 1.0),
    ] {
        let series = format!(r#"jwt_lab_refreshes_total{{outcome="{outcome}"}}"#);
        assert_eq!(metric(&text, &series), expected, "{series}\n{text}");
    }
    assert_eq!(
        metric(&text, r#"jwt_lab_sessions_ended_total{cause="reuse"}"#),
        1.0
    );

    // Ended from the sessions page, and by a password change (every other session).
    let here = app.logged_in(false).await;
    let phone = app.logged_in(false).await;
    let revoke = format!("/sessions/{}/revoke", sid(&phone));
    assert_eq!(
        app.post(&revoke, &here, false).await.status(),
        StatusCode::NO_CONTENT
    );
    let response = app.change_password(&here, "a much better passphrase").await;
    assert_eq!(response.status(), StatusCode::OK);
    let others = body_json(response).await["otherSessionsEnded"]
        .as_f64()
        .unwrap();
    assert!(
        others >= 2.0,
        "the lost-answer and reissue sessions, at least"
    );
    let text = app.metrics().await;
    assert_eq!(
        metric(&text, r#"jwt_lab_sessions_ended_total{cause="revoke"}"#),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            r#"jwt_lab_sessions_ended_total{cause="password_change"}"#
        ),
        others
    );

    // A second instance has an empty cache: its first look at a session is a miss.
    let second = app.restart().await;
    assert_eq!(second.userinfo(&here).await.status(), StatusCode::OK);
    let text = second.metrics().await;
    assert!(
        metric(
            &text,
            r#"jwt_lab_session_cache_lookups_total{result="miss"}"#
        ) >= 1.0
    );

    // Past its lifetime the last live session is swept (at start-up, then every few minutes)
    // and counted as expired.
    app.advance(Duration::days(1));
    let sql = format!(
        "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at <= {}",
        app.clock_now()
    );
    let live = app.sql_i64(&sql, &[]).await;
    assert_eq!(live, Some(1), "`here`, past its day");
    let swept = app.restart().await;
    assert_eq!(
        metric(
            &swept.metrics().await,
            r#"jwt_lab_sessions_ended_total{cause="expiry"}"#
        ),
        1.0
    );
}

#[tokio::test]
async fn readiness_says_whether_the_database_answers() {
    let app = spawn().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(response).await;
    assert_eq!(body["database"], "ok");
    assert_eq!(
        body["listener"],
        if crate::helpers::on_postgres() {
            "connected"
        } else {
            "none"
        }
    );

    app.state.db.close().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(body_json(response).await["database"], "unavailable");
    // Liveness is another question: the process still answers.
    assert_eq!(app.text("/healthz").await, "ok");
}

#[tokio::test]
async fn logout_asks_the_browser_to_clear_the_sites_cookies() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let response = app.post("/logout", &jar, false).await;
    assert_eq!(response.headers()["clear-site-data"], "\"cookies\"");
    let browser = app.post("/logout", &jar, true).await;
    assert_eq!(browser.headers()["clear-site-data"], "\"cookies\"");
}

async fn openapi(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// A validator for `#/components/schemas/<name>` of the document.
fn schema(doc: &Value, name: &str) -> jsonschema::Validator {
    let mut root = json!({ "$ref": format!("#/components/schemas/{name}") });
    root["components"] = doc["components"].clone();
    jsonschema::validator_for(&root).expect("a valid schema")
}

fn documented(doc: &Value, method: &str, path: &str, status: StatusCode) -> Value {
    let response = &doc["paths"][path][method]["responses"][status.as_str()];
    assert!(
        response.is_object(),
        "{method} {path} does not document {status}"
    );
    response.clone()
}

#[tokio::test]
async fn the_openapi_description_matches_the_courses_requests_and_the_real_answers() {
    let app = spawn().await;
    let doc = openapi(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");

    // The course's own login body is a valid request...
    let course_login = json!({ "loginInfo": { "userId": "kimcoding", "password": "1234" }, "checkedKeepLogin": true });
    assert!(schema(&doc, "LoginRequest").is_valid(&course_login));
    assert!(!schema(&doc, "LoginRequest").is_valid(&json!({"userId": "kimcoding"})));
    // ...and every answer it gets is documented, status, headers and body.
    let response = app.login_json(DEMO_USER, DEMO_PASSWORD, true).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let found = documented(&doc, "post", "/login", StatusCode::FOUND);
    assert!(found["headers"]["Location"].is_object());
    let mut jar = crate::helpers::Jar::default();
    jar.take(&response);
    let refused = app.login_json(DEMO_USER, "wrong", false).await;
    let doc401 = documented(&doc, "post", "/login", StatusCode::UNAUTHORIZED);
    assert_eq!(
        doc401["content"]["text/plain"]["example"],
        refused.text().await.unwrap()
    );

    let user = app.userinfo(&jar).await;
    documented(&doc, "get", "/userinfo", StatusCode::OK);
    assert!(schema(&doc, "User").is_valid(&body_json(user).await));
    let anonymous = app.userinfo(&crate::helpers::Jar::default()).await;
    documented(&doc, "get", "/userinfo", anonymous.status());

    let sessions = app.get("/sessions", &jar, false).await;
    let list = body_json(sessions).await;
    for s in list.as_array().unwrap() {
        assert!(schema(&doc, "Session").is_valid(s), "{s}");
    }
    let bad = app
        .client
        .post(app.url("/login"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    documented(&doc, "post", "/login", bad.status());
    assert!(schema(&doc, "ErrorBody").is_valid(&body_json(bad).await));

    let out = app.post("/logout", &jar, false).await;
    assert_eq!(out.status(), StatusCode::RESET_CONTENT);
    documented(&doc, "post", "/logout", StatusCode::RESET_CONTENT);

    // Both ways the token travels are described.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (
            schemes["access_jwt"]["in"].as_str(),
            schemes["access_jwt"]["name"].as_str()
        ),
        (Some("cookie"), Some("access_jwt"))
    );
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
}

#[tokio::test]
async fn the_api_reference_page_lists_every_operation_without_a_script() {
    let app = spawn().await;
    let doc = openapi(&app).await;
    let html = app.text("/api").await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let operation = format!("data-operation=\"{} {}\"", method.to_uppercase(), path);
            assert!(html.contains(&operation), "{operation} missing");
        }
    }
    assert!(html.contains("id=\"schema-User\""));
    assert!(!html.contains("<script"), "no script, so the CSP holds");
    let response = app.client.get(app.url("/api")).send().await.unwrap();
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"));
}
