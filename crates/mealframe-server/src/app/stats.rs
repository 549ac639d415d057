//! Stats of a period: adherence, streaks, status mix, per-type and per-day adherence, macro
//! averages and soft limits, computed by `mealframe_core::planning::stats` from three bulk reads
//! whatever the period.

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use mealframe_core::planning::{
    stats::{self, Stats, StatsInput},
    streak,
};
use mealframe_store::{accounts::users::User, library::meal_types, plans::facts};
use time::{Date, Duration};

use super::{AppError, AppResult, today::today_of};
use crate::state::AppState;

/// The stats of the `days` days ending the user's today, from the view cache while their data
/// version holds.
pub async fn stats(state: &AppState, user: &User, days: u32) -> AppResult<Arc<Stats>> {
    let today = today_of(user, state.now());
    state
        .views
        .stats
        .get_or_try((user.id, days, today), Some(user.data_version), || async {
            Ok(Arc::new(compute(state, user, days, today).await?))
        })
        .await
}

/// The same stats as a front door encodes them, cached encoded: a year is ~140 KB of JSON, so
/// the API keeps the body rather than the numbers. `encode` runs only on a miss.
pub async fn stats_encoded(
    state: &AppState,
    user: &User,
    days: u32,
    encode: impl FnOnce(Stats) -> Result<Vec<u8>, String>,
) -> AppResult<Bytes> {
    let today = today_of(user, state.now());
    state
        .views
        .stats_encoded
        .get_or_try((user.id, days, today), Some(user.data_version), || async {
            let numbers = compute(state, user, days, today).await?;
            encode(numbers).map(Bytes::from).map_err(AppError::Internal)
        })
        .await
}

async fn compute(state: &AppState, user: &User, days: u32, today: Date) -> AppResult<Stats> {
    let start = today - Duration::days(i64::from(days) - 1);
    let mut r = state.db.reader().await?;
    let slots = facts::slots(&mut r.conn(), user.id, start, today).await?;
    let day_facts = facts::days(&mut r.conn(), user.id, start, today).await?;
    let tallies = facts::tallies(
        &mut r.conn(),
        user.id,
        today - Duration::days(streak::LOOKBACK_DAYS + 1),
        today,
    )
    .await?;
    let names: HashMap<_, _> = meal_types::names(&mut r.conn(), user.id)
        .await?
        .into_iter()
        .collect();
    Ok(stats::compute(&StatsInput {
        today,
        period_days: days,
        slots,
        days: day_facts,
        tallies,
        meal_type_names: names,
    }))
}
