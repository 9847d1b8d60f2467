//! Holds the server to its own OpenAPI description: schemathesis (from PyPI) generates requests
//! for every documented operation, with a logged-in cookie, and checks every answer: no 5xx,
//! a documented status, content type, headers and body. Logout runs in a second pass, last, so
//! the first pass keeps its session for as long as the fuzzing itself does not end it.
//!
//! Without the `schemathesis` command this test says so and passes as skipped, except under
//! `CI=true`, where that fails (`.ci/run` installs it).

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

fn schemathesis() -> Option<String> {
    let found = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("schemathesis".into());
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but schemathesis is missing: .ci/run should have installed it"
    );
    eprintln!("SKIPPED: schemathesis not found (pip install schemathesis)");
    None
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Logs the demo user in (with "keep me logged in") and returns the `Cookie` header value.
fn log_in(base: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let body =
            r#"{"loginInfo":{"userId":"kimcoding","password":"1234"},"checkedKeepLogin":true}"#;
        let started = Instant::now();
        loop {
            let sent = client
                .post(format!("{base}/login"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            if let Ok(response) = sent {
                let cookies: Vec<String> = response
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .filter_map(|c| c.split(';').next().map(str::to_owned))
                    .collect();
                assert!(!cookies.is_empty(), "the login set no cookie");
                return cookies.join("; ");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[test]
fn the_server_keeps_to_its_openapi_description() {
    let Some(command) = schemathesis() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_jwt-cookie-lab"))
            .env_clear()
            .env("PORT", port.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("app.db").display()),
            )
            .env(
                "ACCESS_SECRET",
                "schemathesis-access-secret-0123456789-abcdef",
            )
            .env(
                "REFRESH_SECRET",
                "schemathesis-refresh-secret-0123456789-abcdef",
            )
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let cookie = log_in(&base);
    for pass in [["--exclude-path", "/logout"], ["--include-path", "/logout"]] {
        let out = Command::new(&command)
            .arg("run")
            .arg(format!("{base}/openapi.json"))
            .args(["--checks", CHECKS])
            .args(["--header", &format!("Cookie: {cookie}")])
            .args([
                "--max-redirects",
                "0",
                "--max-examples",
                "40",
                "--seed",
                "20261125",
            ])
            .args(pass)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis found answers that break the description ({pass:?}):\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(report.contains("passed"), "{report}");
    }
}
