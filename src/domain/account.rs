//! A new account: its login name, email address, password and profile, each checked once.

use super::password::{NewPassword, WeakPassword};
use crate::i18n::Lang;

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_SHORT_FIELD_CHARS: usize = 64;
pub const MAX_BIO_CHARS: usize = 500;

/// What is wrong with a new account, said in the page's language (JSON answers use English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    UserId,
    Password(WeakPassword),
    Email,
    Required(Field),
    TooLong(Field, usize),
    ControlCharacters(Field),
}

/// A profile field, for the messages about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Position,
    Location,
    Bio,
}

impl Field {
    fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Field::Name, Lang::En) => "name",
            (Field::Position, Lang::En) => "position",
            (Field::Location, Lang::En) => "location",
            (Field::Bio, Lang::En) => "bio",
            (Field::Name, Lang::Ko) => "이름",
            (Field::Position, Lang::Ko) => "직무",
            (Field::Location, Lang::Ko) => "지역",
            (Field::Bio, Lang::Ko) => "소개",
        }
    }
}

impl Invalid {
    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (Invalid::UserId, Lang::En) => {
                "The user ID must be 3 to 32 characters: letters, digits, '_', '.' or '-'.".into()
            }
            (Invalid::UserId, Lang::Ko) => {
                "아이디는 영문자, 숫자, '_', '.', '-'로 된 3~32자여야 합니다.".into()
            }
            (Invalid::Password(weak), lang) => weak.message(lang).into(),
            (Invalid::Email, Lang::En) => "The email address does not look valid.".into(),
            (Invalid::Email, Lang::Ko) => "이메일 주소가 올바르지 않아 보입니다.".into(),
            (Invalid::Required(f), Lang::En) => format!("The {} is required.", f.name(lang)),
            (Invalid::Required(f), Lang::Ko) => format!("{}을(를) 입력해 주세요.", f.name(lang)),
            (Invalid::TooLong(f, max), Lang::En) => {
                format!("The {} must be at most {max} characters.", f.name(lang))
            }
            (Invalid::TooLong(f, max), Lang::Ko) => {
                format!("{}은(는) {max}자 이하여야 합니다.", f.name(lang))
            }
            (Invalid::ControlCharacters(f), Lang::En) => {
                format!("The {} contains control characters.", f.name(lang))
            }
            (Invalid::ControlCharacters(f), Lang::Ko) => {
                format!("{}에 제어 문자가 들어 있습니다.", f.name(lang))
            }
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Invalid {}

/// A login name: 3–32 of `A-Z a-z 0-9 _ . -`, so it is safe in URLs, logs and pages alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserId(String);

impl UserId {
    pub fn parse(user_id: &str) -> Result<UserId, Invalid> {
        let ok_len = (3..=32).contains(&user_id.len());
        let ok_chars = user_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok_len && ok_chars {
            Ok(UserId(user_id.to_owned()))
        } else {
            Err(Invalid::UserId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A valid-looking address: one `@`, something before it, a dotted domain after it, no spaces.
/// Whether it exists only a confirmation mail could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(email: &str) -> Result<Email, Invalid> {
        if email.chars().count() > MAX_EMAIL_CHARS
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Invalid::Email);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(Invalid::Email);
        };
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            Err(Invalid::Email)
        } else {
            Ok(Email(email.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A profile text: bounded, no control characters but line breaks and tabs, and (for the
/// name) not blank.
fn text(value: &str, max: usize, field: Field, required: bool) -> Result<String, Invalid> {
    if required && value.trim().is_empty() {
        return Err(Invalid::Required(field));
    }
    if value.chars().count() > max {
        return Err(Invalid::TooLong(field, max));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::ControlCharacters(field));
    }
    Ok(value.to_owned())
}

/// A new account as someone typed it (a form, a JSON body, the command line).
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountForm<'a> {
    pub user_id: &'a str,
    pub password: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub position: &'a str,
    pub location: &'a str,
    pub bio: &'a str,
}

/// A new account whose every field keeps the rules.
pub struct NewAccount {
    pub user_id: UserId,
    pub password: NewPassword,
    pub email: Email,
    pub name: String,
    pub position: String,
    pub location: String,
    pub bio: String,
}

impl NewAccount {
    /// Every rule of a new account; the first broken one is the answer.
    pub fn parse(form: AccountForm<'_>) -> Result<NewAccount, Invalid> {
        let user_id = UserId::parse(form.user_id)?;
        let password = NewPassword::parse(form.user_id, form.password.to_owned())
            .map_err(Invalid::Password)?;
        Ok(NewAccount {
            user_id,
            password,
            email: Email::parse(form.email)?,
            name: text(form.name, MAX_NAME_CHARS, Field::Name, true)?,
            position: text(form.position, MAX_SHORT_FIELD_CHARS, Field::Position, false)?,
            location: text(form.location, MAX_SHORT_FIELD_CHARS, Field::Location, false)?,
            bio: text(form.bio, MAX_BIO_CHARS, Field::Bio, false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_user_id(user_id: &str) -> Result<(), Invalid> {
        UserId::parse(user_id).map(|_| ())
    }

    fn check_email(email: &str) -> Result<(), Invalid> {
        Email::parse(email).map(|_| ())
    }

    #[test]
    fn user_ids() {
        for ok in ["kim", "kim.coding", "a_b-c", &"x".repeat(32)] {
            assert_eq!(check_user_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ki",
            &"x".repeat(33),
            "kim coding",
            "x' OR '1'='1",
            "김코딩",
            "<b>",
            "",
        ] {
            assert!(check_user_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["kimcoding@authstates.com", "a.b+c@sub.example.kr"] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "kim",
            "kim@",
            "@example.com",
            "kim@example",
            "kim@@example.com",
            "kim @example.com",
            "kim@example..com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
