//! AI meal capture: a photo of a meal in, the model's suggestion out (name, portion, nutrients,
//! the items it saw, a meal type), with the user's own meal types and recent meals as context.
//! The call's token usage is recorded whatever the answer says (it is paid for); the photo is
//! not kept. [`estimate`] is shared with asynchronous capture (`capture_queue`), which also
//! estimates typed and spoken descriptions.

use base64::Engine;
use mealframe_core::{
    capture::{self, AnswerError, Context, LIBRARY_CONTEXT, Suggestion},
    tz::TimeZoneName,
};
use mealframe_store::{
    accounts::users::User,
    ai_usage::{self, Usage},
    library::{meal_types, meals},
};

use super::{AppError, Write, limits};
use crate::state::AppState;

/// Why a photo got no suggestion.
#[derive(Debug)]
pub enum CaptureError {
    /// No vision model is configured on this server.
    NotConfigured,
    /// The model took longer than the configured budget.
    Timeout,
    /// The model failed or answered nonsense.
    Failed,
    /// The model's server did not answer or was overloaded, after the call's own retries
    /// (worth trying again later).
    Unreachable,
    /// The model saw no food (its own words).
    NoFood(String),
    /// Rate limit, database.
    App(AppError),
}

impl<E: Into<AppError>> From<E> for CaptureError {
    fn from(e: E) -> Self {
        CaptureError::App(e.into())
    }
}

/// Analyse `image` (JPEG or PNG bytes, `mime` as sniffed) for `user`, under the per-user rate.
pub async fn analyse_photo(
    state: &AppState,
    user: &User,
    w: &Write,
    image: Vec<u8>,
    mime: &str,
) -> Result<Suggestion, CaptureError> {
    if state.vision.is_none() {
        return Err(CaptureError::NotConfigured);
    }
    let ai = &state.config.ai_capture;
    limits::enforce(state, &format!("ai-capture:{}", user.id), ai.rate).await?;
    estimate(state, user, w, Meal::Photo { image, mime }).await
}

/// What the model estimates a meal from.
pub enum Meal<'a> {
    Photo {
        image: Vec<u8>,
        mime: &'a str,
    },
    /// Typed, or a transcribed voice note.
    Description(&'a str),
}

/// Ask the model about one meal with the user's context (local time, meal types, recent meals),
/// record the call's usage (paid whatever it answers; committed with `w`), and parse its answer.
pub async fn estimate(
    state: &AppState,
    user: &User,
    w: &Write,
    meal: Meal<'_>,
) -> Result<Suggestion, CaptureError> {
    let Some(vision) = state.vision.clone() else {
        return Err(CaptureError::NotConfigured);
    };
    let ai = &state.config.ai_capture;
    let (type_names, recent) = {
        let mut r = state.db.reader().await.map_err(AppError::from)?;
        let types: Vec<String> = meal_types::names(&mut r.conn(), user.id)
            .await?
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        let recent = meals::recent(&mut r.conn(), user.id, LIBRARY_CONTEXT).await?;
        (types, recent)
    };
    let zone = TimeZoneName::parse(&user.timezone).unwrap_or_else(TimeZoneName::utc);
    let context = Context {
        local_time: zone.local_at(state.now().into_inner()),
        time_zone: zone.as_str(),
        meal_types: &type_names,
        recent_meals: &recent,
    };
    let (system, user_parts) = match meal {
        Meal::Photo { image, mime } => {
            let data_url = format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&image)
            );
            drop(image);
            (
                capture::SYSTEM_PROMPT,
                vec![
                    ai_providers::ContentPart::Text(capture::user_prompt(&context)),
                    ai_providers::ContentPart::ImageDataUrl(data_url),
                ],
            )
        }
        Meal::Description(text) => (
            capture::DESCRIPTION_SYSTEM_PROMPT,
            vec![ai_providers::ContentPart::Text(
                capture::description_prompt(&context, text),
            )],
        ),
    };
    let request = ai_providers::ChatRequest {
        system: system.to_owned(),
        user: user_parts,
        json_mode: true,
        max_tokens: Some(500),
        model: None,
    };
    let answer = vision.chat(&request).await.map_err(|e| {
        metrics::counter!("mealframe_ai_capture_total", "outcome" => e.class()).increment(1);
        tracing::warn!(error = e.class(), "AI capture call failed");
        match e {
            ai_providers::ProviderError::Timeout => CaptureError::Timeout,
            e if e.is_retryable() => CaptureError::Unreachable,
            _ => CaptureError::Failed,
        }
    })?;

    // The call is paid for whatever its answer says: keep its usage even if the answer is refused.
    let usage = Usage {
        model: &ai.model,
        tokens_prompt: answer.usage.input_tokens.min(i32::MAX as u64) as i32,
        tokens_completion: answer.usage.output_tokens.min(i32::MAX as u64) as i32,
        cost_micro_usd: state.config.prices.tokens(
            &ai.model,
            answer.usage.input_tokens,
            answer.usage.output_tokens,
        ),
    };
    let mut tx = state.begin_for(w).await?;
    ai_usage::record(&mut tx.conn(), user.id, &usage, state.now()).await?;
    tx.commit().await.map_err(AppError::from)?;

    let outcome = capture::parse_answer(&answer.text, &type_names);
    let label = match &outcome {
        Ok(_) => "ok",
        Err(AnswerError::LowConfidence(_)) => "no_food",
        Err(AnswerError::Invalid) => "invalid_answer",
    };
    metrics::counter!("mealframe_ai_capture_total", "outcome" => label).increment(1);
    outcome.map_err(|e| match e {
        e @ AnswerError::LowConfidence(_) => CaptureError::NoFood(e.to_string()),
        AnswerError::Invalid => CaptureError::Failed,
    })
}
