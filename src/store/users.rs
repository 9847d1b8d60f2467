//! The `users` table.

use serde::Serialize;

use super::{Db, on_db};

/// A user as anyone may see it: never the password hash. Serialises to the course's
/// `/userinfo` JSON (which is why it also describes itself for the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    /// The login name.
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub position: String,
    pub location: String,
    pub bio: String,
}

pub struct NewUser<'a> {
    pub user_id: &'a str,
    pub password_hash: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub position: &'a str,
    pub location: &'a str,
    pub bio: &'a str,
    /// A learner's own demo account: when it goes (Unix seconds). `None` for any other.
    pub expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
}

/// The user and their password hash, for logging in.
/// The account `user_id` and its password hash, unless it does not exist or (a learner's own
/// demo account) has expired by `now`, though not yet swept.
pub async fn find_with_hash(
    db: &Db,
    user_id: &str,
    now: i64,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row: Option<Credentials> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, user_id, email, name, position, location, bio, password_hash \
             FROM users WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(user_id)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|c| (c.user, c.password_hash)))
}

pub async fn find_hash_by_pk(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

/// Inserts the user unless the userId is taken; `None` means taken. Nothing is overwritten.
pub async fn insert(db: &Db, new: &NewUser<'_>, now: i64) -> Result<Option<User>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "INSERT INTO users (user_id, password_hash, email, name, position, location, bio, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (user_id) DO NOTHING \
             RETURNING id, user_id, email, name, position, location, bio",
        )
        .bind(new.user_id)
        .bind(new.password_hash)
        .bind(new.email)
        .bind(new.name)
        .bind(new.position)
        .bind(new.location)
        .bind(new.bio)
        .bind(now)
        .bind(new.expires_at)
        .fetch_optional(pool)
        .await
    })
}

pub async fn exists(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on_db!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}
