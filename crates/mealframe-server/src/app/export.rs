//! Data portability: everything a user has stored, for the export route to write out.

use mealframe_core::ids::UserId;
use mealframe_store::{
    library::{
        day_templates::{self, DayTemplate},
        meal_types::{self, MealType},
        meals::{self, Meal},
        week_plans::{self, WeekPlan},
    },
    plans::views::{self, WeekView},
};

use super::AppResult;
use crate::state::AppState;

pub struct Everything {
    pub meal_types: Vec<MealType>,
    pub meals: Vec<Meal>,
    pub templates: Vec<DayTemplate>,
    pub plans: Vec<WeekPlan>,
    /// Every generated week, oldest first.
    pub weeks: Vec<WeekView>,
}

/// All of `user`'s library and generated weeks, read on one connection.
pub async fn everything(state: &AppState, user: UserId) -> AppResult<Everything> {
    let mut r = state.db.reader().await?;
    let mut weeks = Vec::new();
    for monday in views::week_starts(&mut r.conn(), user).await? {
        if let Some(w) = views::week(&mut r.conn(), user, monday).await? {
            weeks.push(w);
        }
    }
    Ok(Everything {
        meal_types: meal_types::list(&mut r.conn(), user).await?,
        meals: meals::all(&mut r.conn(), user).await?,
        templates: day_templates::list(&mut r.conn(), user).await?,
        plans: week_plans::list(&mut r.conn(), user).await?,
        weeks,
    })
}
