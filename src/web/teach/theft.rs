//! Demo mode: the evidence of a theft the server caught, on a page of its own. When a request
//! of a learner's session brings back a token from a branch the session has left, the session
//! ends and the browser lands here rather than on the login form: the request's timeline with
//! `reuse-detected`, which token came back and where it sits in the lineage, and the ended
//! session's lineage (kept on `/sessions` too, as ended, for the rest of the lesson).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::class::{self, TheftEvidence};
use super::demo_only;
use super::lineage::{self, Picture};
use crate::auth::tokens::{TokenKind, Verified};
use crate::clock::format_unix;
use crate::error::AppError;
use crate::i18n::describe_event;
use crate::lineage::State;
use crate::vocab::{Event, LessonStep};
use crate::web::chrome::{Chrome, chrome, render};
use crate::web::routes::Routes;
use crate::web::state::AppState;

pub const PAGE: &str = "/demo/theft";

pub fn configure(routes: &mut Routes) {
    routes.add(PAGE, |r| r.route(web::get().to(page)));
}

/// Notes the theft a request just caused, as its learner's evidence (demo mode): `events`, the
/// request's timeline; the token that came back is the refresh token if it was presented,
/// else the branch the access token named. Returns where the browser should go to see it.
pub fn noticed(
    state: &AppState,
    req: &HttpRequest,
    events: &[Event],
    access: Option<&str>,
    refresh: Option<&str>,
) -> Option<&'static str> {
    let class = super::class_of(state)?;
    let learner = class::learner(req)?;
    let now = state.clock.now();
    let claims = |kind, raw: Option<&str>| match raw.map(|t| state.tokens.verify(kind, t, now)) {
        Some(Verified::Valid(c) | Verified::Expired(c)) => Some(c),
        _ => None,
    };
    let (sid, jti) = match (
        claims(TokenKind::Refresh, refresh),
        claims(TokenKind::Access, access),
    ) {
        (Some(r), _) => (r.sid, Some(r.jti)),
        (None, Some(a)) => (a.sid, a.rjti),
        (None, None) => return None,
    };
    class.caught(
        &learner,
        TheftEvidence {
            at_ms: state.clock.now_ms(),
            sid,
            jti,
            events: events.to_vec(),
        },
    );
    class.done(&learner, LessonStep::Replay);
    Some(PAGE)
}

struct StepView {
    name: Event,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "theft.html")]
struct TheftPage {
    chrome: Chrome,
    when: String,
    steps: Vec<StepView>,
    /// The first characters of the token that came back, and what it had become.
    token: Option<String>,
    token_state: Option<&'static str>,
    lineage: Option<Picture>,
}

/// `GET /demo/theft`: this learner's last caught theft, or a 404 if there is none.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let demo = demo_only(&state)?;
    let evidence = class::learner(&req)
        .and_then(|id| demo.class.theft_of(&id))
        .ok_or_else(|| AppError::NotFoundBecause("No theft was caught in this browser.".into()))?;
    let chrome = chrome(&req, false, "theft");
    let entries = state.sessions.lineage_of(&evidence.sid).await?;
    let came_back = evidence
        .jti
        .as_deref()
        .and_then(|jti| entries.iter().find(|e| e.jti == jti));
    let token_state = came_back.map(|e| match e.state {
        State::Retired => chrome.t.state_retired,
        State::Dropped => chrome.t.state_dropped,
        State::Current => chrome.t.state_current,
        State::Pending => chrome.t.state_pending,
    });
    let page = TheftPage {
        when: format_unix(evidence.at_ms.div_euclid(1000)),
        steps: evidence
            .events
            .iter()
            .map(|&name| StepView {
                name,
                description: describe_event(chrome.lang, name),
            })
            .collect(),
        token: evidence.jti.as_deref().map(|j| j.chars().take(6).collect()),
        token_state,
        lineage: (!entries.is_empty()).then(|| lineage::draw(chrome.t, &entries)),
        chrome,
    };
    let mut response = render(StatusCode::OK, &page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
