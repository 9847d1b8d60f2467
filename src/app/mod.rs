//! The composition root: builds the database pool (and migrates it), the invalidation listener
//! (PostgreSQL), the [`AppState`] the handlers take, the middleware, and mounts each part's
//! routes. `Application::build` binds its listener first, so tests can ask for port 0 and
//! learn the real port before any request is made.

mod servers;
mod startup;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::dev::Server;
use actix_web::http::{KeepAlive, header};
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};

pub use servers::rustls_config;
pub use startup::{OperatorAccount, add_user, demo_reset};

use crate::auth::password::Passwords;
use crate::auth::throttle::Throttle;
use crate::auth::tokens::Tokens;
use crate::clock::SharedClock;
use crate::config::{Backend, Config};
use crate::metrics::Metrics;
use crate::ops;
use crate::store::Db;
use crate::store::sessions::SessionStore;
pub use crate::web::AppState;
use crate::web::cors::ListedOrigins;
use crate::web::teach::{self, Demo};
use crate::web::{Routes, cookies, negotiate, pages, security};

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
/// How long start-up prunes before serving; the sweeper finishes a bigger job.
const STARTUP_PRUNE_BUDGET: StdDuration = StdDuration::from_millis(250);
/// How often gathered latency samples are folded into their histograms.
const METRICS_UPKEEP_EVERY: StdDuration = StdDuration::from_secs(5);

pub use crate::config::{DEMO_PASSWORD, DEMO_USER_ID};

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics server and, in demo mode, the stateless verifier and the "other site".
    extra_servers: Vec<Server>,
    metrics_port: Option<u16>,
    demo_ports: Option<(u16, u16)>,
    client_port: Option<u16>,
    /// Whether start-up left ended sessions for the sweeper (it starts at once then).
    sweep_pending: bool,
    state: web::Data<AppState>,
}

/// Every route of the public server: the operators' probes and API description, and the app's
/// pages and API. Routes are matched in this order, so the probes (a load balancer's most
/// frequent request) come first.
fn public_routes(routes: &mut Routes) {
    ops::configure(routes);
    crate::web::configure(routes);
}

/// Every route template of the public server, for the request metrics.
fn route_templates() -> Vec<&'static str> {
    let mut routes = Routes::templates_only();
    public_routes(&mut routes);
    routes.note("/static/{file}");
    routes.into_templates()
}

impl Application {
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let listener = TcpListener::bind((config.operations.host.as_str(), config.operations.port))
            .map_err(|e| {
                format!(
                    "cannot listen on {}:{}: {e}",
                    config.operations.host, config.operations.port
                )
            })?;
        let port = listener.local_addr()?.port();
        // Demo mode's servers are bound now, so their addresses are known to the state.
        let demo_listeners = match config.demo.mode {
            true => Some(servers::DemoListeners::bind(&config)?),
            false => None,
        };
        let state = build_state(config, clock, demo_listeners.as_ref()).await?;
        if state.config.demo.users {
            startup::seed_demo_user(&state).await?;
        }
        // A big sweep is not waited for: start-up prunes for a moment, the sweeper goes on.
        let sweep_pending = startup::prune(&state, Some(STARTUP_PRUNE_BUDGET)).await;
        let tls = match &state.config.tls {
            Some(files) => Some(servers::rustls_config(files)?),
            None => None,
        };
        let server = public_server(state.clone(), listener, tls)?;
        let mut extra_servers = Vec::new();
        let metrics_port = match state.config.operations.metrics_addr {
            Some(addr) => {
                let (server, port) = servers::metrics_server(addr, state.clone())?;
                extra_servers.push(server);
                Some(port)
            }
            None => None,
        };
        let client_port = demo_listeners.as_ref().map(|l| l.client_port);
        let demo_ports = demo_listeners
            .map(|listeners| {
                let ports = (listeners.verifier_port, listeners.cross_site_port);
                extra_servers.extend(servers::demo_servers(&state, listeners, port)?);
                Ok::<_, StartError>(ports)
            })
            .transpose()?;
        Ok(Self {
            port,
            server,
            extra_servers,
            metrics_port,
            demo_ports,
            client_port,
            sweep_pending,
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

    /// Demo mode: the port of the course-style client.
    pub fn client_port(&self) -> Option<u16> {
        self.client_port
    }

    /// Stops the server gracefully: `run_until_stopped` then writes what is left and returns.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped, sweeping ended sessions and stale lock-outs now
    /// and then, and writing "last seen" every `SESSION_ACTIVITY_INTERVAL` (and once more
    /// when stopped).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let sweep_now = self.sweep_pending;
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            if !sweep_now {
                every.tick().await;
            }
            loop {
                every.tick().await;
                startup::prune(&state, None).await;
            }
        });
        let (stop_activity, stopped) = tokio::sync::watch::channel(false);
        let activity = tokio::spawn(startup::write_activity(self.state.clone(), stopped));
        let resets = self
            .state
            .config
            .demo
            .mode
            .then(|| tokio::spawn(startup::watch_for_resets(self.state.clone())));
        let signals = tokio::spawn(startup::on_signal(self.state.clone(), self.server.handle()));
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
            .map(|server| (server.handle(), tokio::spawn(server)))
            .collect();
        let result = self.server.await;
        for (handle, task) in extras {
            handle.stop(true).await;
            let _ = task.await;
        }
        sweeper.abort();
        signals.abort();
        if let Some(resets) = resets {
            resets.abort();
        }
        let _ = stop_activity.send(true);
        let _ = activity.await;
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
        result
    }
}

/// The database (connected and migrated), the keys, the sessions with their cache, the
/// password threads, and on PostgreSQL the invalidation listener: everything the handlers take.
async fn build_state(
    config: Config,
    clock: SharedClock,
    demo_listeners: Option<&servers::DemoListeners>,
) -> Result<web::Data<AppState>, StartError> {
    let db: Db = startup::open_database(&config).await?;
    let cache_ttl = config
        .sessions
        .cache_ttl
        .try_into()
        .unwrap_or(StdDuration::from_secs(60));
    // On PostgreSQL the cache stays off until the listener is connected.
    // The memory budget, shared with the verified tokens (see `Config::cache_budgets`).
    let sessions = SessionStore::new(
        db.clone(),
        cache_ttl,
        config.database.backend == Backend::Sqlite,
        config.cache_budgets().0,
    );
    let instance = crate::auth::tokens::new_id()[..8].to_owned();
    let demo = demo_listeners.map(|l| l.demo(config.tls.is_some()));
    let listener = match config.database.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(startup::start_listener(&config, &sessions, &instance).await),
    };
    Ok(web::Data::new(AppState {
        passwords: Passwords::new().await?,
        tokens: Tokens::new(&config),
        throttle: Throttle::new(db.clone(), clock.clone()),
        metrics: Arc::new(Metrics::new(&route_templates())),
        allowed_origins: allowed_origins(&config, demo.as_ref()),
        demo,
        config,
        db,
        sessions,
        clock,
        listener,
        instance,
    }))
}

/// The origins CORS lets in: the operator's, and in demo mode the app's own client.
fn allowed_origins(config: &Config, demo: Option<&Demo>) -> Vec<String> {
    let mut origins = config.cors.allowed_origins.clone();
    for origin in demo.into_iter().flat_map(|d| &d.client_origins) {
        if !origins.contains(origin) {
            origins.push(origin.clone());
        }
    }
    origins
}

/// The public server: middleware, routes, static files, and how it treats connections.
fn public_server(
    state: web::Data<AppState>,
    listener: TcpListener,
    tls: Option<rustls::ServerConfig>,
) -> Result<Server, StartError> {
    let serving_tls = tls.is_some();
    let static_dir = servers::static_dir();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(negotiate::MAX_BODY_BYTES))
            .wrap(from_fn(cookies::write_renewed))
            .wrap(from_fn(security::same_origin))
            .wrap(ListedOrigins::new(&state.allowed_origins))
            // Demo mode notes what the course-style client's calls carried and got back.
            .wrap(Condition::new(
                state.config.demo.mode,
                from_fn(teach::client::record),
            ))
            // Demo mode tells the learners of a class apart, one browser each.
            .wrap(Condition::new(
                state.config.demo.mode,
                from_fn(teach::class::recognise),
            ))
            .wrap(ErrorHandlers::new().default_handler(pages::html_errors))
            .wrap(security::headers(serving_tls))
            .wrap(from_fn(crate::web::chrome::remember_lang))
            .wrap(from_fn(ops::observe))
            .configure(|config| public_routes(&mut Routes::new(config)))
            .service(
                web::scope("/static")
                    .wrap(
                        DefaultHeaders::new().add((header::CACHE_CONTROL, "public, max-age=3600")),
                    )
                    .service(
                        actix_files::Files::new("", &static_dir)
                            .use_etag(true)
                            .use_last_modified(true),
                    ),
            )
            .default_service(web::to(pages::not_found))
    })
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
    // A client that closes its side has gone (a closed tab, a timed-out client): the request
    // in flight is dropped rather than finished for nobody, so a login waiting for a password
    // thread leaves the queue unhashed. Browsers never half-close a request.
    .h1_allow_half_closed(false)
    .max_connections(MAX_CONNECTIONS_PER_WORKER)
    .backlog(BACKLOG)
    // Signals are ours (`startup::on_signal`): the last "last seen" batch is written while
    // the workers, and the database connections they opened, are still there.
    .disable_signals();
    Ok(match tls {
        Some(tls) => server.listen_rustls_0_23(listener, tls)?,
        None => server.listen(listener)?,
    }
    .run())
}
