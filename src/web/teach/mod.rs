//! The teaching pages (demo mode, `DEMO_MODE=true`; a 404 otherwise): the token inspector and
//! the lineage picture (also on the app's own pages), the demo buttons, the two servers, the
//! attack lab and the other site. What only they remember lives here too.

pub mod account;
pub mod class;
pub mod client;
pub mod cross_site;
pub mod demo;
pub mod inspect;
pub mod lab;
pub mod lesson;
pub mod lineage;
pub mod memory;
pub mod theft;
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
        // The other site's requests carry a visit id back, so its report is this browser's.
        let visit = class::learner(req).map(|learner| demo.class.visit(&learner));
        Self {
            cross_site: demo
                .cross_site_port
                .map(|port| cross_site::link(info.host(), port, lang, visit.as_deref())),
            client: demo
                .client_port
                .map(|port| client::link(info.scheme(), info.host(), port, lang)),
        }
    }
}

/// The class, in demo mode.
pub fn class_of(state: &AppState) -> Option<&class::Class> {
    state
        .demo
        .as_ref()
        .filter(|_| state.config.demo.mode)
        .map(|d| &d.class)
}

/// Marks `step` done for the learner of `req` (demo mode; nothing otherwise).
pub fn step_done(state: &AppState, req: &actix_web::HttpRequest, step: crate::vocab::LessonStep) {
    if let (Some(class), Some(id)) = (class_of(state), class::learner(req)) {
        class.done(&id, step);
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
    account::configure(routes);
    two_servers::configure(routes);
    lab::configure(routes);
    lesson::configure(routes);
    theft::configure(routes);
    cross_site::configure(routes);
    client::configure(routes);
}
