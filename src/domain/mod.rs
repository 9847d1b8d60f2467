//! Values parsed once, wherever they come from (the web form, a JSON body, the command line):
//! a login name, an email address, a new password, a new account. Each type can only hold a
//! value that keeps its rules, so code that has one need not check again.

mod account;
mod password;

pub use account::{AccountForm, Email, Field, Invalid, NewAccount, UserId};
pub use password::{
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewPassword, WeakPassword, check_new_password,
};
