-- A class in demo mode: see the SQLite migration 0005. A learner's own demo account expires
-- (`users.expires_at`), an ended session says why (`sessions.end_cause`), and a teacher's reset
-- moves `class_resets.at_ms`, which every running instance polls.
ALTER TABLE users ADD COLUMN expires_at BIGINT;
CREATE INDEX users_by_expiry ON users (expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE sessions ADD COLUMN end_cause TEXT;
CREATE TABLE class_resets (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms BIGINT NOT NULL
);
