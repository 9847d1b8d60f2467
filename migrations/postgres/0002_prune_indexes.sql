-- The sweep deletes ended sessions and expired refresh tokens in bounded steps
-- (`repo::prune_step`), each finding its rows by an index instead of scanning every session:
-- live ones by when they run out, ended ones by being ended, refresh tokens by their expiry.
CREATE INDEX sessions_by_expiry ON sessions (expires_at) WHERE revoked_at IS NULL;
CREATE INDEX sessions_ended ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_lineage_by_expiry ON refresh_lineage (expires_at);
