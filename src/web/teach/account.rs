//! Demo mode: a learner's own demo account, in one click from the login page (`POST
//! /demo/account`, the form `data-action="own-demo-account"`). A fresh user with a readable
//! random name and password, this browser logged in to it with "keep me logged in" (so every
//! demo works), and the name and password shown once. Such accounts expire after
//! [`LIFETIME`] (swept with ended sessions) and are at most [`MAX_ACCOUNTS`] at a time, so a
//! class cannot fill the database. Nothing one learner does to their own account reaches
//! anyone else's session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use rand::Rng;
use rand::seq::SliceRandom;

use super::demo_only;
use crate::auth::accounts;
use crate::domain::{AccountForm, NewAccount};
use crate::error::AppError;
use crate::store::class;
use crate::web::chrome::{Chrome, chrome, render};
use crate::web::login::{set_login_cookies, start_session};
use crate::web::routes::Routes;
use crate::web::state::AppState;

/// How long a learner's own account lasts (seconds).
pub const LIFETIME: i64 = 12 * 3600;
/// Learners' own accounts at a time, at most.
pub const MAX_ACCOUNTS: i64 = 300;

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "calm", "clever", "eager", "gentle", "happy", "jolly", "kind", "lucky",
    "merry", "nimble", "proud", "quick", "quiet", "sunny", "swift", "witty",
];
const ANIMALS: &[&str] = &[
    "badger", "crane", "dolphin", "falcon", "fox", "heron", "koala", "lynx", "magpie", "otter",
    "owl", "panda", "rabbit", "seal", "tiger", "turtle", "whale", "wolf",
];
const WORDS: &[&str] = &[
    "river", "maple", "cloud", "stone", "ember", "harbor", "meadow", "comet", "lantern", "orchard",
    "pebble", "willow",
];

pub fn configure(routes: &mut Routes) {
    routes.add("/demo/account", |r| r.route(web::post().to(create)));
}

#[derive(Template)]
#[template(path = "own_account.html")]
struct OwnAccountPage {
    chrome: Chrome,
    user_id: String,
    password: String,
    hours: i64,
}

fn readable_name(rng: &mut impl Rng) -> String {
    let adjective = ADJECTIVES.choose(rng).copied().unwrap_or("calm");
    let animal = ANIMALS.choose(rng).copied().unwrap_or("otter");
    format!("{adjective}-{animal}-{}", rng.gen_range(10..100))
}

fn readable_password(rng: &mut impl Rng) -> String {
    let mut pick = || WORDS.choose(rng).copied().unwrap_or("river");
    let (a, b) = (pick(), pick());
    format!("{a}-{b}-{:04}", rand::thread_rng().gen_range(0..10_000))
}

/// `POST /demo/account`: makes the account, logs this browser in, shows the password once.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let now = state.clock.now();
    if class::live_demo_accounts(&state.db, now).await? >= MAX_ACCOUNTS {
        return Err(AppError::Conflict(format!(
            "The class already has {MAX_ACCOUNTS} demo accounts: log in as kimcoding / 1234."
        )));
    }
    let chrome = chrome(&req, false, "login");
    let mut rng = rand::thread_rng();
    for _ in 0..5 {
        let (user_id, password) = (readable_name(&mut rng), readable_password(&mut rng));
        let email = format!("{user_id}@demo.example");
        let account = NewAccount::parse(AccountForm {
            user_id: &user_id,
            password: &password,
            email: &email,
            name: chrome.t.own_account_name,
            ..Default::default()
        })
        .map_err(|e| AppError::internal(format!("a generated account broke a rule: {e}")))?;
        let expires = Some(now + LIFETIME);
        let created = accounts::create_until(&state.db, &state.passwords, account, now, expires);
        let Some(user) = created.await? else {
            continue; // the name was taken: another draw
        };
        let started = start_session(&req, &state, &user, true).await?;
        let page = OwnAccountPage {
            chrome: crate::web::chrome::chrome(&req, true, "userinfo"),
            user_id,
            password,
            hours: LIFETIME / 3600,
        };
        let mut response = render(StatusCode::OK, &page)?;
        response.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
        set_login_cookies(&mut response, started);
        return Ok(response);
    }
    Err(AppError::Conflict(
        "No free demo account name came up; try once more.".into(),
    ))
}
