//! Creating an account: a new account's password hashed (on the password threads) and the row
//! inserted. The sign-up page, its JSON and the operators' `user add` all come here.

use super::password::Passwords;
use crate::domain::NewAccount;
use crate::error::AppError;
use crate::store::Db;
use crate::store::users::{self, NewUser, User};

/// Creates `account`; `None` when its user ID is taken (nothing is overwritten).
pub async fn create(
    db: &Db,
    passwords: &Passwords,
    account: NewAccount,
    now: i64,
) -> Result<Option<User>, AppError> {
    create_until(db, passwords, account, now, None).await
}

/// [`create`], for an account that goes at `expires_at` (a learner's own demo account).
pub async fn create_until(
    db: &Db,
    passwords: &Passwords,
    account: NewAccount,
    now: i64,
    expires_at: Option<i64>,
) -> Result<Option<User>, AppError> {
    let hash = passwords.hash(account.password.into_secret()).await?;
    let new = NewUser {
        user_id: account.user_id.as_str(),
        password_hash: &hash,
        email: account.email.as_str(),
        name: &account.name,
        position: &account.position,
        location: &account.location,
        bio: &account.bio,
        expires_at,
    };
    Ok(users::insert(db, &new, now).await?)
}
