//! Setting up the plan: meal types (purpose slots such as Breakfast), day templates (ordered
//! meal-type slots with soft limits) and week plans (a template per weekday). Every id the input
//! names must be the user's — another user's id is refused exactly like an unknown one — and a
//! thing still in use cannot be deleted.

use mealframe_core::ids::{DayTemplateId, MealTypeId, UserId, WeekPlanId};
use mealframe_store::{
    Rejection, StoreError,
    library::{
        day_templates::{self, DayTemplate, NewTemplate, TemplateChange},
        meal_types::{self, MealType},
        week_plans::{self, WeekPlan},
    },
};

use super::{AppError, AppResult, Write};
use crate::state::AppState;

fn not_found(what: &'static str) -> AppError {
    AppError::NotFound(what.into())
}

/// A taken name becomes a conflict worded for `what`; a template slot's foreign or unknown meal
/// type, a "not found" naming it.
fn refused(what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::Rejected(Rejection::MealTypeNotFound(id)) => {
            AppError::NotFound(format!("Meal type with id {id} not found").into())
        }
        e if e.is_unique_violation() => {
            AppError::Conflict(format!("{what} with this name already exists").into())
        }
        e => e.into(),
    }
}

// ----- meal types ------------------------------------------------------------------------------

/// The user's meal types with their meal counts, by name.
pub async fn meal_types(state: &AppState, user: UserId) -> AppResult<Vec<MealType>> {
    let mut r = state.db.reader().await?;
    Ok(meal_types::list(&mut r.conn(), user).await?)
}

/// The names of the user's meal types, by name (for pickers and filters).
pub async fn meal_type_names(
    state: &AppState,
    user: UserId,
) -> AppResult<Vec<(MealTypeId, String)>> {
    let mut r = state.db.reader().await?;
    Ok(meal_types::names(&mut r.conn(), user).await?)
}

/// A meal type, and whether a day template uses it (then it cannot be deleted).
pub async fn meal_type_in_use(
    state: &AppState,
    user: UserId,
    id: MealTypeId,
) -> AppResult<(MealType, bool)> {
    let mut r = state.db.reader().await?;
    let t = meal_types::list(&mut r.conn(), user)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| not_found("Meal type not found"))?;
    let used = meal_types::used_by_templates(&mut r.conn(), user, id).await?;
    Ok((t, used))
}

pub async fn meal_type(state: &AppState, user: UserId, id: MealTypeId) -> AppResult<MealType> {
    let mut r = state.db.reader().await?;
    meal_types::get(&mut r.conn(), user, id)
        .await?
        .ok_or_else(|| not_found("Meal type not found"))
}

pub async fn create_meal_type(
    state: &AppState,
    w: &Write,
    name: &str,
    description: Option<&str>,
    tags: &[String],
) -> AppResult<MealType> {
    let mut tx = state.begin_for(w).await?;
    let t = meal_types::insert(&mut tx.conn(), w.user, name, description, tags, state.now())
        .await
        .map_err(refused("Meal type"))?;
    tx.commit().await?;
    Ok(t)
}

/// Change the given fields (`None` leaves a field as it is).
pub async fn update_meal_type(
    state: &AppState,
    w: &Write,
    id: MealTypeId,
    name: Option<&str>,
    description: Option<&str>,
    tags: Option<&[String]>,
) -> AppResult<MealType> {
    let mut tx = state.begin_for(w).await?;
    let t = meal_types::update(
        &mut tx.conn(),
        w.user,
        id,
        name,
        description,
        tags,
        state.now(),
    )
    .await
    .map_err(refused("Meal type"))?
    .ok_or_else(|| not_found("Meal type not found"))?;
    tx.commit().await?;
    Ok(t)
}

/// Delete a meal type no day template uses (its meals stay, without it).
pub async fn delete_meal_type(state: &AppState, w: &Write, id: MealTypeId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    if meal_types::get(&mut tx.conn(), w.user, id).await?.is_none() {
        return Err(not_found("Meal type not found"));
    }
    if meal_types::used_by_templates(&mut tx.conn(), w.user, id).await? {
        return Err(AppError::Conflict(
            "Cannot delete meal type that is used by day template slots".into(),
        ));
    }
    meal_types::delete(&mut tx.conn(), w.user, id).await?;
    tx.commit().await?;
    Ok(())
}

// ----- day templates ---------------------------------------------------------------------------

/// The user's day templates with their slots, by name.
pub async fn templates(state: &AppState, user: UserId) -> AppResult<Vec<DayTemplate>> {
    let mut r = state.db.reader().await?;
    Ok(day_templates::list(&mut r.conn(), user).await?)
}

pub async fn template(state: &AppState, user: UserId, id: DayTemplateId) -> AppResult<DayTemplate> {
    let mut r = state.db.reader().await?;
    day_templates::get(&mut r.conn(), user, id)
        .await?
        .ok_or_else(|| not_found("Day template not found"))
}

pub async fn create_template(
    state: &AppState,
    w: &Write,
    new: &NewTemplate,
) -> AppResult<DayTemplate> {
    let mut tx = state.begin_for(w).await?;
    let t = day_templates::insert(&mut tx.conn(), w.user, new, state.now())
        .await
        .map_err(refused("Day template"))?;
    tx.commit().await?;
    Ok(t)
}

/// Change a template; `clear_notes` empties its notes (the form's emptied field).
pub async fn update_template(
    state: &AppState,
    w: &Write,
    id: DayTemplateId,
    change: &TemplateChange,
    clear_notes: bool,
) -> AppResult<DayTemplate> {
    let mut tx = state.begin_for(w).await?;
    if !day_templates::exists(&mut tx.conn(), w.user, id).await? {
        return Err(not_found("Day template not found"));
    }
    let mut t = day_templates::update(&mut tx.conn(), w.user, id, change, state.now())
        .await
        .map_err(refused("Day template"))?
        .ok_or_else(|| not_found("Day template not found"))?;
    if clear_notes {
        day_templates::clear_notes(&mut tx.conn(), w.user, id).await?;
        t.notes = None;
    }
    tx.commit().await?;
    Ok(t)
}

/// Delete a template no week plan uses.
pub async fn delete_template(state: &AppState, w: &Write, id: DayTemplateId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    if !day_templates::exists(&mut tx.conn(), w.user, id).await? {
        return Err(not_found("Day template not found"));
    }
    if day_templates::used_by_week_plans(&mut tx.conn(), w.user, id).await? {
        return Err(AppError::Conflict(
            "Cannot delete day template that is used by week plans".into(),
        ));
    }
    day_templates::delete(&mut tx.conn(), w.user, id).await?;
    tx.commit().await?;
    Ok(())
}

// ----- week plans ------------------------------------------------------------------------------

/// The user's week plans, by name.
pub async fn plans(state: &AppState, user: UserId) -> AppResult<Vec<WeekPlan>> {
    let mut r = state.db.reader().await?;
    Ok(week_plans::list(&mut r.conn(), user).await?)
}

pub async fn plan(state: &AppState, user: UserId, id: WeekPlanId) -> AppResult<WeekPlan> {
    let mut r = state.db.reader().await?;
    week_plans::get(&mut r.conn(), user, id)
        .await?
        .ok_or_else(|| not_found("Week plan not found"))
}

/// Every template a plan maps must be the user's.
async fn check_templates(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    days: &[(u8, DayTemplateId)],
) -> AppResult<()> {
    for (_, t) in days {
        if !day_templates::exists(&mut c.reborrow(), user, *t).await? {
            return Err(AppError::NotFound(
                format!("Day template with id {t} not found").into(),
            ));
        }
    }
    Ok(())
}

/// Create a week plan: `days` maps weekdays (0 = Monday) to templates.
pub async fn create_plan(
    state: &AppState,
    w: &Write,
    name: &str,
    is_default: bool,
    days: &[(u8, DayTemplateId)],
) -> AppResult<WeekPlan> {
    let mut tx = state.begin_for(w).await?;
    check_templates(&mut tx.conn(), w.user, days).await?;
    let p = week_plans::insert(&mut tx.conn(), w.user, name, is_default, days, state.now()).await?;
    tx.commit().await?;
    Ok(p)
}

/// Change the given fields of a plan (`days` replaces the mapping).
pub async fn update_plan(
    state: &AppState,
    w: &Write,
    id: WeekPlanId,
    name: Option<&str>,
    is_default: Option<bool>,
    days: Option<&[(u8, DayTemplateId)]>,
) -> AppResult<WeekPlan> {
    let mut tx = state.begin_for(w).await?;
    if !week_plans::exists(&mut tx.conn(), w.user, id).await? {
        return Err(not_found("Week plan not found"));
    }
    if let Some(days) = days {
        check_templates(&mut tx.conn(), w.user, days).await?;
    }
    let p = week_plans::update(
        &mut tx.conn(),
        w.user,
        id,
        name,
        is_default,
        days,
        state.now(),
    )
    .await?
    .ok_or_else(|| not_found("Week plan not found"))?;
    tx.commit().await?;
    Ok(p)
}

/// Make a plan the one weeks are generated from.
pub async fn set_default_plan(state: &AppState, w: &Write, id: WeekPlanId) -> AppResult<WeekPlan> {
    let mut tx = state.begin_for(w).await?;
    let p = week_plans::set_default(&mut tx.conn(), w.user, id, state.now())
        .await?
        .ok_or_else(|| not_found("Week plan not found"))?;
    tx.commit().await?;
    Ok(p)
}

pub async fn delete_plan(state: &AppState, w: &Write, id: WeekPlanId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    if !week_plans::delete(&mut tx.conn(), w.user, id).await? {
        return Err(not_found("Week plan not found"));
    }
    tx.commit().await?;
    Ok(())
}
