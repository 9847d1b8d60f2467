//! Demo mode: one access token, two servers. The app checks the signature and then the session
//! on the server (stateful); the stateless verifier beside it checks the signature alone. Send
//! the same token to both; keep a copy as a thief would; log the real user out; send the copy
//! again: the app refuses it at once, the verifier honours it until `exp`. In HS256 mode, also
//! see that whoever can verify can sign: mint a token with the shared secret.
//!
//! A kept copy lives in this server's memory under a random id (the address of the copy's
//! page), never in a page, a log or the database, and only until the token expires.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::inspect::{self, TokenView};
use super::{Demo, demo_only};
use crate::auth::flow::{self, Verdict};
use crate::auth::session;
use crate::auth::tokens::{self, Claims, TokenKind, Verified};
use crate::config::TokenAlg;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::vocab::{Event, LessonStep, Rule};
use crate::web::chrome::{Chrome, chrome, render};
use crate::web::cookies;
use crate::web::guard::Authenticated;
use crate::web::routes::Routes;
use crate::web::state::AppState;

/// One server's answer, for people.
pub struct Answer {
    pub server: &'static str,
    pub stateful: bool,
    pub status: u16,
    pub verdict: &'static str,
    pub reason: String,
    pub subject: String,
}

#[derive(Template)]
#[template(path = "two_servers.html")]
struct TwoServersPage {
    chrome: Chrome,
    eddsa: bool,
    /// `Some(id)` on a copy's page.
    copy_id: Option<String>,
    copy: Option<TokenView>,
    /// The copy's `sub`, `sid` and `exp`.
    copy_claims: Vec<inspect::ClaimRow>,
    minted: bool,
    notice: Option<&'static str>,
    /// What was asked (`mine`, `copy`, `minted`), and the two answers.
    asked: Option<&'static str>,
    answers: Vec<Answer>,
    now: i64,
}

pub fn configure(routes: &mut Routes) {
    routes
        .add("/demo/two-servers", |r| r.route(web::get().to(page)))
        .add("/demo/two-servers/ask", |r| r.route(web::post().to(ask)))
        .add("/demo/two-servers/copy", |r| {
            r.route(web::post().to(keep_copy))
        })
        .add("/demo/two-servers/mint", |r| r.route(web::post().to(mint)))
        .add("/demo/copy/{id}", |r| r.route(web::get().to(copy_page)))
        .add("/demo/copy/{id}/ask", |r| {
            r.route(web::post().to(ask_with_copy))
        })
        .add("/demo/copy/{id}/logout", |r| {
            r.route(web::post().to(log_out_victim))
        });
}

/// The app's answer, from the path every request takes (the token as `Authorization: Bearer`,
/// no refresh token).
async fn ask_app(state: &AppState, lang: Lang, token: &str) -> Result<Answer, AppError> {
    let t = lang.texts();
    let resolution = flow::resolve(state.auth(), Some(token), None).await?;
    let answer = match resolution.verdict {
        Verdict::Authenticated(identity) => Answer {
            server: t.ts_app,
            stateful: true,
            status: 200,
            verdict: t.ts_app_ok,
            reason: String::new(),
            subject: identity.user().user_id.clone(),
        },
        Verdict::Rejected { .. } => {
            let events = &resolution.events;
            let has = |name: Event| events.iter().any(|e| e.name == name);
            // A token that checks out but is refused was refused by the session check: say
            // that, not the last good news about the token.
            let reason = if has(Event::SessionEnded) {
                crate::i18n::describe_event(lang, Event::SessionEnded).to_owned()
            } else if has(Event::AccessVerified) {
                crate::i18n::describe_rule_failed(lang, Rule::Session).to_owned()
            } else {
                events
                    .iter()
                    .rev()
                    .find(|e| e.name != Event::RefreshMissing)
                    .map(|e| crate::i18n::describe_event(lang, e.name).to_owned())
                    .unwrap_or_default()
            };
            Answer {
                server: t.ts_app,
                stateful: true,
                status: 401,
                verdict: t.ts_refused,
                reason,
                subject: String::new(),
            }
        }
    };
    Ok(answer)
}

/// The stateless verifier's answer, over HTTP, as any client would ask it.
async fn ask_verifier(state: &AppState, t: &'static Texts, token: &str) -> Answer {
    let refused = |status: u16, reason: String| Answer {
        server: t.ts_verifier,
        stateful: false,
        status,
        verdict: t.ts_refused,
        reason,
        subject: String::new(),
    };
    let Some(base) = state.demo.as_ref().and_then(|d| d.verifier_url.clone()) else {
        return refused(0, t.ts_verifier_down.to_owned());
    };
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let sent = client
        .get(format!("{base}/api/profile"))
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .send()
        .await;
    let Ok(mut response) = sent else {
        return refused(0, t.ts_verifier_down.to_owned());
    };
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().limit(16 * 1024).await.unwrap_or_default();
    if status == 200 {
        Answer {
            server: t.ts_verifier,
            stateful: false,
            status,
            verdict: t.ts_verifier_ok,
            reason: String::new(),
            subject: body["sub"].as_str().unwrap_or_default().to_owned(),
        }
    } else {
        let reason = format!(
            "{} ({})",
            body["error"].as_str().unwrap_or_default(),
            body["rule"].as_str().unwrap_or_default()
        );
        refused(status, reason)
    }
}

async fn ask_both(state: &AppState, lang: Lang, token: &str) -> Result<Vec<Answer>, AppError> {
    let app = ask_app(state, lang, token).await?;
    let verifier = ask_verifier(state, lang.texts(), token).await;
    Ok(vec![app, verifier])
}

fn page_for(
    req: &HttpRequest,
    state: &AppState,
    logged_in: bool,
    asked: Option<&'static str>,
    answers: Vec<Answer>,
) -> TwoServersPage {
    TwoServersPage {
        chrome: chrome(req, logged_in, "two-servers"),
        eddsa: state.config.tokens.alg == TokenAlg::EdDsa,
        copy_id: None,
        copy: None,
        copy_claims: Vec::new(),
        minted: asked == Some("minted"),
        notice: None,
        asked,
        answers,
        now: state.clock.now(),
    }
}

fn private(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// `GET /demo/two-servers`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    _auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let page = page_for(&req, &state, true, None, Vec::new());
    render(StatusCode::OK, &page)
}

/// `POST /demo/two-servers/ask`: your access token, to both.
pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let lang = chrome(&req, true, "").lang;
    let answers = ask_both(&state, lang, &auth.access_token).await?;
    let page = page_for(&req, &state, true, Some("mine"), answers);
    render(StatusCode::OK, &page)
}

/// `POST /demo/two-servers/copy`: keep a copy of your access token, as a thief would.
pub async fn keep_copy(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    let demo = demo_only(&state)?;
    let id = tokens::new_id();
    demo.copies.insert(id.clone(), auth.access_token.clone());
    Ok(private(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/demo/copy/{id}")))
            .finish(),
    ))
}

/// `POST /demo/two-servers/mint` (HS256): a token for "admin" in a session that does not
/// exist, signed with the secret every HS256 verifier holds, sent to both.
pub async fn mint(
    req: HttpRequest,
    state: web::Data<AppState>,
    _auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    if state.config.tokens.alg != TokenAlg::Hs256 {
        return Err(AppError::BadRequest(
            "With EdDSA a verifier holds only public keys: there is no secret to mint with.".into(),
        ));
    }
    let now = state.clock.now();
    let forged = Claims {
        iss: tokens::ISSUER.into(),
        sub: "admin".into(),
        aud: tokens::AUDIENCE.into(),
        exp: now + 3600,
        nbf: now,
        iat: now,
        jti: tokens::new_id(),
        sid: tokens::new_id(),
        typ: TokenKind::Access,
        rjti: None,
    };
    let token = state.tokens.sign(TokenKind::Access, &forged)?;
    let lang = chrome(&req, true, "").lang;
    let answers = ask_both(&state, lang, &token).await?;
    let page = page_for(&req, &state, true, Some("minted"), answers);
    render(StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub struct CopyQuery {
    notice: Option<String>,
}

fn copy_of(state: &AppState, id: &str) -> Result<String, AppError> {
    let demo: &Demo = demo_only(state)?;
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    demo.copies
        .get(id)
        .ok_or_else(|| AppError::NotFoundBecause("That copy has expired or never existed.".into()))
}

fn render_copy(
    req: &HttpRequest,
    state: &AppState,
    id: String,
    token: &str,
    notice: Option<&'static str>,
    answers: Vec<Answer>,
) -> Result<HttpResponse, AppError> {
    let mut page = page_for(
        req,
        state,
        false,
        (!answers.is_empty()).then_some("copy"),
        answers,
    );
    let now = state.clock.now();
    let genuine = matches!(
        state.tokens.verify(TokenKind::Access, token, now),
        Verified::Valid(_) | Verified::Expired(_)
    );
    if genuine {
        let mut view = inspect::inspect(page.chrome.t, token, true, None, now);
        page.copy_claims = std::mem::take(&mut view.claims)
            .into_iter()
            .filter(|row| matches!(row.name, "sub" | "sid" | "exp"))
            .collect();
        page.copy = Some(view);
    }
    page.copy_id = Some(id);
    page.notice = notice;
    Ok(private(render(StatusCode::OK, &page)?))
}

/// `GET /demo/copy/{id}`: the thief's page. No login: a thief has none.
pub async fn copy_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<CopyQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let token = copy_of(&state, &id)?;
    let notice = match query.notice.as_deref() {
        Some("logged-out") => Some(chrome(&req, false, "").t.ts_notice_logged_out),
        _ => None,
    };
    render_copy(&req, &state, id, &token, notice, Vec::new())
}

/// `POST /demo/copy/{id}/ask`: the copy, to both servers.
pub async fn ask_with_copy(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let token = copy_of(&state, &id)?;
    let lang = chrome(&req, false, "").lang;
    let answers = ask_both(&state, lang, &token).await?;
    // The step is the trade-off seen: after logout the app refuses the copy, the verifier
    // that checks only the signature still takes it.
    let app_refused = answers.iter().any(|a| a.stateful && a.status != 200);
    let verifier_took = answers.iter().any(|a| !a.stateful && a.status == 200);
    if app_refused && verifier_took {
        super::step_done(&state, &req, LessonStep::TwoServers);
    }
    render_copy(&req, &state, id, &token, None, answers)
}

/// `POST /demo/copy/{id}/logout`: the real user logs out (the session the copy belongs to
/// ends, this browser's cookies are cleared), and stays on the copy's page.
pub async fn log_out_victim(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let token = copy_of(&state, &id)?;
    session::end(state.auth(), Some(&token), None).await?;
    let mut response = HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/demo/copy/{id}?notice=logged-out"),
        ))
        .finish();
    cookies::log_out(&mut response);
    Ok(private(response))
}
