//! The servers beside the public one (the operators' metrics; in demo mode, the stateless
//! verifier and the other site), TLS, and where the static files are.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use super::StartError;
use crate::config::{AccessKeys, Config, TlsFiles};
use crate::ops;
use crate::stateless::{self, KeySource};
use crate::web::AppState;
use crate::web::teach::{Demo, client, cross_site};

/// The operators' server on `METRICS_ADDR`: `GET /metrics` and nothing else, one worker.
pub(super) fn metrics_server(
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

/// Demo mode's two extra servers, bound.
pub(super) struct DemoListeners {
    pub verifier: TcpListener,
    pub verifier_port: u16,
    pub cross_site: TcpListener,
    pub cross_site_port: u16,
    pub client: TcpListener,
    pub client_port: u16,
}

impl DemoListeners {
    pub(super) fn bind(config: &Config) -> Result<Self, StartError> {
        let bind = |var: &str, port: u16| {
            TcpListener::bind((config.operations.host.as_str(), port)).map_err(|e| {
                format!(
                    "{var}: cannot listen on {}:{port}: {e}",
                    config.operations.host
                )
            })
        };
        let verifier = bind("DEMO_VERIFIER_PORT", config.demo.verifier_port)?;
        let cross_site = bind("DEMO_CROSS_SITE_PORT", config.demo.cross_site_port)?;
        let client = bind("DEMO_CLIENT_PORT", config.demo.client_port)?;
        Ok(Self {
            verifier_port: verifier.local_addr()?.port(),
            cross_site_port: cross_site.local_addr()?.port(),
            client_port: client.local_addr()?.port(),
            verifier,
            cross_site,
            client,
        })
    }

    /// What demo mode remembers, knowing where its servers are (`tls`: the app and its client
    /// serve HTTPS).
    pub(super) fn demo(&self, tls: bool) -> Demo {
        Demo {
            client_port: Some(self.client_port),
            client_origins: client::origins(self.client_port, tls),
            client_calls: moka::sync::Cache::builder()
                .max_capacity(1000)
                .time_to_live(StdDuration::from_secs(2 * 60 * 60))
                .build(),
            client_visits: moka::sync::Cache::builder()
                .max_capacity(1000)
                .time_to_live(StdDuration::from_secs(2 * 60 * 60))
                .build(),
            verifier_url: Some(format!("http://127.0.0.1:{}", self.verifier_port)),
            cross_site_port: Some(self.cross_site_port),
            copies: moka::sync::Cache::builder()
                .max_capacity(1000)
                .time_to_live(StdDuration::from_secs(24 * 60 * 60))
                .build(),
            cross_site_seen: std::sync::Mutex::new(std::collections::VecDeque::new()),
            class: Default::default(),
        }
    }
}

/// Demo mode: the stateless verifier, on `DEMO_VERIFIER_PORT`, knowing only what a separate
/// service would: this app's JWKS address (EdDSA) or the shared secret (HS256).
pub(super) fn demo_verifier(
    state: &web::Data<AppState>,
    listener: TcpListener,
    app_port: u16,
    tls: bool,
) -> Result<Server, StartError> {
    let config = &state.config;
    let source = match &config.tokens.access_keys {
        AccessKeys::Hmac(pair) => KeySource::Secret(pair.current.clone()),
        // Over HTTPS the app's certificate is often self-signed (see docs/using.md), which the
        // verifier would rightly refuse to trust: it is handed the published key set instead.
        AccessKeys::Ed25519 { .. } if tls => KeySource::Published(state.tokens.jwks()),
        AccessKeys::Ed25519 { .. } => {
            KeySource::Jwks(format!("http://127.0.0.1:{app_port}/.well-known/jwks.json"))
        }
    };
    Ok(stateless::serve(listener, source, state.clock.clone())?)
}

/// Starts demo mode's three extra servers on their bound listeners: the verifier, the other
/// site, and the course-style client (over HTTPS too when the app is).
pub(super) fn demo_servers(
    state: &web::Data<AppState>,
    listeners: DemoListeners,
    app_port: u16,
) -> Result<[Server; 3], StartError> {
    let tls = match &state.config.tls {
        Some(files) => Some(rustls_config(files)?),
        None => None,
    };
    let verifier = demo_verifier(state, listeners.verifier, app_port, tls.is_some())?;
    let other_site = cross_site::serve(listeners.cross_site, app_port, tls.is_some())?;
    let client = client::serve(listeners.client, app_port, tls)?;
    Ok([verifier, other_site, client])
}

/// The certificate chain and key of `TLS_CERT` / `TLS_KEY`, as rustls wants them.
pub fn rustls_config(files: &TlsFiles) -> Result<rustls::ServerConfig, StartError> {
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

/// `static/` beside the working directory, else the one in the source tree (so `cargo run`
/// works from any folder of the checkout).
pub(super) fn static_dir() -> PathBuf {
    let local = PathBuf::from("static");
    if local.join("style.css").is_file() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
