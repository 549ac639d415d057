//! Background work that every instance runs; all of it is safe with several instances on one
//! database.
//!
//! * Housekeeping, once an hour: expired sessions and OAuth states, old rate-limit windows,
//!   failed-login rows, week-old idempotency keys and queued mail whose link expired unsent are
//!   deleted, and captured photos past `MEALFRAME_CAPTURE_RETENTION_DAYS`. Idempotent, so
//!   instances may overlap.
//! * The mail sender: resolves mail asked for by address and sends queued mail (`mail::outbox`),
//!   at once when a request wakes it, otherwise every few seconds.
//! * The grocery-line reader (only with `MEALFRAME_GROCERY_AI`): asks the model about portion
//!   lines the grocery list could not read (`app::grocery::read_lines_once`), at once when a
//!   list wakes it, otherwise every few seconds (retries, other instances' lines).
//! * The capture worker (only with AI capture configured): runs queued photo, voice and text
//!   captures (`app::capture_queue::run_once`), at once when a capture wakes it, otherwise every
//!   few seconds (retries coming due, other instances' jobs, leases run out after a crash).
//! * The reminder scheduler: sends due meal reminders and planning nudges
//!   (`app::reminders::send_due`) every 30 seconds, at once when someone's reminders changed.
//!   Each reminder is claimed in the database before it is sent, so instances never both send.

use std::time::Duration;

use mealframe_store::accounts::{
    idempotency, login_attempts, mail_outbox, oauth, reminders, sessions,
};
use tokio_util::sync::CancellationToken;

use crate::{
    accounts,
    mail::outbox::{self, Round},
    state::AppState,
};

/// How often the mail sender looks without being woken (retries, other instances' mail).
const MAIL_POLL: Duration = Duration::from_secs(5);
/// How often the capture worker looks without being woken.
const CAPTURE_POLL: Duration = Duration::from_secs(5);
/// How often the grocery-line reader looks without being woken.
const GROCERY_POLL: Duration = Duration::from_secs(10);
/// How often the reminder scheduler looks without being woken (a reminder is at most this late).
const REMINDER_POLL: Duration = Duration::from_secs(30);

pub async fn housekeeping_once(state: &AppState) -> Result<(), String> {
    let now = state.now();
    let mut tx = state.db.begin().await.map_err(|e| e.to_string())?;
    let sessions = sessions::purge_expired(&mut tx.conn(), now)
        .await
        .map_err(|e| e.to_string())?;
    let states = oauth::purge_expired(&mut tx.conn(), now)
        .await
        .map_err(|e| e.to_string())?;
    let attempts = login_attempts::purge_before(&mut tx.conn(), now.minus(time::Duration::days(1)))
        .await
        .map_err(|e| e.to_string())?;
    let keys = idempotency::purge_before(&mut tx.conn(), now.minus(time::Duration::days(7)))
        .await
        .map_err(|e| e.to_string())?;
    let expired_mail = mail_outbox::purge_expired(&mut tx.conn(), now)
        .await
        .map_err(|e| e.to_string())?;
    mail_outbox::purge_requests_before(&mut tx.conn(), now.minus(time::Duration::days(1)))
        .await
        .map_err(|e| e.to_string())?;
    // Long past their slot or week: a reminder is never sent after its meal, a nudge never after
    // its week began.
    reminders::purge_before(&mut tx.conn(), now.minus(time::Duration::days(30)))
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    if expired_mail > 0 {
        tracing::warn!(
            count = expired_mail,
            "queued mail expired unsent (its link no longer works); is the mail relay reachable?"
        );
    }
    let photos = crate::app::meal_photos::purge_expired(state)
        .await
        .map_err(|e| e.to_string())?;
    if photos > 0 {
        tracing::info!(
            count = photos,
            "captured photos past their retention removed"
        );
    }
    let windows = dbkit::ratelimit::purge(&state.db, now.minus(time::Duration::days(1)))
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!(
        sessions,
        states,
        attempts,
        keys,
        windows,
        "housekeeping done"
    );
    Ok(())
}

/// Run housekeeping every hour until `stop` is cancelled.
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = housekeeping_once(&state).await {
                    tracing::warn!(error = %e, "housekeeping failed");
                }
            }
        }
    }
}

/// One round of the mail sender: turn mail asked for by address into queued mail, then send
/// everything due.
pub async fn send_mail_once(state: &AppState) -> Result<Round, String> {
    while accounts::resolve_mail_request(state)
        .await
        .map_err(|e| e.to_string())?
    {}
    outbox::send_due(state).await.map_err(|e| e.to_string())
}

/// Run the mail sender until `stop` is cancelled. A stop does not wait for a slow relay: sends in
/// flight are dropped, and their messages go out once their lease has run out (from this
/// instance's next start, or from another instance).
pub async fn run_mail_sender(state: AppState, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            done = send_mail_once(&state) => if let Err(e) = done {
                tracing::warn!(error = %e, "mail sender failed; will try again");
            },
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = state.mail_wake.notified() => {}
            _ = tokio::time::sleep(MAIL_POLL) => {}
        }
    }
}

/// Run the grocery-line reader until `stop` is cancelled (returns at once when the grocery AI is
/// off). Lines claimed by a round cut short by a stop are read again once their lease ends.
pub async fn run_grocery_reader(state: AppState, stop: CancellationToken) {
    if !state.config.grocery_ai {
        return;
    }
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            done = crate::app::grocery::read_lines_once(&state) => if let Err(e) = done {
                tracing::warn!(error = %e, "grocery reader failed; will try again");
            },
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = state.grocery_wake.notified() => {}
            _ = tokio::time::sleep(GROCERY_POLL) => {}
        }
    }
}

/// Run the capture worker until `stop` is cancelled (returns at once without AI capture). A
/// round that found work is followed by another at once; jobs cut short by a stop are run
/// again once their lease ends.
pub async fn run_capture_worker(state: AppState, stop: CancellationToken) {
    if state.vision.is_none() {
        return;
    }
    loop {
        let busy = tokio::select! {
            _ = stop.cancelled() => return,
            done = crate::app::capture_queue::run_once(&state) => match done {
                Ok(r) => r.completed + r.failed + r.retrying + r.lost > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "capture worker failed; will try again");
                    false
                }
            },
        };
        if busy {
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = state.capture_wake.notified() => {}
            _ = tokio::time::sleep(CAPTURE_POLL) => {}
        }
    }
}

/// Run the reminder scheduler until `stop` is cancelled. A stop does not wait for a slow push
/// service: a reminder claimed by a round cut short goes out from another round once its lease
/// has run out (if its meal is still ahead).
pub async fn run_reminders(state: AppState, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            done = crate::app::reminders::send_due(&state) => if let Err(e) = done {
                tracing::warn!(error = %e, "reminder scheduler failed; will try again");
            },
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = state.reminder_wake.notified() => {}
            _ = tokio::time::sleep(REMINDER_POLL) => {}
        }
    }
}
