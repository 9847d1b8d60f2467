-- The sweep deletes ended sessions in bounded steps (`repo::prune_step`), each finding its
-- rows by an index instead of scanning a million sessions under the write lock: live ones by
-- when they run out, ended ones by being ended. Neither index is touched by a rotation (it
-- changes neither column), only by a login, a logout and the sweep itself. The lineage keeps
-- its one index (migration 3); the sweep walks it by rowid.
CREATE INDEX sessions_by_expiry ON sessions (expires_at) WHERE revoked_at IS NULL;
CREATE INDEX sessions_ended ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
