//! The teaching pages (demo mode, `DEMO_MODE=true`; a 404 otherwise): the token inspector and
//! the lineage picture (also on the app's own pages), the demo buttons, the two servers, the
//! attack lab and the other site. What only they remember lives here too.

pub mod client;
pub mod cross_site;
pub mod demo;
pub mod inspect;
pub mod lab;
pub mod lineage;
pub mod memory;
pub mod two_servers;

pub use memory::{ClientCall, Demo, Seen};

use super::routes::Routes;
use super::state::AppState;
use crate::error::AppError;

/// Demo mode's links to its other origins, for a page of the app reached as `req`: the other
/// site, and the course-style client.
pub struct Elsewhere {
    pub cross_site: Option<String>,
    pub client: Option<String>,
}

impl Elsewhere {
    pub fn of(state: &AppState, req: &actix_web::HttpRequest, lang: crate::i18n::Lang) -> Self {
        let info = req.connection_info();
        let Some(demo) = state.demo.as_ref().filter(|_| state.config.demo.mode) else {
            return Self {
                cross_site: None,
                client: None,
            };
        };
        Self {
            cross_site: demo
                .cross_site_port
                .map(|port| cross_site::link(info.host(), port, lang)),
            client: demo
                .client_port
                .map(|port| client::link(info.scheme(), info.host(), port, lang)),
        }
    }
}

/// Demo mode's state, or a 404 outside demo mode: every teaching route starts here.
pub fn demo_only(state: &AppState) -> Result<&Demo, AppError> {
    match (&state.demo, state.config.demo.mode) {
        (Some(demo), true) => Ok(demo),
        _ => Err(AppError::NotFound),
    }
}

pub fn configure(routes: &mut Routes) {
    demo::configure(routes);
    two_servers::configure(routes);
    lab::configure(routes);
    cross_site::configure(routes);
    client::configure(routes);
}
