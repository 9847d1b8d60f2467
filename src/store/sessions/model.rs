//! The values the session store takes and gives: a session row, a session as the cache holds
//! it, a refresh token as stored, and what each change came to.

use std::sync::Arc;

use crate::lineage::{Lineage, State, Theft};
use crate::store::users::User;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_pk: i64,
    pub keep_logged_in: bool,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Session {
    /// Live: not revoked and inside its absolute lifetime.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A session as the cache holds it: the row, its user, its lineage and the row's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    pub lineage: Lineage,
    pub version: i64,
}

impl LiveSession {
    /// The same session, known to have ended at `now`.
    pub fn ended(self: &Arc<Self>, now: i64) -> Arc<LiveSession> {
        let mut ended = LiveSession::clone(self);
        ended.session.revoked_at.get_or_insert(now);
        Arc::new(ended)
    }
}

/// A refresh token as stored: its fingerprint and `jti`, never the token.
#[derive(Debug, Clone, Copy)]
pub struct NewRefresh<'a> {
    pub fingerprint: &'a str,
    pub jti: &'a str,
    pub issued_ms: i64,
    pub expires_at: i64,
}

/// The refresh token a client presented: its fingerprint, and the `jti` its verified claims
/// name.
#[derive(Debug, Clone, Copy)]
pub struct PresentedRefresh<'a> {
    pub fingerprint: &'a str,
    pub jti: &'a str,
}

/// What a refresh did, for the flow to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A child was issued (pending until the client uses it). `confirmed`: the token presented
    /// was the pending child, now current. `dropped`: an unconfirmed child was dropped first.
    Issued {
        confirmed: bool,
        dropped: Option<String>,
    },
    /// Within the grace window: a new access token on the current branch, named here.
    Grace { current: Option<String> },
    /// Theft: the session is now ended.
    Theft(Theft),
    /// Not a token of this session.
    Unknown,
    /// The session was already over.
    SessionEnded,
}

/// What confirming a child through its access token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The child is now the current token.
    Confirmed,
    /// Someone else confirmed it first, or the branch is older: nothing to do.
    Nothing,
    /// The branch had been dropped: theft; the session is now ended.
    Theft,
    SessionEnded,
}

/// One refresh token of a session, for the lineage picture on `/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineageEntry {
    pub jti: String,
    pub parent_jti: Option<String>,
    pub state: State,
    pub issued_ms: i64,
    pub confirmed_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

/// Why a session ended, for the log and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    Logout,
    Revoke,
    RevokeOthers,
    PasswordChange,
    Reuse,
}

impl EndCause {
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::Logout => "logout",
            EndCause::Revoke => "revoke",
            EndCause::RevokeOthers => "revoke_others",
            EndCause::PasswordChange => "password_change",
            EndCause::Reuse => "reuse",
        }
    }
}

/// What a prune removed: every ended session, of which `expired` ended by running out of their
/// lifetime (the others were revoked, and were counted when they were).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub expired: u64,
}
