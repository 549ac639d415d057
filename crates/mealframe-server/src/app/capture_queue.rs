//! Asynchronous meal capture (issue 12, ADR-013): the user hands over a photo, a voice note or a
//! few typed words and goes on; the meal exists at once as "processing", and a background job
//! fills it in (or marks it failed with a reason the user can act on, and a retry).
//!
//! 1. [`submit`]: the service is set up for this kind of capture, the per-user rate (shared with
//!    the synchronous route) and the monthly cap allow it; then one transaction creates the
//!    meal, queues its job, and marks the slot deviated with the meal as what was eaten (or adds
//!    it to a day). The worker is woken.
//! 2. [`run_once`] (the worker, every instance): claims due jobs with a lease and runs at most
//!    `capture_workers` of them at once. A photo is kept with its meal (`crate::photos`). A voice note is transcribed first and the recording
//!    dropped in the same step; the text (typed or transcribed) or the photo then goes to the
//!    model with the user's context (`capture::estimate`, which records usage).
//! 3. The outcome commits only while the claim is still this worker's: a job whose lease ran out
//!    (a crash, a restart, a stall) is someone else's, and its late result is thrown away, so a
//!    job completes once. A provider that failed after its own retries gets the job back later
//!    (backoff doubling from `capture_retry_seconds`, `max_attempts` in all); a refusal (no food,
//!    nonsense) fails at once. [`retry`] queues a failed job again.

use mealframe_core::{
    capture::Suggestion,
    ids::{MealId, MealTypeId, SlotId, UserId},
    planning::{completion::CompletionStatus, macros::Macros},
};
use mealframe_store::{
    accounts::users::{self, User},
    ai_usage,
    capture_jobs::{self, ClaimedJob, Kind, NewJob},
    library::{
        meal_types,
        meals::{self, Estimate, Meal, NewMeal, Source},
    },
    plans::ops,
};
use time::Date;

use super::{
    AppError, AppResult, Write,
    capture::{self, CaptureError},
    limits,
};
use crate::{photos::Photos, state::AppState};

/// What the user captured.
pub enum Input {
    /// A photo (bytes already checked to be an image; `mime` as sniffed).
    Image { bytes: Vec<u8>, mime: &'static str },
    /// A voice note (`mime` as uploaded).
    Audio { bytes: Vec<u8>, mime: String },
    /// A typed description.
    Text(String),
}

impl Input {
    fn kind(&self) -> Kind {
        match self {
            Input::Image { .. } => Kind::Image,
            Input::Audio { .. } => Kind::Audio,
            Input::Text(_) => Kind::Text,
        }
    }
}

/// Where the captured meal goes besides the library.
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement {
    /// The slot was not followed: mark it deviated, with the captured meal as what was eaten.
    pub slot: Option<SlotId>,
    /// Add the meal to this day (of a generated week) as an added meal.
    pub date: Option<Date>,
}

fn source_of(kind: Kind) -> Source {
    match kind {
        Kind::Image => Source::AdHocImage,
        Kind::Audio => Source::AdHocVoice,
        Kind::Text => Source::AdHocText,
    }
}

/// The name a meal has until its estimate is in.
fn placeholder(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "Photo meal",
        Kind::Audio => "Voice note meal",
        Kind::Text => "Described meal",
    }
}

/// The first instant of the UTC month holding `now`, and the seconds until the next one.
fn month_window(now: dbkit::Timestamp) -> (dbkit::Timestamp, u64) {
    let t = now.into_inner().to_offset(time::UtcOffset::UTC);
    let (start, next) = mealframe_core::planning::calendar::month_span(t.date());
    let left = (next.midnight().assume_utc() - t).whole_seconds().max(1) as u64;
    (dbkit::Timestamp::from(start.midnight().assume_utc()), left)
}

/// Start a capture: answers the new meal, `processing`.
pub async fn submit(
    state: &AppState,
    user: &User,
    w: &Write,
    input: Input,
    place: Placement,
) -> AppResult<Meal> {
    let kind = input.kind();
    if state.vision.is_none() {
        return Err(AppError::Unavailable(
            "AI capture is not configured on this server".into(),
        ));
    }
    if kind == Kind::Audio && state.transcriber.is_none() {
        return Err(AppError::Unavailable(
            "Voice capture is not configured on this server (no speech-to-text service)".into(),
        ));
    }
    let ai = &state.config.ai_capture;
    limits::enforce(state, &format!("ai-capture:{}", user.id), ai.rate).await?;

    let now = state.now();
    let mut tx = state.begin_for(w).await?;
    if let Some(cap) = state.config.capture.monthly_limit {
        let (since, left) = month_window(now);
        if capture_jobs::count_since(&mut tx.conn(), w.user, since).await? >= cap {
            return Err(AppError::RateLimited {
                limit: format!("{cap} captures per month"),
                retry_after_secs: left,
            });
        }
    }
    let new = NewMeal {
        name: placeholder(kind).to_owned(),
        portion_description: "Estimating…".to_owned(),
        macros: Macros::default(),
        notes: None,
        source: source_of(kind),
        confidence_pct: None,
        image_path: None,
        ai_model_version: None,
        meal_types: Vec::new(),
    };
    let meal = meals::insert(&mut tx.conn(), w.user, &new, now).await?;
    meals::set_processing(&mut tx.conn(), w.user, meal, "processing", None, now).await?;
    let (bytes, mime, text) = match &input {
        Input::Image { bytes, mime } => (Some(bytes.as_slice()), Some(*mime), None),
        Input::Audio { bytes, mime } => (Some(bytes.as_slice()), Some(mime.as_str()), None),
        Input::Text(t) => (None, None, Some(t.as_str())),
    };
    capture_jobs::enqueue(
        &mut tx.conn(),
        w.user,
        &NewJob {
            meal,
            kind,
            input: bytes,
            input_mime: mime,
            input_text: text,
        },
        now,
    )
    .await?;
    if let Some(slot) = place.slot {
        ops::complete(
            &mut tx.conn(),
            w.user,
            slot,
            CompletionStatus::Deviated,
            Some(meal),
            now,
        )
        .await?;
    } else if let Some(date) = place.date {
        ops::add_adhoc(&mut tx.conn(), w.user, date, meal, now).await?;
    }
    let created = meals::get(&mut tx.conn(), w.user, meal)
        .await?
        .ok_or_else(|| AppError::Internal("a meal just inserted is missing".into()))?;
    tx.commit().await?;
    metrics::counter!("mealframe_capture_submitted_total", "kind" => kind.as_str()).increment(1);
    state.capture_wake.notify_one();
    Ok(created)
}

/// What the user's AI use cost this calendar month (UTC): every metered call, captures and
/// transcriptions alike.
pub async fn month_usage(state: &AppState, user: UserId) -> AppResult<ai_usage::Totals> {
    let (since, _) = month_window(state.now());
    let mut r = state.db.reader().await?;
    Ok(ai_usage::totals_for(&mut r.conn(), user, since).await?)
}

/// Queue a failed capture again. Not found: not the user's capture; conflict: it is not failed.
pub async fn retry(state: &AppState, w: &Write, meal: MealId) -> AppResult<Meal> {
    let now = state.now();
    let mut tx = state.begin_for(w).await?;
    match capture_jobs::state_of(&mut tx.conn(), w.user, meal)
        .await?
        .as_deref()
    {
        None => {
            return Err(AppError::NotFound(
                format!("Capture for meal {meal} not found").into(),
            ));
        }
        Some("failed") => {}
        Some(_) => {
            return Err(AppError::Conflict(
                "Only a failed capture can be retried".into(),
            ));
        }
    }
    capture_jobs::requeue_failed(&mut tx.conn(), w.user, meal, now).await?;
    meals::set_processing(&mut tx.conn(), w.user, meal, "processing", None, now).await?;
    let m = meals::get(&mut tx.conn(), w.user, meal)
        .await?
        .ok_or_else(|| AppError::NotFound("Meal not found".into()))?;
    tx.commit().await?;
    state.capture_wake.notify_one();
    Ok(m)
}

/// What one worker round did (tests and logs).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub completed: usize,
    pub failed: usize,
    pub retrying: usize,
    /// Results thrown away: the job was no longer this worker's.
    pub lost: usize,
}

/// How one job ended.
enum Outcome {
    Completed,
    Failed,
    Retrying,
    Lost,
}

/// One worker round: claim what is due and run it, `capture_workers` at a time.
pub async fn run_once(state: &AppState) -> AppResult<Round> {
    if state.vision.is_none() {
        return Ok(Round::default());
    }
    let now = state.now();
    let claim = uuid::Uuid::new_v4().to_string();
    let limit = state.config.capture.workers as i64;
    let jobs = {
        let mut tx = state.db.begin().await?;
        let lease = time::Duration::try_from(state.config.capture.lease)
            .unwrap_or(time::Duration::minutes(3));
        let jobs =
            capture_jobs::claim_due(&mut tx.conn(), &claim, now, now.plus(lease), limit).await?;
        tx.commit().await?;
        jobs
    };
    let mut running = tokio::task::JoinSet::new();
    for job in jobs {
        let (state, claim) = (state.clone(), claim.clone());
        running.spawn(async move { run_job(&state, &claim, job).await });
    }
    let mut round = Round::default();
    while let Some(done) = running.join_next().await {
        // A panicking job keeps its lease and is run again once it runs out.
        let Ok(outcome) = done else { continue };
        match outcome? {
            Outcome::Completed => round.completed += 1,
            Outcome::Failed => round.failed += 1,
            Outcome::Retrying => round.retrying += 1,
            Outcome::Lost => round.lost += 1,
        }
    }
    Ok(round)
}

/// Why a job failed, in words for the user (never the model's answer or the input).
fn reason(e: &CaptureError, kind: Kind) -> String {
    match e {
        CaptureError::NoFood(_) => match kind {
            Kind::Image => "No food was recognised in the photo. Edit the meal, or delete it and try another photo.".into(),
            Kind::Audio => "The voice note did not describe a meal. Edit the meal, or delete it and record again.".into(),
            Kind::Text => "The description did not read as a meal. Edit the meal, or delete it and describe it again.".into(),
        },
        CaptureError::NotConfigured => "AI capture is not configured on this server.".into(),
        CaptureError::Timeout | CaptureError::Unreachable => {
            "The AI service did not answer. Retry later, or fill in the meal yourself.".into()
        }
        CaptureError::Failed => {
            "The AI service could not estimate this meal. Retry, or fill in the meal yourself.".into()
        }
        CaptureError::App(_) => "Something went wrong on the server. Retry later.".into(),
    }
}

fn retryable(e: &CaptureError) -> bool {
    matches!(e, CaptureError::Timeout | CaptureError::Unreachable)
}

async fn run_job(state: &AppState, claim: &str, job: ClaimedJob) -> AppResult<Outcome> {
    let user_id = UserId(job.user_id);
    let meal = MealId(job.meal_id);
    let kind = Kind::parse(&job.kind)
        .ok_or_else(|| AppError::Internal(format!("capture job of unknown kind {}", job.kind)))?;
    let user = {
        let mut r = state.db.reader().await?;
        users::by_id(&mut r.conn(), user_id).await?
    };
    // The user and with them the job are gone: nothing to do.
    let Some(user) = user else {
        return Ok(Outcome::Lost);
    };
    let w = Write::by(user_id);
    let estimated = estimate_job(state, &user, &w, claim, kind, job.clone()).await;
    // The photo of a meal that came out is kept with it (stored before the meal names it; a
    // store that fails costs the photo, not the meal).
    let mut photo_key = None;
    if let (Kind::Image, Ok(Some(_)), Some(bytes)) = (kind, &estimated, job.input.clone()) {
        let key = Photos::key(
            user_id,
            meal,
            job.input_mime.as_deref().unwrap_or("image/jpeg"),
        );
        match state.photos.put(&key, bytes).await {
            Ok(()) => photo_key = Some(key),
            Err(e) => tracing::warn!(error = %e, "a captured photo could not be stored"),
        }
    }
    let now = state.now();
    let mut tx = state.begin_for(&w).await?;
    let outcome = match estimated {
        Ok(Some(s)) => {
            let meal_type =
                suggested_type(&mut tx.conn(), user_id, s.suggested_meal_type.as_deref()).await?;
            if !capture_jobs::finish(&mut tx.conn(), job.id, claim, now).await? {
                Outcome::Lost
            } else {
                meals::fill_estimate(
                    &mut tx.conn(),
                    user_id,
                    meal,
                    &estimate_of(state, s, meal_type),
                    now,
                )
                .await?;
                if let Some(key) = &photo_key {
                    meals::set_photo(&mut tx.conn(), user_id, meal, Some(key)).await?;
                }
                Outcome::Completed
            }
        }
        // The claim was lost while transcribing.
        Ok(None) => Outcome::Lost,
        Err(e) if retryable(&e) && job.attempts + 1 < state.config.capture.max_attempts => {
            let wait =
                state.config.capture.retry_after * 2u32.pow(job.attempts.clamp(0, 10) as u32);
            let at = now.plus(time::Duration::try_from(wait).unwrap_or(time::Duration::hours(1)));
            match capture_jobs::retry_later(&mut tx.conn(), job.id, claim, error_class(&e), at)
                .await?
            {
                true => Outcome::Retrying,
                false => Outcome::Lost,
            }
        }
        Err(e) => {
            if let CaptureError::App(inner) = &e {
                tracing::warn!(error = %inner, "capture job failed on the server side");
            }
            if capture_jobs::fail(&mut tx.conn(), job.id, claim, error_class(&e), now).await? {
                meals::set_processing(
                    &mut tx.conn(),
                    user_id,
                    meal,
                    "failed",
                    Some(&reason(&e, kind)),
                    now,
                )
                .await?;
                Outcome::Failed
            } else {
                Outcome::Lost
            }
        }
    };
    tx.commit().await?;
    let label = match outcome {
        Outcome::Completed => "completed",
        Outcome::Failed => "failed",
        Outcome::Retrying => "retrying",
        Outcome::Lost => "lost",
    };
    metrics::counter!("mealframe_capture_jobs_total", "outcome" => label).increment(1);
    Ok(outcome)
}

/// A failure's class, kept on the job for operators (never content).
fn error_class(e: &CaptureError) -> &'static str {
    match e {
        CaptureError::NotConfigured => "not_configured",
        CaptureError::Timeout => "timeout",
        CaptureError::Unreachable => "unreachable",
        CaptureError::Failed => "invalid_answer",
        CaptureError::NoFood(_) => "no_food",
        CaptureError::App(_) => "server",
    }
}

/// Transcribe (voice notes, once: the transcript replaces the recording) and estimate. `None`:
/// the claim was lost meanwhile.
async fn estimate_job(
    state: &AppState,
    user: &User,
    w: &Write,
    claim: &str,
    kind: Kind,
    job: ClaimedJob,
) -> Result<Option<Suggestion>, CaptureError> {
    match kind {
        Kind::Image => {
            let (Some(bytes), Some(mime)) = (job.input, job.input_mime) else {
                return Err(CaptureError::Failed);
            };
            let mime = match mime.as_str() {
                "image/png" => "image/png",
                "image/webp" => "image/webp",
                _ => "image/jpeg",
            };
            capture::estimate(state, user, w, capture::Meal::Photo { image: bytes, mime })
                .await
                .map(Some)
        }
        Kind::Text => {
            let text = job.input_text.unwrap_or_default();
            capture::estimate(state, user, w, capture::Meal::Description(&text))
                .await
                .map(Some)
        }
        Kind::Audio => {
            let text = match (job.input, job.input_mime) {
                // Transcribed in an earlier attempt.
                (None, _) => job.input_text.unwrap_or_default(),
                (Some(audio), mime) => {
                    let text =
                        transcribe(state, user, &audio, mime.as_deref().unwrap_or("audio/webm"))
                            .await?;
                    drop(audio);
                    let mut tx = state.db.begin().await.map_err(AppError::from)?;
                    if !capture_jobs::save_transcript(&mut tx.conn(), job.id, claim, &text).await? {
                        return Ok(None);
                    }
                    tx.commit().await.map_err(AppError::from)?;
                    text
                }
            };
            if text.trim().is_empty() {
                return Err(CaptureError::NoFood(String::new()));
            }
            capture::estimate(state, user, w, capture::Meal::Description(&text))
                .await
                .map(Some)
        }
    }
}

/// Speech to text; the call's usage is recorded (priced by `MEALFRAME_AI_PRICES`).
async fn transcribe(
    state: &AppState,
    user: &User,
    audio: &[u8],
    mime: &str,
) -> Result<String, CaptureError> {
    let Some(t) = state.transcriber.clone() else {
        return Err(CaptureError::NotConfigured);
    };
    let transcript = t.transcribe(audio, mime).await.map_err(|e| {
        metrics::counter!("mealframe_transcription_total", "outcome" => e.class()).increment(1);
        tracing::warn!(error = e.class(), "transcription failed");
        match e {
            ai_providers::ProviderError::Timeout => CaptureError::Timeout,
            e if e.is_retryable() => CaptureError::Unreachable,
            _ => CaptureError::Failed,
        }
    })?;
    metrics::counter!("mealframe_transcription_total", "outcome" => "ok").increment(1);
    let model = &t.config().model;
    // Priced per minute of audio (Whisper) or per token (newer models), as the table says.
    let cost = transcript
        .seconds
        .and_then(|s| state.config.prices.audio(model, s))
        .or_else(|| {
            state
                .config
                .prices
                .tokens(model, transcript.input_tokens, transcript.output_tokens)
        });
    let usage = mealframe_store::ai_usage::Usage {
        model,
        tokens_prompt: transcript.input_tokens.min(i32::MAX as u64) as i32,
        tokens_completion: transcript.output_tokens.min(i32::MAX as u64) as i32,
        cost_micro_usd: cost,
    };
    let mut tx = state.db.begin().await.map_err(AppError::from)?;
    mealframe_store::ai_usage::record(&mut tx.conn(), user.id, &usage, state.now()).await?;
    tx.commit().await.map_err(AppError::from)?;
    Ok(transcript.text)
}

/// The user's meal type the model suggested, if it named one of theirs.
async fn suggested_type(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    name: Option<&str>,
) -> AppResult<Option<MealTypeId>> {
    let Some(name) = name else { return Ok(None) };
    Ok(meal_types::names(c, user)
        .await?
        .into_iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(id, _)| id))
}

fn estimate_of(state: &AppState, s: Suggestion, meal_type: Option<MealTypeId>) -> Estimate {
    let items: Vec<serde_json::Value> = s
        .identified_items
        .iter()
        .map(|i| serde_json::json!({"name": i.name, "estimated_quantity": i.estimated_quantity}))
        .collect();
    Estimate {
        name: s.meal_name,
        portion_description: if s.portion_description.trim().is_empty() {
            "1 portion".to_owned()
        } else {
            s.portion_description
        },
        macros: Macros {
            calories_kcal: s.calories_kcal,
            protein: s.protein_g,
            carbs: s.carbs_g,
            sugar: s.sugar_g,
            fat: s.fat_g,
            saturated_fat: s.saturated_fat_g,
            fiber: s.fiber_g,
        },
        confidence_pct: (s.confidence_score * 100.0).round().clamp(0.0, 100.0) as i32,
        ai_model_version: state.config.ai_capture.model.clone(),
        identified_items: serde_json::Value::Array(items).to_string(),
        meal_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monthly_window_starts_on_the_first_and_ends_with_the_month() {
        let now = dbkit::Timestamp::from(time::macros::datetime!(2026-12-31 23:00 UTC));
        let (start, left) = month_window(now);
        assert_eq!(
            start.into_inner(),
            time::macros::datetime!(2026-12-01 0:00 UTC)
        );
        assert_eq!(left, 3600);
        let (start, _) = month_window(dbkit::Timestamp::from(
            time::macros::datetime!(2026-03-01 0:00 UTC),
        ));
        assert_eq!(
            start.into_inner(),
            time::macros::datetime!(2026-03-01 0:00 UTC)
        );
    }
}
