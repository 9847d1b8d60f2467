//! jwt-cookie-lab: log in with JWTs kept in cookies, see who you are, log out — and see
//! exactly how that works.
//!
//! The modules stand on floors, and import only from their own floor or below (a test,
//! `tests/layout.rs`, holds them to it):
//!
//! - `app` (and the binaries): the composition root;
//! - `web` and `ops`: the HTTP surface, and what operators need;
//! - `auth` and `stateless`: who you are, proven; the verifier with no database;
//! - `metrics`;
//! - `store`: every SQL statement, SQLite and PostgreSQL;
//! - `lineage` and `domain`: pure rules and values parsed once;
//! - `config`, `clock`, `error`, `i18n`, `vocab`: used by everyone.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod lineage;
pub mod metrics;
pub mod ops;
pub mod stateless;
pub mod store;
pub mod vocab;
pub mod web;
