//! Reminders (issue 13): a device's push subscription (on/off per device), the user's reminder
//! settings, and the scheduler round that sends what is due.
//!
//! What is due is computed from the plan in the database on every round, never queued ahead:
//! a meal reminder at the slot's local time minus the lead time (DST-correct through
//! `TimeZoneName::instant_of`), only while the slot's time has not passed (a reminder missed
//! while no instance ran is skipped, never sent late), only for an unmarked slot on a planned
//! day; the planning nudge at the user's weekday and time when next week is not generated; the
//! optional daily e-mail digest of a planned day at the user's time. Each
//! (reminder, target) is claimed in `reminder_sends` before anything is sent, so several
//! instances and restarts send it once (`mealframe_store::accounts::reminders`).

use std::time::Duration;

use dbkit::Timestamp;
use mealframe_core::{ids::UserId, planning::calendar::monday_of, tz::TimeZoneName};
use mealframe_store::{
    accounts::{
        push_subscriptions::{self, NewSubscription, Subscription},
        reminders::{self, NudgeChannel, ReminderSettings, SendKey},
        users,
    },
    plans::views::{self, SlotView},
};
use serde_json::json;
use time::OffsetDateTime;

use super::{AppError, AppResult, Write};
use crate::{
    mail::{OutgoingMail, outbox},
    push::{Outcome, Target, crypto},
    state::AppState,
};

/// How long a scheduler holds a claimed reminder while it sends (well above the push timeout).
const LEASE: time::Duration = time::Duration::minutes(2);
/// When a push that failed for now (429, 5xx) is tried again.
const RETRY_AFTER: time::Duration = time::Duration::minutes(1);
/// Longest lead time a user may choose.
pub const MAX_LEAD_MINUTES: i32 = 240;

/// A browser's subscription, as `PushSubscription.toJSON()` gives it.
pub struct DeviceSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// A label for the device ("Firefox on Linux"), optional.
    pub user_agent: String,
}

/// Turn reminders on for a device; true if the subscription is new for this user.
pub async fn subscribe(state: &AppState, w: &Write, sub: &DeviceSubscription) -> AppResult<bool> {
    state
        .push
        .check_endpoint(&sub.endpoint)
        .map_err(|m| AppError::Invalid(m.into()))?;
    crypto::check_keys(&sub.p256dh, &sub.auth)
        .map_err(|e| AppError::Invalid(e.to_string().into()))?;
    let label: String = sub.user_agent.chars().take(120).collect();
    let mut tx = state.begin_for(w).await?;
    let new = push_subscriptions::upsert(
        &mut tx.conn(),
        w.user,
        &NewSubscription {
            endpoint: &sub.endpoint,
            p256dh: &sub.p256dh,
            auth: &sub.auth,
            user_agent: &label,
        },
        state.now(),
    )
    .await?;
    tx.commit().await?;
    state.wake_reminders();
    Ok(new)
}

/// Turn reminders off for the device with this endpoint; false if it had none.
pub async fn unsubscribe(state: &AppState, w: &Write, endpoint: &str) -> AppResult<bool> {
    let mut tx = state.begin_for(w).await?;
    let had = push_subscriptions::delete_by_endpoint(&mut tx.conn(), w.user, endpoint).await?;
    tx.commit().await?;
    Ok(had)
}

/// The user's reminder settings and their subscribed devices.
pub async fn settings(
    state: &AppState,
    user: UserId,
) -> AppResult<(ReminderSettings, Vec<Subscription>)> {
    let mut r = state.db.reader().await?;
    let c = &mut r.conn();
    let s = reminders::settings(&mut c.reborrow(), user).await?;
    let devices = push_subscriptions::list(c, user).await?;
    Ok((s, devices))
}

/// Check settings from either front door.
pub fn check_settings(s: &ReminderSettings) -> Result<(), AppError> {
    if !(0..=MAX_LEAD_MINUTES).contains(&s.lead_minutes) {
        return Err(AppError::Invalid(
            format!("lead_minutes must be between 0 and {MAX_LEAD_MINUTES}").into(),
        ));
    }
    if !(1..=7).contains(&s.nudge_weekday) {
        return Err(AppError::Invalid(
            "nudge_weekday must be 1 (Monday) to 7 (Sunday)".into(),
        ));
    }
    if !(0..1440).contains(&s.nudge_minutes) {
        return Err(AppError::Invalid("nudge_time must be HH:MM".into()));
    }
    if s.digest_minutes.is_some_and(|m| !(0..1440).contains(&m)) {
        return Err(AppError::Invalid("digest_time must be HH:MM".into()));
    }
    Ok(())
}

/// Save the user's reminder settings.
pub async fn put_settings(state: &AppState, w: &Write, s: &ReminderSettings) -> AppResult<()> {
    check_settings(s)?;
    let mut tx = state.begin_for(w).await?;
    reminders::put_settings(&mut tx.conn(), w.user, s, state.now()).await?;
    tx.commit().await?;
    state.wake_reminders();
    Ok(())
}

/// What one scheduler round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Pushes the push service accepted.
    pub pushed: usize,
    /// Nudge e-mails queued.
    pub mailed: usize,
    /// Pushes to be tried again.
    pub retried: usize,
    /// Subscriptions removed because their push service said they are gone.
    pub gone: usize,
}

/// A reminder that is due for a user.
struct Due {
    kind: &'static str,
    subject: String,
    due_at: Timestamp,
    /// Not sent from this instant on.
    until: Timestamp,
    payload: serde_json::Value,
}

/// One round: every due reminder of every user who may get one.
pub async fn send_due(state: &AppState) -> AppResult<Round> {
    let recipients = {
        let mut r = state.db.reader().await?;
        reminders::recipients(&mut r.conn()).await?
    };
    let mut round = Round::default();
    for user in recipients {
        match send_due_for(state, user).await {
            Ok(r) => {
                round.pushed += r.pushed;
                round.mailed += r.mailed;
                round.retried += r.retried;
                round.gone += r.gone;
            }
            Err(e) => tracing::warn!(error = %e, "reminders for a user failed; will try again"),
        }
    }
    Ok(round)
}

fn meal_payload(slot: &SlotView) -> serde_json::Value {
    let kind = slot.meal_type.as_ref().map_or("Meal", |t| t.name.as_str());
    let (title, body) = match &slot.meal {
        Some(m) => (format!("{kind}: {}", m.name), m.portion_description.clone()),
        None => (kind.to_owned(), String::new()),
    };
    // A push message holds at most ~4 KB: keep the text well inside it.
    let title: String = title.chars().take(120).collect();
    let body: String = body.chars().take(400).collect();
    json!({
        "kind": "meal",
        "title": title,
        "body": body,
        "slot_id": slot.id.to_string(),
        "date": slot.date.to_string(),
        "url": "/",
        "actions": ["followed", "skipped"],
    })
}

async fn send_due_for(state: &AppState, user: UserId) -> AppResult<Round> {
    let now = state.now();
    let at = OffsetDateTime::from(now);
    let mut due = Vec::new();
    let mut digest = None;
    let (owner, devices, settings) = {
        let mut r = state.db.reader().await?;
        let c = &mut r.conn();
        let Some(owner) = users::by_id(&mut c.reborrow(), user).await? else {
            return Ok(Round::default());
        };
        let settings = reminders::settings(&mut c.reborrow(), user).await?;
        let devices = push_subscriptions::list(&mut c.reborrow(), user).await?;
        (owner, devices, settings)
    };
    let tz = TimeZoneName::parse(&owner.timezone).unwrap_or_else(TimeZoneName::utc);
    let today = tz.date_at(at);
    if !devices.is_empty() {
        // Tomorrow too: a 00:05 meal is reminded the evening before.
        for date in [today, today.next_day().unwrap_or(today)] {
            // From the view cache (Today's own reads fill it), keyed by the data version.
            let plan = super::today::day(state, &owner, date).await?;
            let day = &plan.day;
            if day.is_override {
                continue; // a No Plan day
            }
            for slot in day.slots.iter().filter(|s| s.status.is_none()) {
                let Some(t) = slot.time else { continue };
                let slot_at = tz.instant_of(date, t.hour(), t.minute());
                let due_at = slot_at - time::Duration::minutes(settings.lead_minutes.into());
                if at >= due_at && at < slot_at {
                    due.push(Due {
                        kind: "meal",
                        subject: slot.id.to_string(),
                        due_at: Timestamp::from(due_at),
                        until: Timestamp::from(slot_at),
                        payload: meal_payload(slot),
                    });
                }
            }
        }
    }
    if settings.nudge_channel != NudgeChannel::Off {
        let monday = monday_of(today);
        let nudge_day = monday + time::Duration::days(i64::from(settings.nudge_weekday) - 1);
        let due_at = tz.instant_of(
            nudge_day,
            (settings.nudge_minutes / 60) as u8,
            (settings.nudge_minutes % 60) as u8,
        );
        let next = monday + time::Duration::days(7);
        let until = tz.instant_of(next, 0, 0);
        let in_window = at >= due_at && at < until;
        let generated = in_window && {
            let mut r = state.db.reader().await?;
            views::week_row(&mut r.conn(), user, next).await?.is_some()
        };
        if in_window && !generated {
            due.push(Due {
                kind: "nudge",
                subject: next.to_string(),
                due_at: Timestamp::from(due_at),
                until: Timestamp::from(until),
                payload: json!({
                    "kind": "nudge",
                    "title": "Next week is not planned yet",
                    "body": "Generate it now so Monday starts with a plan.",
                    "url": format!("/week?start={next}"),
                    "week_start_date": next.to_string(),
                }),
            });
        }
    }
    if let (Some(minutes), true) = (settings.digest_minutes, state.mailer.is_on()) {
        let due_at = tz.instant_of(today, (minutes / 60) as u8, (minutes % 60) as u8);
        let until = tz.instant_of(today.next_day().unwrap_or(today), 0, 0);
        if at >= due_at && at < until {
            // A planned day only: not a No Plan day, not an empty one.
            let plan = super::today::day(state, &owner, today).await?;
            if !plan.day.is_override && !plan.day.slots.is_empty() {
                let day = plan.day.clone();
                digest = Some((
                    Due {
                        kind: "digest",
                        subject: today.to_string(),
                        due_at: Timestamp::from(due_at),
                        until: Timestamp::from(until),
                        payload: serde_json::Value::Null,
                    },
                    day,
                ));
            }
        }
    }
    let mut round = Round::default();
    for d in &due {
        let by_push = d.kind == "meal" || settings.nudge_channel.push();
        if by_push {
            for device in &devices {
                push_one(state, user, d, device, &mut round).await?;
            }
        }
        if d.kind == "nudge"
            && settings.nudge_channel.email()
            && state.mailer.is_on()
            && mail_nudge(state, user, &owner.email, d).await?
        {
            round.mailed += 1;
        }
    }
    if let Some((d, day)) = digest {
        let link = format!("{}/", state.config.public_url.trim_end_matches('/'));
        let mail = crate::mail::templates::daily_digest(&owner.email, &day, &link);
        if queue_mail(state, user, &d, "daily_digest", &mail).await? {
            round.mailed += 1;
        }
    }
    Ok(round)
}

async fn push_one(
    state: &AppState,
    user: UserId,
    d: &Due,
    device: &Subscription,
    round: &mut Round,
) -> AppResult<()> {
    let target = device.id.to_string();
    let key = SendKey {
        user,
        kind: d.kind,
        subject: &d.subject,
        target: &target,
        due_at: d.due_at,
    };
    let claim = uuid::Uuid::new_v4().to_string();
    let now = state.now();
    {
        let mut tx = state.db.begin().await?;
        let mine = reminders::claim(&mut tx.conn(), &key, &claim, now, now.plus(LEASE)).await?;
        tx.commit().await?;
        if !mine {
            return Ok(());
        }
    }
    let ttl = (OffsetDateTime::from(d.until) - OffsetDateTime::from(now))
        .clamp(time::Duration::seconds(60), time::Duration::hours(12));
    let outcome = state
        .push
        .send(
            &Target {
                endpoint: &device.endpoint,
                p256dh: &device.p256dh,
                auth: &device.auth,
            },
            d.payload.to_string().as_bytes(),
            Duration::from_secs(ttl.whole_seconds().max(60) as u64),
            OffsetDateTime::from(now).unix_timestamp(),
        )
        .await;
    let mut tx = state.db.begin().await?;
    let c = &mut tx.conn();
    let kind = d.kind;
    match outcome {
        Outcome::Delivered => {
            reminders::finish(&mut c.reborrow(), &key, &claim, state.now()).await?;
            push_subscriptions::mark_success(c, user, device.id, state.now()).await?;
            round.pushed += 1;
            tracing::info!(kind, "push reminder sent");
        }
        Outcome::Gone => {
            reminders::finish(&mut c.reborrow(), &key, &claim, state.now()).await?;
            push_subscriptions::delete(c, user, device.id).await?;
            round.gone += 1;
            tracing::info!(kind, "push subscription gone; removed");
        }
        Outcome::Rejected(status) => {
            reminders::finish(c, &key, &claim, state.now()).await?;
            tracing::warn!(kind, status, "push service refused a reminder; not retried");
        }
        Outcome::Retry(why) => {
            reminders::retry_later(c, &key, &claim, state.now().plus(RETRY_AFTER)).await?;
            round.retried += 1;
            tracing::warn!(kind, error = %why, "push reminder failed; will retry");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The nudge e-mail, linking to next week's page (where one tap generates it).
async fn mail_nudge(state: &AppState, user: UserId, to: &str, d: &Due) -> AppResult<bool> {
    let link = format!(
        "{}/week?start={}",
        state.config.public_url.trim_end_matches('/'),
        d.subject
    );
    let mail = crate::mail::templates::planning_nudge(to, &link);
    queue_mail(state, user, d, "planning_nudge", &mail).await
}

/// Queue a reminder e-mail: claimed, queued in the mail outbox and finished in one transaction,
/// so it is queued exactly once. False if it was already.
async fn queue_mail(
    state: &AppState,
    user: UserId,
    d: &Due,
    kind: &str,
    mail: &OutgoingMail,
) -> AppResult<bool> {
    let key = SendKey {
        user,
        kind: d.kind,
        subject: &d.subject,
        target: "email",
        due_at: d.due_at,
    };
    let claim = uuid::Uuid::new_v4().to_string();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let c = &mut tx.conn();
    if !reminders::claim(&mut c.reborrow(), &key, &claim, now, now.plus(LEASE)).await? {
        return Ok(false);
    }
    outbox::queue(&mut c.reborrow(), user, kind, mail, now, d.until).await?;
    reminders::finish(c, &key, &claim, now).await?;
    tx.commit().await?;
    state.wake_mail_sender();
    Ok(true)
}

/// The public key browsers subscribe with (`applicationServerKey`).
pub fn public_key(state: &AppState) -> String {
    state.push.key().public_b64()
}
