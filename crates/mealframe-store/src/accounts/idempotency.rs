//! Stored answers of requests sent with an `Idempotency-Key`.

use dbkit::{Conn, Timestamp, execute, fetch_optional};
use mealframe_core::ids::UserId;

use crate::Result;

/// What is known about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key now and must run.
    Fresh,
    /// A request with this key finished: replay its answer.
    Done {
        fingerprint: String,
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// A request with this key is still running (or died less than `stale_after` ago).
    InProgress { fingerprint: String },
    /// The first request's change was committed but its answer was never stored (the server
    /// stopped in between, or failed after the commit): the change must not run again.
    Applied { fingerprint: String },
}

/// Claim `key` for a request, or learn what happened to it.
pub async fn claim(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    fingerprint: &str,
    now: Timestamp,
    stale_after: time::Duration,
) -> Result<Claim> {
    let inserted = execute!(
        c.reborrow(),
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, key) DO NOTHING",
        user.uuid(),
        key,
        fingerprint,
        now
    )?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let row = fetch_optional!(
        c.reborrow(),
        (
            String,
            Option<i32>,
            Option<String>,
            Option<String>,
            Timestamp,
            bool
        ),
        "SELECT fingerprint, status_code, content_type, response_body, created_at, applied FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user.uuid(),
        key
    )?;
    match row {
        None => Ok(Claim::Fresh),
        Some((fingerprint, Some(status), content_type, body, _, _)) => Ok(Claim::Done {
            fingerprint,
            status: status as u16,
            content_type,
            body: body.unwrap_or_default(),
        }),
        Some((fingerprint, None, _, _, created, true)) if created < now.minus(stale_after) => {
            Ok(Claim::Applied { fingerprint })
        }
        Some((first, None, _, _, created, false))
            if first == fingerprint && created < now.minus(stale_after) =>
        {
            // The first request died before its change committed: take the key over.
            execute!(
                c,
                "UPDATE idempotency_keys SET created_at = $3 WHERE user_id = $1 AND key = $2",
                user.uuid(),
                key,
                now
            )?;
            Ok(Claim::Fresh)
        }
        Some((fingerprint, None, _, _, _, _)) => Ok(Claim::InProgress { fingerprint }),
    }
}

pub async fn complete(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<()> {
    execute!(
        c,
        "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5 WHERE user_id = $1 AND key = $2",
        user.uuid(),
        key,
        i32::from(status),
        content_type,
        body
    )?;
    Ok(())
}

/// Record, inside the transaction of the change itself, that the request holding `key` has
/// changed data: if that transaction commits, the change is never applied again for this key.
pub async fn mark_applied(c: &mut Conn<'_>, user: UserId, key: &str) -> Result<()> {
    execute!(
        c,
        "UPDATE idempotency_keys SET applied = TRUE WHERE user_id = $1 AND key = $2",
        user.uuid(),
        key
    )?;
    Ok(())
}

/// Forget a claim (the request failed on our side and may be retried) — unless its change was
/// already committed; returns whether it was forgotten.
pub async fn release(c: &mut Conn<'_>, user: UserId, key: &str) -> Result<bool> {
    let n = execute!(
        c,
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND applied = FALSE",
        user.uuid(),
        key
    )?;
    Ok(n == 1)
}

pub async fn purge_before(c: &mut Conn<'_>, cutoff: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        cutoff
    )?)
}
