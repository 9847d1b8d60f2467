//! Reads the settings, starts logging, runs the server.

use std::process::ExitCode;
use std::sync::Arc;

use jwt_cookie_lab::app::Application;
use jwt_cookie_lab::clock::SystemClock;
use jwt_cookie_lab::config::Config;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if config.secrets_generated {
        tracing::warn!(
            "ACCESS_SECRET and REFRESH_SECRET are not set: using random secrets for this run, \
             so every session ends when the server stops (see .env.example)"
        );
    }
    let host = config.host.clone();
    let app = match Application::build(config, Arc::new(SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("jwt-cookie-lab listening on http://{host}:{}", app.port());
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
