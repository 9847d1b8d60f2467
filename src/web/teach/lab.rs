//! The attack lab (`/lab`, demo mode only): start from your own access token (decoded, never
//! shown whole), pick an attack, change the header or payload if you like, send it, and watch
//! the server refuse it — step by step, as recorded by the very checks real requests go
//! through (`Verifier::verify_traced`, then the session and lineage checks of `decide`), under
//! the rule names the page shows (`data-rule`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Sha256, Sha512};

use super::demo_only;
use crate::auth::tokens::{self, Claims, Step, TokenKind, Verified};
use crate::config::{AccessKeys, TokenAlg};
use crate::error::AppError;
use crate::i18n::{Lang, describe_attack, describe_rule, describe_rule_failed};
use crate::lineage::Branch;
use crate::vocab::{Attack, LessonStep, Rule};
use crate::web::chrome::{Chrome, chrome, render};
use crate::web::guard::Authenticated;
use crate::web::negotiate;
use crate::web::routes::Routes;
use crate::web::state::AppState;

/// Attacks that only make sense when access tokens are EdDSA.
fn available(attack: Attack, alg: TokenAlg) -> bool {
    match attack {
        Attack::PublicKeyAsSecret | Attack::OtherKey => alg == TokenAlg::EdDsa,
        _ => true,
    }
}

/// What the lab's checks came to: every check passed, or the first that refused the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Refused(Rule),
}

impl Verdict {
    /// `accepted` or `refused` (`data-verdict`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Refused(_) => "refused",
        }
    }

    /// The refusing rule's name, or `accepted` (`data-rule`).
    pub fn rule_name(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Refused(rule) => rule.as_str(),
        }
    }
}

pub struct AttackView {
    pub name: Attack,
    pub title: &'static str,
    pub explanation: &'static str,
    pub chosen: bool,
}

pub struct StepView {
    pub rule: Rule,
    pub passed: bool,
    pub meaning: &'static str,
    pub detail: String,
}

pub struct Outcome {
    pub verdict: Verdict,
    pub rule_meaning: &'static str,
    pub attack_title: &'static str,
    pub attack_explanation: &'static str,
    pub steps: Vec<StepView>,
    pub header: String,
    pub payload: String,
    pub signature: String,
}

#[derive(Template)]
#[template(path = "lab.html")]
struct LabPage {
    chrome: Chrome,
    header: String,
    payload: String,
    edits: Edits,
    attacks: Vec<AttackView>,
    outcome: Option<Outcome>,
}

/// What the form sends: the attack and any changes to the token.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Edits {
    #[serde(default)]
    pub attack: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub exp: String,
    #[serde(default)]
    pub aud: String,
    #[serde(default)]
    pub alg: String,
    #[serde(default)]
    pub kid: String,
    #[serde(default)]
    pub typ: String,
}

pub fn configure(routes: &mut Routes) {
    routes.add("/lab", |r| {
        r.route(web::get().to(page)).route(web::post().to(attack))
    });
}

fn decode_part(part: &str) -> Map<String, Value> {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

fn pretty(map: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(map).unwrap_or_default()
}

fn b64(value: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(value.clone()).to_string())
}

fn hmac_sha256(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn hmac_sha512(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn ed25519(key: &ed25519_dalek::SigningKey, message: &str) -> String {
    use ed25519_dalek::Signer;
    URL_SAFE_NO_PAD.encode(key.sign(message.as_bytes()).to_bytes())
}

/// Applies the learner's changes (empty fields change nothing).
fn apply_edits(header: &mut Map<String, Value>, payload: &mut Map<String, Value>, edits: &Edits) {
    let set = |map: &mut Map<String, Value>, key: &str, value: &str| {
        if !value.trim().is_empty() {
            map.insert(key.into(), Value::String(value.trim().to_owned()));
        }
    };
    set(payload, "sub", &edits.sub);
    set(payload, "aud", &edits.aud);
    set(payload, "typ", &edits.typ);
    set(header, "alg", &edits.alg);
    set(header, "kid", &edits.kid);
    if let Ok(exp) = edits.exp.trim().parse::<i64>() {
        payload.insert("exp".into(), json!(exp));
    }
}

/// The learner's own token, taken apart: header, payload, signature.
fn parts_of(token: &str) -> (Map<String, Value>, Map<String, Value>, &str) {
    let mut parts = token.splitn(3, '.');
    let header = decode_part(parts.next().unwrap_or_default());
    let payload = decode_part(parts.next().unwrap_or_default());
    (header, payload, parts.next().unwrap_or_default())
}

/// The attack's own change to the header and payload (before the learner's edits).
fn tamper(
    attack: Attack,
    header: &mut Map<String, Value>,
    payload: &mut Map<String, Value>,
    attacker: &ed25519_dalek::SigningKey,
    now: i64,
) {
    let set = |map: &mut Map<String, Value>, key: &str, value: Value| {
        map.insert(key.into(), value);
    };
    match attack {
        Attack::TamperPayload => set(payload, "sub", json!("admin")),
        Attack::ForgedSession => {
            set(payload, "sub", json!("admin"));
            set(payload, "sid", json!(tokens::new_id()));
            payload.remove("rjti");
        }
        Attack::AlgNone => set(header, "alg", json!("none")),
        Attack::Hs512 => set(header, "alg", json!("HS512")),
        Attack::PublicKeyAsSecret | Attack::GuessedSecret => set(header, "alg", json!("HS256")),
        Attack::UnknownKid => set(header, "kid", json!("a-000000000000")),
        Attack::JwkHeader => {
            let jwk = json!({"kty": "OKP", "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
            set(header, "alg", json!("EdDSA"));
            set(header, "jwk", jwk);
        }
        Attack::JkuHeader => {
            set(header, "alg", json!("EdDSA"));
            set(header, "jku", json!("https://attacker.example/jwks.json"));
        }
        Attack::WrongType => set(payload, "typ", json!("refresh")),
        Attack::WrongAudience => set(payload, "aud", json!("another-service")),
        Attack::Expired => {
            set(payload, "iat", json!(now - 3600));
            set(payload, "nbf", json!(now - 3600));
            set(payload, "exp", json!(now - 60));
        }
        Attack::NotYetValid => {
            set(payload, "nbf", json!(now + 3600));
            set(payload, "exp", json!(now + 7200));
        }
        Attack::Unchanged | Attack::OtherKey | Attack::RefreshAsAccess => {}
    }
}

/// Builds the attack's token from the learner's own.
fn forge(
    state: &AppState,
    auth: &Authenticated,
    attack: Attack,
    edits: &Edits,
    now: i64,
) -> Result<String, AppError> {
    let original = auth.access_token.as_str();
    if attack == Attack::Unchanged && edits_are_empty(edits) {
        return Ok(original.to_owned());
    }
    if attack == Attack::RefreshAsAccess {
        return refresh_token_of(state, auth, now);
    }
    let (mut header, mut payload, sig) = parts_of(original);
    let attacker = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    tamper(attack, &mut header, &mut payload, &attacker, now);
    apply_edits(&mut header, &mut payload, edits);
    let signing_input = format!("{}.{}", b64(&header), b64(&payload));
    let signature = match attack {
        Attack::Unchanged | Attack::TamperPayload | Attack::UnknownKid => sig.to_owned(),
        Attack::AlgNone => String::new(),
        Attack::GuessedSecret => hmac_sha256(b"secret", &signing_input),
        Attack::Hs512 => hmac_sha512(&hmac_key_of_the_server(state), &signing_input),
        Attack::PublicKeyAsSecret => hmac_sha256(&public_key(state), &signing_input),
        Attack::OtherKey | Attack::JwkHeader | Attack::JkuHeader => {
            ed25519(&attacker, &signing_input)
        }
        // As if the attacker had the real signing key: the claims are what is tested.
        Attack::WrongType
        | Attack::WrongAudience
        | Attack::Expired
        | Attack::NotYetValid
        | Attack::ForgedSession
        | Attack::RefreshAsAccess => {
            return state
                .tokens
                .sign(TokenKind::Access, &Value::Object(payload));
        }
    };
    Ok(format!("{signing_input}.{signature}"))
}

/// The learner's refresh token (or, without one, a fresh refresh token of their session), to
/// present where an access token belongs.
fn refresh_token_of(state: &AppState, auth: &Authenticated, now: i64) -> Result<String, AppError> {
    if let Some(refresh) = &auth.refresh_token {
        return Ok(refresh.clone());
    }
    let issued = state.tokens.issue(
        TokenKind::Refresh,
        &auth.identity.user().user_id,
        &auth.identity.session().id,
        now,
        now + 60,
        None,
    )?;
    Ok(issued.token)
}

fn edits_are_empty(edits: &Edits) -> bool {
    [
        &edits.sub, &edits.exp, &edits.aud, &edits.alg, &edits.kid, &edits.typ,
    ]
    .iter()
    .all(|v| v.trim().is_empty())
}

/// HS256: the real access secret (so "HS512 with the right key" really is the right key);
/// EdDSA: the public key (all an attacker has).
fn hmac_key_of_the_server(state: &AppState) -> Vec<u8> {
    match &state.config.tokens.access_keys {
        AccessKeys::Hmac(pair) => {
            use secrecy::ExposeSecret;
            pair.current.expose_secret().as_bytes().to_vec()
        }
        AccessKeys::Ed25519 { .. } => public_key(state),
    }
}

fn public_key(state: &AppState) -> Vec<u8> {
    match &state.config.tokens.access_keys {
        AccessKeys::Ed25519 { current, .. } => current.verifying_key().to_bytes().to_vec(),
        AccessKeys::Hmac(_) => Vec::new(),
    }
}

/// Runs `token` through the checks a request's access token meets, recording each. Nothing is
/// written: a lab token never ends or changes a session.
async fn judge(state: &AppState, token: &str, now: i64) -> Result<(Vec<Step>, Verdict), AppError> {
    let mut steps: Vec<Step> = Vec::new();
    let claims = match state
        .tokens
        .verify_traced(TokenKind::Access, token, now, &mut steps)
    {
        Verified::Valid(claims) => claims,
        Verified::Expired(_) => return Ok((steps, Verdict::Refused(Rule::Expiry))),
        Verified::Invalid(why) => return Ok((steps, Verdict::Refused(why.rule()))),
    };
    let verdict = session_checks(state, &claims, now, &mut steps).await?;
    Ok((steps, verdict))
}

/// The checks after the token's own: its session exists and is this user's, is live, and (for
/// a kept session) the token is not of a dropped branch. Read-only.
async fn session_checks(
    state: &AppState,
    claims: &Claims,
    now: i64,
    steps: &mut Vec<Step>,
) -> Result<Verdict, AppError> {
    let mut check = |rule: Rule, passed: bool, detail: Option<crate::vocab::Detail>| {
        steps.push(Step {
            rule,
            passed,
            detail,
        });
        if passed {
            None
        } else {
            Some(Verdict::Refused(rule))
        }
    };
    let found = state.sessions.find(&claims.sid, now).await?;
    let live = found.filter(|l| l.user.user_id == claims.sub);
    if let Some(refused) = check(Rule::Session, live.is_some(), None) {
        return Ok(refused);
    }
    let Some(live) = live else {
        return Ok(Verdict::Refused(Rule::Session));
    };
    if let Some(refused) = check(Rule::SessionActive, live.session.is_active(now), None) {
        return Ok(refused);
    }
    if live.session.keep_logged_in {
        let branch = live.lineage.branch_of(claims.rjti.as_deref());
        let on_a_live_branch = branch != Branch::Dropped;
        let seen = crate::vocab::Detail::Value(format!("{branch:?}"));
        if let Some(refused) = check(Rule::Branch, on_a_live_branch, Some(seen)) {
            return Ok(refused);
        }
    }
    Ok(Verdict::Accepted)
}

fn attack_list(lang: Lang, alg: TokenAlg, chosen: Attack) -> Vec<AttackView> {
    Attack::ALL
        .iter()
        .copied()
        .filter(|a| available(*a, alg))
        .map(|name| {
            let (title, explanation) = describe_attack(lang, name);
            AttackView {
                name,
                title,
                explanation,
                chosen: name == chosen,
            }
        })
        .collect()
}

fn lab_page(
    req: &HttpRequest,
    state: &AppState,
    auth: &Authenticated,
    edits: Edits,
    outcome: Option<Outcome>,
) -> Result<HttpResponse, AppError> {
    let chrome = chrome(req, true, "lab");
    let (header, payload, _) = parts_of(&auth.access_token);
    let chosen = Attack::parse(&edits.attack).unwrap_or(Attack::TamperPayload);
    let page = LabPage {
        attacks: attack_list(chrome.lang, state.config.tokens.alg, chosen),
        chrome,
        header: pretty(&header),
        payload: pretty(&payload),
        edits,
        outcome,
    };
    render(StatusCode::OK, &page)
}

/// `GET /lab`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    lab_page(&req, &state, &auth, Edits::default(), None)
}

/// What the page shows of a verdict, in the page's language.
fn outcome(lang: Lang, attack: Attack, token: &str, steps: Vec<Step>, verdict: Verdict) -> Outcome {
    let (header, payload, signature) = parts_of(token);
    let (attack_title, attack_explanation) = describe_attack(lang, attack);
    Outcome {
        verdict,
        rule_meaning: match verdict {
            Verdict::Accepted => lang.texts().lab_all_passed,
            Verdict::Refused(rule) => describe_rule_failed(lang, rule),
        },
        attack_title,
        attack_explanation,
        steps: steps
            .into_iter()
            .map(|s| StepView {
                meaning: if s.passed {
                    describe_rule(lang, s.rule)
                } else {
                    describe_rule_failed(lang, s.rule)
                },
                rule: s.rule,
                passed: s.passed,
                detail: s
                    .detail
                    .as_ref()
                    .map(|d| crate::i18n::describe_detail(lang, d))
                    .unwrap_or_default(),
            })
            .collect(),
        header: pretty(&header),
        payload: pretty(&payload),
        signature: super::inspect::shorten(signature),
    }
}

/// `POST /lab`: `attack=<name>` and any edits; answers the page with the verdict.
pub async fn attack(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    demo_only(&state)?;
    let body = negotiate::body_bytes(body)?;
    let edits: Edits = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::BadRequest(format!("Invalid form: {e}")))?;
    let Some(attack) =
        Attack::parse(&edits.attack).filter(|a| available(*a, state.config.tokens.alg))
    else {
        return Err(AppError::BadRequest(format!(
            "No such attack here: {:?}. Choose one of the page's.",
            edits.attack
        )));
    };
    let now = state.clock.now();
    let token = forge(&state, &auth, attack, &edits, now)?;
    let (steps, verdict) = judge(&state, &token, now).await?;
    super::step_done(&state, &req, LessonStep::Lab);
    let lang = chrome(&req, true, "lab").lang;
    let outcome = outcome(lang, attack, &token, steps, verdict);
    lab_page(&req, &state, &auth, edits, Some(outcome))
}
