//! Browsers' Web Push subscriptions (issue 13): one row per device that turned reminders on, with
//! the push service's endpoint and the keys its payloads are encrypted to. The endpoint is unique:
//! a browser has one subscription per site, so subscribing again (or from another account on the
//! same browser) replaces the row rather than adding one.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// A subscription as the browser sends it (`PushSubscription.toJSON()`), keys checked by the
/// caller.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub endpoint: &'a str,
    /// The browser's P-256 public key, base64url (65 bytes decoded).
    pub p256dh: &'a str,
    /// The authentication secret, base64url (16 bytes decoded).
    pub auth: &'a str,
    pub user_agent: &'a str,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Subscription {
    pub id: Uuid,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub user_agent: String,
    pub created_at: Timestamp,
    pub last_success_at: Option<Timestamp>,
}

/// Store the user's subscription; true if it is new for this user (it may have belonged to
/// another account on the same browser before, which loses it).
pub async fn upsert(
    c: &mut Conn<'_>,
    user: UserId,
    sub: &NewSubscription<'_>,
    now: Timestamp,
) -> Result<bool> {
    let before = fetch_optional!(
        c.reborrow(),
        (Uuid,),
        "SELECT user_id FROM push_subscriptions WHERE endpoint = $1",
        sub.endpoint
    )?;
    execute!(
        c,
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
             auth = excluded.auth, user_agent = excluded.user_agent",
        Uuid::now_v7(),
        user.uuid(),
        sub.endpoint,
        sub.p256dh,
        sub.auth,
        sub.user_agent,
        now
    )?;
    Ok(before.is_none_or(|(owner,)| owner != user.uuid()))
}

/// The user's subscriptions, oldest first.
pub async fn list(c: &mut Conn<'_>, user: UserId) -> Result<Vec<Subscription>> {
    Ok(fetch_all!(
        c,
        Subscription,
        "SELECT id, endpoint, p256dh, auth, user_agent, created_at, last_success_at
         FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id",
        user.uuid()
    )?)
}

/// Remove the user's subscription with this endpoint (the device turned reminders off); true if
/// there was one.
pub async fn delete_by_endpoint(c: &mut Conn<'_>, user: UserId, endpoint: &str) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2",
        user.uuid(),
        endpoint
    )? > 0)
}

/// Remove a subscription the push service said is gone (404/410); true if it was there.
pub async fn delete(c: &mut Conn<'_>, user: UserId, id: Uuid) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND id = $2",
        user.uuid(),
        id
    )? > 0)
}

/// The push service accepted a message for this subscription.
pub async fn mark_success(c: &mut Conn<'_>, user: UserId, id: Uuid, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "UPDATE push_subscriptions SET last_success_at = $3 WHERE user_id = $1 AND id = $2",
        user.uuid(),
        id,
        now
    )?;
    Ok(())
}

/// Remove every subscription of the user ("log out everywhere" ends reminders on every device,
/// so a lost phone stops showing the plan); returns how many.
pub async fn delete_all(c: &mut Conn<'_>, user: UserId) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM push_subscriptions WHERE user_id = $1",
        user.uuid()
    )?)
}
