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

use super::negotiate;
use super::pages::{Chrome, chrome, private, render};
use crate::auth::decide::{self, Branch};
use crate::auth::guard::Authenticated;
use crate::auth::state::AppState;
use crate::auth::tokens::{self, Step, TokenKind, Verified};
use crate::config::{AccessKeys, TokenAlg};
use crate::error::AppError;
use crate::i18n::{Lang, describe_attack, describe_rule};

/// Every attack, by its stable name (`data-attack`), in the order the page lists them.
pub const ATTACKS: [&str; 16] = [
    "unchanged",
    "tamper-payload",
    "alg-none",
    "guessed-secret",
    "hs512",
    "public-key-as-secret",
    "other-key",
    "refresh-as-access",
    "unknown-kid",
    "jwk-header",
    "jku-header",
    "wrong-type",
    "wrong-audience",
    "expired",
    "not-yet-valid",
    "forged-session",
];

/// Attacks that only make sense when access tokens are EdDSA.
fn available(attack: &str, alg: TokenAlg) -> bool {
    match attack {
        "public-key-as-secret" | "other-key" => alg == TokenAlg::EdDsa,
        _ => ATTACKS.contains(&attack),
    }
}

pub struct AttackView {
    pub name: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub chosen: bool,
}

pub struct StepView {
    pub rule: &'static str,
    pub passed: bool,
    pub meaning: &'static str,
    pub detail: String,
}

pub struct Outcome {
    pub verdict: &'static str,
    pub rule: &'static str,
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

fn demo_only(state: &AppState) -> Result<(), AppError> {
    if state.config.demo_mode {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
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

/// Builds the attack's token from the learner's own.
fn forge(
    state: &AppState,
    auth: &Authenticated,
    attack: &str,
    edits: &Edits,
    now: i64,
) -> Result<String, AppError> {
    let original = auth.access_token.as_str();
    let mut parts = original.splitn(3, '.');
    let (h, p, sig) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut header = decode_part(h);
    let mut payload = decode_part(p);
    let attacker = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let attacker_jwk = json!({"kty": "OKP", "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(attacker.verifying_key().to_bytes())});
    // The attack's own change, then the learner's changes on top.
    match attack {
        "tamper-payload" | "forged-session" => {
            payload.insert("sub".into(), json!("admin"));
        }
        "alg-none" => {
            header.insert("alg".into(), json!("none"));
        }
        "hs512" => {
            header.insert("alg".into(), json!("HS512"));
        }
        "public-key-as-secret" | "guessed-secret" => {
            header.insert("alg".into(), json!("HS256"));
        }
        "unknown-kid" => {
            header.insert("kid".into(), json!("a-000000000000"));
        }
        "jwk-header" => {
            header.insert("alg".into(), json!("EdDSA"));
            header.insert("jwk".into(), attacker_jwk);
        }
        "jku-header" => {
            header.insert("alg".into(), json!("EdDSA"));
            header.insert("jku".into(), json!("https://attacker.example/jwks.json"));
        }
        "wrong-type" => {
            payload.insert("typ".into(), json!("refresh"));
        }
        "wrong-audience" => {
            payload.insert("aud".into(), json!("another-service"));
        }
        "expired" => {
            payload.insert("iat".into(), json!(now - 3600));
            payload.insert("nbf".into(), json!(now - 3600));
            payload.insert("exp".into(), json!(now - 60));
        }
        "not-yet-valid" => {
            payload.insert("nbf".into(), json!(now + 3600));
            payload.insert("exp".into(), json!(now + 7200));
        }
        _ => {}
    }
    if attack == "forged-session" {
        payload.insert("sid".into(), json!(tokens::new_id()));
        payload.remove("rjti");
    }
    apply_edits(&mut header, &mut payload, edits);
    let signing_input = format!("{}.{}", b64(&header), b64(&payload));
    let signature = match attack {
        "unchanged" if edits_are_empty(edits) => return Ok(original.to_owned()),
        "unchanged" | "tamper-payload" | "unknown-kid" => sig.to_owned(),
        "alg-none" => String::new(),
        "guessed-secret" => hmac_sha256(b"secret", &signing_input),
        "hs512" => hmac_sha512(&hmac_key_of_the_server(state), &signing_input),
        "public-key-as-secret" => hmac_sha256(&public_key(state), &signing_input),
        "other-key" | "jwk-header" | "jku-header" => ed25519(&attacker, &signing_input),
        "refresh-as-access" => {
            return match &auth.refresh_token {
                Some(refresh) => Ok(refresh.clone()),
                None => {
                    let exp = now + 60;
                    let issued = state.tokens.issue(
                        TokenKind::Refresh,
                        &auth.identity.user().user_id,
                        &auth.identity.session().id,
                        now,
                        exp,
                        None,
                    )?;
                    Ok(issued.token)
                }
            };
        }
        // As if the attacker had the real signing key: the claims are what is tested.
        _ => {
            return state
                .tokens
                .sign(TokenKind::Access, &Value::Object(payload));
        }
    };
    Ok(format!("{signing_input}.{signature}"))
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
    match &state.config.access_keys {
        AccessKeys::Hmac(pair) => {
            use secrecy::ExposeSecret;
            pair.current.expose_secret().as_bytes().to_vec()
        }
        AccessKeys::Ed25519 { .. } => public_key(state),
    }
}

fn public_key(state: &AppState) -> Vec<u8> {
    match &state.config.access_keys {
        AccessKeys::Ed25519 { current, .. } => current.verifying_key().to_bytes().to_vec(),
        AccessKeys::Hmac(_) => Vec::new(),
    }
}

/// Runs `token` through the checks a request's access token meets, recording each. Nothing is
/// written: a lab token never ends or changes a session.
async fn judge(
    state: &AppState,
    token: &str,
    now: i64,
) -> Result<(Vec<Step>, &'static str), AppError> {
    let mut steps: Vec<Step> = Vec::new();
    let claims = match state
        .tokens
        .verify_traced(TokenKind::Access, token, now, &mut steps)
    {
        Verified::Valid(claims) => claims,
        Verified::Expired(_) => return Ok((steps, "expiry")),
        Verified::Invalid(why) => return Ok((steps, why.rule())),
    };
    let found = state.sessions.find(&claims.sid, now).await?;
    let Some(live) = found.filter(|l| l.user.user_id == claims.sub) else {
        steps.push(Step {
            rule: "session",
            passed: false,
            detail: String::new(),
        });
        return Ok((steps, "session"));
    };
    steps.push(Step {
        rule: "session",
        passed: true,
        detail: String::new(),
    });
    if !live.session.is_active(now) {
        steps.push(Step {
            rule: "session-active",
            passed: false,
            detail: String::new(),
        });
        return Ok((steps, "session-active"));
    }
    steps.push(Step {
        rule: "session-active",
        passed: true,
        detail: String::new(),
    });
    if live.session.keep_logged_in {
        let lineage = &live.lineage;
        let branch = decide::access_branch(
            claims.rjti.as_deref(),
            lineage.current.as_deref(),
            lineage.pending.as_deref(),
            &lineage.dropped,
        );
        let dropped = branch == Branch::Dropped;
        steps.push(Step {
            rule: "branch",
            passed: !dropped,
            detail: format!("{branch:?}"),
        });
        if dropped {
            return Ok((steps, "branch"));
        }
    }
    Ok((steps, "accepted"))
}

fn attack_list(lang: Lang, alg: TokenAlg, chosen: &str) -> Vec<AttackView> {
    ATTACKS
        .iter()
        .filter(|a| available(a, alg))
        .map(|&name| {
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
    let mut parts = auth.access_token.splitn(3, '.');
    let header = pretty(&decode_part(parts.next().unwrap_or_default()));
    let payload = pretty(&decode_part(parts.next().unwrap_or_default()));
    let chosen = if edits.attack.is_empty() {
        "tamper-payload".to_owned()
    } else {
        edits.attack.clone()
    };
    let page = LabPage {
        attacks: attack_list(chrome.lang, state.config.token_alg, &chosen),
        chrome,
        header,
        payload,
        edits,
        outcome,
    };
    Ok(private(render(StatusCode::OK, &page)?, auth))
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
    if !available(&edits.attack, state.config.token_alg) {
        return Err(AppError::BadRequest(format!(
            "No such attack here: {:?}. Choose one of the page's.",
            edits.attack
        )));
    }
    let now = state.clock.now();
    let attack: &'static str = ATTACKS
        .iter()
        .copied()
        .find(|a| *a == edits.attack)
        .unwrap_or("unchanged");
    let token = forge(&state, &auth, attack, &edits, now)?;
    let (steps, rule) = judge(&state, &token, now).await?;
    let lang = chrome(&req, true, "lab").lang;
    let mut parts = token.splitn(3, '.');
    let header = pretty(&decode_part(parts.next().unwrap_or_default()));
    let payload = pretty(&decode_part(parts.next().unwrap_or_default()));
    let signature = parts.next().unwrap_or_default();
    let (attack_title, attack_explanation) = describe_attack(lang, attack);
    let outcome = Outcome {
        verdict: if rule == "accepted" {
            "accepted"
        } else {
            "refused"
        },
        rule,
        rule_meaning: describe_rule(lang, rule),
        attack_title,
        attack_explanation,
        steps: steps
            .into_iter()
            .map(|s| StepView {
                meaning: describe_rule(lang, s.rule),
                rule: s.rule,
                passed: s.passed,
                detail: s.detail,
            })
            .collect(),
        header,
        payload,
        signature: super::inspect::shorten(signature),
    };
    lab_page(&req, &state, &auth, edits, Some(outcome))
}
