//! The mail sender: requests queue mail in the database ([`queue`], inside their own
//! transaction) and return at once; [`send_due`] sends it, from a background task on every
//! instance (`jobs::run_mail_sender`).
//!
//! Why: sending inside the request made a known address answer in ~266 ms and an unknown one in
//! ~4 ms (account discovery by timing), made the request wait on the relay, and lost the mail
//! when the relay was down. Now a relay outage only delays mail: a failed message is retried
//! with exponential backoff until its link expires. Several instances may run senders on one
//! database; each message is claimed with a lease by one of them (a message can go out twice
//! only if an instance dies between the relay accepting it and the row being deleted).

use dbkit::Timestamp;
use mealframe_core::ids::UserId;
use mealframe_store::{
    StoreError,
    accounts::mail_outbox::{self, NewMail, QueuedMail},
};
use tokio::task::JoinSet;

use super::{MailError, OutgoingMail};
use crate::state::AppState;

/// How long a sender holds the messages it claimed (well above the transports' 15 s timeout).
const LEASE: time::Duration = time::Duration::minutes(2);
/// Messages claimed and sent at once by one sender.
const BATCH: i64 = 4;
/// Attempts before a message is given up (its link usually expires first).
const MAX_ATTEMPTS: i32 = 12;

/// Queue `mail` for `user` in the caller's transaction; it is sent after that commits. Call
/// [`AppState::wake_mail_sender`] after the commit so it goes out at once.
pub async fn queue(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    kind: &str,
    mail: &OutgoingMail,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    let new = NewMail {
        user,
        kind,
        to: &mail.to,
        subject: &mail.subject,
        text: &mail.text,
        html: &mail.html,
        expires_at,
    };
    mail_outbox::enqueue(c, &new, now).await?;
    Ok(())
}

/// When a message that failed `attempts` times before is tried again: 30 s, doubling, at most
/// an hour.
pub fn retry_delay(attempts: i32) -> time::Duration {
    let doublings = attempts.clamp(0, 7) as u32;
    (time::Duration::seconds(30) * 2i32.pow(doublings)).min(time::Duration::hours(1))
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Claim and send due messages until none is left; returns the counts.
pub async fn send_due(state: &AppState) -> Result<Round, StoreError> {
    let mut round = Round::default();
    loop {
        let claim = uuid::Uuid::new_v4().to_string();
        let now = state.now();
        let batch = {
            let mut tx = state.db.begin().await?;
            let batch =
                mail_outbox::claim_due(&mut tx.conn(), &claim, now, now.plus(LEASE), BATCH).await?;
            tx.commit().await?;
            batch
        };
        if batch.is_empty() {
            return Ok(round);
        }
        let mut sending = JoinSet::new();
        for mail in batch {
            let state = state.clone();
            sending.spawn(async move {
                let outcome = state.mailer.send(&as_outgoing(&mail)).await;
                (mail, outcome)
            });
        }
        while let Some(done) = sending.join_next().await {
            let Ok((mail, outcome)) = done else {
                continue; // a panicked send: its lease runs out and another round retries it
            };
            match outcome {
                Ok(()) => round.sent += 1,
                Err(_) => round.failed += 1,
            }
            settle(state, &claim, &mail, outcome).await?;
        }
    }
}

fn as_outgoing(mail: &QueuedMail) -> OutgoingMail {
    OutgoingMail {
        to: mail.recipient.clone(),
        subject: mail.subject.clone(),
        text: mail.text_body.clone(),
        html: mail.html_body.clone(),
    }
}

/// Record the outcome of one send. Logs name the kind and the transport, never the message.
async fn settle(
    state: &AppState,
    claim: &str,
    mail: &QueuedMail,
    outcome: Result<(), MailError>,
) -> Result<(), StoreError> {
    let transport = state.mailer.describe();
    let kind = mail.kind.as_str();
    let attempt = mail.attempts + 1;
    let mut tx = state.db.begin().await?;
    match outcome {
        Ok(()) => {
            mail_outbox::remove(&mut tx.conn(), mail.id, claim).await?;
            tracing::info!(kind, transport, attempt, "mail sent");
        }
        Err(e @ MailError::Build(_)) => {
            mail_outbox::remove(&mut tx.conn(), mail.id, claim).await?;
            tracing::error!(kind, transport, error = %e, "mail given up: it cannot be built");
        }
        Err(e) if attempt >= MAX_ATTEMPTS => {
            mail_outbox::remove(&mut tx.conn(), mail.id, claim).await?;
            tracing::error!(kind, transport, attempt, error = %e, "mail given up after repeated failures");
        }
        Err(e) => {
            let retry_at = state.now().plus(retry_delay(mail.attempts));
            let error = e.to_string();
            mail_outbox::failed(&mut tx.conn(), mail.id, claim, &error, retry_at).await?;
            tracing::warn!(kind, transport, attempt, error = %e, "mail delivery failed; will retry");
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn retries_back_off_from_thirty_seconds_to_an_hour() {
        let secs: Vec<i64> = (0..10).map(|n| retry_delay(n).whole_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }
}
