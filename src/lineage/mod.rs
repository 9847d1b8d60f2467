//! The refresh-token lineage of a kept session, as pure values and rules: no I/O, so every
//! case is a row of a table-driven test. `auth` asks it where a token stands; `store` asks it
//! what a rotation writes. See `docs/design/lineage.md` for why the rule is what it is.
//!
//! # The rule
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

pub mod plan;

pub use plan::{Rotation, place, plan_from_cache};

/// Where one refresh token stands in its session's lineage: the `state` column of
/// `refresh_lineage`, and the `data-token-state` of the lineage picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The session's token in force.
    Current,
    /// Issued from the current token; not yet shown to have arrived.
    Pending,
    /// A parent replaced by its child (the child was used).
    Retired,
    /// An unconfirmed child dropped because its parent came back.
    Dropped,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Current,
        State::Pending,
        State::Retired,
        State::Dropped,
    ];

    /// The stable name, as stored and as the pages show it.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Pending => "pending",
            State::Retired => "retired",
            State::Dropped => "dropped",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stored as its name in a text column, on either backend.
impl<DB: sqlx::Database> sqlx::Type<DB> for State
where
    str: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for State
where
    &'q str: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for State
where
    &'r str: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<'r, DB>>::decode(value)?;
        State::parse(text).ok_or_else(|| format!("not a lineage state: {text:?}").into())
    }
}

/// Where a kept session's refresh tokens stand, by `jti`: what the hot path needs to place an
/// access token in the lineage without a database read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    pub current: Option<String>,
    pub pending: Option<String>,
    /// Children dropped because their parent came back (most recent first, bounded).
    pub dropped: Vec<String>,
}

/// Dropped branches remembered per session. A dropped branch appears only when a parent comes
/// back after its child was issued, so a real session has a handful at most.
pub const MAX_DROPPED: usize = 32;

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

impl Lineage {
    /// Places an access token by its `rjti`, using only what the session cache holds, so the
    /// hot path never reads the database for it.
    pub fn branch_of(&self, rjti: Option<&str>) -> Branch {
        access_branch(
            rjti,
            self.current.as_deref(),
            self.pending.as_deref(),
            &self.dropped,
        )
    }
}

/// [`Lineage::branch_of`], from the parts.
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
    fn states_read_back_from_their_names() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        assert_eq!(State::parse("stolen"), None);
    }
}
