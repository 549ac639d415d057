//! What AI meal capture cost: one row per answered model call (tokens and an estimated price),
//! never the photo or the answer.

use dbkit::{Conn, Timestamp, execute};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// One answered call.
#[derive(Debug, Clone)]
pub struct Usage<'a> {
    pub model: &'a str,
    pub tokens_prompt: i32,
    pub tokens_completion: i32,
    /// Millionths of a US dollar, when the model's price is known.
    pub cost_micro_usd: Option<i64>,
}

pub async fn record(c: &mut Conn<'_>, user: UserId, u: &Usage<'_>, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "INSERT INTO openai_usage (id, user_id, model, tokens_prompt, tokens_completion, cost_micro_usd, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        Uuid::now_v7(),
        user.uuid(),
        u.model,
        u.tokens_prompt,
        u.tokens_completion,
        u.cost_micro_usd,
        now
    )?;
    Ok(())
}
