//! `stateless-api`: checks access tokens by their signature alone, with no database. Run it
//! beside the app to see what "stateless" means: a copied token keeps working here until it
//! expires, however the session it came from has ended.
//!
//!     JWKS_URL=http://127.0.0.1:8080/.well-known/jwks.json PORT=8081 cargo run --bin stateless-api
//!     ACCESS_SECRET=… PORT=8081 cargo run --bin stateless-api        # HS256

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use jwt_cookie_lab::clock::SystemClock;
use jwt_cookie_lab::config::LogFormat;
use jwt_cookie_lab::stateless::{self, KeySource, Settings};

fn main() -> ExitCode {
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> ExitCode {
    // A broken .env is worth stopping for; a missing one is the normal case.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("configuration error: .env: {e}");
        return ExitCode::FAILURE;
    }
    let settings = match Settings::from_lookup(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let format = LogFormat::from_env_value(std::env::var("LOG_FORMAT").ok().as_deref())
        .unwrap_or(LogFormat::Text);
    jwt_cookie_lab::ops::logging::init(format);
    let listener = match TcpListener::bind((settings.host.as_str(), settings.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {}:{}: {e}", settings.host, settings.port);
            return ExitCode::FAILURE;
        }
    };
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(settings.port);
    let keys = match &settings.source {
        KeySource::Jwks(url) => format!("public keys from {url}"),
        KeySource::Secret(_) => "the shared ACCESS_SECRET (HS256)".to_owned(),
        KeySource::Published(_) => "a key set handed over at start-up".to_owned(),
    };
    let server = match stateless::serve(listener, settings.source, Arc::new(SystemClock)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "stateless-api listening on http://{}:{port} (GET /api/profile), trusting {keys}",
        settings.host
    );
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
