//! The HTTP surface: the guard (cookie or Bearer in), the cookies (the one place that builds
//! them; one middleware writes renewed ones), content negotiation, security headers and the
//! cross-site refusal, and one module per page or route group, each registering its own routes.
//! The teaching pages live in [`teach`]. Templates are filled only here.

pub mod chrome;
pub mod cookies;
pub mod cors;
pub mod guard;
pub mod keys;
pub mod login;
pub mod logout;
pub mod negotiate;
pub mod pages;
pub mod password;
pub mod routes;
pub mod security;
pub mod sessions;
pub mod signup;
pub mod state;
pub mod teach;
pub mod userinfo;

pub use routes::Routes;
pub use state::AppState;

/// Every route of the app's pages and JSON API (the operators' routes are `ops`').
pub fn configure(routes: &mut Routes) {
    pages::configure(routes);
    keys::configure(routes);
    login::configure(routes);
    signup::configure(routes);
    userinfo::configure(routes);
    logout::configure(routes);
    sessions::configure(routes);
    password::configure(routes);
    teach::configure(routes);
}
