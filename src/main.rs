//! Reads the settings, starts logging, runs the server — or, for operators,
//! `jwt-cookie-lab user add <userId>` to create an account from the command line, and for
//! teachers `jwt-cookie-lab demo reset` to start a class afresh.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use jwt_cookie_lab::app::{self, Application};
use jwt_cookie_lab::clock::SystemClock;
use jwt_cookie_lab::config::{AccessKeys, Config};
use secrecy::SecretString;

const USAGE: &str = "usage:
  jwt-cookie-lab                                   serve (settings from the environment or .env)
  jwt-cookie-lab user add <userId> [--email ADDRESS] [--name NAME]
                                                   create a user; the password is asked for
                                                   (or read from the first line of stdin)
  jwt-cookie-lab demo reset                        a teacher's reset: end every session, clear
                                                   lock-outs, delete the learners' own demo
                                                   accounts, restore kimcoding / 1234 (running
                                                   instances notice within a second)";

/// mimalloc, not glibc's malloc. Each request allocates and frees small blocks (claims, the
/// answer, the timeline); with many people's sessions cached, glibc took its slow path on
/// most of them and `/userinfo` lost a tenth of its rate to `malloc` (BENCHMARKS.md, "Many
/// people at once"). mimalloc keeps per-thread free lists and returns memory in whole pages,
/// so argon2's 19 MiB per hashing thread is reused, not multiplied.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every connection is a file descriptor. The soft limit (often 1024) is far below what the
/// server is configured to hold; raise it to the hard limit the system allows.
#[cfg(unix)]
fn allow_many_connections() {
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(not(unix))]
fn allow_many_connections() {}

fn main() -> ExitCode {
    allow_many_connections();
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    jwt_cookie_lab::ops::logging::init(config.operations.log_format);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => serve(config).await,
        ["user", "add", user_id, options @ ..] => add_user(config, user_id, options).await,
        ["demo", "reset"] => demo_reset(config).await,
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn demo_reset(config: Config) -> ExitCode {
    match app::demo_reset(&config).await {
        Ok(reset) => {
            println!("ended {} sessions", reset.sessions_ended);
            println!("cleared {} lock-outs", reset.lockouts_cleared);
            println!("deleted {} demo accounts", reset.accounts_deleted);
            let how = if reset.demo_restored {
                "restored"
            } else {
                "created"
            };
            println!("{how} {} / {}", app::DEMO_USER_ID, app::DEMO_PASSWORD);
            println!("running instances forget the class within a second");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not reset the class: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    if config.tokens.secrets_generated {
        let what = match config.tokens.access_keys {
            AccessKeys::Hmac(_) => {
                "ACCESS_SECRET and REFRESH_SECRET are not set: using random secrets"
            }
            AccessKeys::Ed25519 { .. } => {
                "ACCESS_KEY_FILE and REFRESH_SECRET are not set: using a new Ed25519 key pair and \
                 a random refresh secret"
            }
        };
        tracing::warn!(
            "{what} for this run, so every session ends when the server stops (see .env.example)"
        );
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = config.operations.host.clone();
    let app = match Application::build(config, Arc::new(SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "jwt-cookie-lab listening on {scheme}://{host}:{}",
        app.port()
    );
    if let Some(port) = app.metrics_port() {
        println!(
            "metrics on http://{}:{port}/metrics",
            app.state()
                .config
                .operations
                .metrics_addr
                .map_or_else(String::new, |a| a.ip().to_string())
        );
    }
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn add_user(config: Config, user_id: &str, options: &[&str]) -> ExitCode {
    let mut email = None;
    let mut name = None;
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        match (*option, rest.next()) {
            ("--email", Some(value)) => email = Some(value.to_string()),
            ("--name", Some(value)) => name = Some(value.to_string()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let password = match read_password() {
        Ok(p) => SecretString::from(p),
        Err(e) => {
            eprintln!("could not read the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    let new = app::OperatorAccount {
        user_id: user_id.to_owned(),
        email: email.unwrap_or_else(|| format!("{user_id}@localhost.localdomain")),
        name: name.unwrap_or_else(|| user_id.to_owned()),
    };
    match app::add_user(&config, new, password).await {
        Ok(()) => {
            println!("created user {user_id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not add {user_id}: {e}");
            ExitCode::FAILURE
        }
    }
}
