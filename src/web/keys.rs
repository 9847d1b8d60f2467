//! `GET /.well-known/jwks.json`: the public keys that verify access tokens, so any other service
//! can check them without asking this one (the stateless verifier does exactly that).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::routes::Routes;
use super::state::AppState;
use crate::auth::tokens::Jwks;
use crate::error::{AppError, ErrorBody};

pub fn configure(routes: &mut Routes) {
    routes.add("/.well-known/jwks.json", |r| r.route(web::get().to(jwks)));
}

/// How long others may keep the key set. Rotation keeps the previous key published for much
/// longer than this, so a cached copy never lacks a key still in use.
pub const JWKS_MAX_AGE_SECS: u32 = 300;

/// The public keys of access tokens (EdDSA). With HS256 the key is a shared secret, and a
/// secret is never published: the answer is then `404`.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    responses(
        (status = 200, description = "The current and, during a rotation, the previous public key.",
            body = Jwks, headers(("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 404, description = "This server signs with HS256: nothing public to publish.", body = ErrorBody),
    ))]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let keys: Jwks = state.tokens.jwks();
    if keys.keys.is_empty() {
        return Err(AppError::NotFoundBecause(
            "This server signs access tokens with HS256, a shared secret: there is no public key to publish.".into(),
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECS}"),
        ))
        .json(keys))
}
