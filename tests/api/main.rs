//! HTTP tests against the real server. One binary, many modules, so it links once.

mod bad_input;
mod class;
mod concurrency;
mod cors;
mod crowds;
mod faults;
mod forgery;
mod group_commit;
mod helpers;
mod keys;
mod login;
mod logout;
mod ops;
mod rotation;
mod security;
mod sessions;
mod signup;
mod teaching;
mod tls;
mod trade_off;
mod userinfo;
