-- Users, their server-side sessions, and the (hashed) refresh tokens of each session.
-- Times are Unix seconds (UTC), the unit JWT claims use.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    position      TEXT    NOT NULL DEFAULT '',
    location      TEXT    NOT NULL DEFAULT '',
    bio           TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);

-- One row per login. Tokens carry the id in their `sid` claim; a token is honoured only while
-- its session is neither revoked nor past `expires_at` (the absolute lifetime).
CREATE TABLE sessions (
    id             TEXT    PRIMARY KEY,
    user_pk        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    keep_logged_in INTEGER NOT NULL,
    user_agent     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_pk);

-- Refresh tokens by SHA-256 fingerprint, never raw. A token is current while `used_at` is
-- NULL; rotation sets `used_at` and `replaced_by` in the same transaction that inserts the
-- successor, so a session never has two current tokens.
CREATE TABLE refresh_tokens (
    fingerprint TEXT    PRIMARY KEY,
    session_id  TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    replaced_by TEXT
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
