//! The rotation plan: which refresh can be planned from a cached lineage alone, where a token
//! found in the database stands, and what a rotation writes and leaves behind.

use super::{Lineage, MAX_DROPPED, Presented, RefreshPlan, State, plan_refresh};

/// The plan for the common cases, from the cached lineage alone: the presented token is the
/// pending child (confirm it, issue the next), or the current one with no child pending (issue
/// one). `presented_jti`: the presented refresh token's `jti`, or `None` when the client proved
/// itself with an access token of the current branch instead. Any other case needs the row's
/// times (the grace window) or the lineage's history, so it is left to the locked path; the
/// store's guarded write checks that the cache was right.
pub fn plan_from_cache(lineage: &Lineage, presented_jti: Option<&str>) -> Option<RefreshPlan> {
    let position = match presented_jti {
        None => Presented::Current,
        Some(jti) if lineage.pending.as_deref() == Some(jti) => Presented::Pending,
        Some(jti) if lineage.current.as_deref() == Some(jti) => Presented::Current,
        Some(_) => return None,
    };
    if position == Presented::Current && lineage.pending.is_some() {
        return None;
    }
    // No pending child, so no time enters the rule.
    let plan = plan_refresh(position, None, 0, 0);
    Rotation::of(plan).map(|_| plan)
}

/// A presented token as the database found it among its session's tokens.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub jti: &'a str,
    pub state: Option<State>,
    pub ended_ms: Option<i64>,
}

/// Where a presented token stands against the session's lineage as just read (under its lock).
pub fn place(lineage: &Lineage, found: Option<Found<'_>>) -> Presented {
    let Some(found) = found else {
        return Presented::Unknown;
    };
    if lineage.current.as_deref() == Some(found.jti) {
        return Presented::Current;
    }
    if lineage.pending.as_deref() == Some(found.jti) {
        return Presented::Pending;
    }
    match (found.state, found.ended_ms) {
        (Some(State::Retired), Some(ended_ms)) => Presented::Retired { ended_ms },
        (Some(State::Dropped), _) => Presented::Dropped,
        _ => Presented::Unknown,
    }
}

/// What one rotation writes: a new pending child, after dropping the unconfirmed one or
/// confirming it (its parent retires) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The pending child never showed up (a lost answer): it is dropped.
    pub drop_pending: bool,
    /// The pending child came back: it becomes current and its parent retires.
    pub confirm: bool,
}

impl Rotation {
    /// The rotation a plan calls for; `None` for plans that issue no child.
    pub fn of(plan: RefreshPlan) -> Option<Rotation> {
        match plan {
            RefreshPlan::IssueChild { drop_pending } => Some(Rotation {
                drop_pending,
                confirm: false,
            }),
            RefreshPlan::ConfirmThenIssueChild => Some(Rotation {
                drop_pending: false,
                confirm: true,
            }),
            RefreshPlan::Grace | RefreshPlan::Theft(_) | RefreshPlan::Reject => None,
        }
    }

    /// The new child's parent: the pending child once confirmed, else the current token.
    pub fn parent<'a>(&self, before: &'a Lineage) -> Option<&'a str> {
        if self.confirm {
            before.pending.as_deref()
        } else {
            before.current.as_deref()
        }
    }

    /// The child this rotation drops, if any.
    pub fn dropped<'a>(&self, before: &'a Lineage) -> Option<&'a str> {
        if self.drop_pending {
            before.pending.as_deref()
        } else {
            None
        }
    }

    /// The lineage once this rotation is written with `child` as the new pending token.
    pub fn next(&self, before: &Lineage, child: &str) -> Lineage {
        let mut next = before.clone();
        if self.confirm {
            next.current = next.pending.take();
        }
        if let Some(dropped) = self.dropped(before) {
            next.dropped.insert(0, dropped.to_owned());
            next.dropped.truncate(MAX_DROPPED);
        }
        next.pending = Some(child.to_owned());
        next
    }
}

impl Lineage {
    /// The lineage once the pending child `jti` is confirmed through its access token.
    pub fn confirmed(&self, jti: &str) -> Lineage {
        Lineage {
            current: Some(jti.to_owned()),
            pending: None,
            dropped: self.dropped.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lineage(current: Option<&str>, pending: Option<&str>) -> Lineage {
        Lineage {
            current: current.map(Into::into),
            pending: pending.map(Into::into),
            dropped: vec!["d".into()],
        }
    }

    /// Only the two cases that need neither a time nor the lineage's history are planned
    /// without reading the row; everything the grace and theft rules decide takes the lock.
    #[test]
    fn the_cache_plans_only_the_plain_rotations() {
        let settled = lineage(Some("c"), None);
        assert_eq!(
            plan_from_cache(&settled, Some("c")),
            Some(RefreshPlan::IssueChild {
                drop_pending: false
            })
        );
        assert_eq!(
            plan_from_cache(&settled, None),
            Some(RefreshPlan::IssueChild {
                drop_pending: false
            })
        );
        let waiting = lineage(Some("c"), Some("p"));
        assert_eq!(
            plan_from_cache(&waiting, Some("p")),
            Some(RefreshPlan::ConfirmThenIssueChild)
        );
        // The parent again while a child waits: grace or a dropped branch, by the clock.
        assert_eq!(plan_from_cache(&waiting, Some("c")), None);
        assert_eq!(plan_from_cache(&waiting, None), None);
        // Retired, dropped or unknown tokens: the lineage's history decides.
        for jti in ["old", "d", ""] {
            assert_eq!(plan_from_cache(&waiting, Some(jti)), None, "{jti}");
        }
    }

    #[test]
    fn a_rotation_moves_the_lineage_one_step() {
        let waiting = lineage(Some("c"), Some("p"));
        let confirm = Rotation::of(RefreshPlan::ConfirmThenIssueChild).unwrap();
        assert_eq!(confirm.parent(&waiting), Some("p"));
        let next = confirm.next(&waiting, "n");
        assert_eq!(
            (next.current.as_deref(), next.pending.as_deref()),
            (Some("p"), Some("n"))
        );
        let drop = Rotation::of(RefreshPlan::IssueChild { drop_pending: true }).unwrap();
        assert_eq!(drop.parent(&waiting), Some("c"));
        let next = drop.next(&waiting, "n");
        assert_eq!(next.current.as_deref(), Some("c"));
        assert_eq!(next.dropped, ["p", "d"]);
        assert_eq!(Rotation::of(RefreshPlan::Grace), None);
        assert_eq!(waiting.confirmed("p").current.as_deref(), Some("p"));
    }

    #[test]
    fn a_found_token_is_placed_against_the_locked_lineage() {
        let l = lineage(Some("c"), Some("p"));
        let found = |jti, state, ended_ms| {
            place(
                &l,
                Some(Found {
                    jti,
                    state,
                    ended_ms,
                }),
            )
        };
        assert_eq!(found("c", Some(State::Current), None), Presented::Current);
        assert_eq!(found("p", Some(State::Pending), None), Presented::Pending);
        assert_eq!(
            found("r", Some(State::Retired), Some(5)),
            Presented::Retired { ended_ms: 5 }
        );
        assert_eq!(found("d", Some(State::Dropped), None), Presented::Dropped);
        assert_eq!(found("x", None, None), Presented::Unknown);
        assert_eq!(place(&l, None), Presented::Unknown);
    }
}
