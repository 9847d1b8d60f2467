//! Key rotation: the previous secrets verify old tokens; new tokens use the new ones;
//! dropping the previous secrets ends the old tokens.

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{ACCESS_SECRET, REFRESH_SECRET, claims, set_cookies, spawn};

const NEW_ACCESS: &str = "the-next-access-secret-0123456789-abcdefghij";
const NEW_REFRESH: &str = "the-next-refresh-secret-0123456789-abcdefghij";

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn rotating_secrets_keeps_everyone_logged_in_until_the_old_ones_are_dropped() {
    let app = spawn().await;
    let jar = app.logged_in(true).await;
    let old_kid = kid(jar.get("access_jwt").unwrap());

    // Step 1: new secrets, old ones as *_PREVIOUS.
    let db = app.setting("DATABASE_URL").to_owned();
    let rotated = crate::helpers::spawn_with(&[
        ("DATABASE_URL", &db),
        ("ACCESS_SECRET", NEW_ACCESS),
        ("REFRESH_SECRET", NEW_REFRESH),
        ("ACCESS_SECRET_PREVIOUS", ACCESS_SECRET),
        ("REFRESH_SECRET_PREVIOUS", REFRESH_SECRET),
    ])
    .await;
    assert_eq!(
        rotated.userinfo(&jar).await.status(),
        StatusCode::OK,
        "old access token still good"
    );
    let fresh = rotated.logged_in(true).await;
    assert_ne!(
        kid(fresh.get("access_jwt").unwrap()),
        old_kid,
        "new tokens carry the new key's kid"
    );
    assert_ne!(
        kid(fresh.get("refresh_jwt").unwrap()),
        kid(jar.get("refresh_jwt").unwrap())
    );

    // The old refresh token still renews, and what it gets back is signed with the new keys.
    rotated.advance(Duration::days(1) + Duration::seconds(1));
    let response = rotated.userinfo(&jar).await;
    assert_eq!(response.status(), StatusCode::OK);
    let renewed = set_cookies(&response);
    assert_ne!(kid(renewed["access_jwt"].value()), old_kid);
    assert_eq!(
        claims(renewed["access_jwt"].value())["sid"],
        claims(jar.get("access_jwt").unwrap())["sid"]
    );

    // Step 2: drop the previous secrets; tokens signed with them are refused.
    let dropped = crate::helpers::spawn_with(&[
        ("DATABASE_URL", &db),
        ("ACCESS_SECRET", NEW_ACCESS),
        ("REFRESH_SECRET", NEW_REFRESH),
    ])
    .await;
    dropped.advance(Duration::days(1) + Duration::seconds(1));
    let old_only =
        crate::helpers::Jar::default().with("refresh_jwt", jar.get("refresh_jwt").unwrap());
    assert_eq!(
        dropped.userinfo(&old_only).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let old_access =
        crate::helpers::Jar::default().with("access_jwt", jar.get("access_jwt").unwrap());
    let restarted = crate::helpers::spawn_with(&[
        ("DATABASE_URL", &db),
        ("ACCESS_SECRET", NEW_ACCESS),
        ("REFRESH_SECRET", NEW_REFRESH),
    ])
    .await;
    assert_eq!(
        restarted.userinfo(&old_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        restarted.userinfo(&fresh).await.status(),
        StatusCode::OK,
        "new tokens live on"
    );
}
