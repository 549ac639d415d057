//! Today: a day of the plan as the user follows it — its slots, the next one to eat, the streak
//! behind it, and planned vs eaten totals — plus what the Today page offers around it (the
//! library for the pickers, the first-run checklist's counts). "Today" is the user's calendar day
//! in their time zone.

use std::sync::Arc;

use dbkit::Timestamp;
use mealframe_core::{
    planning::{calendar::monday_of, streak},
    tz::TimeZoneName,
};
use mealframe_store::{
    accounts::users::User,
    library::{meal_types, progress},
    plans::{facts, views},
};
use time::{Date, Duration};

pub use super::day_plan::{DayPlan, DayTotals, TodayLibrary, marked, totals};
use super::{AppResult, meals::picker_meals};
use crate::state::AppState;

/// The user's calendar date at `now`, in their time zone (UTC when unset or unknown).
pub fn today_of(user: &User, now: Timestamp) -> Date {
    TimeZoneName::parse(&user.timezone)
        .unwrap_or_else(TimeZoneName::utc)
        .date_at(now.into_inner())
}

/// Days of tallies a day view reads first for its streak (see `day_uncached`).
const RECENT_DAYS: i64 = 14;

/// The day `date` of `user`'s plan. Served from the view cache while their data version holds.
pub async fn day(state: &AppState, user: &User, date: Date) -> AppResult<Arc<DayPlan>> {
    state
        .views
        .days
        .get_or_try((user.id, date), Some(user.data_version), || {
            day_uncached(state, user, date)
        })
        .await
}

async fn day_uncached(state: &AppState, user: &User, date: Date) -> AppResult<Arc<DayPlan>> {
    let mut r = state.db.reader().await?;
    let found = views::day(&mut r.conn(), user.id, date).await?;
    // Most streaks end within days: read two weeks of tallies, and the year only when the
    // streak reaches back past them.
    let yesterday = date - Duration::days(1);
    let recent_from = date - Duration::days(RECENT_DAYS);
    let recent = facts::tallies(&mut r.conn(), user.id, recent_from, yesterday).await?;
    let streak_days = match streak::current_streak_within(&recent, date, recent_from) {
        Some(n) => n,
        None => {
            let from = date - Duration::days(streak::LOOKBACK_DAYS + 1);
            let year = facts::tallies(&mut r.conn(), user.id, from, yesterday).await?;
            streak::current_streak(&year, date)
        }
    };
    drop(r);
    let day = found
        .and_then(|(_, d)| d)
        .unwrap_or_else(|| views::DayView {
            id: Default::default(),
            date,
            template: None,
            max_calories_kcal: None,
            max_protein: None,
            is_override: false,
            override_reason: None,
            slots: vec![],
        });
    Ok(Arc::new(DayPlan {
        next: day.slots.iter().position(|s| s.status.is_none()),
        streak_days,
        totals: totals(&day),
        day,
    }))
}

/// [`TodayLibrary`] for `user` on `today`. Cached under their library version (see `cache`; a
/// mark leaves it alone): four reads that would otherwise run on every visit.
pub async fn library(state: &AppState, user: &User, today: Date) -> AppResult<Arc<TodayLibrary>> {
    state
        .views
        .today_library
        .get_or_try((user.id, today), Some(user.library_version), || async {
            let mut r = state.db.reader().await?;
            let meals = picker_meals(&mut r.conn(), user.id).await?;
            let meal_types = meal_types::names(&mut r.conn(), user.id).await?;
            let setup = progress(&mut r.conn(), user.id).await?;
            let week_exists = views::week_row(&mut r.conn(), user.id, monday_of(today))
                .await?
                .is_some();
            Ok(Arc::new(TodayLibrary {
                meals,
                meal_types,
                setup,
                week_exists,
            }))
        })
        .await
}
