//! Whose rows changed: lets a server that caches signed-in users and web sessions drop only the
//! entries of users who changed. On SQLite it reads the `user_changes` log (migration 0012) after
//! the database's change token said that something was committed; on PostgreSQL it listens on
//! [`NOTICE_CHANNEL`] (migration 0014).

use dbkit::{Conn, fetch_all};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// The PostgreSQL channel a change to a user's row or web sessions is announced on, with the
/// user's id as the payload (migration 0014).
pub const NOTICE_CHANNEL: &str = "mealframe_user_changes";

/// The user a notice on [`NOTICE_CHANNEL`] names, if its payload is one.
pub fn noticed(payload: &str) -> Option<UserId> {
    Uuid::parse_str(payload).ok().map(UserId::from)
}

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
