//! A new password, and the rules it must keep (NIST SP 800-63B): 8 to 128 characters, not the
//! user ID, not one of the most common passwords. No composition rules.

use secrecy::SecretString;

use crate::i18n::Lang;

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
    pub fn message(self, lang: Lang) -> &'static str {
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

/// A new password that keeps the rules, ready to hash. It never prints.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// `password` as the new password of `user_id`, if it keeps the rules.
    pub fn parse(user_id: &str, password: String) -> Result<NewPassword, WeakPassword> {
        check_new_password(user_id, &password)?;
        Ok(NewPassword(SecretString::from(password)))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
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
mod tests {
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
