//! Builds the server: database pool and migrations, the invalidation listener (PostgreSQL),
//! the demo user, middleware and routes. `Application::build` binds its listener first, so
//! tests can ask for port 0 and learn the real port before any request is made.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::dev::Server;
use actix_web::http::{KeepAlive, header};
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use secrecy::SecretString;

use crate::auth::password::Passwords;
pub use crate::auth::state::AppState;
use crate::auth::state::Demo;
use crate::auth::throttle::Throttle;
use crate::auth::tokens::Tokens;
use crate::clock::{Clock, SharedClock};
use crate::config::{AccessKeys, Backend, Config, TlsFiles, redact_url};
use crate::metrics::Metrics;
use crate::ops::{self, openapi, probes};
use crate::stateless::{self, KeySource};
use crate::store::listener::{self, ListenerHealth};
use crate::store::sessions::SessionStore;
use crate::store::{self, Db, users};
use crate::web::{
    cross_site, demo, keys, lab, login, logout, negotiate, pages, password, security,
    sessions as sessions_page, signup, two_servers, userinfo,
};

pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How the HTTP server treats its connections, chosen rather than left to defaults:
/// - a client has 5 s to send its request head, then the connection is closed: a half-open
///   connection (headers never finished) costs a socket for 5 s, not forever, and never blocks
///   anyone else (every connection is its own task);
/// - an idle keep-alive connection is closed after 15 s, so idle browsers do not pin sockets;
/// - each worker holds at most 10 000 connections, and the accept queue takes 4096 waiting
///   ones, so a burst is queued by the kernel instead of refused (the process raises its
///   open-file limit to the hard limit at start-up to make room for them).
const CLIENT_REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(5);
const CLIENT_DISCONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(1);
const KEEP_ALIVE: StdDuration = StdDuration::from_secs(15);
const MAX_CONNECTIONS_PER_WORKER: usize = 10_000;
const BACKLOG: u32 = 4096;

/// How often expired and revoked sessions are swept out of the database.
const PRUNE_EVERY: StdDuration = StdDuration::from_secs(15 * 60);
/// How often gathered latency samples are folded into their histograms.
const METRICS_UPKEEP_EVERY: StdDuration = StdDuration::from_secs(5);

/// The course's demo user, created at start-up while `DEMO_USERS` is on.
pub const DEMO_USER_ID: &str = "kimcoding";
pub const DEMO_PASSWORD: &str = "1234";

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics server and, in demo mode, the stateless verifier and the "other site".
    extra_servers: Vec<Server>,
    metrics_port: Option<u16>,
    demo_ports: Option<(u16, u16)>,
    state: web::Data<AppState>,
}

/// Every route of the public server, by its template. The template is also the route's name,
/// which is what request metrics and logs are labelled with (never a raw path).
pub const ROUTES: &[&str] = &[
    "/",
    "/how-it-works",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/.well-known/jwks.json",
    "/api",
    "/login",
    "/signup",
    "/userinfo",
    "/logout",
    "/sessions",
    "/sessions/revoke-others",
    "/sessions/{id}/revoke",
    "/password",
    "/demo/expire-access",
    "/demo/forget-refresh",
    "/demo/replay-refresh",
    "/demo/lose-answer",
    "/demo/cross-site/report",
    "/demo/two-servers",
    "/demo/two-servers/ask",
    "/demo/two-servers/copy",
    "/demo/two-servers/mint",
    "/demo/copy/{id}",
    "/demo/copy/{id}/ask",
    "/demo/copy/{id}/logout",
    "/lab",
    "/static/{file}",
];

fn resource(path: &'static str) -> actix_web::Resource {
    debug_assert!(ROUTES.contains(&path), "{path} is missing from ROUTES");
    web::resource(path).name(path)
}

/// The routes of the public server.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/").route(web::get().to(pages::home)))
        .service(resource("/how-it-works").route(web::get().to(pages::how_it_works)))
        .service(resource("/healthz").route(web::get().to(probes::healthz)))
        .service(resource("/readyz").route(web::get().to(probes::readyz)))
        .service(resource("/openapi.json").route(web::get().to(openapi::document)))
        .service(resource("/.well-known/jwks.json").route(web::get().to(keys::jwks)))
        .service(resource("/api").route(web::get().to(openapi::reference)))
        .service(
            resource("/login")
                .route(web::get().to(login::form))
                .route(web::post().to(login::submit)),
        )
        .service(
            resource("/signup")
                .route(web::get().to(signup::form))
                .route(web::post().to(signup::submit)),
        )
        .service(resource("/userinfo").route(web::get().to(userinfo::show)))
        .service(resource("/logout").route(web::post().to(logout::submit)))
        .service(resource("/sessions").route(web::get().to(sessions_page::list)))
        .service(
            resource("/sessions/revoke-others").route(web::post().to(sessions_page::revoke_others)),
        )
        .service(resource("/sessions/{id}/revoke").route(web::post().to(sessions_page::revoke)))
        .service(
            resource("/password")
                .route(web::get().to(password::form))
                .route(web::post().to(password::submit)),
        )
        .service(resource("/demo/expire-access").route(web::post().to(demo::expire_access)))
        .service(resource("/demo/forget-refresh").route(web::post().to(demo::forget_refresh)))
        .service(resource("/demo/replay-refresh").route(web::post().to(demo::replay_refresh)))
        .service(resource("/demo/lose-answer").route(web::post().to(demo::lose_answer)))
        .service(resource("/demo/cross-site/report").route(web::get().to(cross_site::report)))
        .service(resource("/demo/two-servers").route(web::get().to(two_servers::page)))
        .service(resource("/demo/two-servers/ask").route(web::post().to(two_servers::ask)))
        .service(resource("/demo/two-servers/copy").route(web::post().to(two_servers::keep_copy)))
        .service(resource("/demo/two-servers/mint").route(web::post().to(two_servers::mint)))
        .service(resource("/demo/copy/{id}").route(web::get().to(two_servers::copy_page)))
        .service(resource("/demo/copy/{id}/ask").route(web::post().to(two_servers::ask_with_copy)))
        .service(
            resource("/demo/copy/{id}/logout").route(web::post().to(two_servers::log_out_victim)),
        )
        .service(
            resource("/lab")
                .route(web::get().to(lab::page))
                .route(web::post().to(lab::attack)),
        );
}

/// The operators' server on `METRICS_ADDR`: `GET /metrics` and nothing else, one worker.
fn metrics_server(
    addr: std::net::SocketAddr,
    state: web::Data<AppState>,
) -> Result<(Server, u16), StartError> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| format!("METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(ops::metrics))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((server, port))
}

impl Application {
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let db = store::connect(&config).await.map_err(|e| {
            format!(
                "cannot open the database {}: {e}",
                redact_url(&config.database_url)
            )
        })?;
        let passwords = Passwords::new().await?;
        let tokens = Tokens::new(&config);
        let throttle = Throttle::new(db.clone(), clock.clone());
        let cache_ttl = config
            .session_cache_ttl
            .try_into()
            .unwrap_or(StdDuration::from_secs(60));
        // On PostgreSQL the cache stays off until the listener is connected.
        let sessions = SessionStore::new(db.clone(), cache_ttl, config.backend == Backend::Sqlite);
        let instance = crate::auth::tokens::new_id()[..8].to_owned();
        // Demo mode's servers are bound now, so their addresses are known to the state.
        let demo_listeners = if config.demo_mode {
            Some(DemoListeners::bind(&config)?)
        } else {
            None
        };
        let demo = demo_listeners.as_ref().map(DemoListeners::demo);
        let listener_health = match config.backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(start_listener(&config, &sessions, &instance).await),
        };
        let state = web::Data::new(AppState {
            config,
            db,
            sessions,
            tokens,
            passwords,
            throttle,
            clock,
            listener: listener_health,
            metrics: Arc::new(Metrics::new(ROUTES)),
            instance,
            demo,
        });

        if state.config.demo_users {
            seed_demo_user(&state).await?;
        }
        prune(&state).await;

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
                    .wrap(from_fn(ops::observe))
                    .configure(routes)
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
        })
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
        .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
        // A client that closes its side has gone (a closed tab, a timed-out client): the request
        // in flight is dropped rather than finished for nobody, so a login waiting for a
        // password thread leaves the queue unhashed. Browsers never half-close a request.
        .h1_allow_half_closed(false)
        .max_connections(MAX_CONNECTIONS_PER_WORKER)
        .backlog(BACKLOG);
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls)?,
            None => server.listen(listener)?,
        }
        .run();
        let mut extra_servers = Vec::new();
        let metrics_port = match state.config.metrics_addr {
            Some(addr) => {
                let (server, port) = metrics_server(addr, state.clone())?;
                extra_servers.push(server);
                Some(port)
            }
            None => None,
        };
        let demo_ports = match demo_listeners {
            Some(listeners) => {
                let ports = (listeners.verifier_port, listeners.cross_site_port);
                let verifier = demo_verifier(&state, listeners.verifier, port, serving_tls)?;
                let cross = cross_site::serve(listeners.cross_site, port, serving_tls)?;
                extra_servers.extend([verifier, cross]);
                Some(ports)
            }
            None => None,
        };
        Ok(Self {
            port,
            server,
            extra_servers,
            metrics_port,
            demo_ports,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `METRICS_ADDR` was bound to, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Demo mode: the ports of the stateless verifier and of the "other site".
    pub fn demo_ports(&self) -> Option<(u16, u16)> {
        self.demo_ports
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped, sweeping ended sessions and stale lock-outs now
    /// and then.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                prune(&state).await;
            }
        });
        let upkeep = self.metrics_port.is_some().then(|| {
            let state = self.state.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(METRICS_UPKEEP_EVERY);
                loop {
                    every.tick().await;
                    state.metrics.upkeep();
                }
            })
        });
        let extras: Vec<_> = self
            .extra_servers
            .into_iter()
            .map(|server| {
                let handle = server.handle();
                (handle, tokio::spawn(server))
            })
            .collect();
        let result = self.server.await;
        for (handle, task) in extras {
            handle.stop(true).await;
            let _ = task.await;
        }
        sweeper.abort();
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
        result
    }
}

/// Demo mode's two extra servers, bound.
struct DemoListeners {
    verifier: TcpListener,
    verifier_port: u16,
    cross_site: TcpListener,
    cross_site_port: u16,
}

impl DemoListeners {
    fn bind(config: &Config) -> Result<Self, StartError> {
        let bind = |var: &str, port: u16| {
            TcpListener::bind((config.host.as_str(), port))
                .map_err(|e| format!("{var}: cannot listen on {}:{port}: {e}", config.host))
        };
        let verifier = bind("DEMO_VERIFIER_PORT", config.demo_verifier_port)?;
        let cross_site = bind("DEMO_CROSS_SITE_PORT", config.demo_cross_site_port)?;
        Ok(Self {
            verifier_port: verifier.local_addr()?.port(),
            cross_site_port: cross_site.local_addr()?.port(),
            verifier,
            cross_site,
        })
    }

    fn demo(&self) -> Demo {
        Demo {
            verifier_url: Some(format!("http://127.0.0.1:{}", self.verifier_port)),
            cross_site_port: Some(self.cross_site_port),
            copies: moka::sync::Cache::builder()
                .max_capacity(1000)
                .time_to_live(StdDuration::from_secs(24 * 60 * 60))
                .build(),
            cross_site_seen: std::sync::Mutex::new(std::collections::VecDeque::new()),
        }
    }
}

/// Demo mode: the stateless verifier, on `DEMO_VERIFIER_PORT`, knowing only what a separate
/// service would: this app's JWKS address (EdDSA) or the shared secret (HS256).
fn demo_verifier(
    state: &web::Data<AppState>,
    listener: TcpListener,
    app_port: u16,
    tls: bool,
) -> Result<Server, StartError> {
    let config = &state.config;
    let source = match &config.access_keys {
        AccessKeys::Hmac(pair) => KeySource::Secret(pair.current.clone()),
        // Over HTTPS the app's certificate is often self-signed (see README), which the
        // verifier would rightly refuse to trust: it is handed the published key set instead.
        AccessKeys::Ed25519 { .. } if tls => KeySource::Published(state.tokens.jwks()),
        AccessKeys::Ed25519 { .. } => {
            KeySource::Jwks(format!("http://127.0.0.1:{app_port}/.well-known/jwks.json"))
        }
    };
    Ok(stateless::serve(listener, source, state.clock.clone())?)
}

/// Removes ended sessions and stale lock-out counts, counting sessions that ran out of time.
async fn prune(state: &AppState) {
    match state.sessions.prune(state.clock.now()).await {
        Ok(pruned) => {
            state.metrics.sessions_expired(pruned.expired);
            if pruned.sessions > 0 {
                tracing::info!(
                    pruned = pruned.sessions,
                    expired = pruned.expired,
                    "removed ended sessions"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not prune sessions"),
    }
    if let Err(e) = state.throttle.prune().await {
        tracing::warn!(error = %e, "could not prune login failures");
    }
}

/// Starts the PostgreSQL invalidation listener and gives it until `DATABASE_CONNECT_TIMEOUT`
/// to connect, so a healthy instance starts with its session cache on. It keeps trying in the
/// background either way.
async fn start_listener(
    config: &Config,
    sessions: &SessionStore,
    instance: &str,
) -> Arc<ListenerHealth> {
    let health = Arc::new(ListenerHealth::new(instance));
    let url = config
        .database
        .listen_url
        .clone()
        .unwrap_or_else(|| config.database_url.clone());
    tokio::spawn(listener::run(
        url,
        config.database.clone(),
        sessions.cache().clone(),
        health.clone(),
    ));
    let deadline = tokio::time::Instant::now()
        + config
            .database
            .connect_timeout
            .try_into()
            .unwrap_or(StdDuration::from_secs(10));
    while !health.is_connected() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    health
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
    let db: Db = store::connect(config).await.map_err(|e| {
        format!(
            "cannot open the database {}: {e}",
            redact_url(&config.database_url)
        )
    })?;
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
    match users::insert(&db, &new, now).await? {
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
    if users::exists(&state.db, DEMO_USER_ID).await? {
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
    if users::insert(&state.db, &demo, state.clock.now())
        .await?
        .is_some()
    {
        tracing::info!(user = DEMO_USER_ID, "created the demo user");
    }
    Ok(())
}
