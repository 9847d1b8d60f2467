//! CORS for the exact origins an operator names (`CORS_ALLOWED_ORIGINS`, and in demo mode the
//! app's own client on another port), done by actix-cors: a preflight `OPTIONS` from a listed
//! origin is answered (`GET, POST, OPTIONS`; `Content-Type` and `Authorization`; credentials;
//! a `Max-Age`), and every answer to it carries `Access-Control-Allow-Origin: <that origin>`,
//! `Access-Control-Allow-Credentials: true` and `Vary: Origin`, whatever the status.
//!
//! actix-cors would put `Access-Control-Allow-Credentials` and `Vary` on every answer, for any
//! origin or none. An origin that is not listed must get no CORS header at all, and a server
//! with no list must answer exactly as before, so [`ListedOrigins`] sends a request through
//! actix-cors only when it is a preflight or comes from a listed origin; everything else goes
//! straight to the app. A preflight from an origin not listed is refused by actix-cors.

use std::rc::Rc;

use actix_cors::Cors;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, header};
use futures_util::future::{Either, LocalBoxFuture, MapOk, TryFutureExt};

/// How long a browser may keep a preflight's answer (seconds).
const PREFLIGHT_MAX_AGE: usize = 600;

/// The actix-cors middleware for `origins`.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allowed_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .supports_credentials()
        .max_age(PREFLIGHT_MAX_AGE);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The middleware: CORS through actix-cors for preflights and listed origins, nothing for the
/// rest.
pub struct ListedOrigins {
    origins: Rc<[String]>,
}

impl ListedOrigins {
    pub fn new(origins: &[String]) -> Self {
        Self {
            origins: origins.into(),
        }
    }
}

/// The app's service, shared by the path through actix-cors and the path around it.
pub struct Shared<S>(Rc<S>);

impl<S: Service<ServiceRequest>> Service<ServiceRequest> for Shared<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        self.0.call(req)
    }
}

type CorsService<S> = <Cors as Transform<Shared<S>, ServiceRequest>>::Transform;

impl<S, B> Transform<S, ServiceRequest> for ListedOrigins
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type InitError = ();
    type Transform = ListedOriginsMiddleware<S>;
    type Future = LocalBoxFuture<'static, Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let plain = Rc::new(service);
        let through_cors = cors(&self.origins).new_transform(Shared(plain.clone()));
        let origins = self.origins.clone();
        Box::pin(async move {
            Ok(ListedOriginsMiddleware {
                plain,
                cors: through_cors.await?,
                origins,
            })
        })
    }
}

pub struct ListedOriginsMiddleware<S: Service<ServiceRequest>>
where
    Cors: Transform<Shared<S>, ServiceRequest>,
{
    plain: Rc<S>,
    cors: CorsService<S>,
    origins: Rc<[String]>,
}

impl<S, B> ListedOriginsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    /// A preflight (any origin: actix-cors refuses those not listed), or a listed origin's
    /// request.
    fn goes_through_cors(&self, req: &ServiceRequest) -> bool {
        if self.origins.is_empty() {
            return false;
        }
        let headers = req.headers();
        let preflight = req.method() == Method::OPTIONS
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        preflight
            || headers.get(header::ORIGIN).is_some_and(|o| {
                self.origins
                    .iter()
                    .any(|listed| listed.as_bytes() == o.as_bytes())
            })
    }
}

type AroundCors<S, B> = MapOk<
    <S as Service<ServiceRequest>>::Future,
    fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>,
>;

impl<S, B> Service<ServiceRequest> for ListedOriginsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<AroundCors<S, B>, <CorsService<S> as Service<ServiceRequest>>::Future>;

    forward_ready!(plain);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if self.goes_through_cors(&req) {
            Either::Right(self.cors.call(req))
        } else {
            let around: fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> =
                ServiceResponse::map_into_left_body;
            Either::Left(self.plain.call(req).map_ok(around))
        }
    }
}
