//! The refresh matrix, as a pure function: given what the tokens and the session say, what the
//! server does. No I/O here, so every case is one row of a table-driven test.
//!
//! It runs in two steps because refresh-token rotation must be decided *inside* the database
//! (two tabs or two instances may race): `decide` picks the case from the tokens, and when the
//! case is to refresh, the store locks the session and asks the lineage rule
//! ([`crate::lineage::plan_refresh`]) what to do with the refresh token presented.

/// What a token check came to, without the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Missing,
    Invalid,
    Expired,
    Valid,
}

/// What the server knows of the session the tokens name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// No session to look at (no valid token named one) or no such row.
    Unknown,
    /// Revoked (logout, reuse, "log out everywhere") or past its absolute lifetime.
    Ended,
    Active {
        keep_logged_in: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Access token valid, session active: serve.
    Serve,
    /// Access token valid on a kept session whose refresh cookie is gone or expired: serve,
    /// and give it a new refresh token (the session's absolute lifetime still bounds it).
    ServeAndReissueRefresh,
    /// Access token unusable, refresh token valid, session active: try to rotate.
    Refresh,
    /// Log in again. `clear_cookies` when the client sent token cookies worth removing.
    Reject { clear_cookies: bool },
}

/// Which session to look up: the access token's if it is valid, else the refresh token's.
/// The caller passes the `sid`s it verified; expired or forged tokens name nothing.
pub fn session_to_load<'a>(
    access: (TokenState, Option<&'a str>),
    refresh: (TokenState, Option<&'a str>),
) -> Option<&'a str> {
    match (access, refresh) {
        ((TokenState::Valid, sid), _) => sid,
        (_, (TokenState::Valid, sid)) => sid,
        _ => None,
    }
}

pub fn decide(access: TokenState, refresh: TokenState, session: SessionState) -> Decision {
    use TokenState::*;
    let any_cookie = access != Missing || refresh != Missing;
    match (access, refresh, session) {
        (Valid, Valid, SessionState::Active { .. }) => Decision::Serve,
        (
            Valid,
            _,
            SessionState::Active {
                keep_logged_in: true,
            },
        ) => Decision::ServeAndReissueRefresh,
        (
            Valid,
            _,
            SessionState::Active {
                keep_logged_in: false,
            },
        ) => Decision::Serve,
        (Missing | Invalid | Expired, Valid, SessionState::Active { .. }) => Decision::Refresh,
        _ => Decision::Reject {
            clear_cookies: any_cookie,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use SessionState::*;
    use TokenState::*;

    const KEPT: SessionState = Active {
        keep_logged_in: true,
    };
    const UNKEPT: SessionState = Active {
        keep_logged_in: false,
    };

    #[test]
    fn the_whole_matrix() {
        let table = [
            // The course's four cases, on a kept session:
            (Valid, Valid, KEPT, Serve),
            (Expired, Valid, KEPT, Refresh),
            (Valid, Expired, KEPT, ServeAndReissueRefresh),
            (Valid, Missing, KEPT, ServeAndReissueRefresh),
            (
                Expired,
                Expired,
                Unknown,
                Reject {
                    clear_cookies: true,
                },
            ),
            // A missing or forged access token is no different from an expired one:
            (Missing, Valid, KEPT, Refresh),
            (Invalid, Valid, KEPT, Refresh),
            // A forged refresh cookie beside a good access token is replaced on a kept session.
            (Valid, Invalid, KEPT, ServeAndReissueRefresh),
            // Without "keep me logged in" there is nothing to refresh or reissue.
            (Valid, Missing, UNKEPT, Serve),
            (
                Expired,
                Missing,
                Unknown,
                Reject {
                    clear_cookies: true,
                },
            ),
            // An ended session ends every token in it, however valid.
            (
                Valid,
                Valid,
                Ended,
                Reject {
                    clear_cookies: true,
                },
            ),
            (
                Valid,
                Missing,
                Ended,
                Reject {
                    clear_cookies: true,
                },
            ),
            (
                Expired,
                Valid,
                Ended,
                Reject {
                    clear_cookies: true,
                },
            ),
            (
                Valid,
                Missing,
                Unknown,
                Reject {
                    clear_cookies: true,
                },
            ),
            // Nothing at all: nothing to clear.
            (
                Missing,
                Missing,
                Unknown,
                Reject {
                    clear_cookies: false,
                },
            ),
            (
                Invalid,
                Invalid,
                Unknown,
                Reject {
                    clear_cookies: true,
                },
            ),
            (
                Missing,
                Expired,
                Unknown,
                Reject {
                    clear_cookies: true,
                },
            ),
        ];
        for (access, refresh, session, expected) in table {
            assert_eq!(
                decide(access, refresh, session),
                expected,
                "{access:?} {refresh:?} {session:?}"
            );
        }
    }

    #[test]
    fn the_session_comes_from_the_first_valid_token() {
        assert_eq!(
            session_to_load((Valid, Some("a")), (Valid, Some("r"))),
            Some("a")
        );
        assert_eq!(
            session_to_load((Expired, None), (Valid, Some("r"))),
            Some("r")
        );
        assert_eq!(session_to_load((Invalid, None), (Expired, None)), None);
    }
}
