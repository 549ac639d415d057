//! Mail waiting to be sent (`mail_outbox`): added in the transaction of the change that causes
//! it, claimed with a lease by whichever instance's sender gets there first, deleted once sent.
//! And mail asked for by address (`mail_requests`), which the sender resolves first.
//!
//! A claim is one `UPDATE` whose own condition requires the row to be unleased (or its lease
//! over), so two senders on one PostgreSQL never hold the same row: the second one's update
//! re-checks the condition on the row the first one wrote and skips it.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use super::tokens::EmailTokenKind;
use crate::Result;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub user: UserId,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// Not sent after this (the link in it would no longer work).
    pub expires_at: Timestamp,
}

/// A message claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Sending attempts before this one.
    pub attempts: i32,
}

/// Queue a message. Unsent messages of the same kind to the same user that no sender holds are
/// dropped: a new link retires the old ones, so they would only be noise in the inbox.
pub async fn enqueue(c: &mut Conn<'_>, mail: &NewMail<'_>, now: Timestamp) -> Result<Uuid> {
    execute!(
        c.reborrow(),
        "DELETE FROM mail_outbox WHERE user_id = $1 AND kind = $2
           AND (lease_until IS NULL OR lease_until < $3)",
        mail.user.uuid(),
        mail.kind,
        now
    )?;
    let id = Uuid::now_v7();
    execute!(
        c,
        "INSERT INTO mail_outbox (id, user_id, kind, recipient, subject, text_body, html_body, created_at, expires_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)",
        id,
        mail.user.uuid(),
        mail.kind,
        mail.to,
        mail.subject,
        mail.text,
        mail.html,
        now,
        mail.expires_at
    )?;
    Ok(id)
}

/// Claim up to `limit` due messages for `claim` (unique per sending round) until `lease_until`.
pub async fn claim_due(
    c: &mut Conn<'_>,
    claim: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<QueuedMail>> {
    Ok(fetch_all!(
        c,
        QueuedMail,
        "UPDATE mail_outbox SET claim = $1, lease_until = $2
         WHERE id IN (SELECT id FROM mail_outbox
                      WHERE next_attempt_at <= $3 AND expires_at > $3
                        AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY next_attempt_at LIMIT $4)
           AND (lease_until IS NULL OR lease_until < $3)
         RETURNING id, kind, recipient, subject, text_body, html_body, attempts",
        claim,
        lease_until,
        now,
        limit
    )?)
}

/// Forget a message held by `claim`: the relay accepted it (it carries a sign-in link, so it is
/// not kept), or it is given up. Returns whether the claim was still held.
pub async fn remove(c: &mut Conn<'_>, id: Uuid, claim: &str) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM mail_outbox WHERE id = $1 AND claim = $2",
        id,
        claim
    )? == 1)
}

/// Sending failed: try again at `retry_at`. `error` is the transport's message, never the mail.
pub async fn failed(
    c: &mut Conn<'_>,
    id: Uuid,
    claim: &str,
    error: &str,
    retry_at: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4,
                                claim = NULL, lease_until = NULL
         WHERE id = $1 AND claim = $2",
        id,
        claim,
        retry_at,
        error
    )?;
    Ok(())
}

/// Delete messages whose link has expired unsent; returns how many.
pub async fn purge_expired(c: &mut Conn<'_>, now: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM mail_outbox WHERE expires_at <= $1",
        now
    )?)
}

/// Messages not sent yet (for operators and tests).
pub async fn pending(c: &mut Conn<'_>) -> Result<i64> {
    Ok(fetch_scalar!(c, i64, "SELECT COUNT(*) FROM mail_outbox")?)
}

/// Record that mail of `kind` was asked for `email_key`, whether or not an account has it.
pub async fn request_by_address(
    c: &mut Conn<'_>,
    kind: EmailTokenKind,
    email_key: &str,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "INSERT INTO mail_requests (id, kind, email_key, created_at) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        kind.as_str(),
        email_key,
        now
    )?;
    Ok(())
}

/// Take the oldest request (deleting it in the caller's transaction, so two senders never take
/// one); `None` when there is none (or another sender took it a moment ago).
pub async fn take_request(c: &mut Conn<'_>) -> Result<Option<(EmailTokenKind, String)>> {
    let row = fetch_optional!(
        c,
        (String, String),
        "DELETE FROM mail_requests
         WHERE id = (SELECT id FROM mail_requests ORDER BY created_at, id LIMIT 1)
         RETURNING kind, email_key"
    )?;
    Ok(row.and_then(|(kind, key)| Some((EmailTokenKind::parse(&kind)?, key))))
}

/// Requests left over (none normally: each is resolved within moments).
pub async fn purge_requests_before(c: &mut Conn<'_>, cutoff: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM mail_requests WHERE created_at < $1",
        cutoff
    )?)
}
