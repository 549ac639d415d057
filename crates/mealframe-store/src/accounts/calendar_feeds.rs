//! Calendar-feed secrets: one per user, named by the token in the feed URL
//! (`/calendar/{token}.ics`). Like every other bearer secret, only its SHA-256 hex digest is
//! stored, so a database leak does not reveal anyone's feed URL.

use dbkit::{Conn, Timestamp, execute, fetch_optional, fetch_scalar};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// Set the user's feed token (hash), replacing any earlier one so its URL stops working at once.
/// True if a feed existed before (a rotation), false if this created the first one.
pub async fn replace(c: &mut Conn<'_>, user: UserId, hash: &str, now: Timestamp) -> Result<bool> {
    let existed = exists(&mut c.reborrow(), user).await?;
    execute!(
        c,
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
        user.uuid(),
        hash,
        now
    )?;
    Ok(existed)
}

/// Whether the user has a feed (its URL cannot be shown again: only the hash is kept).
pub async fn exists(c: &mut Conn<'_>, user: UserId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM calendar_feeds WHERE user_id = $1",
        user.uuid()
    )? > 0)
}

/// The owner of the feed whose token hashes to `hash`.
pub async fn user_by_hash(c: &mut Conn<'_>, hash: &str) -> Result<Option<UserId>> {
    let row = fetch_optional!(
        c,
        (Uuid,),
        "SELECT user_id FROM calendar_feeds WHERE token_hash = $1",
        hash
    )?;
    Ok(row.map(|r| UserId(r.0)))
}

/// Revoke the user's feed; true if there was one.
pub async fn delete(c: &mut Conn<'_>, user: UserId) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM calendar_feeds WHERE user_id = $1",
        user.uuid()
    )? > 0)
}
