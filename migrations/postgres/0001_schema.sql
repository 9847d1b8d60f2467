-- Users, their server-side sessions, the lineage of each session's (hashed) refresh tokens,
-- and login lock-outs. Times are Unix seconds (UTC), the unit JWT claims use, except columns
-- ending in `_ms`: Unix milliseconds, the unit the refresh grace window is measured in.
-- The same schema as the SQLite migrations produce, in PostgreSQL's types.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    user_id       TEXT      NOT NULL UNIQUE,
    password_hash TEXT      NOT NULL,
    email         TEXT      NOT NULL,
    name          TEXT      NOT NULL,
    position      TEXT      NOT NULL DEFAULT '',
    location      TEXT      NOT NULL DEFAULT '',
    bio           TEXT      NOT NULL DEFAULT '',
    created_at    BIGINT    NOT NULL
);

-- One row per login. Tokens carry the id in their `sid` claim; a token is honoured only while
-- its session is neither revoked nor past `expires_at` (the absolute lifetime). `version`
-- grows with every change other instances' caches must hear of.
CREATE TABLE sessions (
    id                 TEXT    PRIMARY KEY,
    user_pk            BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    keep_logged_in     BOOLEAN NOT NULL,
    user_agent         TEXT    NOT NULL DEFAULT '',
    created_at         BIGINT  NOT NULL,
    last_seen_at       BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    revoked_at         BIGINT,
    version            BIGINT  NOT NULL DEFAULT 0,
    refresh_current    TEXT,
    refresh_pending    TEXT,
    refresh_pending_ms BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_pk);

-- Refresh tokens by SHA-256 fingerprint, never raw. A kept session has one current token and at
-- most one pending child (issued, not yet shown to have arrived); see the SQLite migration 0002.
CREATE TABLE refresh_lineage (
    fingerprint  TEXT    PRIMARY KEY,
    jti          TEXT    NOT NULL UNIQUE,
    session_id   TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_jti   TEXT,
    state        TEXT    NOT NULL CHECK (state IN ('current', 'pending', 'retired', 'dropped')),
    issued_ms    BIGINT  NOT NULL,
    confirmed_ms BIGINT,
    ended_ms     BIGINT,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX refresh_lineage_by_session ON refresh_lineage (session_id);

-- Consecutive failed logins per account name (known or not), shared by every instance.
CREATE TABLE login_failures (
    account      TEXT   PRIMARY KEY,
    consecutive  BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    last_failed  BIGINT NOT NULL
);
