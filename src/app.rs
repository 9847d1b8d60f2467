//! Builds the server: database pool and migrations, the demo user, middleware and routes.
//! `Application::build` binds its listener first, so tests can ask for port 0 and learn the
//! real port before any request is made.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use secrecy::SecretString;
use sqlx::SqlitePool;

use crate::auth::password::Passwords;
use crate::auth::throttle::Throttle;
use crate::auth::tokens::Tokens;
use crate::clock::{Clock, SharedClock};
use crate::config::{Config, TlsFiles};
use crate::store::sessions::SessionStore;
use crate::store::{self, users};
use crate::web::{
    demo, login, logout, negotiate, pages, password, security, sessions as sessions_page, signup,
    userinfo,
};

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub pool: SqlitePool,
    /// Sessions, through their cache: every read and end of a session goes here.
    pub sessions: SessionStore,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub throttle: Throttle,
    pub clock: SharedClock,
}

pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How often expired and revoked sessions are swept out of the database.
const PRUNE_EVERY: StdDuration = StdDuration::from_secs(15 * 60);

/// The course's demo user, created at start-up while `DEMO_USERS` is on.
pub const DEMO_USER_ID: &str = "kimcoding";
pub const DEMO_PASSWORD: &str = "1234";

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let pool = store::connect(&config.database_url)
            .await
            .map_err(|e| format!("cannot open the database {}: {e}", config.database_url))?;
        let passwords = Passwords::new().await?;
        let tokens = Tokens::new(&config);
        let throttle = Throttle::new(clock.clone());
        let sessions = SessionStore::new(pool.clone());
        let state = web::Data::new(AppState {
            config,
            pool,
            sessions,
            tokens,
            passwords,
            throttle,
            clock,
        });

        if state.config.demo_users {
            seed_demo_user(&state).await?;
        }
        let pruned = state.sessions.prune(state.clock.now()).await?;
        if pruned > 0 {
            tracing::info!(pruned, "removed ended sessions");
        }

        let tls = match &state.config.tls {
            Some(files) => Some(rustls_config(files)?),
            None => None,
        };
        let serving_tls = tls.is_some();
        let server = HttpServer::new({
            let state = state.clone();
            let static_dir = static_dir();
            move || {
                App::new()
                    .app_data(state.clone())
                    .app_data(web::PayloadConfig::new(negotiate::MAX_BODY_BYTES))
                    .wrap(from_fn(security::same_origin))
                    .wrap(ErrorHandlers::new().default_handler(pages::html_errors))
                    .wrap(security::headers(serving_tls))
                    .wrap(from_fn(pages::remember_lang))
                    .service(web::resource("/").route(web::get().to(pages::home)))
                    .service(
                        web::resource("/how-it-works").route(web::get().to(pages::how_it_works)),
                    )
                    .service(web::resource("/healthz").route(web::get().to(pages::healthz)))
                    .service(
                        web::resource("/login")
                            .route(web::get().to(login::form))
                            .route(web::post().to(login::submit)),
                    )
                    .service(
                        web::resource("/signup")
                            .route(web::get().to(signup::form))
                            .route(web::post().to(signup::submit)),
                    )
                    .service(web::resource("/userinfo").route(web::get().to(userinfo::show)))
                    .service(web::resource("/logout").route(web::post().to(logout::submit)))
                    .service(web::resource("/sessions").route(web::get().to(sessions_page::list)))
                    .service(
                        web::resource("/sessions/revoke-others")
                            .route(web::post().to(sessions_page::revoke_others)),
                    )
                    .service(
                        web::resource("/sessions/{id}/revoke")
                            .route(web::post().to(sessions_page::revoke)),
                    )
                    .service(
                        web::resource("/demo/expire-access")
                            .route(web::post().to(demo::expire_access)),
                    )
                    .service(
                        web::resource("/demo/forget-refresh")
                            .route(web::post().to(demo::forget_refresh)),
                    )
                    .service(
                        web::resource("/demo/replay-refresh")
                            .route(web::post().to(demo::replay_refresh)),
                    )
                    .service(
                        web::resource("/password")
                            .route(web::get().to(password::form))
                            .route(web::post().to(password::submit)),
                    )
                    .service(
                        web::scope("/static")
                            .wrap(
                                DefaultHeaders::new()
                                    .add((header::CACHE_CONTROL, "public, max-age=3600")),
                            )
                            .service(
                                actix_files::Files::new("", &static_dir)
                                    .use_etag(true)
                                    .use_last_modified(true),
                            ),
                    )
                    .default_service(web::to(pages::not_found))
            }
        });
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls)?,
            None => server.listen(listener)?,
        }
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped, sweeping ended sessions now and then.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = state.sessions.prune(state.clock.now()).await {
                    tracing::warn!(error = %e, "could not prune sessions");
                }
            }
        });
        let result = self.server.await;
        sweeper.abort();
        result
    }
}

/// The certificate chain and key of `TLS_CERT` / `TLS_KEY`, as rustls wants them.
fn rustls_config(files: &TlsFiles) -> Result<rustls::ServerConfig, StartError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "TLS_CERT: cannot read a PEM certificate from {}: {e}",
                files.cert.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!("TLS_CERT: no certificate in {}", files.cert.display()).into());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        format!(
            "TLS_KEY: cannot read a PEM private key from {}: {e}",
            files.key.display()
        )
    })?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS_CERT / TLS_KEY: the key does not fit the certificate: {e}"))?;
    Ok(config)
}

/// An account made by an operator on the command line.
pub struct NewAccount {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// `jwt-cookie-lab user add`: the same rules as the sign-up page, straight into the database.
pub async fn add_user(
    config: &Config,
    account: NewAccount,
    password: SecretString,
) -> Result<(), StartError> {
    use secrecy::ExposeSecret;
    let form = signup::SignUp {
        user_id: account.user_id,
        password: password.expose_secret().to_owned(),
        email: account.email,
        name: account.name,
        ..Default::default()
    };
    signup::validate(&form)?;
    let pool = store::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", config.database_url))?;
    let passwords = Passwords::new().await?;
    let hash = passwords.hash(password).await?;
    let new = users::NewUser {
        user_id: &form.user_id,
        password_hash: &hash,
        email: &form.email,
        name: &form.name,
        position: "",
        location: "",
        bio: "",
    };
    let now = crate::clock::SystemClock.now();
    match users::insert(&pool, &new, now).await? {
        Some(_) => Ok(()),
        None => Err("that user ID is taken".into()),
    }
}

/// `static/` beside the working directory, else the one in the source tree (so `cargo run`
/// works from any folder of the checkout).
fn static_dir() -> PathBuf {
    let local = PathBuf::from("static");
    if local.join("style.css").is_file() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}

/// Creates the course's demo user if it is missing; an existing one is never touched.
async fn seed_demo_user(state: &AppState) -> Result<(), StartError> {
    if users::exists(&state.pool, DEMO_USER_ID).await? {
        return Ok(());
    }
    let hash = state
        .passwords
        .hash(SecretString::from(DEMO_PASSWORD))
        .await?;
    let demo = users::NewUser {
        user_id: DEMO_USER_ID,
        password_hash: &hash,
        email: "kimcoding@authstates.com",
        name: "김코딩",
        position: "Frontend Developer",
        location: "Seoul, South Korea",
        bio: "Learning how cookies, JWTs and sessions fit together — one request at a time.",
    };
    if users::insert(&state.pool, &demo, state.clock.now())
        .await?
        .is_some()
    {
        tracing::info!(user = DEMO_USER_ID, "created the demo user");
    }
    Ok(())
}
