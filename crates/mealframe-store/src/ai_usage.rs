//! What AI meal capture cost: one row per answered model call (tokens and an estimated price),
//! never the photo or the answer.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_one};
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

/// One user's model calls over a period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Totals {
    pub calls: i64,
    pub tokens_prompt: i64,
    pub tokens_completion: i64,
    /// Millionths of a US dollar, over the calls whose price is known.
    pub cost_micro_usd: i64,
}

/// The user's calls since `since`.
pub async fn totals_for(c: &mut Conn<'_>, user: UserId, since: Timestamp) -> Result<Totals> {
    Ok(fetch_one!(
        c,
        Totals,
        "SELECT COUNT(*) AS calls,
                CAST(COALESCE(SUM(tokens_prompt), 0) AS BIGINT) AS tokens_prompt,
                CAST(COALESCE(SUM(tokens_completion), 0) AS BIGINT) AS tokens_completion,
                CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT) AS cost_micro_usd
         FROM openai_usage WHERE user_id = $1 AND created_at >= $2",
        user.uuid(),
        since
    )?)
}

/// Every user's calls since `since` (before `until`), costliest first: `(user, e-mail, totals)`
/// (the operator's `mealframe usage`).
pub async fn totals_by_user(
    c: &mut Conn<'_>,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<(UserId, String, Totals)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        email: String,
        #[sqlx(flatten)]
        totals: Totals,
    }
    let rows = fetch_all!(
        c,
        Row,
        "SELECT u.id AS user_id, u.email, COUNT(*) AS calls,
                CAST(COALESCE(SUM(o.tokens_prompt), 0) AS BIGINT) AS tokens_prompt,
                CAST(COALESCE(SUM(o.tokens_completion), 0) AS BIGINT) AS tokens_completion,
                CAST(COALESCE(SUM(o.cost_micro_usd), 0) AS BIGINT) AS cost_micro_usd
         FROM openai_usage o JOIN users u ON u.id = o.user_id
         WHERE o.created_at >= $1 AND o.created_at < $2
         GROUP BY u.id, u.email
         ORDER BY cost_micro_usd DESC, calls DESC, u.email",
        since,
        until
    )?;
    Ok(rows
        .into_iter()
        .map(|r| (UserId(r.user_id), r.email, r.totals))
        .collect())
}
