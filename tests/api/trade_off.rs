//! Stateless against stateful, with your own hands: EdDSA tokens and the JWKS, the stateless
//! verifier (its key set fetched, cached, refetched on an unknown `kid`), the same token sent
//! to both servers before and after logout, the attack lab, and what the app reports of
//! another site's requests.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{
    self, ACCESS_SECRET, Jar, REFRESH_SECRET, TestApp, body_json, claims, ed25519_key, page,
    set_cookies, spawn, spawn_eddsa, spawn_with,
};

fn header_of(token: &str) -> Value {
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

async fn jwks(app: &TestApp) -> reqwest::Response {
    app.client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_jwks_publishes_public_keys_only_and_only_with_eddsa() {
    let hs = spawn().await;
    let response = jwks(&hs).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        body_json(response).await["error"]
            .as_str()
            .unwrap()
            .contains("HS256")
    );

    let (app, key) = spawn_eddsa(&[]).await;
    let response = jwks(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=300"
    );
    let set = body_json(response).await;
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert_eq!(
        (k["alg"].as_str(), k["use"].as_str()),
        (Some("EdDSA"), Some("sig"))
    );
    assert_eq!(
        URL_SAFE_NO_PAD.decode(k["x"].as_str().unwrap()).unwrap(),
        key.key.verifying_key().to_bytes()
    );
    for private in ["d", "k", "p", "q"] {
        assert!(k.get(private).is_none(), "no {private} in a public key");
    }
    let jar = app.logged_in(true).await;
    let access = header_of(jar.get("access_jwt").unwrap());
    assert_eq!(access["alg"], "EdDSA");
    assert_eq!(access["kid"], k["kid"]);
    // Refresh tokens are read by this app alone: they stay HMAC.
    assert_eq!(header_of(jar.get("refresh_jwt").unwrap())["alg"], "HS256");
}

#[tokio::test]
async fn eddsa_tokens_log_in_refresh_and_log_out() {
    let (app, _) = spawn_eddsa(&[]).await;
    let mut jar = app.logged_in(true).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    app.advance(Duration::days(1) + Duration::seconds(1));
    let response = app.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    jar.take(&response);
    assert_eq!(header_of(jar.get("access_jwt").unwrap())["alg"], "EdDSA");
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    app.post("/logout", &jar, false).await;
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_eddsa_key_rotation_keeps_old_tokens_until_the_previous_key_goes() {
    let (first, old) = spawn_eddsa(&[]).await;
    let jar = first.logged_in(false).await;
    let url = first.setting("DATABASE_URL").to_owned();
    let new = ed25519_key(first.dir.path(), "new.pem");
    let base = |extra: &[(&'static str, String)]| {
        let mut s = vec![
            ("DATABASE_URL", url.clone()),
            ("TOKEN_ALG", "EdDSA".to_owned()),
            ("ACCESS_KEY_FILE", new.file.clone()),
        ];
        s.extend(extra.iter().cloned());
        s
    };
    let rotating = base(&[("ACCESS_KEY_FILE_PREVIOUS", old.file.clone())]);
    let rotating: Vec<(&str, &str)> = rotating.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let during = helpers::start(first.dir.clone(), first.clock.clone(), &rotating).await;
    assert_eq!(
        during.userinfo(&jar).await.status(),
        StatusCode::OK,
        "old tokens verify"
    );
    let set = body_json(jwks(&during).await).await;
    assert_eq!(
        set["keys"].as_array().unwrap().len(),
        2,
        "both keys are published"
    );
    let fresh = during.logged_in(false).await;
    let new_kid = header_of(fresh.get("access_jwt").unwrap())["kid"].clone();
    assert_eq!(set["keys"][0]["kid"], new_kid, "new tokens use the new key");
    assert_ne!(new_kid, header_of(jar.get("access_jwt").unwrap())["kid"]);

    let after = base(&[]);
    let after: Vec<(&str, &str)> = after.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = helpers::start(first.dir.clone(), first.clock.clone(), &after).await;
    assert_eq!(done.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(done.userinfo(&fresh).await.status(), StatusCode::OK);
}

/// A token signed by hand with an Ed25519 key.
fn ed_token(header: &Value, payload: &Value, key: &ed25519_dalek::SigningKey) -> String {
    use ed25519_dalek::Signer;
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(payload.to_string());
    let sig = key.sign(format!("{h}.{p}").as_bytes());
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

#[tokio::test]
async fn eddsa_forgeries_of_their_own_are_refused() {
    use hmac::{Hmac, Mac};
    let (app, key) = spawn_eddsa(&[]).await;
    let jar = app.logged_in(false).await;
    let genuine = jar.get("access_jwt").unwrap().to_owned();
    let header = header_of(&genuine);
    let payload = claims(&genuine);
    // The harness is right: re-signing with the real private key is accepted.
    let control = ed_token(&header, &payload, &key.key);
    assert_eq!(
        app.userinfo(&Jar::default().with("access_jwt", &control))
            .await
            .status(),
        StatusCode::OK
    );
    let attacker = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let public = key.key.verifying_key().to_bytes();
    let confusion = {
        let mut h = header.clone();
        h["alg"] = "HS256".into();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(h.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&public).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    };
    let with = |extra: (&str, Value)| {
        let mut h = header.clone();
        h[extra.0] = extra.1;
        h
    };
    let jwk = json!({"kty": "OKP", "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
    for (token, what) in [
        (confusion, "HS256 signed with the public key"),
        (
            ed_token(&header, &payload, &attacker),
            "another Ed25519 key",
        ),
        (
            ed_token(&with(("jwk", jwk)), &payload, &attacker),
            "a jwk header",
        ),
        (
            ed_token(
                &with(("jku", "https://evil.example/jwks.json".into())),
                &payload,
                &attacker,
            ),
            "a jku header",
        ),
    ] {
        for jar in [Jar::default().with("access_jwt", &token), Jar::default()] {
            let request = app.client.get(app.url("/userinfo")).headers(jar.headers());
            let request = if jar.cookies.is_empty() {
                request.bearer_auth(&token)
            } else {
                request
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A key set we control, served over HTTP, counting how often it is asked for.
struct KeySet {
    url: String,
    jwks: Arc<Mutex<Value>>,
    asked: Arc<std::sync::atomic::AtomicUsize>,
    _server: actix_web::dev::ServerHandle,
}

async fn serve_key_set(initial: Value) -> KeySet {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let jwks = Arc::new(Mutex::new(initial));
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks.json",
        listener.local_addr().unwrap().port()
    );
    let (j, a) = (jwks.clone(), asked.clone());
    let server = HttpServer::new(move || {
        let (j, a) = (j.clone(), a.clone());
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                let (j, a) = (j.clone(), a.clone());
                async move {
                    a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let body = j.lock().unwrap().clone();
                    HttpResponse::Ok()
                        .insert_header(("cache-control", "public, max-age=300"))
                        .json(body)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    KeySet {
        url,
        jwks,
        asked,
        _server: handle,
    }
}

fn tokens_for(key_file: &str) -> jwt_cookie_lab::auth::tokens::Tokens {
    let config = jwt_cookie_lab::config::Config::from_lookup(|k| match k {
        "TOKEN_ALG" => Some("EdDSA".into()),
        "ACCESS_KEY_FILE" => Some(key_file.into()),
        "REFRESH_SECRET" => Some(REFRESH_SECRET.into()),
        _ => None,
    })
    .unwrap();
    jwt_cookie_lab::auth::tokens::Tokens::new(&config)
}

#[tokio::test]
async fn the_verifier_caches_the_key_set_and_refetches_on_an_unknown_kid_at_most_every_10s() {
    use jwt_cookie_lab::auth::tokens::TokenKind;
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (
        ed25519_key(dir.path(), "1.pem"),
        ed25519_key(dir.path(), "2.pem"),
    );
    let (first, second) = (tokens_for(&one.file), tokens_for(&two.file));
    let keys = serve_key_set(serde_json::to_value(first.jwks()).unwrap()).await;
    let clock = jwt_cookie_lab::clock::ManualClock::starting_now();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let verifier = jwt_cookie_lab::stateless::serve(
        listener,
        jwt_cookie_lab::stateless::KeySource::Jwks(keys.url.clone()),
        clock.clone(),
    )
    .unwrap();
    tokio::spawn(verifier);
    use jwt_cookie_lab::clock::Clock;
    let now = clock.now();
    let sign = |t: &jwt_cookie_lab::auth::tokens::Tokens| {
        t.issue(TokenKind::Access, "kimcoding", "s", now, now + 600, None)
            .unwrap()
            .token
    };
    let client = reqwest::Client::new();
    let ask = |token: String| {
        let client = client.clone();
        let url = format!("{base}/api/profile");
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let asked = || keys.asked.load(std::sync::atomic::Ordering::SeqCst);

    let ok = ask(sign(&first)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let profile = body_json(ok).await;
    assert_eq!(
        (profile["sub"].as_str(), profile["alg"].as_str()),
        (Some("kimcoding"), Some("EdDSA"))
    );
    assert_eq!(asked(), 1);
    assert_eq!(ask(sign(&first)).await.status(), StatusCode::OK);
    assert_eq!(asked(), 1, "cached");

    // The issuer rotates; a token with the new kid arrives at once: one refetch.
    *keys.jwks.lock().unwrap() = json!({"keys": [
        serde_json::to_value(second.jwks()).unwrap()["keys"][0],
        serde_json::to_value(first.jwks()).unwrap()["keys"][0],
    ]});
    clock.advance(Duration::seconds(11));
    assert_eq!(ask(sign(&second)).await.status(), StatusCode::OK);
    assert_eq!(asked(), 2);
    // Made-up kids cannot make it hammer the issuer.
    let attacker = ed25519_key(dir.path(), "x.pem");
    let stranger = tokens_for(&attacker.file);
    for _ in 0..5 {
        let refused = ask(sign(&stranger)).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(body_json(refused).await["rule"], "key-id");
    }
    assert_eq!(asked(), 2, "no refetch within 10 s of the last");
    clock.advance(Duration::seconds(11));
    ask(sign(&stranger)).await;
    assert_eq!(asked(), 3);
}

/// Starts the `stateless-api` binary with `vars`; killed when dropped.
struct VerifierProcess {
    child: std::process::Child,
    url: String,
}

impl Drop for VerifierProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn verifier_process(vars: &[(&str, &str)]) -> VerifierProcess {
    let port = free_port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stateless-api"));
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in vars {
        command.env(k, v);
    }
    let process = VerifierProcess {
        child: command.spawn().expect("stateless-api starts"),
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/healthz", process.url))
            .send()
            .await
            .is_ok()
        {
            return process;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("stateless-api did not come up");
}

async fn profile(verifier: &VerifierProcess, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/profile", verifier.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The copied-token story against the real `stateless-api` process.
async fn a_copy_outlives_logout_only_on_the_stateless_side(
    app: &TestApp,
    verifier: &VerifierProcess,
) {
    let jar = app.logged_in(false).await;
    let copy = jar.get("access_jwt").unwrap().to_owned();
    let live = profile(verifier, &copy).await;
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(body_json(live).await["sub"], "kimcoding");
    // A cookie works too.
    let by_cookie = reqwest::Client::new()
        .get(format!("{}/api/profile", verifier.url))
        .header(header::COOKIE, format!("access_jwt={copy}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);
    // A forged one is refused, with the rule that refused it.
    let parts: Vec<&str> = copy.split('.').collect();
    let mut p = claims(&copy);
    p["sub"] = "admin".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(p.to_string()),
        parts[2]
    );
    let refused = profile(verifier, &forged).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(refused).await["rule"], "signature");

    app.post("/logout", &jar, false).await;
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::UNAUTHORIZED,
        "the app refuses the copy"
    );
    assert_eq!(
        profile(verifier, &copy).await.status(),
        StatusCode::OK,
        "the stateless verifier cannot know"
    );
}

#[tokio::test]
async fn the_stateless_verifier_process_with_hs256() {
    let app = spawn().await;
    let verifier = verifier_process(&[("ACCESS_SECRET", ACCESS_SECRET)]).await;
    a_copy_outlives_logout_only_on_the_stateless_side(&app, &verifier).await;
}

#[tokio::test]
async fn the_stateless_verifier_process_with_eddsa_and_a_jwks() {
    let (app, _) = spawn_eddsa(&[]).await;
    let jwks_url = app.url("/.well-known/jwks.json");
    let verifier = verifier_process(&[("JWKS_URL", &jwks_url)]).await;
    a_copy_outlives_logout_only_on_the_stateless_side(&app, &verifier).await;
}

/// The answers of the two-servers page, by server: (`app`|`verifier`, status).
fn answers(html: &str) -> Vec<(String, String)> {
    html.split("data-server=\"")
        .skip(1)
        .map(|rest| {
            let server = rest.split('"').next().unwrap().to_owned();
            let status = rest
                .split("data-status=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            (server, status)
        })
        .collect()
}

fn pair(app: &str, verifier: &str) -> Vec<(String, String)> {
    vec![
        ("app".into(), app.into()),
        ("verifier".into(), verifier.into()),
    ]
}

async fn two_servers_story(app: &TestApp) {
    let mut jar = app.logged_in(true).await;
    let token = jar.get("access_jwt").unwrap().to_owned();
    let html = page(app, "/demo/two-servers", &jar).await;
    assert!(html.contains("data-action=\"ask-both\""));
    let asked = app.post("/demo/two-servers/ask", &jar, true).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let html = asked.text().await.unwrap();
    assert_eq!(answers(&html), pair("200", "200"));

    let kept = app.post("/demo/two-servers/copy", &jar, true).await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    let copy_page = kept.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(copy_page.starts_with("/demo/copy/"));
    jar.take(&kept);
    // The thief's page needs no login, and never shows the token.
    let thief = Jar::default();
    let html = page(app, &copy_page, &thief).await;
    assert!(html.contains("kimcoding") && !html.contains(&token));
    assert!(!html.contains(token.rsplit('.').next().unwrap()));

    let out = app.post(&format!("{copy_page}/logout"), &jar, true).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()["clear-site-data"], "\"cookies\"");
    assert_eq!(set_cookies(&out)["access_jwt"].value(), "");
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::UNAUTHORIZED);

    let after = app.post(&format!("{copy_page}/ask"), &thief, true).await;
    assert_eq!(after.status(), StatusCode::OK);
    let html = after.text().await.unwrap();
    assert_eq!(answers(&html), pair("401", "200"), "{html}");
    assert!(html.contains("data-asked=\"copy\""));
}

#[tokio::test]
async fn the_same_token_at_two_servers_before_and_after_logout_hs256() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    two_servers_story(&app).await;
    // HS256: a verifier's secret mints tokens the verifier takes for genuine.
    let jar = app.logged_in(false).await;
    let minted = app.post("/demo/two-servers/mint", &jar, true).await;
    let html = minted.text().await.unwrap();
    assert_eq!(answers(&html), pair("401", "200"));
    assert!(html.contains("sub = admin"));
}

#[tokio::test]
async fn the_same_token_at_two_servers_before_and_after_logout_eddsa() {
    let (app, _) = spawn_eddsa(&[("DEMO_MODE", "true")]).await;
    two_servers_story(&app).await;
    let jar = app.logged_in(false).await;
    let html = page(&app, "/demo/two-servers", &jar).await;
    assert!(html.contains("data-mode=\"EdDSA\"") && !html.contains("data-action=\"mint\""));
    assert_eq!(
        app.post("/demo/two-servers/mint", &jar, false)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn demos_and_the_lab_are_404_outside_demo_mode() {
    let app = spawn().await;
    let jar = app.logged_in(false).await;
    for path in [
        "/demo/two-servers",
        "/lab",
        "/demo/cross-site/report",
        "/demo/copy/abc",
    ] {
        assert_eq!(
            app.get(path, &jar, false).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in ["/demo/two-servers/ask", "/demo/two-servers/copy", "/lab"] {
        assert_eq!(
            app.post(path, &jar, false).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

/// Each attack and the rule that must refuse it (or `accepted`).
const EXPECTED: [(&str, &str, &str); 16] = [
    // (attack, rule with HS256, rule with EdDSA)
    ("unchanged", "accepted", "accepted"),
    ("tamper-payload", "signature", "signature"),
    ("alg-none", "algorithm", "algorithm"),
    ("guessed-secret", "signature", "algorithm"),
    ("hs512", "algorithm", "algorithm"),
    ("public-key-as-secret", "", "algorithm"),
    ("other-key", "", "signature"),
    ("refresh-as-access", "key-id", "key-id"),
    ("unknown-kid", "key-id", "key-id"),
    ("jwk-header", "key-in-token", "key-in-token"),
    ("jku-header", "key-in-token", "key-in-token"),
    ("wrong-type", "type", "type"),
    ("wrong-audience", "audience", "audience"),
    ("expired", "expiry", "expiry"),
    ("not-yet-valid", "not-before", "not-before"),
    ("forged-session", "session", "session"),
];

/// How each verdict is worded: a refusal as what went wrong.
const VERDICT_WORDING: [(&str, &str); 10] = [
    ("accepted", "Accepted. Every check passed"),
    ("signature", "The signature does not match"),
    ("algorithm", "is not the one that key is pinned to"),
    ("key-id", "kid names no key the server has"),
    ("key-in-token", "never trusted"),
    ("type", "typ is not access"),
    ("audience", "aud is not this service"),
    ("expiry", "exp has passed: the token has expired"),
    ("not-before", "nbf is in the future"),
    ("session", "No such session"),
];

fn attribute(html: &str, name: &str) -> String {
    html.split(&format!("{name}=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn every_attack_meets_its_rule(app: &TestApp, eddsa: bool) {
    let jar = app.logged_in(true).await;
    let token = jar.get("access_jwt").unwrap().to_owned();
    let html = page(app, "/lab", &jar).await;
    let listed: Vec<String> = html
        .split("data-attack=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert!(listed.len() >= 8, "at least 8 named attacks: {listed:?}");
    assert!(
        !html.contains(&token),
        "the lab never shows the token whole"
    );
    for (attack, hs256, ed) in EXPECTED {
        let expected = if eddsa { ed } else { hs256 };
        if expected.is_empty() {
            assert!(
                !listed.iter().any(|l| l == attack),
                "{attack} is EdDSA only"
            );
            continue;
        }
        assert!(listed.iter().any(|l| l == attack), "{attack} listed");
        let response = app
            .client
            .post(app.url("/lab"))
            .headers(jar.headers())
            .header(header::ACCEPT, "text/html")
            .form(&[("attack", attack)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{attack}");
        let html = response.text().await.unwrap();
        let verdict = if expected == "accepted" {
            "accepted"
        } else {
            "refused"
        };
        assert_eq!(attribute(&html, "data-verdict"), verdict, "{attack}");
        assert_eq!(attribute(&html, "data-rule"), expected, "{attack}");
        // The verdict says what went wrong (or that everything passed), never what a check
        // looks for as if it had been met.
        let said = html
            .split(r#"<p class="verdict""#)
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_default();
        let wording = VERDICT_WORDING
            .iter()
            .find(|(rule, _)| *rule == expected)
            .map(|(_, words)| *words)
            .unwrap();
        assert!(said.contains(wording), "{attack}: {said}");
        let opening = if expected == "accepted" {
            "Accepted."
        } else {
            "Refused. The check that failed:"
        };
        assert!(said.contains(opening), "{attack}: {said}");
        assert!(
            html.contains(&format!("data-step=\"{expected}\"")) || expected == "accepted",
            "{attack}: the refusing step is shown"
        );
    }
    // Edits: a made-up sub with the old signature.
    let response = app
        .client
        .post(app.url("/lab"))
        .headers(jar.headers())
        .form(&[("attack", "unchanged"), ("sub", "mallory")])
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert_eq!(attribute(&html, "data-rule"), "signature");
    assert!(html.contains("mallory"));
    // More edits on the learner's own token: each meets the first rule it breaks.
    for (edits, rule, shown) in [
        (vec![("exp", "1900000000")], "signature", "1900000000"),
        (vec![("alg", "none")], "algorithm", "none"),
        (vec![("alg", "HS512")], "algorithm", "HS512"),
        (vec![("kid", "attacker-key")], "key-id", "attacker-key"),
        (
            vec![("sub", "admin"), ("exp", "1900000000")],
            "signature",
            "admin",
        ),
    ] {
        let mut form = vec![("attack", "unchanged")];
        form.extend(edits.iter().copied());
        let response = app
            .client
            .post(app.url("/lab"))
            .headers(jar.headers())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{edits:?}");
        let html = response.text().await.unwrap();
        assert_eq!(attribute(&html, "data-verdict"), "refused", "{edits:?}");
        assert_eq!(attribute(&html, "data-rule"), rule, "{edits:?}");
        assert!(
            html.contains(&format!("value=\"{shown}\"")),
            "{edits:?}: the edit is kept in the form"
        );
    }
    // The session behind the lab is untouched by all of it.
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
    // Unknown attacks are a clear 400.
    let response = app
        .client
        .post(app.url("/lab"))
        .headers(jar.headers())
        .form(&[("attack", "no-such-attack")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_lab_attack_is_refused_by_its_rule_hs256() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    every_attack_meets_its_rule(&app, false).await;
}

#[tokio::test]
async fn every_lab_attack_is_refused_by_its_rule_eddsa() {
    let (app, _) = spawn_eddsa(&[("DEMO_MODE", "true")]).await;
    every_attack_meets_its_rule(&app, true).await;
}

#[tokio::test]
async fn the_lab_explains_itself_in_korean() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let jar = app.logged_in(false).await;
    let html = page(&app, "/lab?lang=ko", &jar).await;
    assert!(html.contains("공격 실험실") && html.contains("페이로드 바꾸고 서명은 그대로"));
    let response = app
        .client
        .post(app.url("/lab?lang=ko"))
        .headers(jar.headers())
        .form(&[("attack", "alg-none")])
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    // The refusing check is worded as what went wrong, not as what it checks.
    assert!(html.contains("헤더의 alg가 그 키에 고정된 알고리즘과 다릅니다."));
    assert!(!html.contains("헤더의 alg가 그 키에 고정된 알고리즘과 같습니다."));
}

#[tokio::test]
async fn the_app_reports_what_another_site_tried_to_that_site_alone() {
    let app = spawn_with(&[("DEMO_MODE", "true")]).await;
    let (_, cross_port) = app.demo_ports.unwrap();
    let other = format!("http://localhost:{cross_port}");
    let jar = app.logged_in(false).await;
    // The app's link to the other site carries this browser's visit id.
    let html = app.get("/userinfo", &jar, true).await.text().await.unwrap();
    let link = format!("{other}/?lang=en&#38;visit=");
    let at = html
        .find(&link)
        .unwrap_or_else(|| panic!("a link to the other site: {html}"))
        + link.len();
    let visit: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert_eq!(visit.len(), 32, "{html}");
    // The browser, for the other site's form: no cookie (SameSite=Strict), cross-site.
    let response = app
        .client
        .post(app.url(&format!("/logout?demo_visit={visit}")))
        .header(header::ORIGIN, &other)
        .header("sec-fetch-site", "cross-site")
        .form(&[("from", "another-site")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .client
        .get(app.url(&format!("/userinfo?demo_visit={visit}")))
        .header(header::ORIGIN, &other)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::OK,
        "still logged in"
    );

    let report = |visit: String| {
        app.client
            .get(app.url(&format!("/demo/cross-site/report?visit={visit}")))
            .header(header::ORIGIN, &other)
            .send()
    };
    let response = report(visit.clone()).await.unwrap();
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        other.as_str()
    );
    let answer = body_json(response).await;
    assert_eq!(
        answer["loggedIn"], true,
        "the visitor is logged in to the app"
    );
    let seen = answer["seen"].as_array().unwrap();
    assert_eq!(seen.len(), 2, "this visit's two requests: {answer}");
    let post = seen
        .iter()
        .find(|s| s["method"] == "POST" && s["path"] == "/logout")
        .unwrap();
    assert_eq!(
        (post["status"].as_u64(), post["refusedBy"].as_str()),
        (Some(403), Some("same-origin"))
    );
    assert_eq!(post["cookieSent"], false);
    let get = seen.iter().find(|s| s["path"] == "/userinfo").unwrap();
    assert_eq!(
        (get["status"].as_u64(), get["refusedBy"].as_str()),
        (Some(401), Some("samesite"))
    );
    // Another learner's visit (or none) sees nothing of this one.
    let stranger = body_json(report("0".repeat(32)).await.unwrap()).await;
    assert_eq!(stranger["seen"].as_array().unwrap().len(), 0, "{stranger}");
    assert_eq!(stranger["loggedIn"], serde_json::Value::Null);
    // Nobody else may read it.
    let elsewhere = app
        .client
        .get(app.url("/demo/cross-site/report"))
        .header(header::ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        elsewhere
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    // The how-it-works page links to the other site, under the app's other loopback name.
    let how = app.text("/how-it-works").await;
    assert!(how.contains(&format!("http://localhost:{cross_port}/?lang=en")));
}
