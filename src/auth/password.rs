//! Passwords: argon2id hashing and verification, run on the blocking pool and bounded to the
//! number of cores, so a login flood queues instead of starving the async workers or eating
//! memory (each verify holds about 19 MiB).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::SaltString;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Hashes waiting for a permit: the queue a login flood builds (a metric).
    waiting: Arc<AtomicUsize>,
    /// Verified against when a userId is unknown, so that case costs what a wrong password costs.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// Makes the dummy hash once (one argon2 run, ~30 ms) so it has the real parameters.
    pub async fn new() -> Result<Self, AppError> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let permits = Arc::new(Semaphore::new(cores));
        let dummy = SecretString::from(uuid::Uuid::new_v4().to_string());
        let dummy_hash =
            run_blocking(&permits, &AtomicUsize::new(1), move || hash_now(&dummy)).await??;
        Ok(Self {
            permits,
            waiting: Arc::default(),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// How many hashes are waiting for a core right now.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        run_blocking(&self.permits, &self.waiting, work).await
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        self.run(move || hash_now(&password)).await?
    }

    /// True when `password` matches `stored_hash`. With no stored hash (unknown user) it
    /// spends the same time on the dummy hash and answers false.
    pub async fn verify(
        &self,
        password: SecretString,
        stored_hash: Option<String>,
    ) -> Result<bool, AppError> {
        let known = stored_hash.is_some();
        let hash = stored_hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = self.run(move || verify_now(&password, &hash)).await?;
        Ok(known && matched)
    }
}

/// Waits for a permit (counted in `waiting` until it has one), then runs `work` on the
/// blocking pool.
async fn run_blocking<T: Send + 'static>(
    permits: &Arc<Semaphore>,
    waiting: &AtomicUsize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = permits.clone().acquire_owned().await;
    waiting.fetch_sub(1, Ordering::Relaxed);
    let permit = permit.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(permit);
        result
    })
    .await
    .map_err(AppError::internal)
}

pub fn hash_now(password: &SecretString) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(e.to_string()))
}

fn verify_now(password: &SecretString, hash: &str) -> bool {
    // A stored hash that does not parse can never match; it is not the client's fault, so log it.
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored password hash does not parse");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let passwords = Passwords::new().await.unwrap();
        let hash = passwords.hash(SecretString::from("1234")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify(SecretString::from("1234"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(SecretString::from("12345"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let passwords = Passwords::new().await.unwrap();
        assert!(
            !passwords
                .verify(SecretString::from("anything"), None)
                .await
                .unwrap()
        );
    }
}

/// Shortest and longest new password (NIST SP 800-63B: at least 8; allow long passphrases).
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Why a new password is refused, in words a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("The password must be at least 8 characters long.")]
    TooShort,
    #[error("The password must be at most 128 characters long.")]
    TooLong,
    #[error("The password must not be the user ID.")]
    SameAsUserId,
    #[error("That password is one of the most common ones; choose another.")]
    Common,
}

impl WeakPassword {
    /// The reason in the page's language.
    pub fn message(self, lang: crate::i18n::Lang) -> &'static str {
        use crate::i18n::Lang;
        match (self, lang) {
            (WeakPassword::TooShort, Lang::En) => {
                "The password must be at least 8 characters long."
            }
            (WeakPassword::TooLong, Lang::En) => {
                "The password must be at most 128 characters long."
            }
            (WeakPassword::SameAsUserId, Lang::En) => "The password must not be the user ID.",
            (WeakPassword::Common, Lang::En) => {
                "That password is one of the most common ones; choose another."
            }
            (WeakPassword::TooShort, Lang::Ko) => "비밀번호는 8자 이상이어야 합니다.",
            (WeakPassword::TooLong, Lang::Ko) => "비밀번호는 128자 이하여야 합니다.",
            (WeakPassword::SameAsUserId, Lang::Ko) => "비밀번호가 아이디와 같으면 안 됩니다.",
            (WeakPassword::Common, Lang::Ko) => "너무 흔한 비밀번호입니다. 다른 것을 골라 주세요.",
        }
    }
}

/// The rules for a new password (sign-up and password change): length, not the userId, not a
/// well-known password. No composition rules: NIST found they make passwords worse.
pub fn check_new_password(user_id: &str, password: &str) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(WeakPassword::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(WeakPassword::TooLong);
    }
    if password.eq_ignore_ascii_case(user_id) {
        return Err(WeakPassword::SameAsUserId);
    }
    let lowered = password.to_lowercase();
    let common = COMMON_PASSWORDS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .any(|l| l.trim() == lowered);
    if common {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn new_password_rules() {
        assert_eq!(
            check_new_password("kim", "short"),
            Err(WeakPassword::TooShort)
        );
        assert_eq!(
            check_new_password("kim", "일이삼사오육칠"),
            Err(WeakPassword::TooShort)
        );
        assert_eq!(check_new_password("kim", "일이삼사오육칠팔"), Ok(()));
        assert_eq!(
            check_new_password("kim", &"x".repeat(129)),
            Err(WeakPassword::TooLong)
        );
        assert_eq!(check_new_password("kim", &"x".repeat(128)), Ok(()));
        assert_eq!(
            check_new_password("kimcoding", "KimCoding"),
            Err(WeakPassword::SameAsUserId)
        );
        assert_eq!(
            check_new_password("kim", "Password1"),
            Err(WeakPassword::Common)
        );
        assert_eq!(
            check_new_password("kim", "12345678"),
            Err(WeakPassword::Common)
        );
        assert_eq!(
            check_new_password("kim", "correct horse battery staple"),
            Ok(())
        );
    }
}
