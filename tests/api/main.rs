//! HTTP tests against the real server. One binary, many modules, so it links once.

mod bad_input;
mod helpers;
mod login;
mod logout;
mod rotation;
mod security;
mod sessions;
mod teaching;
mod userinfo;
