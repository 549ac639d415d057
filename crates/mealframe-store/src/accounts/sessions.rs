//! Web sessions: the HTTP-only cookie that signs the web app's pages in. Stored hashed, expiring,
//! revocable (log out, log out everywhere, password change and reset all end them).

use dbkit::{Conn, Timestamp, execute, fetch_optional};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

impl WebSession {
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }
}

pub async fn insert(
    c: &mut Conn<'_>,
    user: UserId,
    hash: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    execute!(
        c,
        "INSERT INTO web_sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
        id,
        user.uuid(),
        hash,
        now,
        expires_at
    )?;
    Ok(id)
}

/// A live (unexpired) session with this token hash.
pub async fn live_by_hash(
    c: &mut Conn<'_>,
    hash: &str,
    now: Timestamp,
) -> Result<Option<WebSession>> {
    Ok(fetch_optional!(
        c,
        WebSession,
        "SELECT id, user_id, created_at, last_seen_at, expires_at FROM web_sessions
         WHERE token_hash = $1 AND expires_at > $2",
        hash,
        now
    )?)
}

/// Slide the expiry forward (called at most every few minutes per session).
pub async fn touch(
    c: &mut Conn<'_>,
    id: Uuid,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE web_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1",
        id,
        now,
        expires_at
    )?;
    Ok(())
}

pub async fn delete(c: &mut Conn<'_>, id: Uuid) -> Result<()> {
    execute!(c, "DELETE FROM web_sessions WHERE id = $1", id)?;
    Ok(())
}

/// End every session of a user, except optionally one.
pub async fn delete_all(c: &mut Conn<'_>, user: UserId, keep: Option<Uuid>) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM web_sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)",
        user.uuid(),
        keep
    )?)
}

pub async fn purge_expired(c: &mut Conn<'_>, now: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM web_sessions WHERE expires_at <= $1",
        now
    )?)
}
