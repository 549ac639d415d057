//! Failed logins, for the lockout. Written in their own transaction so that they persist even
//! though the login request itself fails (the original's lockout never triggered for that reason).

use dbkit::{Conn, Timestamp, execute, fetch_scalar};
use uuid::Uuid;

use crate::Result;

pub async fn record(c: &mut Conn<'_>, email_key: &str, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "INSERT INTO failed_login_attempts (id, email_key, attempted_at) VALUES ($1, $2, $3)",
        Uuid::now_v7(),
        email_key,
        now
    )?;
    Ok(())
}

pub async fn count_since(c: &mut Conn<'_>, email_key: &str, since: Timestamp) -> Result<i64> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM failed_login_attempts WHERE email_key = $1 AND attempted_at >= $2",
        email_key,
        since
    )?)
}

pub async fn clear(c: &mut Conn<'_>, email_key: &str) -> Result<()> {
    execute!(
        c,
        "DELETE FROM failed_login_attempts WHERE email_key = $1",
        email_key
    )?;
    Ok(())
}

/// Housekeeping: drop attempts older than any lockout window.
pub async fn purge_before(c: &mut Conn<'_>, cutoff: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM failed_login_attempts WHERE attempted_at < $1",
        cutoff
    )?)
}
