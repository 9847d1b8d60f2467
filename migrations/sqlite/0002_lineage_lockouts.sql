-- Refresh-token lineage and shared login lock-outs.
--
-- A kept session has one *current* refresh token and at most one *pending* child: a token the
-- server issued that the client has not yet shown it received. The child replaces its parent
-- only once the client uses it (or the access token issued with it); until then the parent
-- stays good, so a lost answer never looks like theft. Times ending in `_ms` are Unix
-- milliseconds (the grace window is measured in them); `expires_at` stays in Unix seconds,
-- like the token's `exp`.

ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN refresh_current TEXT;
ALTER TABLE sessions ADD COLUMN refresh_pending TEXT;
ALTER TABLE sessions ADD COLUMN refresh_pending_ms INTEGER;

CREATE TABLE refresh_lineage (
    fingerprint  TEXT    PRIMARY KEY,
    jti          TEXT    NOT NULL UNIQUE,
    session_id   TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_jti   TEXT,
    state        TEXT    NOT NULL CHECK (state IN ('current', 'pending', 'retired', 'dropped')),
    issued_ms    INTEGER NOT NULL,
    confirmed_ms INTEGER,
    ended_ms     INTEGER,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX refresh_lineage_by_session ON refresh_lineage (session_id);

-- Tokens from before lineage: their jti was never stored, so the fingerprint stands in for it.
INSERT INTO refresh_lineage
    (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, ended_ms, expires_at)
SELECT fingerprint, fingerprint, session_id, NULL,
       CASE WHEN used_at IS NULL THEN 'current' ELSE 'retired' END,
       issued_at * 1000, issued_at * 1000, used_at * 1000, expires_at
FROM refresh_tokens;
UPDATE sessions SET refresh_current =
    (SELECT jti FROM refresh_lineage r WHERE r.session_id = sessions.id AND r.state = 'current');
DROP TABLE refresh_tokens;

-- Consecutive failed logins per account name (known or not), shared by every instance.
CREATE TABLE login_failures (
    account      TEXT    PRIMARY KEY,
    consecutive  INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    last_failed  INTEGER NOT NULL
);
