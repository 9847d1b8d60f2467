//! The one check behind logging in and changing a password: may this attempt go ahead now (the
//! throttle), whose password is it (the lookup), is it right (argon2, on its own threads), and
//! the throttle told how it went. An unknown user costs what a wrong password costs.

use std::future::Future;
use std::net::IpAddr;

use secrecy::SecretString;

use super::password::Passwords;
use super::throttle::{Admission, Throttle};
use crate::error::AppError;
use crate::store::{Db, users};

/// What a credentials check came to.
#[derive(Debug)]
pub enum Checked<T> {
    /// The password is right; here is whose it is.
    Right(T),
    /// Wrong password, or no such user (never said which).
    Wrong,
    /// Refused without trying: wait this many seconds.
    Wait(u64),
}

/// The parts a credentials check needs.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub db: &'a Db,
    pub passwords: &'a Passwords,
    pub throttle: &'a Throttle,
    /// Demo mode's shared account: its failures lock it for the failing address alone, so one
    /// learner's typos cannot lock out a class.
    pub shared_account: Option<&'a str>,
}

impl Credentials<'_> {
    /// Logging in as `user_id`.
    pub async fn login(
        self,
        user_id: &str,
        password: SecretString,
        address: IpAddr,
    ) -> Result<Checked<users::User>, AppError> {
        let db = self.db;
        let now = self.throttle.now();
        let lookup = async move { users::find_with_hash(db, user_id, now).await };
        self.check(user_id, address, password, lookup).await
    }

    /// The current password of the account `pk` (whose login name is `user_id`), before a
    /// change.
    pub async fn current_password(
        self,
        pk: i64,
        user_id: &str,
        password: SecretString,
        address: IpAddr,
    ) -> Result<Checked<()>, AppError> {
        let db = self.db;
        let lookup = async move {
            let hash = users::find_hash_by_pk(db, pk).await?;
            Ok(hash.map(|hash| ((), hash)))
        };
        self.check(user_id, address, password, lookup).await
    }

    /// Throttle, look up, verify, record.
    async fn check<T>(
        self,
        account: &str,
        address: IpAddr,
        password: SecretString,
        lookup: impl Future<Output = Result<Option<(T, String)>, sqlx::Error>>,
    ) -> Result<Checked<T>, AppError> {
        let per_address;
        let account = if self.shared_account == Some(account) {
            per_address = format!("{account}@{address}");
            per_address.as_str()
        } else {
            account
        };
        let admission = self.throttle.check(account, address).await?;
        if let Admission::Wait(retry_after_secs) = admission {
            return Ok(Checked::Wait(retry_after_secs));
        }
        let (found, hash) = match lookup.await? {
            Some((found, hash)) => (Some(found), Some(hash)),
            None => (None, None),
        };
        let matched = self.passwords.verify(password, hash).await?;
        match (matched, found) {
            (true, Some(found)) => {
                self.throttle.succeeded(account, admission).await?;
                Ok(Checked::Right(found))
            }
            _ => {
                self.throttle.failed(account, address).await?;
                Ok(Checked::Wrong)
            }
        }
    }
}
