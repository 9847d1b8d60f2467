//! `/lesson` (demo mode): the guided lesson, one page of numbered steps. Each says what to
//! do, what to look for and why, links to the page where it is done (whose banner says what to
//! look at), and is marked done by the server from what this learner's own browser did (see
//! `class`): `data-step="<name>"` and `data-done="true|false"` on each.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{class, demo_only};
use crate::error::AppError;
use crate::i18n::{StepText, describe_step, step_page};
use crate::vocab::LessonStep;
use crate::web::chrome::{Chrome, chrome, render};
use crate::web::routes::Routes;
use crate::web::state::AppState;

pub fn configure(routes: &mut Routes) {
    routes.add("/lesson", |r| r.route(web::get().to(page)));
}

struct StepView {
    name: LessonStep,
    number: usize,
    text: StepText,
    done: bool,
    href: &'static str,
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    chrome: Chrome,
    steps: Vec<StepView>,
    done: usize,
}

/// `GET /lesson`: every step, and which of them this browser has done.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let demo = demo_only(&state)?;
    let done = class::learner(&req)
        .map(|id| demo.class.progress(&id))
        .unwrap_or_default();
    let chrome = chrome(&req, false, "lesson");
    let steps: Vec<StepView> = LessonStep::ALL
        .iter()
        .enumerate()
        .map(|(i, &name)| StepView {
            name,
            number: i + 1,
            text: describe_step(chrome.lang, name),
            done: done.contains(&name),
            href: step_page(name),
        })
        .collect();
    let page = LessonPage {
        done: steps.iter().filter(|s| s.done).count(),
        chrome,
        steps,
    };
    let mut response = render(StatusCode::OK, &page)?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
