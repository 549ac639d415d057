//! Housekeeping that any instance may run: expired sessions, OAuth states, old rate-limit windows,
//! failed-login rows, week-old idempotency keys and queued mail whose link expired unsent are
//! deleted once an hour. Idempotent, so several instances may overlap.

use std::time::Duration;

use mealframe_store::accounts::{idempotency, login_attempts, mail_outbox, oauth, sessions};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

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
    tx.commit().await.map_err(|e| e.to_string())?;
    if expired_mail > 0 {
        tracing::warn!(
            count = expired_mail,
            "queued mail expired unsent (its link no longer works); is the mail relay reachable?"
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
