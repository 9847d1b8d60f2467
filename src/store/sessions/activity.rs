//! "Last seen": when a session was last used, for `/sessions`. Written now and then, not per
//! request, and never on the request's path.

use std::sync::Arc;

use super::cache::SessionCache;
use super::repo;
use crate::store::Db;

/// Records activity in the background: a request served from the cache must neither wait for
/// this write nor fail because the database cannot take it now. The write only happens while
/// the row has the cached version and is not ended; then the cached copy is renewed, otherwise
/// it is dropped and the next request reads the session again. So a copy that missed a change
/// lives at most `SESSION_CACHE_TTL`, however busy the session.
pub fn touch(db: &Db, cache: &Arc<SessionCache>, sid: &str, version: i64, now: i64) {
    let (db, cache, sid) = (db.clone(), cache.clone(), sid.to_owned());
    tokio::spawn(async move { record(&db, &cache, &sid, version, now).await });
}

/// [`touch`]'s work, awaited: the write, then the cache.
pub async fn record(db: &Db, cache: &SessionCache, sid: &str, version: i64, now: i64) {
    match repo::touch(db, sid, version, now).await {
        Ok(written) => cache.after_activity(sid, version, now, written),
        Err(e) => tracing::debug!(error = %e, "could not record session activity"),
    }
}
