-- A class in demo mode. A learner's own demo account expires (`users.expires_at`; swept like
-- ended sessions; NULL for every other account). A session that ended says why
-- (`sessions.end_cause`: logout, revoke, revoke_others, password_change, reuse or reset), so the
-- login page can tell the person. A teacher's reset is a row every running instance polls
-- (`class_resets`): its time moves on at each reset, and an instance that sees it move drops
-- what it keeps in memory for the class.
ALTER TABLE users ADD COLUMN expires_at INTEGER;
CREATE INDEX users_by_expiry ON users (expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE sessions ADD COLUMN end_cause TEXT;
CREATE TABLE class_resets (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
