//! The teaching pages (demo mode, `DEMO_MODE=true`; a 404 otherwise): the token inspector and
//! the lineage picture (also on the app's own pages), the demo buttons, the two servers, the
//! attack lab and the other site. What only they remember lives here too.

pub mod cross_site;
pub mod demo;
pub mod inspect;
pub mod lab;
pub mod lineage;
pub mod memory;
pub mod two_servers;

pub use memory::{Demo, Seen};

use super::routes::Routes;
use super::state::AppState;
use crate::error::AppError;

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
}
