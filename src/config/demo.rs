//! The demo section: the teaching buttons and pages, the servers demo mode runs beside the
//! app, and the course's demo user.

use super::{ConfigError, Env};

/// The course's demo user, created at start-up while `DEMO_USERS` is on.
pub const DEMO_USER_ID: &str = "kimcoding";
pub const DEMO_PASSWORD: &str = "1234";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSettings {
    /// `DEMO_MODE`.
    pub mode: bool,
    /// The port of the stateless verifier the app runs beside itself (`DEMO_VERIFIER_PORT`).
    pub verifier_port: u16,
    /// The port of the "other site" that tries cross-site requests (`DEMO_CROSS_SITE_PORT`).
    pub cross_site_port: u16,
    /// The port of the course-style client: another origin of the same site, calling the JSON
    /// API with the user's cookies (`DEMO_CLIENT_PORT`).
    pub client_port: u16,
    /// `DEMO_USERS`: create `kimcoding` / `1234` at start-up if missing.
    pub users: bool,
}

impl DemoSettings {
    /// In demo mode, the account every learner of a class may share: what one does to it never
    /// reaches another's session (see `web::teach::class`).
    pub fn shared_account(&self) -> Option<&'static str> {
        (self.mode && self.users).then_some(DEMO_USER_ID)
    }
}

pub(super) fn read(env: &Env) -> Result<DemoSettings, ConfigError> {
    Ok(DemoSettings {
        verifier_port: env.port("DEMO_VERIFIER_PORT", 8081)?,
        cross_site_port: env.port("DEMO_CROSS_SITE_PORT", 8082)?,
        client_port: env.port("DEMO_CLIENT_PORT", 8083)?,
        mode: env.flag("DEMO_MODE", false)?,
        users: env.flag("DEMO_USERS", true)?,
    })
}
