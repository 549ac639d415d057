//! The Week screen's data: a generated week with its days, and what the page offers to change it.

use mealframe_store::{
    library::{day_templates, meals::Meal},
    plans::views::{self, WeekView},
};
use time::Date;

use super::{AppResult, meals::picker_meals};
use crate::state::AppState;
use mealframe_core::ids::{SlotId, UserId};

/// The generated week starting `monday`, if any.
pub async fn week(state: &AppState, user: UserId, monday: Date) -> AppResult<Option<WeekView>> {
    let mut r = state.db.reader().await?;
    Ok(views::week(&mut r.conn(), user, monday).await?)
}

/// The generated day `date`, if any.
pub async fn day(state: &AppState, user: UserId, date: Date) -> AppResult<Option<views::DayView>> {
    let mut r = state.db.reader().await?;
    Ok(views::day(&mut r.conn(), user, date)
        .await?
        .and_then(|(_, d)| d))
}

/// One slot of the user's plan, if it is theirs.
pub async fn slot(
    state: &AppState,
    user: UserId,
    id: SlotId,
) -> AppResult<Option<views::SlotView>> {
    let mut r = state.db.reader().await?;
    Ok(views::slot(&mut r.conn(), user, id).await?)
}

/// The week with the choices the Week page offers: the user's templates and the pickers' meals.
pub struct WeekWithChoices {
    pub week: Option<WeekView>,
    pub templates: Vec<day_templates::DayTemplate>,
    pub meals: Vec<Meal>,
}

pub async fn week_with_choices(
    state: &AppState,
    user: UserId,
    monday: Date,
) -> AppResult<WeekWithChoices> {
    let mut r = state.db.reader().await?;
    Ok(WeekWithChoices {
        week: views::week(&mut r.conn(), user, monday).await?,
        templates: day_templates::list(&mut r.conn(), user).await?,
        meals: picker_meals(&mut r.conn(), user).await?,
    })
}

/// How far the user's setup is (what generating a week needs).
pub async fn setup_progress(
    state: &AppState,
    user: UserId,
) -> AppResult<mealframe_store::library::SetupProgress> {
    let mut r = state.db.reader().await?;
    Ok(mealframe_store::library::progress(&mut r.conn(), user).await?)
}
