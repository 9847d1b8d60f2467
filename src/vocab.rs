//! The stable names that pages, logs, metrics and tests share: the cookies' names, the steps
//! of a request's timeline, the checks of a token's verification, and the attacks of the lab. Each is an enum
//! with one `as_str()`, so a name is spelled in exactly one place, and every `match` on one
//! (the metrics' counters, the i18n descriptions) is exhaustive: a new event that is not
//! described, counted or translated does not compile.

/// The cookie that carries the access token (the course's name).
pub const ACCESS_COOKIE: &str = "access_jwt";
/// The cookie that carries the refresh token (the course's name).
pub const REFRESH_COOKIE: &str = "refresh_jwt";

/// Declares an enum of stable names: each variant, its name, `as_str()`, `parse()` and `ALL`
/// (every variant, in declaration order).
macro_rules! stable_names {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every name, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable name (`data-*` attributes, logs, metric labels, tests).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The variant with this stable name.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stable_names! {
    /// One step the server took for a request: the user-info page's timeline (`data-event`),
    /// the refresh metrics, and the tests all use these names.
    pub enum Event {
        AccessVerified = "access-verified",
        AccessMissing = "access-missing",
        AccessExpired = "access-expired",
        AccessInvalid = "access-invalid",
        RefreshVerified = "refresh-verified",
        RefreshMissing = "refresh-missing",
        RefreshExpired = "refresh-expired",
        RefreshInvalid = "refresh-invalid",
        /// A new access token was issued from the refresh token.
        Refreshed = "refreshed",
        /// A child refresh token was issued (pending until used).
        RefreshRotated = "refresh-rotated",
        /// Another tab refreshed a moment ago: a new access token, no second refresh token.
        RefreshGrace = "refresh-grace",
        /// A kept session without a usable refresh cookie got a new refresh token.
        RefreshReissued = "refresh-reissued",
        /// The pending child came back: it is now current, its parent retired.
        RefreshConfirmed = "refresh-confirmed",
        /// An unconfirmed child was dropped because its parent came back (a lost answer).
        BranchDropped = "branch-dropped",
        /// A token of a branch the session has left came back: theft.
        ReuseDetected = "reuse-detected",
        /// The whole session was ended (after a theft).
        SessionRevoked = "session-revoked",
        /// The session named by the tokens is over.
        SessionEnded = "session-ended",
    }
}

stable_names! {
    /// One check a token (and then its session) goes through, in the order they run: the lab's
    /// `data-rule`, and the stateless verifier's `rule` in its refusals.
    pub enum Rule {
        Size = "size",
        Structure = "structure",
        KeyInToken = "key-in-token",
        KeyId = "key-id",
        Algorithm = "algorithm",
        Signature = "signature",
        Issuer = "issuer",
        Audience = "audience",
        Claims = "claims",
        Type = "type",
        NotBefore = "not-before",
        Expiry = "expiry",
        Session = "session",
        SessionActive = "session-active",
        Branch = "branch",
    }
}

stable_names! {
    /// An attack of the lab (`data-attack`), in the order the page lists them.
    pub enum Attack {
        Unchanged = "unchanged",
        TamperPayload = "tamper-payload",
        AlgNone = "alg-none",
        GuessedSecret = "guessed-secret",
        Hs512 = "hs512",
        PublicKeyAsSecret = "public-key-as-secret",
        OtherKey = "other-key",
        RefreshAsAccess = "refresh-as-access",
        UnknownKid = "unknown-kid",
        JwkHeader = "jwk-header",
        JkuHeader = "jku-header",
        WrongType = "wrong-type",
        WrongAudience = "wrong-audience",
        Expired = "expired",
        NotYetValid = "not-yet-valid",
        ForgedSession = "forged-session",
    }
}

stable_names! {
    /// The steps of the guided lesson (`/lesson`, `data-step`), in their order.
    pub enum LessonStep {
        Login = "login",
        Inspect = "inspect",
        Refresh = "refresh",
        LoseAnswer = "lose-answer",
        Replay = "replay",
        TwoServers = "two-servers",
        Lab = "lab",
        CrossSite = "cross-site",
        Logout = "logout",
    }
}

/// What a check or a timeline step saw, as facts rather than words, so each page says it in
/// its own language (`i18n::describe_detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A value shown as it is: a claim, a key id, an algorithm's name.
    Value(String),
    /// The token's length, in bytes.
    Bytes(usize),
    /// The header's algorithm, and the one the key is pinned to.
    AlgMismatch { presented: String, pinned: String },
    /// `exp` passed this many seconds ago (the token's kind: `access` or `refresh`).
    ExpiredAgo { kind: &'static str, seconds: i64 },
    /// `exp` is this many seconds away.
    SecondsLeft(i64),
    /// `nbf`, a Unix time still to come.
    NotBefore(i64),
    /// The verification refused the token under this rule.
    Refused(Rule),
    /// The store holds no refresh token by that fingerprint for this session.
    NeverIssued,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique and read back to their variant.
    #[test]
    fn every_name_parses_back() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            name: impl Fn(T) -> &'static str,
            parse: impl Fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &v in all {
                assert!(seen.insert(name(v)), "{v:?} repeats a name");
                assert_eq!(parse(name(v)), Some(v));
            }
            assert_eq!(parse("no-such-name"), None);
        }
        check(Event::ALL, Event::as_str, Event::parse);
        check(Rule::ALL, Rule::as_str, Rule::parse);
        check(Attack::ALL, Attack::as_str, Attack::parse);
        check(LessonStep::ALL, LessonStep::as_str, LessonStep::parse);
    }
}
