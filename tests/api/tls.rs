//! Optional HTTPS: TLS_CERT and TLS_KEY serve with rustls and add HSTS.

use reqwest::StatusCode;
use reqwest::header;

use crate::helpers::{DEMO_PASSWORD, DEMO_USER, spawn_with};

#[tokio::test]
async fn with_a_certificate_the_app_speaks_https_and_sends_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
    let app = spawn_with(&[
        ("TLS_CERT", cert.to_str().unwrap()),
        ("TLS_KEY", key.to_str().unwrap()),
    ])
    .await;
    let https = app.address.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let response = client
        .post(format!("{https}/login"))
        .json(
            &serde_json::json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);

    // Plain HTTP on the same port gets nothing useful.
    let plain = app.client.get(app.url("/healthz")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test]
async fn broken_tls_settings_stop_start_up_naming_the_variable() {
    use jwt_cookie_lab::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let junk = junk.to_str().unwrap().to_owned();
    let only_cert = Config::from_lookup(|k| (k == "TLS_CERT").then(|| junk.clone())).unwrap_err();
    assert_eq!(only_cert.var, "TLS_KEY");
    let missing = Config::from_lookup(|k| match k {
        "TLS_CERT" => Some("/no/such/cert.pem".into()),
        "TLS_KEY" => Some(junk.clone()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(missing.var, "TLS_CERT");
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let config = Config::from_lookup(|k| match k {
        "TLS_CERT" | "TLS_KEY" => Some(junk.clone()),
        "PORT" => Some("0".into()),
        "DATABASE_URL" => Some(db.clone()),
        _ => None,
    })
    .unwrap();
    let error = jwt_cookie_lab::app::Application::build(
        config,
        jwt_cookie_lab::clock::ManualClock::starting_now(),
    )
    .await
    .err()
    .expect("start-up fails");
    assert!(error.to_string().starts_with("TLS_CERT"), "{error}");
}

#[tokio::test]
async fn over_https_the_demo_verifier_still_knows_the_public_keys() {
    // A self-signed certificate is one the demo verifier must not trust for fetching the JWKS;
    // it is handed the published key set and still checks EdDSA tokens on their own.
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
    let (app, _) = crate::helpers::spawn_eddsa(&[
        ("DEMO_MODE", "true"),
        ("TLS_CERT", cert.to_str().unwrap()),
        ("TLS_KEY", key.to_str().unwrap()),
    ])
    .await;
    let https = app.address.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{https}/login"))
        .json(
            &serde_json::json!({ "loginInfo": { "userId": DEMO_USER, "password": DEMO_PASSWORD } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let token = response
        .cookies()
        .find(|c| c.name() == "access_jwt")
        .unwrap()
        .value()
        .to_owned();
    let (verifier_port, _) = app.demo_ports.unwrap();
    let profile = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{verifier_port}/api/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), StatusCode::OK);
    let claims: serde_json::Value = profile.json().await.unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["alg"].as_str()),
        (Some(DEMO_USER), Some("EdDSA"))
    );
}
