//! Under concurrent logins, refreshes and logouts of the same users, nothing fails and the
//! sessions table stays consistent. A correctness test, not a timed one.

use std::sync::Arc;

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::spawn;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_concurrent_requests_leave_the_sessions_consistent() {
    let app = Arc::new(spawn().await);
    let users = ["ann", "bob", "cho", "dan"];
    for user in users {
        app.add_user(user, "a shared fine passphrase").await;
    }
    let mut jars = Vec::new();
    for i in 0..20 {
        jars.push(
            app.logged_in_as(users[i % 4], "a shared fine passphrase", true, "load")
                .await,
        );
    }
    // Every access token is now expired: each userinfo below goes through the refresh path,
    // many of them with the same refresh token at the same moment.
    app.advance(Duration::days(1) + Duration::seconds(1));

    let jars = Arc::new(jars);
    let mut tasks = Vec::new();
    for k in 0..300usize {
        let app = app.clone();
        let jars = jars.clone();
        tasks.push(tokio::spawn(async move {
            let jar = &jars[k % jars.len()];
            match k % 5 {
                0..=2 => vec![app.userinfo(jar).await.status()],
                3 => {
                    let fresh = app
                        .logged_in_as(users[k % 4], "a shared fine passphrase", k % 2 == 0, "load")
                        .await;
                    vec![app.userinfo(&fresh).await.status()]
                }
                _ => vec![app.post("/logout", jar, false).await.status()],
            }
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.expect("no task panicked"));
    }
    assert!(
        statuses.iter().all(|s| !s.is_server_error()),
        "server errors: {statuses:?}"
    );
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        ok > 100,
        "most requests succeeded ({ok} of {})",
        statuses.len()
    );
    assert!(
        statuses.iter().all(|s| [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::RESET_CONTENT
        ]
        .contains(s)),
        "{statuses:?}"
    );

    let doubles = app
        .sql_i64(
            "SELECT COUNT(*) FROM (SELECT session_id FROM refresh_lineage \
             WHERE state IN ('current', 'pending') GROUP BY session_id, state \
             HAVING COUNT(*) > 1) doubled",
            &[],
        )
        .await;
    assert_eq!(
        doubles,
        Some(0),
        "no session has two current (or two pending) refresh tokens"
    );
    let orphans = app
        .sql_i64(
            "SELECT COUNT(*) FROM refresh_lineage r LEFT JOIN sessions s ON s.id = r.session_id WHERE s.id IS NULL",
            &[],
        )
        .await;
    assert_eq!(orphans, Some(0));

    // Every logged-out session stays logged out, cache or not.
    for (k, jar) in jars.iter().enumerate() {
        let logged_out = (0..300).any(|i| i % 5 == 4 && i % jars.len() == k);
        if logged_out {
            assert_eq!(
                app.userinfo(jar).await.status(),
                StatusCode::UNAUTHORIZED,
                "jar {k}"
            );
            assert_eq!(
                app.userinfo(&jar.clone().without("access_jwt"))
                    .await
                    .status(),
                StatusCode::UNAUTHORIZED
            );
        }
    }
}

/// Logins whose clients hang up while they wait for a password thread are dropped, not
/// finished for nobody: no session is made for them, and the queue empties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_whose_clients_hang_up_are_dropped() {
    use tokio::io::AsyncWriteExt;
    let app = spawn().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let body = r#"{"loginInfo":{"userId":"kimcoding","password":"1234"},"checkedKeepLogin":false}"#;
    let request = format!(
        "POST /login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for _ in 0..30 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        // Gone: the whole connection closes, as when a tab is closed.
        drop(stream);
    }
    // A login that stays: the password queue is first in, first out, so by the time it is
    // answered every abandoned one that was still queued has been taken (run or dropped); the
    // pause lets one still running on the other thread finish.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let jar = app.logged_in(false).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.state.passwords.queue_depth(), 0);
    let finished = app
        .sql_i64("SELECT COUNT(*) FROM sessions", &[])
        .await
        .unwrap()
        - 1;
    assert!(
        finished <= 2,
        "{finished} of 30 abandoned logins were finished"
    );
    // The server is fine, and the login that stayed works.
    assert_eq!(app.userinfo(&jar).await.status(), StatusCode::OK);
}
