//! jwt-cookie-lab: log in with JWTs kept in cookies, see who you are, log out — and see
//! exactly how that works. `web -> auth -> store`; everyone may use `config`, `clock`, `error`.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod i18n;
pub mod lineage;
pub mod metrics;
pub mod ops;
pub mod stateless;
pub mod store;
pub mod vocab;
pub mod web;
