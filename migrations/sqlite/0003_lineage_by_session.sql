-- The lineage is only ever looked up within one session (by `jti`, or by the presented token's
-- fingerprint among the session's few rows), so its only index is `(session_id, jti)`. The
-- table was indexed three times over (the fingerprint as primary key, a unique `jti`, and
-- `session_id`), and each index put one more page, at a random place in its tree, into every
-- rotation's commit. Rows stay in the table's insertion order, so a rotation's new row and the
-- rows it retires or confirms (the session's latest) share the last pages with every other
-- rotation of the same commit. Fingerprints and `jti`s are random 256- and 128-bit values:
-- nothing relied on the uniqueness the old indexes checked.

CREATE TABLE refresh_lineage_new (
    fingerprint  TEXT    NOT NULL,
    jti          TEXT    NOT NULL,
    session_id   TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    parent_jti   TEXT,
    state        TEXT    NOT NULL CHECK (state IN ('current', 'pending', 'retired', 'dropped')),
    issued_ms    INTEGER NOT NULL,
    confirmed_ms INTEGER,
    ended_ms     INTEGER,
    expires_at   INTEGER NOT NULL
);
INSERT INTO refresh_lineage_new
    (fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, ended_ms, expires_at)
SELECT fingerprint, jti, session_id, parent_jti, state, issued_ms, confirmed_ms, ended_ms, expires_at
FROM refresh_lineage ORDER BY issued_ms;
DROP TABLE refresh_lineage;
ALTER TABLE refresh_lineage_new RENAME TO refresh_lineage;
CREATE UNIQUE INDEX refresh_lineage_by_session ON refresh_lineage (session_id, jti);
