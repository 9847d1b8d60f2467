//! What demo mode keeps in memory, for the demos alone: it never reaches the database.

use std::sync::{Arc, Mutex};

/// What demo mode adds: the servers it runs beside the app, and what the demos remember.
pub struct Demo {
    /// Where the stateless verifier answers (`…/api/profile`), when it runs.
    pub verifier_url: Option<String>,
    /// The port of the "other site", when it runs.
    pub cross_site_port: Option<u16>,
    /// Copies of access tokens "kept as a thief would", by a random id: in memory only, never
    /// shown, gone when the token expires.
    pub copies: moka::sync::Cache<String, String>,
    /// The port of the course-style client, when it runs, and the origins it has (under both
    /// loopback names).
    pub client_port: Option<u16>,
    pub client_origins: Vec<String>,
    /// The client's calls as the app saw them, by visit (one page load of the client).
    pub client_calls: moka::sync::Cache<String, Arc<Mutex<Vec<ClientCall>>>>,
    /// The visit whose login started each session (by session id), for the client's calls
    /// that come without a `Referer`.
    pub client_visits: moka::sync::Cache<String, String>,
    /// The last requests another site made to the app, for the cross-site page's report.
    pub cross_site_seen: std::sync::Mutex<std::collections::VecDeque<Seen>>,
    /// The learners of the class: their lesson, their sessions, what was caught.
    pub class: super::class::Class,
}

impl Demo {
    /// Forgets what the class did (a teacher's reset): the learners, the copies kept, the
    /// client's calls, the other site's report.
    pub fn forget_the_class(&self) {
        self.class.clear();
        self.copies.invalidate_all();
        self.client_calls.invalidate_all();
        self.client_visits.invalidate_all();
        if let Ok(mut seen) = self.cross_site_seen.lock() {
            seen.clear();
        }
    }
}

/// A request that came from another site, as the server saw it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seen {
    /// Which visit of the other site made it (the id in the link the app gave that browser).
    #[serde(skip)]
    pub visit: Option<String>,
    pub at: i64,
    /// `at`, as the page shows it (UTC, hours to seconds).
    pub time: String,
    pub method: String,
    pub path: String,
    pub origin: String,
    pub sec_fetch_site: String,
    /// Whether the browser sent the access cookie along (SameSite=Strict says it must not).
    pub cookie_sent: bool,
    pub status: u16,
    /// Which defence of the server answered, if one did.
    pub refused_by: Option<&'static str>,
}

/// One call of the course-style client, as the app saw it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCall {
    pub at: i64,
    pub method: String,
    pub path: String,
    pub origin: String,
    pub sec_fetch_site: Option<String>,
    /// Whether the browser sent the access cookie along (same site: it does).
    pub cookie_sent: bool,
    /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`).
    pub preflight: bool,
    pub status: u16,
    pub allow_origin: Option<String>,
    pub allow_credentials: Option<String>,
    pub vary: Option<String>,
}

/// Calls kept per visit.
pub const CLIENT_CALLS_MAX: usize = 100;
