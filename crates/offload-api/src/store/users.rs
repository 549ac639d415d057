//! Users created by Sign in with Apple. Keyed by Apple's `sub`; the user id is ours.

use dbkit::{Db, Timestamp, fetch_optional, fetch_scalar};

use super::StoreError;

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub user_id: String,
    pub apple_user_id: String,
    pub install_id: String,
    pub display_name: Option<String>,
}

/// Create the user on first sight (new UUID); on repeat, take the new install id and the new
/// display name if one is given. Answers the user id.
pub async fn upsert_apple_user(
    db: &Db,
    apple_user_id: &str,
    install_id: &str,
    display_name: Option<&str>,
) -> Result<String, StoreError> {
    let now = Timestamp::now();
    let fresh = uuid::Uuid::new_v4().to_string();
    let mut tx = db.begin().await?;
    let id = fetch_scalar!(
        tx.conn(),
        String,
        "INSERT INTO users (user_id, apple_user_id, install_id, display_name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (apple_user_id) DO UPDATE SET
           install_id = excluded.install_id,
           display_name = COALESCE(excluded.display_name, users.display_name),
           updated_at = excluded.updated_at
         RETURNING user_id",
        fresh,
        apple_user_id,
        install_id,
        display_name,
        now
    )?;
    tx.commit().await?;
    Ok(id)
}

pub async fn find_by_apple_id(db: &Db, apple_user_id: &str) -> Result<Option<User>, StoreError> {
    let mut r = db.reader().await?;
    Ok(fetch_optional!(
        r.conn(),
        User,
        "SELECT user_id, apple_user_id, install_id, display_name FROM users WHERE apple_user_id = $1",
        apple_user_id
    )?)
}
