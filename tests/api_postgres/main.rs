//! The HTTP tests of `tests/api`, compiled a second time to run against PostgreSQL: the same
//! files, so both backends are held to the same behaviour. `helpers` sees this binary's name
//! and gives every server a fresh database in a throwaway PostgreSQL cluster (or in
//! `TEST_DATABASE_URL`). Tests only PostgreSQL has (several instances on one database, a
//! listener killed, a restart) live in `instances`.

#[path = "../api/bad_input.rs"]
mod bad_input;
#[path = "../api/class.rs"]
mod class;
#[path = "../api/concurrency.rs"]
mod concurrency;
#[path = "../api/cors.rs"]
mod cors;
#[path = "../api/crowds.rs"]
mod crowds;
#[path = "../api/forgery.rs"]
mod forgery;
#[path = "../api/helpers.rs"]
mod helpers;
mod instances;
#[path = "../api/keys.rs"]
mod keys;
#[path = "../api/login.rs"]
mod login;
#[path = "../api/logout.rs"]
mod logout;
#[path = "../api/ops.rs"]
mod ops;
#[path = "../api/rotation.rs"]
mod rotation;
#[path = "../api/security.rs"]
mod security;
#[path = "../api/sessions.rs"]
mod sessions;
#[path = "../api/signup.rs"]
mod signup;
#[path = "../api/teaching.rs"]
mod teaching;
#[path = "../api/trade_off.rs"]
mod trade_off;
#[path = "../api/userinfo.rs"]
mod userinfo;
