//! A class in demo mode. Each browser is a learner: a random id in the `lab_learner` cookie,
//! set on the first page it loads (an id, not an account: a class may share `kimcoding`).
//! What the server keeps of each, in memory only: the lesson's steps it has done, the sessions
//! it started (so the shared account's `/sessions` shows this browser's alone, and a caught
//! theft can be looked at afterwards), and its visits to the other site. A teacher's reset
//! forgets it all.

use std::sync::{Arc, Mutex};

use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::vocab::{Event, LessonStep};
use crate::web::cookies;

pub const LEARNER_COOKIE: &str = "lab_learner";
/// Learners remembered at most (the oldest are forgotten first).
const LEARNERS_MAX: usize = 2000;
/// Sessions remembered per learner.
const SESSIONS_MAX: usize = 20;

/// A theft the server caught for a learner: what the evidence page shows.
#[derive(Clone, Debug)]
pub struct TheftEvidence {
    pub at_ms: i64,
    pub sid: String,
    /// The refresh token that came back, by its `jti`.
    pub jti: Option<String>,
    /// The request's timeline.
    pub events: Vec<Event>,
}

/// What the server remembers of one browser.
#[derive(Default, Debug)]
pub struct Learner {
    pub done: Vec<LessonStep>,
    /// Sessions started in this browser, oldest first.
    pub sessions: Vec<String>,
    pub theft: Option<TheftEvidence>,
}

pub struct Class {
    learners: quick_cache::sync::Cache<String, Arc<Mutex<Learner>>>,
    /// Which learner started each session, for steps seen where only the session is known.
    by_session: quick_cache::sync::Cache<String, String>,
    /// The other site's visits (an id in its link), by learner.
    visits: quick_cache::sync::Cache<String, String>,
}

/// The learner a request comes from, as the middleware found or made it.
#[derive(Clone)]
struct LearnerId(String);

fn valid(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Default for Class {
    fn default() -> Self {
        Self {
            learners: quick_cache::sync::Cache::new(LEARNERS_MAX),
            by_session: quick_cache::sync::Cache::new(LEARNERS_MAX * SESSIONS_MAX),
            visits: quick_cache::sync::Cache::new(LEARNERS_MAX * 4),
        }
    }
}

impl Class {
    fn learner(&self, id: &str) -> Arc<Mutex<Learner>> {
        if let Some(found) = self.learners.get(id) {
            return found;
        }
        let new = Arc::new(Mutex::new(Learner::default()));
        self.learners.insert(id.to_owned(), new.clone());
        new
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&mut Learner) -> T) -> T {
        let learner = self.learner(id);
        let mut learner = learner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut learner)
    }

    /// Marks `step` done for learner `id`.
    pub fn done(&self, id: &str, step: LessonStep) {
        self.with(id, |l| {
            if !l.done.contains(&step) {
                l.done.push(step);
            }
        });
    }

    /// The steps learner `id` has done.
    pub fn progress(&self, id: &str) -> Vec<LessonStep> {
        self.with(id, |l| l.done.clone())
    }

    /// Learner `id` started session `sid` in this browser.
    pub fn started(&self, id: &str, sid: &str) {
        self.by_session.insert(sid.to_owned(), id.to_owned());
        self.with(id, |l| {
            l.sessions.push(sid.to_owned());
            if l.sessions.len() > SESSIONS_MAX {
                l.sessions.remove(0);
            }
        });
    }

    /// The sessions learner `id` started, oldest first.
    pub fn sessions_of(&self, id: &str) -> Vec<String> {
        self.with(id, |l| l.sessions.clone())
    }

    /// Whether session `sid` was started by learner `id`.
    pub fn started_by(&self, sid: &str, id: &str) -> bool {
        self.with(id, |l| l.sessions.iter().any(|s| s == sid))
    }

    /// The learner who started session `sid`, if known.
    pub fn learner_of_session(&self, sid: &str) -> Option<String> {
        self.by_session.get(sid)
    }

    pub fn caught(&self, id: &str, evidence: TheftEvidence) {
        self.with(id, |l| l.theft = Some(evidence));
    }

    pub fn theft_of(&self, id: &str) -> Option<TheftEvidence> {
        self.with(id, |l| l.theft.clone())
    }

    /// A visit id for the other site's link, remembered as learner `id`'s.
    pub fn visit(&self, id: &str) -> String {
        let visit = crate::auth::tokens::new_id();
        self.visits.insert(visit.clone(), id.to_owned());
        visit
    }

    pub fn learner_of_visit(&self, visit: &str) -> Option<String> {
        self.visits.get(visit)
    }

    /// Forgets every learner (a reset).
    pub fn clear(&self) {
        self.learners.clear();
        self.by_session.clear();
        self.visits.clear();
    }

    /// The steps the timeline of a request of session `sid` (from learner `id`, if known)
    /// shows done: a refresh, a lost answer, a theft caught.
    pub fn saw(&self, id: Option<&str>, sid: Option<&str>, events: &[Event]) {
        let owner = id
            .map(str::to_owned)
            .or_else(|| sid.and_then(|s| self.learner_of_session(s)));
        let Some(owner) = owner else {
            return;
        };
        for event in events {
            let step = match event {
                Event::Refreshed => LessonStep::Refresh,
                Event::BranchDropped => LessonStep::LoseAnswer,
                Event::ReuseDetected => LessonStep::Replay,
                _ => continue,
            };
            self.done(&owner, step);
        }
    }
}

/// The learner a request comes from (demo mode), if it has one.
pub fn learner(req: &HttpRequest) -> Option<String> {
    if let Some(LearnerId(id)) = req.extensions().get::<LearnerId>() {
        return Some(id.clone());
    }
    cookies::read(req, LEARNER_COOKIE)
        .filter(|id| valid(id))
        .map(str::to_owned)
}

/// The learner an id in a query (`?learner=`) names: how the id survives a logout, whose
/// `Clear-Site-Data` drops every cookie of the site.
fn from_query(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, v)| k == "learner" && valid(v))
        .map(|(_, v)| v)
}

/// Demo mode: gives a browser without a learner id one (or back the one its query names),
/// and remembers it in the `lab_learner` cookie.
pub async fn recognise(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let known = cookies::read(req.request(), LEARNER_COOKIE)
        .filter(|id| valid(id))
        .map(str::to_owned);
    let new = match known {
        Some(_) => None,
        None => Some(from_query(req.query_string()).unwrap_or_else(crate::auth::tokens::new_id)),
    };
    if let Some(id) = &new {
        req.extensions_mut().insert(LearnerId(id.clone()));
    }
    let mut res = next.call(req).await?;
    if let Some(id) = new {
        let cookie = Cookie::build(LEARNER_COOKIE, id)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::hours(12))
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res)
}

/// The lesson step a page was reached for (`?lesson=`).
pub fn lesson_in(req: &HttpRequest) -> Option<LessonStep> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lesson")
        .and_then(|(_, v)| LessonStep::parse(&v))
}
