//! The PostgreSQL tests once more, through Debian's PgBouncer in transaction mode
//! (`DATABASE_POOLER=transaction`): the same files, so a pooler in front changes nothing a
//! user sees. `helpers` starts one PgBouncer in front of the shared test cluster (resetting
//! each server connection after every transaction, so a statement the pooler cannot carry
//! fails every time), points `DATABASE_URL` at it and `DATABASE_LISTEN_URL` at PostgreSQL
//! itself. Tests that stop PostgreSQL or kill its connections use a cluster of their own,
//! directly, as in `api_postgres`.

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
#[path = "../api_postgres/instances.rs"]
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
