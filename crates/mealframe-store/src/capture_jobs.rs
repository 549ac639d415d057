//! Capture jobs (issue 12): the durable half of asynchronous meal capture. A job is added in the
//! transaction that creates its "processing" meal, claimed with a lease by whichever instance's
//! worker gets there first (one `UPDATE` whose condition requires the row unleased, as in the
//! mail outbox, so two instances never hold one job), and ended by writes that check the claim
//! is still theirs. A crash leaves the lease to run out; the next claim resumes the job.
//!
//! The photo or recording lives only in the job row: a recording is dropped once transcribed, a
//! photo once the meal is filled in. A failed job keeps its input so that it can be retried.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar};
use mealframe_core::ids::{MealId, UserId};
use uuid::Uuid;

use crate::Result;

/// What a capture starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Audio,
    Text,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Audio => "audio",
            Kind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "image" => Some(Kind::Image),
            "audio" => Some(Kind::Audio),
            "text" => Some(Kind::Text),
            _ => None,
        }
    }
}

/// A new job's input: bytes with their type (image, audio), or text.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub meal: MealId,
    pub kind: Kind,
    pub input: Option<&'a [u8]>,
    pub input_mime: Option<&'a str>,
    pub input_text: Option<&'a str>,
}

/// A job claimed for running.
#[derive(Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub user_id: Uuid,
    pub meal_id: Uuid,
    pub kind: String,
    pub input: Option<Vec<u8>>,
    pub input_mime: Option<String>,
    pub input_text: Option<String>,
    /// Attempts before this one.
    pub attempts: i32,
}

// The input never appears in debug output.
impl std::fmt::Debug for ClaimedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedJob")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("input_bytes", &self.input.as_ref().map(Vec::len))
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// Queue a job, due at once; returns its id.
pub async fn enqueue(
    c: &mut Conn<'_>,
    user: UserId,
    job: &NewJob<'_>,
    now: Timestamp,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    execute!(
        c,
        "INSERT INTO capture_jobs (id, user_id, meal_id, kind, input, input_mime, input_text, state,
                                   next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8)",
        id,
        user.uuid(),
        job.meal.uuid(),
        job.kind.as_str(),
        job.input,
        job.input_mime,
        job.input_text,
        now
    )?;
    Ok(id)
}

/// Claim up to `limit` due jobs for `claim` (unique per worker round) until `lease_until`.
pub async fn claim_due(
    c: &mut Conn<'_>,
    claim: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<ClaimedJob>> {
    Ok(fetch_all!(
        c,
        ClaimedJob,
        "UPDATE capture_jobs SET claim = $1, lease_until = $2
         WHERE id IN (SELECT id FROM capture_jobs
                      WHERE state = 'queued' AND next_attempt_at <= $3
                        AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY next_attempt_at, id LIMIT $4)
           AND state = 'queued' AND (lease_until IS NULL OR lease_until < $3)
         RETURNING id, user_id, meal_id, kind, input, input_mime, input_text, attempts",
        claim,
        lease_until,
        now,
        limit
    )?)
}

/// A recording was transcribed: keep the text, drop the audio. Returns whether the claim held.
pub async fn save_transcript(c: &mut Conn<'_>, id: Uuid, claim: &str, text: &str) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE capture_jobs SET input = NULL, input_mime = NULL, input_text = $3
         WHERE id = $1 AND claim = $2 AND state = 'queued'",
        id,
        claim,
        text
    )? == 1)
}

/// The job is done: its input is dropped. Returns whether the claim held (if not, another
/// worker owns the job now and the caller's transaction must not commit its result).
pub async fn finish(c: &mut Conn<'_>, id: Uuid, claim: &str, now: Timestamp) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE capture_jobs SET state = 'done', input = NULL, input_mime = NULL, input_text = NULL,
                                 claim = NULL, lease_until = NULL, finished_at = $3, last_error = NULL
         WHERE id = $1 AND claim = $2 AND state = 'queued'",
        id,
        claim,
        now
    )? == 1)
}

/// A provider failed in a way worth another try: run again at `retry_at`. `error` is a class of
/// failure, never content.
pub async fn retry_later(
    c: &mut Conn<'_>,
    id: Uuid,
    claim: &str,
    error: &str,
    retry_at: Timestamp,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE capture_jobs SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4,
                                 claim = NULL, lease_until = NULL
         WHERE id = $1 AND claim = $2 AND state = 'queued'",
        id,
        claim,
        retry_at,
        error
    )? == 1)
}

/// Give up: the job is failed and keeps its input for a retry by the user.
pub async fn fail(
    c: &mut Conn<'_>,
    id: Uuid,
    claim: &str,
    error: &str,
    now: Timestamp,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE capture_jobs SET state = 'failed', attempts = attempts + 1, last_error = $3,
                                 claim = NULL, lease_until = NULL, finished_at = $4
         WHERE id = $1 AND claim = $2 AND state = 'queued'",
        id,
        claim,
        error,
        now
    )? == 1)
}

/// The state of the user's capture job for `meal` (`queued`, `done`, `failed`), if it has one.
pub async fn state_of(c: &mut Conn<'_>, user: UserId, meal: MealId) -> Result<Option<String>> {
    Ok(fetch_optional!(
        c,
        (String,),
        "SELECT state FROM capture_jobs WHERE meal_id = $1 AND user_id = $2",
        meal.uuid(),
        user.uuid()
    )?
    .map(|r| r.0))
}

/// Queue the user's failed job for `meal` again, due at once, with a fresh count of attempts.
/// Returns whether there was a failed job to queue.
pub async fn requeue_failed(
    c: &mut Conn<'_>,
    user: UserId,
    meal: MealId,
    now: Timestamp,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE capture_jobs SET state = 'queued', attempts = 0, next_attempt_at = $3, last_error = NULL,
                                 finished_at = NULL, claim = NULL, lease_until = NULL
         WHERE meal_id = $1 AND user_id = $2 AND state = 'failed'",
        meal.uuid(),
        user.uuid(),
        now
    )? == 1)
}

/// How many captures the user started since `since` (the monthly cap).
pub async fn count_since(c: &mut Conn<'_>, user: UserId, since: Timestamp) -> Result<i64> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM capture_jobs WHERE user_id = $1 AND created_at >= $2",
        user.uuid(),
        since
    )?)
}

/// Jobs waiting to run, all users (operators and tests).
pub async fn queued(c: &mut Conn<'_>) -> Result<i64> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM capture_jobs WHERE state = 'queued'"
    )?)
}

/// Whether any job row still holds photo or audio bytes for the user (tests of the retention
/// promise: audio is gone once transcribed, photos once the meal is filled in).
pub async fn bytes_held(c: &mut Conn<'_>, user: UserId) -> Result<i64> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM capture_jobs WHERE user_id = $1 AND input IS NOT NULL",
        user.uuid()
    )?)
}
