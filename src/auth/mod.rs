//! Who you are, proven: passwords, tokens, the refresh decision, sessions, and the cookies
//! that carry them. Only `guard` speaks actix; the rest works on plain values.

pub mod cookies;
pub mod crypto;
pub mod decide;
pub mod flow;
pub mod guard;
pub mod password;
pub mod state;
pub mod throttle;
pub mod tokens;
