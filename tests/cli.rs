//! The operator's command line: `jwt-cookie-lab user add <userId>`.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(db: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_add_creates_an_account_that_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let out = run(
        &db,
        &[
            "user",
            "add",
            "operator",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
        ],
        "a fine long passphrase\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user operator"));

    // Same rules as sign-up, and no overwriting.
    let again = run(
        &db,
        &["user", "add", "operator"],
        "another fine passphrase\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));
    let weak = run(&db, &["user", "add", "someone"], "short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 8"));
    let bad = run(&db, &["user", "add"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("usage"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = jwt_cookie_lab::config::Config::from_lookup(|k| {
            (k == "DATABASE_URL").then(|| db.clone())
        })
        .unwrap();
        let store = jwt_cookie_lab::store::connect(&config).await.unwrap();
        let (user, hash) = jwt_cookie_lab::store::users::find_with_hash(&store, "operator", 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (user.email.as_str(), user.name.as_str()),
            ("ops@example.com", "Ops")
        );
        let passwords = jwt_cookie_lab::auth::password::Passwords::new()
            .await
            .unwrap();
        assert!(
            passwords
                .verify("a fine long passphrase".to_string().into(), Some(hash))
                .await
                .unwrap()
        );
    });
}

/// Starts the server with `vars` only and returns its standard error, expecting it to stop.
fn refused_start(vars: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"));
    command
        .env_clear()
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (k, v) in vars {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let stderr = refused_start(&[
        ("DATABASE_URL", &db),
        ("ACCESS_SECRET", "too-short"),
        (
            "REFRESH_SECRET",
            "a-refresh-secret-that-is-long-enough-0123",
        ),
    ]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ACCESS_SECRET: must be at least 32 bytes"),
        "{stderr}"
    );
}

#[test]
fn postgres_without_shared_secrets_stops_start_up_naming_them() {
    // No database is contacted: the settings are refused first.
    let stderr = refused_start(&[("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/lab")]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ACCESS_SECRET, REFRESH_SECRET: must be set with a postgres DATABASE_URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2"),
        "no password in messages: {stderr}"
    );
}

#[test]
fn a_wildcard_cors_origin_stops_start_up_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("app.db").display());
    let stderr = refused_start(&[
        ("DATABASE_URL", &db),
        ("CORS_ALLOWED_ORIGINS", "http://localhost:3000,*"),
    ]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CORS_ALLOWED_ORIGINS: \"*\""), "{stderr}");
}
