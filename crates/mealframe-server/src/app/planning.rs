//! Following and changing the plan: generate (or smart-regenerate) a week, switch a day's
//! template, excuse a day ("No Plan") and restore it, mark and unmark slots, add and remove
//! ad-hoc meals, and put another meal on a slot. The rules are the store's planning operations
//! (`mealframe_store::plans::ops`) over `mealframe-core`; refusals come back as
//! [`AppError::Refused`], worded by `refusal_message`.

use dbkit::ConstraintKind;
use mealframe_core::{
    ids::{DayTemplateId, MealId, MealTypeId, SlotId},
    planning::completion::CompletionStatus,
};
use mealframe_store::{
    StoreError,
    plans::ops::{self, Generated},
};
use time::Date;

use super::{AppResult, Write, today::today_of};
use crate::state::AppState;
use mealframe_store::accounts::users::User;

/// Generate the week starting `monday`, or smart-regenerate it if it exists: only unmarked slots
/// that were not picked by hand, from the user's today on, get new meals.
pub async fn generate_week(
    state: &AppState,
    user: &User,
    w: &Write,
    monday: Date,
) -> AppResult<Generated> {
    let now = state.now();
    let today = today_of(user, now);
    // A concurrent request may create the same week first: the unique (user, week) key refuses
    // the second insert, and the retry finds the week and regenerates it.
    let mut retried = false;
    loop {
        let mut tx = state.begin_for(w).await?;
        match ops::generate(&mut tx.conn(), w.user, monday, today, now).await {
            Ok(g) => {
                tx.commit().await?;
                return Ok(g);
            }
            Err(StoreError::Integrity(ConstraintKind::Unique)) if !retried => {
                tx.rollback().await.ok();
                retried = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Give `date` another template; the day gets fresh meals (its marks go).
pub async fn switch_day_template(
    state: &AppState,
    w: &Write,
    date: Date,
    template: DayTemplateId,
) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    ops::switch_day_template(&mut tx.conn(), w.user, date, template, state.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Excuse `date` from the plan ("No Plan"): its slots go, and streaks pass over it.
pub async fn set_no_plan(
    state: &AppState,
    w: &Write,
    date: Date,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    ops::set_override(&mut tx.conn(), w.user, date, reason, state.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Put a "No Plan" day back on its template, with fresh meals.
pub async fn restore_day(state: &AppState, w: &Write, date: Date) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    ops::clear_override(&mut tx.conn(), w.user, date, state.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Mark a slot (any date), optionally with what was actually eaten.
pub async fn mark_slot(
    state: &AppState,
    w: &Write,
    slot: SlotId,
    status: CompletionStatus,
    actual: Option<MealId>,
) -> AppResult<()> {
    // Without an actual meal a mark is one owned UPDATE (`ops::complete`).
    let mut tx = match actual {
        None => state.begin_single_for(w).await?,
        Some(_) => state.begin_for(w).await?,
    };
    ops::complete(&mut tx.conn(), w.user, slot, status, actual, state.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Clear a slot's status and actual meal.
pub async fn unmark_slot(state: &AppState, w: &Write, slot: SlotId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    ops::uncomplete(&mut tx.conn(), w.user, slot).await?;
    tx.commit().await?;
    Ok(())
}

/// Log a meal of the library on `date` (a day of a generated week) as an ad-hoc slot.
pub async fn add_adhoc(state: &AppState, w: &Write, date: Date, meal: MealId) -> AppResult<SlotId> {
    let mut tx = state.begin_for(w).await?;
    let id = ops::add_adhoc(&mut tx.conn(), w.user, date, meal, state.now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Remove an ad-hoc slot (template slots are refused).
pub async fn delete_adhoc(state: &AppState, w: &Write, slot: SlotId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    ops::delete_adhoc(&mut tx.conn(), w.user, slot).await?;
    tx.commit().await?;
    Ok(())
}

/// Put another meal on a slot of the user's today or later, optionally changing its meal type.
pub async fn reassign(
    state: &AppState,
    user: &User,
    w: &Write,
    slot: SlotId,
    meal: MealId,
    meal_type: Option<MealTypeId>,
) -> AppResult<()> {
    let today = today_of(user, state.now());
    let mut tx = state.begin_for(w).await?;
    ops::reassign(&mut tx.conn(), w.user, slot, meal, meal_type, today).await?;
    tx.commit().await?;
    Ok(())
}
