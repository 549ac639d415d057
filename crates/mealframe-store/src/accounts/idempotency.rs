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
    /// A request with this key is still running: its owner is alive and its lease holds.
    InProgress { fingerprint: String },
    /// The first request's change was committed but its answer was never stored (the server
    /// stopped in between, or failed after the commit): the change must not run again.
    Applied { fingerprint: String },
}

/// Who asks for a key: the running instance, how long its claim holds without renewal, and how
/// to tell that another claim's owner is gone.
pub struct Claimant<'a> {
    /// The instance id stored as the claim's owner.
    pub owner: &'a str,
    pub lease_until: Timestamp,
    /// Whether the instance named by an owner id is known to have stopped.
    pub owner_gone: &'a (dyn Fn(&str) -> bool + Sync),
}

/// How long a claim stored before owners and leases existed (migration 0006) holds.
const LEGACY_LEASE: time::Duration = time::Duration::minutes(5);

#[derive(sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    status_code: Option<i32>,
    content_type: Option<String>,
    response_body: Option<String>,
    created_at: Timestamp,
    applied: bool,
    owner: Option<String>,
    lease_until: Option<Timestamp>,
}

/// The first claim of `key`, as one statement: whether it was inserted (`false`: the key is
/// known, and [`claim`] says what became of it). On its own it lets a caller skip a
/// transaction for the common case, a key never seen before.
pub async fn insert_claim(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    fingerprint: &str,
    now: Timestamp,
    me: &Claimant<'_>,
) -> Result<bool> {
    let inserted = execute!(
        c,
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at, owner, lease_until)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, key) DO NOTHING",
        user.uuid(),
        key,
        fingerprint,
        now,
        me.owner,
        me.lease_until
    )?;
    Ok(inserted == 1)
}

/// Claim `key` for a request, or learn what happened to it.
///
/// A claim without an answer holds while its owner is alive and its lease lasts; after that the
/// request that held it is dead. If its change had committed, the key answers `Applied`;
/// otherwise a repeat of the same request takes the key over and runs.
pub async fn claim(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    fingerprint: &str,
    now: Timestamp,
    me: &Claimant<'_>,
) -> Result<Claim> {
    if insert_claim(c, user, key, fingerprint, now, me).await? {
        return Ok(Claim::Fresh);
    }
    let row = fetch_optional!(
        c.reborrow(),
        KeyRow,
        "SELECT fingerprint, status_code, content_type, response_body, created_at, applied, owner, lease_until
         FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user.uuid(),
        key
    )?;
    let Some(row) = row else {
        return Ok(Claim::Fresh);
    };
    if let Some(status) = row.status_code {
        return Ok(Claim::Done {
            fingerprint: row.fingerprint,
            status: status as u16,
            content_type: row.content_type,
            body: row.response_body.unwrap_or_default(),
        });
    }
    let lease_over = row.lease_until.unwrap_or(row.created_at.plus(LEGACY_LEASE)) < now;
    let owner_gone = row.owner.as_deref().is_some_and(me.owner_gone);
    if !(lease_over || owner_gone) {
        return Ok(Claim::InProgress {
            fingerprint: row.fingerprint,
        });
    }
    if row.applied {
        return Ok(Claim::Applied {
            fingerprint: row.fingerprint,
        });
    }
    if row.fingerprint != fingerprint {
        return Ok(Claim::InProgress {
            fingerprint: row.fingerprint,
        });
    }
    // The first request died before its change committed: take the key over, unless another
    // repeat did so a moment ago (the owner no longer is the dead one).
    let taken = execute!(
        c,
        "UPDATE idempotency_keys SET created_at = $3, owner = $4, lease_until = $5
         WHERE user_id = $1 AND key = $2 AND status_code IS NULL AND applied = FALSE
           AND COALESCE(owner, '') = $6",
        user.uuid(),
        key,
        now,
        me.owner,
        me.lease_until,
        row.owner.unwrap_or_default()
    )?;
    Ok(if taken == 1 {
        Claim::Fresh
    } else {
        Claim::InProgress {
            fingerprint: row.fingerprint,
        }
    })
}

/// Extend the lease of a claim `owner` still holds (its request is still running).
pub async fn renew(
    c: &mut Conn<'_>,
    user: UserId,
    key: &str,
    owner: &str,
    lease_until: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE idempotency_keys SET lease_until = $4
         WHERE user_id = $1 AND key = $2 AND owner = $3 AND status_code IS NULL",
        user.uuid(),
        key,
        owner,
        lease_until
    )?;
    Ok(())
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
