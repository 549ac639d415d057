//! Reminder settings and the record of reminders sent (issue 13).
//!
//! `reminder_sends` is how a reminder goes out at most once with several instances on one
//! database and across restarts: a sender first claims the reminder for one target with
//! [`claim`] — one upsert that inserts the row, or takes over a row whose earlier attempt failed
//! and whose lease has run out — and only the sender whose statement returned the row sends.
//! On PostgreSQL the upsert's condition is re-checked on the locked row, so two instances never
//! both win; on SQLite the single writer serialises them.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// How the planning nudge reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NudgeChannel {
    Push,
    Email,
    Both,
    Off,
}

impl NudgeChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            NudgeChannel::Push => "push",
            NudgeChannel::Email => "email",
            NudgeChannel::Both => "both",
            NudgeChannel::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<NudgeChannel> {
        Some(match s {
            "push" => NudgeChannel::Push,
            "email" => NudgeChannel::Email,
            "both" => NudgeChannel::Both,
            "off" => NudgeChannel::Off,
            _ => return None,
        })
    }

    pub fn push(self) -> bool {
        matches!(self, NudgeChannel::Push | NudgeChannel::Both)
    }

    pub fn email(self) -> bool {
        matches!(self, NudgeChannel::Email | NudgeChannel::Both)
    }
}

/// A user's reminder settings ([`Default`] for users who never changed them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Minutes before a meal's time that its reminder is sent.
    pub lead_minutes: i32,
    /// ISO weekday of the planning nudge: 1 = Monday … 7 = Sunday.
    pub nudge_weekday: i32,
    /// The nudge's local time, minutes after midnight.
    pub nudge_minutes: i32,
    pub nudge_channel: NudgeChannel,
    /// The daily e-mail digest of the day's plan at this local time (minutes after midnight);
    /// `None`: no digest.
    pub digest_minutes: Option<i32>,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            lead_minutes: 10,
            nudge_weekday: 7,
            nudge_minutes: 18 * 60,
            nudge_channel: NudgeChannel::Push,
            digest_minutes: None,
        }
    }
}

/// The user's settings (the defaults when they never saved any).
pub async fn settings(c: &mut Conn<'_>, user: UserId) -> Result<ReminderSettings> {
    let row = fetch_optional!(
        c,
        (i32, i32, i32, String, Option<i32>),
        "SELECT lead_minutes, nudge_weekday, nudge_minutes, nudge_channel, digest_minutes
         FROM reminder_settings WHERE user_id = $1",
        user.uuid()
    )?;
    Ok(match row {
        Some((lead_minutes, nudge_weekday, nudge_minutes, channel, digest_minutes)) => {
            ReminderSettings {
                lead_minutes,
                nudge_weekday,
                nudge_minutes,
                nudge_channel: NudgeChannel::parse(&channel).unwrap_or(NudgeChannel::Off),
                digest_minutes,
            }
        }
        None => ReminderSettings::default(),
    })
}

/// Save the user's settings (a value out of range breaks a check: `Integrity(Check)`).
pub async fn put_settings(
    c: &mut Conn<'_>,
    user: UserId,
    s: &ReminderSettings,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "INSERT INTO reminder_settings (user_id, lead_minutes, nudge_weekday, nudge_minutes, nudge_channel, digest_minutes, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET lead_minutes = excluded.lead_minutes,
             nudge_weekday = excluded.nudge_weekday, nudge_minutes = excluded.nudge_minutes,
             nudge_channel = excluded.nudge_channel, digest_minutes = excluded.digest_minutes,
             updated_at = excluded.updated_at",
        user.uuid(),
        s.lead_minutes,
        s.nudge_weekday,
        s.nudge_minutes,
        s.nudge_channel.as_str(),
        s.digest_minutes,
        now
    )?;
    Ok(())
}

/// Active users who may get a reminder: those with a push subscription, and those who chose an
/// e-mail planning nudge or the daily digest.
pub async fn recipients(c: &mut Conn<'_>) -> Result<Vec<UserId>> {
    let rows = fetch_all!(
        c,
        (Uuid,),
        "SELECT id FROM users WHERE is_active AND (
             id IN (SELECT user_id FROM push_subscriptions)
             OR id IN (SELECT user_id FROM reminder_settings
                       WHERE nudge_channel IN ('email', 'both') OR digest_minutes IS NOT NULL))
         ORDER BY id"
    )?;
    Ok(rows.into_iter().map(|(id,)| UserId(id)).collect())
}

/// One reminder to one target: a push subscription's id, or `"email"`.
#[derive(Debug, Clone)]
pub struct SendKey<'a> {
    pub user: UserId,
    /// `"meal"`, `"nudge"` or `"digest"`.
    pub kind: &'a str,
    /// The slot id (meal), next week's Monday (nudge) or the day (digest).
    pub subject: &'a str,
    pub target: &'a str,
    pub due_at: Timestamp,
}

/// Claim the reminder for `claim` (unique per attempt) until `lease_until`: true if this caller
/// sends it now; false if it was sent, given up, is held by another sender, or waits for its
/// retry time.
pub async fn claim(
    c: &mut Conn<'_>,
    key: &SendKey<'_>,
    claim: &str,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<bool> {
    let row = fetch_optional!(
        c,
        (i32,),
        "INSERT INTO reminder_sends (user_id, kind, subject, target, due_at, claim, lease_until, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (user_id, kind, subject, target, due_at) DO UPDATE
             SET claim = excluded.claim, lease_until = excluded.lease_until
             WHERE reminder_sends.done_at IS NULL
               AND (reminder_sends.lease_until IS NULL OR reminder_sends.lease_until < excluded.next_attempt_at)
               AND reminder_sends.next_attempt_at <= excluded.next_attempt_at
         RETURNING attempts",
        key.user.uuid(),
        key.kind,
        key.subject,
        key.target,
        key.due_at,
        claim,
        lease_until,
        now
    )?;
    Ok(row.is_some())
}

/// The claimed reminder is finished: sent, or given up (its subscription is gone). Returns
/// whether `claim` still held it.
pub async fn finish(
    c: &mut Conn<'_>,
    key: &SendKey<'_>,
    claim: &str,
    now: Timestamp,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE reminder_sends SET done_at = $7, claim = NULL, lease_until = NULL
         WHERE user_id = $1 AND kind = $2 AND subject = $3 AND target = $4 AND due_at = $5 AND claim = $6",
        key.user.uuid(),
        key.kind,
        key.subject,
        key.target,
        key.due_at,
        claim,
        now
    )? == 1)
}

/// The claimed reminder failed for now: release it to be tried again from `retry_at`.
pub async fn retry_later(
    c: &mut Conn<'_>,
    key: &SendKey<'_>,
    claim: &str,
    retry_at: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE reminder_sends SET attempts = attempts + 1, next_attempt_at = $7, claim = NULL, lease_until = NULL
         WHERE user_id = $1 AND kind = $2 AND subject = $3 AND target = $4 AND due_at = $5 AND claim = $6",
        key.user.uuid(),
        key.kind,
        key.subject,
        key.target,
        key.due_at,
        claim,
        retry_at
    )?;
    Ok(())
}

/// How many of the user's reminders went out (sent or given up), for tests and operators.
pub async fn finished_count(c: &mut Conn<'_>, user: UserId) -> Result<i64> {
    Ok(dbkit::fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM reminder_sends WHERE user_id = $1 AND done_at IS NOT NULL",
        user.uuid()
    )?)
}

/// Forget reminders created before `cutoff` (long past their slot); returns how many.
pub async fn purge_before(c: &mut Conn<'_>, cutoff: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM reminder_sends WHERE created_at < $1",
        cutoff
    )?)
}
