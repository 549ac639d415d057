//! Whose rows changed since a point (SQLite; migration 0012): lets a server that caches
//! signed-in users and web sessions drop only the entries of users who changed, after the
//! database's change token said that something was committed.

use dbkit::{Conn, fetch_all};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// Users changed after sequence number `seq`, with the sequence number of each one's latest
/// change (ascending). Always empty on PostgreSQL, which keeps no such table.
pub async fn since(c: &mut Conn<'_>, seq: i64) -> Result<Vec<(UserId, i64)>> {
    if c.is_postgres() {
        return Ok(Vec::new());
    }
    let rows = fetch_all!(
        c,
        (Uuid, i64),
        "SELECT user_id, seq FROM user_changes WHERE seq > $1 ORDER BY seq",
        seq
    )?;
    Ok(rows
        .into_iter()
        .map(|(u, s)| (UserId::from(u), s))
        .collect())
}
