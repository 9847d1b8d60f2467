//! Forged tokens, made with the real secrets and with wrong ones: every one is refused with
//! 401 `Not Authorized`, by cookie and by Bearer, and the server keeps serving.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{ACCESS_SECRET, Jar, REFRESH_SECRET, TestApp, claims, spawn, spawn_eddsa};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn sign(header: &Value, payload: &Value, secret: &str) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(payload));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

async fn refused(app: &TestApp, token: &str, what: &str) {
    let jar = Jar::default().with("access_jwt", token);
    let response = app.userinfo(&jar).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "cookie: {what}"
    );
    assert_eq!(response.text().await.unwrap(), "Not Authorized");
    let response = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "bearer: {what}"
    );
}

/// What signs access tokens for real: the HS256 secret, or the EdDSA private key.
enum RealKey {
    Hmac,
    Ed(Box<ed25519_dalek::SigningKey>),
}

impl RealKey {
    fn sign(&self, header: &Value, payload: &Value) -> String {
        match self {
            RealKey::Hmac => sign(header, payload, ACCESS_SECRET),
            RealKey::Ed(key) => {
                use ed25519_dalek::Signer;
                let signing_input = format!("{}.{}", b64(header), b64(payload));
                let signature = key.sign(signing_input.as_bytes());
                format!(
                    "{signing_input}.{}",
                    URL_SAFE_NO_PAD.encode(signature.to_bytes())
                )
            }
        }
    }
}

#[tokio::test]
async fn every_forgery_is_refused() {
    let app = spawn().await;
    forgeries(&app, RealKey::Hmac).await;
}

#[tokio::test]
async fn every_forgery_is_refused_with_eddsa_tokens_too() {
    let (app, key) = spawn_eddsa(&[]).await;
    forgeries(&app, RealKey::Ed(Box::new(key.key))).await;
}

/// Every forgery of the suite, against `app`; `real` is the key that really signs, used for
/// the control and for the forgeries that test claims rather than signatures.
async fn forgeries(app: &TestApp, real: RealKey) {
    let jar = app.logged_in(true).await;
    let genuine = jar.get("access_jwt").unwrap().to_owned();
    let header: Value = {
        let h = genuine.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
    };
    let payload = claims(&genuine);
    let refresh_kid = {
        let r = jar.get("refresh_jwt").unwrap();
        let h: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(r.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        h["kid"].clone()
    };
    let now = payload["iat"].as_i64().unwrap();

    // The harness itself is right: re-signing the genuine parts with the real key works.
    let control = real.sign(&header, &payload);
    assert_eq!(
        app.userinfo(&Jar::default().with("access_jwt", &control))
            .await
            .status(),
        StatusCode::OK
    );

    let with = |key: &str, value: Value| {
        let mut p = payload.clone();
        p[key] = value;
        p
    };
    let without = |key: &str| {
        let mut p = payload.clone();
        p.as_object_mut().unwrap().remove(key);
        p
    };
    let hdr = |alg: &str| {
        let mut h = header.clone();
        h["alg"] = alg.into();
        h
    };
    let mut cases: Vec<(String, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        cases.push((
            format!("{}.{}.", b64(&hdr(alg)), b64(&payload)),
            format!("alg {alg}, unsigned"),
        ));
        cases.push((
            sign(&hdr(alg), &payload, ACCESS_SECRET),
            format!("alg {alg}, signed"),
        ));
    }
    for alg in ["HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA"] {
        cases.push((
            sign(&hdr(alg), &payload, ACCESS_SECRET),
            format!("{alg} with the right key"),
        ));
    }
    let mut refresh_header = header.clone();
    refresh_header["kid"] = refresh_kid;
    cases.push((
        sign(&refresh_header, &payload, REFRESH_SECRET),
        "signed with the refresh key".into(),
    ));
    cases.push((
        sign(&header, &payload, REFRESH_SECRET),
        "refresh key under the access kid".into(),
    ));
    cases.push((
        real.sign(&header, &with("typ", "refresh".into())),
        "typ refresh as access".into(),
    ));
    cases.push((
        sign(
            &header,
            &payload,
            "a-wrong-secret-that-is-long-enough-0123456789",
        ),
        "wrong secret".into(),
    ));
    let tampered = {
        let parts: Vec<&str> = genuine.split('.').collect();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&with("sub", "admin".into())),
            parts[2]
        )
    };
    cases.push((tampered, "tampered payload".into()));
    cases.push((
        real.sign(&header, &with("exp", (now - 1).into())),
        "expired".into(),
    ));
    cases.push((
        real.sign(&header, &with("nbf", (now + 3600).into())),
        "nbf in the future".into(),
    ));
    cases.push((real.sign(&header, &without("exp")), "missing exp".into()));
    cases.push((real.sign(&header, &without("sid")), "missing sid".into()));
    cases.push((
        real.sign(&header, &with("iss", "someone-else".into())),
        "wrong iss".into(),
    ));
    cases.push((
        real.sign(&header, &with("aud", "another-app".into())),
        "wrong aud".into(),
    ));
    cases.push((
        real.sign(&header, &with("exp", "tomorrow".into())),
        "exp not a number".into(),
    ));
    cases.push((
        real.sign(&header, &with("sid", "no-such-session".into())),
        "unknown session".into(),
    ));
    cases.push((
        real.sign(&header, &with("sub", "somebody-else".into())),
        "sub not the session's user".into(),
    ));
    let mut unknown_kid = header.clone();
    unknown_kid["kid"] = "a-000000000000".into();
    cases.push((
        sign(&unknown_kid, &payload, ACCESS_SECRET),
        "unknown kid".into(),
    ));
    let mut no_kid = header.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    cases.push((sign(&no_kid, &payload, ACCESS_SECRET), "no kid".into()));
    for not_object in [json!([1, 2, 3]), json!("a string"), json!(42), json!(null)] {
        cases.push((
            real.sign(&header, &not_object),
            format!("payload {not_object}"),
        ));
    }
    cases.push((
        format!("{}.{}.{}", b64(&json!([1])), b64(&payload), "sig"),
        "header not an object".into(),
    ));
    for junk in [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c.d",
        "!!!.@@@.###",
        "eyJ.eyJ.eyJ",
        "ey J.ey J.sig",
    ] {
        cases.push((junk.to_owned(), format!("junk {junk:?}")));
    }
    cases.push((format!("{control}{}", "A".repeat(5000)), "oversized".into()));

    for (token, what) in &cases {
        refused(app, token, what).await;
    }
    assert_eq!(
        app.userinfo(&jar).await.status(),
        StatusCode::OK,
        "the real session is fine"
    );
}

#[tokio::test]
async fn a_forged_refresh_token_never_mints_an_access_token() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let genuine = jar.get("refresh_jwt").unwrap().to_owned();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(genuine.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let mut payload = claims(&genuine);
    // Correctly signed, right session, but never issued: rotation finds no such token.
    payload["jti"] = "made-up".into();
    let forged = sign(&header, &payload, REFRESH_SECRET);
    let response = app
        .userinfo(&Jar::default().with("refresh_jwt", &forged))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Signed with the access key instead.
    let forged = sign(&header, &payload, ACCESS_SECRET);
    assert_eq!(
        app.userinfo(&Jar::default().with("refresh_jwt", &forged))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
}
