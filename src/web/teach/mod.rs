//! The teaching pages (demo mode, `DEMO_MODE=true`; a 404 otherwise): the token inspector and
//! the lineage picture (also on the app's own pages), the demo buttons, the two servers, the
//! attack lab and the other site. What only they remember lives here too.

pub mod cross_site;
pub mod demo;
pub mod inspect;
pub mod lab;
pub mod lineage;
pub mod two_servers;

use super::routes::Routes;
use super::state::AppState;
use crate::error::AppError;

/// What demo mode adds: the servers it runs beside the app, and what the demos remember.
pub struct Demo {
    /// Where the stateless verifier answers (`…/api/profile`), when it runs.
    pub verifier_url: Option<String>,
    /// The port of the "other site", when it runs.
    pub cross_site_port: Option<u16>,
    /// Copies of access tokens "kept as a thief would", by a random id: in memory only, never
    /// shown, gone when the token expires.
    pub copies: moka::sync::Cache<String, String>,
    /// The last requests another site made to the app, for the cross-site page's report.
    pub cross_site_seen: std::sync::Mutex<std::collections::VecDeque<cross_site::Seen>>,
}

/// Demo mode's state, or a 404 outside demo mode: every teaching route starts here.
pub fn demo_only(state: &AppState) -> Result<&Demo, AppError> {
    match (&state.demo, state.config.demo_mode) {
        (Some(demo), true) => Ok(demo),
        _ => Err(AppError::NotFound),
    }
}

pub fn configure(routes: &mut Routes) {
    demo::configure(routes);
    two_servers::configure(routes);
    lab::configure(routes);
    cross_site::configure(routes);
}
