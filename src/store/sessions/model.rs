//! The values the session store takes and gives: a session row, a session as the cache holds
//! it, a refresh token as stored, and what each change came to.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

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
    /// Why it ended (an [`EndCause`] name), when it was ended rather than ran out of time.
    #[sqlx(default)]
    pub end_cause: Option<String>,
}

impl Session {
    /// Why it ended, if it was ended (not merely past its lifetime, and not live).
    pub fn ended_by(&self) -> Option<EndCause> {
        self.revoked_at?;
        self.end_cause.as_deref().and_then(EndCause::parse)
    }

    /// Live: not revoked and inside its absolute lifetime.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A session as the cache holds it: the row (without its user agent, which only `/sessions`
/// shows, from the table), its user, its lineage and the row's version; and when its "last
/// seen" was last noted for writing (not part of its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    pub lineage: Lineage,
    pub version: i64,
    pub noted: Noted,
}

/// When this copy's activity was last noted for the next "last seen" batch (Unix seconds; 0:
/// never), so that a busy session is noted once, not on every request. Shared by every request
/// that holds the copy; it takes no part in comparing sessions.
#[derive(Debug, Default)]
pub struct Noted(AtomicI64);

impl Noted {
    pub fn at(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, at: i64) {
        self.0.store(at, Ordering::Relaxed);
    }
}

impl Clone for Noted {
    fn clone(&self) -> Self {
        Noted(AtomicI64::new(self.at()))
    }
}

impl PartialEq for Noted {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Noted {}

impl LiveSession {
    /// The bytes its strings hold on the heap (for the cache's memory budget).
    pub fn heap_bytes(&self) -> usize {
        let s = &self.session;
        let u = &self.user;
        let l = &self.lineage;
        let strings = [
            &s.id,
            &s.user_agent,
            &u.user_id,
            &u.email,
            &u.name,
            &u.position,
            &u.location,
            &u.bio,
        ];
        let lineage = [&l.current, &l.pending]
            .into_iter()
            .flatten()
            .map(String::capacity)
            .sum::<usize>()
            + l.dropped.iter().map(|d| d.capacity() + 24).sum::<usize>();
        strings.iter().map(|s| s.capacity()).sum::<usize>() + lineage
    }

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
    /// Demo mode: the teacher reset the class (`jwt-cookie-lab demo reset`).
    Reset,
}

impl EndCause {
    pub const ALL: [EndCause; 6] = [
        EndCause::Logout,
        EndCause::Revoke,
        EndCause::RevokeOthers,
        EndCause::PasswordChange,
        EndCause::Reuse,
        EndCause::Reset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::Logout => "logout",
            EndCause::Revoke => "revoke",
            EndCause::RevokeOthers => "revoke_others",
            EndCause::PasswordChange => "password_change",
            EndCause::Reuse => "reuse",
            EndCause::Reset => "reset",
        }
    }

    pub fn parse(name: &str) -> Option<EndCause> {
        EndCause::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// What a prune removed: every ended session, of which `expired` ended by running out of their
/// lifetime (the others were revoked, and were counted when they were).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub expired: u64,
    /// Whether there may be more to delete (a step stopped at its batch size, or a sweep at
    /// its time budget).
    pub more: bool,
}

impl Pruned {
    /// This and a later step together.
    pub fn and(self, later: Pruned) -> Pruned {
        Pruned {
            sessions: self.sessions + later.sessions,
            expired: self.expired + later.expired,
            more: later.more,
        }
    }
}
