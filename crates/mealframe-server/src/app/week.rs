//! The Week screen's data: a generated week with its days, and what the page offers to change it.

use std::sync::Arc;

use bytes::Bytes;

use mealframe_store::{
    accounts::users::User,
    library::{day_templates, meals::Meal},
    plans::views::{self, WeekView},
};
use time::Date;

use super::{AppError, AppResult, cache::WeekChoices, meals::picker_meals};
use crate::state::AppState;
use mealframe_core::ids::{SlotId, UserId};

/// The generated week starting `monday`, if any. Served from the view cache while the user's
/// data version holds.
pub async fn week(state: &AppState, user: &User, monday: Date) -> AppResult<Arc<Option<WeekView>>> {
    state
        .views
        .weeks
        .get_or_try((user.id, monday), Some(user.data_version), || async {
            let mut r = state.db.reader().await?;
            Ok(Arc::new(views::week(&mut r.conn(), user.id, monday).await?))
        })
        .await
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
    pub week: Arc<Option<WeekView>>,
    pub choices: Arc<WeekChoices>,
}

impl WeekWithChoices {
    pub fn templates(&self) -> &[day_templates::DayTemplate] {
        &self.choices.templates
    }

    pub fn meals(&self) -> &[Meal] {
        &self.choices.meals
    }
}

/// The generated week starting `monday` as a front door encodes it (`None`: not generated),
/// cached encoded under the user's data version: the API answers the same ~20 KB body until
/// something in the week changes. `encode` runs only on a miss.
pub async fn week_encoded(
    state: &AppState,
    user: &User,
    monday: Date,
    encode: impl FnOnce(&WeekView) -> Result<Vec<u8>, String>,
) -> AppResult<Option<Bytes>> {
    state
        .views
        .weeks_encoded
        .get_or_try((user.id, monday), Some(user.data_version), || async {
            let week = week(state, user, monday).await?;
            match week.as_ref() {
                Some(w) => Ok(Some(Bytes::from(encode(w).map_err(AppError::Internal)?))),
                None => Ok(None),
            }
        })
        .await
}

/// The generated week starting `monday`, read from the database: for an answer right after this
/// request's own write (the request's user row, and so its version, predates the write).
pub async fn week_after_write(
    state: &AppState,
    user: UserId,
    monday: Date,
) -> AppResult<Option<WeekView>> {
    let mut r = state.db.reader().await?;
    Ok(views::week(&mut r.conn(), user, monday).await?)
}

/// Both parts cached: the week under the user's data version, the choices under their library
/// version (a mark leaves them alone).
pub async fn week_with_choices(
    state: &AppState,
    user: &User,
    monday: Date,
) -> AppResult<WeekWithChoices> {
    let week = week(state, user, monday).await?;
    let choices = state
        .views
        .week_choices
        .get_or_try(user.id, Some(user.library_version), || async {
            let mut r = state.db.reader().await?;
            Ok::<_, AppError>(Arc::new(WeekChoices {
                templates: day_templates::list(&mut r.conn(), user.id).await?,
                meals: picker_meals(&mut r.conn(), user.id).await?,
            }))
        })
        .await?;
    Ok(WeekWithChoices { week, choices })
}

/// How far the user's setup is (what generating a week needs).
pub async fn setup_progress(
    state: &AppState,
    user: UserId,
) -> AppResult<mealframe_store::library::SetupProgress> {
    let mut r = state.db.reader().await?;
    Ok(mealframe_store::library::progress(&mut r.conn(), user).await?)
}
