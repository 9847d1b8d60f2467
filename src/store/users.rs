//! The `users` table.

use serde::Serialize;
use sqlx::SqlitePool;

/// A user as anyone may see it: never the password hash. Serialises to the course's
/// `/userinfo` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
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
}

#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
}

/// The user and their password hash, for logging in.
pub async fn find_with_hash(
    pool: &SqlitePool,
    user_id: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row: Option<Credentials> = sqlx::query_as(
        "SELECT id, user_id, email, name, position, location, bio, password_hash FROM users WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|c| (c.user, c.password_hash)))
}

pub async fn find_hash_by_pk(pool: &SqlitePool, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Inserts the user unless the userId is taken; `None` means taken. Nothing is overwritten.
pub async fn insert(
    pool: &SqlitePool,
    new: &NewUser<'_>,
    now: i64,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO users (user_id, password_hash, email, name, position, location, bio, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING \
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
    .fetch_optional(pool)
    .await
}

pub async fn exists(pool: &SqlitePool, user_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE user_id = ?")
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

pub async fn set_password_hash(pool: &SqlitePool, id: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
