//! The refresh matrix, as pure functions: given what the tokens and the session say, what the
//! server does. No I/O here, so every case is one row of a table-driven test.
//!
//! It runs in two steps because refresh-token rotation must be decided *inside* the database
//! (two tabs or two instances may race): `decide` picks the plan from the tokens, and when the
//! plan is to refresh, the store locks the session and asks [`plan_refresh`] what the lineage
//! rule says about the refresh token presented.
//!
//! # The lineage rule
//!
//! A kept session has one *current* refresh token and at most one *pending* child. Presenting
//! the current token issues a child, but the child replaces its parent only once the client
//! shows it has it: by presenting the child, or the access token issued together with it.
//! Until then the parent stays good, so an answer lost on the way (a dropped connection, a
//! closed tab, a crash after commit) costs nothing: the parent comes back, the unconfirmed
//! child is *dropped*, and a new child is issued. Theft is a token of a branch that is no
//! longer the session's: a retired parent after its child was used, or any token of a dropped
//! branch. Within `REFRESH_REUSE_GRACE` of a rotation, a second request with the same token
//! (another tab) gets a new access token on the session's current branch and no new refresh
//! token.

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

/// Where a presented refresh token stands in its session's lineage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// The session's current token.
    Current,
    /// The child issued from the current token, not yet shown to have arrived.
    Pending,
    /// A parent replaced by its child (the child was used) at `ended_ms`.
    Retired { ended_ms: i64 },
    /// An unconfirmed child that was dropped because its parent came back.
    Dropped,
    /// Not a token of this session (or long pruned).
    Unknown,
}

/// Why a token counts as stolen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theft {
    /// A retired refresh token came back after the grace window: its child is in use, so two
    /// copies exist.
    RetiredTokenReused,
    /// A token of a dropped branch came back: whoever holds it is not the one who continued.
    DroppedBranchUsed,
}

impl Theft {
    pub fn as_str(self) -> &'static str {
        match self {
            Theft::RetiredTokenReused => "a retired refresh token was used again",
            Theft::DroppedBranchUsed => "a token of a dropped branch was used",
        }
    }
}

/// What to do with a refresh token presented on an active session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshPlan {
    /// Issue a child of the current token (pending until used). `drop_pending`: a child issued
    /// earlier never showed up (a lost answer); drop it first.
    IssueChild { drop_pending: bool },
    /// The pending child came back: it becomes current (its parent retires); then it gets a
    /// child of its own, as every refresh does.
    ConfirmThenIssueChild,
    /// Another request did this moments ago (two tabs): a new access token on the session's
    /// current branch, no new refresh token, so the other answer's cookie stays in force.
    Grace,
    /// End the whole session.
    Theft(Theft),
    /// Not this session's token: log in again.
    Reject,
}

/// The lineage rule for a refresh token. `pending_issued_ms`: when the pending child (if any)
/// was issued. A time "within the grace window" is at most `grace_ms` before `now_ms` (or after
/// it, should another instance's clock run a little ahead).
pub fn plan_refresh(
    presented: Presented,
    pending_issued_ms: Option<i64>,
    now_ms: i64,
    grace_ms: i64,
) -> RefreshPlan {
    let within_grace = |at: i64| now_ms - at <= grace_ms;
    match presented {
        Presented::Current => match pending_issued_ms {
            None => RefreshPlan::IssueChild {
                drop_pending: false,
            },
            Some(at) if within_grace(at) => RefreshPlan::Grace,
            Some(_) => RefreshPlan::IssueChild { drop_pending: true },
        },
        Presented::Pending => RefreshPlan::ConfirmThenIssueChild,
        Presented::Retired { ended_ms } if within_grace(ended_ms) => RefreshPlan::Grace,
        Presented::Retired { .. } => RefreshPlan::Theft(Theft::RetiredTokenReused),
        Presented::Dropped => RefreshPlan::Theft(Theft::DroppedBranchUsed),
        Presented::Unknown => RefreshPlan::Reject,
    }
}

/// Which branch of the lineage an access token belongs to, by the refresh token it was issued
/// with (its `rjti` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// No lineage to check: a session without "keep me logged in", or a token from before
    /// lineage was tracked.
    Untracked,
    /// Issued with the current refresh token.
    Current,
    /// Issued together with the pending child: the client has the child, which is now
    /// confirmed.
    Pending,
    /// Issued with an earlier token of the line (still good until its `exp`).
    Ancestor,
    /// Issued with a child that was dropped: theft.
    Dropped,
}

/// Places an access token in the lineage using only what the session cache holds, so the hot
/// path never reads the database for it.
pub fn access_branch(
    rjti: Option<&str>,
    current: Option<&str>,
    pending: Option<&str>,
    dropped: &[String],
) -> Branch {
    match rjti {
        None => Branch::Untracked,
        Some(r) if Some(r) == current => Branch::Current,
        Some(r) if Some(r) == pending => Branch::Pending,
        Some(r) if dropped.iter().any(|d| d == r) => Branch::Dropped,
        Some(_) if current.is_none() && pending.is_none() => Branch::Untracked,
        Some(_) => Branch::Ancestor,
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
    fn the_lineage_rule() {
        use Presented as P;
        use RefreshPlan as R;
        const GRACE: i64 = 1000;
        const NOW: i64 = 1_000_000;
        let table = [
            // The current token, nothing pending: issue a child.
            (
                P::Current,
                None,
                R::IssueChild {
                    drop_pending: false,
                },
            ),
            // The current token again while its child is pending...
            // ...a moment later: another tab; no second child.
            (P::Current, Some(NOW - 10), R::Grace),
            (P::Current, Some(NOW - GRACE), R::Grace),
            // ...later: the child's answer was lost; drop it, issue another. No theft.
            (
                P::Current,
                Some(NOW - GRACE - 1),
                R::IssueChild { drop_pending: true },
            ),
            // The pending child: the client has it.
            (P::Pending, Some(NOW - 5000), R::ConfirmThenIssueChild),
            // A retired parent: within the grace a racing tab, after it a second copy.
            (
                P::Retired {
                    ended_ms: NOW - GRACE,
                },
                None,
                R::Grace,
            ),
            (
                P::Retired {
                    ended_ms: NOW - GRACE - 1,
                },
                None,
                R::Theft(Theft::RetiredTokenReused),
            ),
            // Another instance's clock a little ahead is still "within".
            (P::Retired { ended_ms: NOW + 5 }, None, R::Grace),
            // Anything of a dropped branch is theft, at once.
            (P::Dropped, None, R::Theft(Theft::DroppedBranchUsed)),
            (P::Unknown, None, R::Reject),
        ];
        for (presented, pending, expected) in table {
            assert_eq!(
                plan_refresh(presented, pending, NOW, GRACE),
                expected,
                "{presented:?} {pending:?}"
            );
        }
    }

    #[test]
    fn access_tokens_are_placed_in_the_lineage() {
        let dropped = vec!["d1".to_owned()];
        let place = |r| access_branch(r, Some("c"), Some("p"), &dropped);
        assert_eq!(place(Some("c")), Branch::Current);
        assert_eq!(place(Some("p")), Branch::Pending);
        assert_eq!(place(Some("d1")), Branch::Dropped);
        assert_eq!(place(Some("older")), Branch::Ancestor);
        assert_eq!(place(None), Branch::Untracked);
        assert_eq!(access_branch(Some("x"), None, None, &[]), Branch::Untracked);
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
