//! Planning operations: each reads what it needs, applies the rules of `mealframe-core`, and
//! writes, inside the caller's transaction. Refusals are `StoreError::Rejected`.

use dbkit::{Conn, Timestamp};
use mealframe_core::{
    ids::{DayTemplateId, MealId, MealTypeId, SlotId, UserId, WeekId},
    planning::{
        calendar::monday_of,
        completion::CompletionStatus,
        generation::{self, PlannedSlot},
    },
};
use time::Date;

use super::{rotation, views, writes};
use crate::{
    Rejection, Result,
    library::{day_templates, meal_types, meals, week_plans},
};

/// Whether generation created the week or regenerated an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    Created(WeekId),
    Regenerated(WeekId),
}

/// Generate the week starting on `monday` (must be a Monday), or smart-regenerate it if it exists.
pub async fn generate(
    c: &mut Conn<'_>,
    user: UserId,
    monday: Date,
    today: Date,
    now: Timestamp,
) -> Result<Generated> {
    if monday_of(monday) != monday {
        return Err(Rejection::NotMonday(monday).into());
    }
    if let Some((week, _)) = views::week_row(&mut c.reborrow(), user, monday).await? {
        regenerate(c, user, week, today, now).await?;
        return Ok(Generated::Regenerated(week));
    }
    let (plan, mapping) = week_plans::default_plan(&mut c.reborrow(), user)
        .await?
        .ok_or(Rejection::NoDefaultPlan)?;
    let templates = day_templates::slots_by_template(&mut c.reborrow(), user).await?;
    let mut rot = rotation::load(&mut c.reborrow(), user).await?;
    let days = generation::plan_week(monday, &mapping, &templates, &mut rot);
    let week = writes::insert_week(&mut c.reborrow(), user, monday, plan, &days, now).await?;
    rotation::save(c, user, &rot, now).await?;
    Ok(Generated::Created(week))
}

/// Re-roll the unmarked, not hand-picked slots of a week from `today` on.
pub async fn regenerate(
    c: &mut Conn<'_>,
    user: UserId,
    week: WeekId,
    today: Date,
    now: Timestamp,
) -> Result<()> {
    let days = writes::existing_days(&mut c.reborrow(), week).await?;
    let templates = day_templates::slots_by_template(&mut c.reborrow(), user).await?;
    let mut rot = rotation::load(&mut c.reborrow(), user).await?;
    let changes = generation::regenerate(&days, today, &templates, &mut rot);
    writes::set_slot_meals(&mut c.reborrow(), &changes).await?;
    rotation::save(c, user, &rot, now).await
}

async fn week_of(c: &mut Conn<'_>, user: UserId, date: Date) -> Result<WeekId> {
    let monday = monday_of(date);
    Ok(views::week_row(c, user, monday)
        .await?
        .ok_or(Rejection::NoWeek(monday))?
        .0)
}

async fn fill_day(
    c: &mut Conn<'_>,
    user: UserId,
    week: WeekId,
    date: Date,
    template: DayTemplateId,
    now: Timestamp,
) -> Result<()> {
    let templates = day_templates::slots_by_template(&mut c.reborrow(), user).await?;
    let mut rot = rotation::load(&mut c.reborrow(), user).await?;
    let slots = generation::fill_day(
        templates.get(&template).map(Vec::as_slice).unwrap_or(&[]),
        &mut rot,
    );
    let rows: Vec<(Date, PlannedSlot)> = slots.into_iter().map(|s| (date, s)).collect();
    writes::insert_slots(&mut c.reborrow(), week, &rows).await?;
    rotation::save(c, user, &rot, now).await
}

/// Rebuild a day from another template (any day of any generated week; a day the plan left
/// unmapped gets a record). Its slots, marks included, are replaced and any override cleared.
pub async fn switch_day_template(
    c: &mut Conn<'_>,
    user: UserId,
    date: Date,
    template: DayTemplateId,
    now: Timestamp,
) -> Result<()> {
    let week = week_of(&mut c.reborrow(), user, date).await?;
    if !day_templates::exists(&mut c.reborrow(), user, template).await? {
        return Err(Rejection::TemplateNotFound(template).into());
    }
    match writes::day_record(&mut c.reborrow(), week, date).await? {
        Some((day, _, _)) => {
            writes::set_day_template(&mut c.reborrow(), day, template, now).await?
        }
        None => {
            writes::insert_day(
                &mut c.reborrow(),
                week,
                date,
                Some(template),
                false,
                None,
                now,
            )
            .await?;
        }
    }
    writes::delete_slots(&mut c.reborrow(), week, date).await?;
    fill_day(c, user, week, date, template, now).await
}

/// Mark a day "No Plan" (with an optional reason): its slots are removed; the template is kept
/// for when the override is cleared. Setting it again just updates the reason.
pub async fn set_override(
    c: &mut Conn<'_>,
    user: UserId,
    date: Date,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let week = week_of(&mut c.reborrow(), user, date).await?;
    match writes::day_record(&mut c.reborrow(), week, date).await? {
        Some((day, _, _)) => {
            writes::set_day_override(&mut c.reborrow(), day, true, reason, now).await?
        }
        None => {
            writes::insert_day(&mut c.reborrow(), week, date, None, true, reason, now).await?;
        }
    }
    writes::delete_slots(c, week, date).await?;
    Ok(())
}

/// Where meals added to a "No Plan" day wait while its template's slots are filled in.
const ASIDE: i32 = 100_000;

/// Restore a "No Plan" day from its template with fresh round-robin meals. Meals added to the
/// day while it had no plan stay, after the template's slots, marks included. Refused when the
/// day is not a "No Plan" day and still has slots (the original crashed on the position clash),
/// or has no template.
pub async fn clear_override(
    c: &mut Conn<'_>,
    user: UserId,
    date: Date,
    now: Timestamp,
) -> Result<()> {
    let week = week_of(&mut c.reborrow(), user, date).await?;
    let (day, template, is_override) = writes::day_record(&mut c.reborrow(), week, date)
        .await?
        .ok_or(Rejection::NoDay(date))?;
    let added = writes::slot_count(&mut c.reborrow(), week, date).await?;
    if added > 0 && !is_override {
        return Err(Rejection::DayHasSlots(date).into());
    }
    let template = template.ok_or(Rejection::NoTemplateForDay(date))?;
    writes::set_day_override(&mut c.reborrow(), day, false, None, now).await?;
    if added == 0 {
        return fill_day(c, user, week, date, template, now).await;
    }
    // Added meals step aside, the template's slots take their positions, the added meals follow.
    writes::shift_slots(&mut c.reborrow(), week, date, 0, ASIDE).await?;
    fill_day(&mut c.reborrow(), user, week, date, template, now).await?;
    let last = writes::last_position_below(&mut c.reborrow(), week, date, ASIDE).await?;
    writes::shift_slots(c, week, date, ASIDE, last.map_or(0, |p| p + 1) - ASIDE).await?;
    Ok(())
}

async fn owned_slot(c: &mut Conn<'_>, user: UserId, slot: SlotId) -> Result<writes::SlotRef> {
    Ok(writes::slot_ref(c, user, slot)
        .await?
        .ok_or(Rejection::SlotNotFound(slot))?)
}

/// Mark a slot (any date). The actual meal, if given, must be the user's; it replaces (or clears)
/// the previous one for every status, as in the original.
pub async fn complete(
    c: &mut Conn<'_>,
    user: UserId,
    slot: SlotId,
    status: CompletionStatus,
    actual: Option<MealId>,
    now: Timestamp,
) -> Result<()> {
    let Some(meal) = actual else {
        // The common case in one statement: the ownership check is in its WHERE.
        return match writes::mark_owned_slot(c, user, slot, status, now).await? {
            true => Ok(()),
            false => Err(Rejection::SlotNotFound(slot).into()),
        };
    };
    let s = owned_slot(&mut c.reborrow(), user, slot).await?;
    if !meals::exists(&mut c.reborrow(), user, meal).await? {
        return Err(Rejection::MealNotFound(meal).into());
    }
    writes::set_completion(c, s.id, Some(status), Some(now), actual).await
}

pub async fn uncomplete(c: &mut Conn<'_>, user: UserId, slot: SlotId) -> Result<()> {
    let s = owned_slot(&mut c.reborrow(), user, slot).await?;
    writes::set_completion(c, s.id, None, None, None).await
}

/// Remove an ad-hoc slot (template slots cannot be removed).
pub async fn delete_adhoc(c: &mut Conn<'_>, user: UserId, slot: SlotId) -> Result<()> {
    let s = owned_slot(&mut c.reborrow(), user, slot).await?;
    if !s.is_adhoc {
        return Err(Rejection::NotAdhoc.into());
    }
    writes::delete_slot(c, s.id).await
}

/// Put another meal on a slot (ADR-011), checked in the original's order: the slot, not in the
/// past, the meal, then the meal belongs to the target meal type (the new one if given).
pub async fn reassign(
    c: &mut Conn<'_>,
    user: UserId,
    slot: SlotId,
    meal: MealId,
    meal_type: Option<MealTypeId>,
    today: Date,
) -> Result<()> {
    let s = owned_slot(&mut c.reborrow(), user, slot).await?;
    if s.date < today {
        return Err(Rejection::PastDate.into());
    }
    if !meals::exists(&mut c.reborrow(), user, meal).await? {
        return Err(Rejection::MealNotFound(meal).into());
    }
    if let Some(t) = meal_type
        && meal_types::get(&mut c.reborrow(), user, t).await?.is_none()
    {
        return Err(Rejection::MealTypeNotFound(t).into());
    }
    if let Some(target) = meal_type.or(s.meal_type)
        && !meals::type_ids(&mut c.reborrow(), meal)
            .await?
            .contains(&target)
    {
        return Err(Rejection::MealTypeMismatch.into());
    }
    writes::reassign(c, s.id, meal, meal_type).await
}

/// Add a meal of the library to a date of a generated week, after its last slot. The meal's
/// type is its first linked type (by name). A date without a day record (an override day, an
/// unmapped weekday) gets one, so the slot always shows.
pub async fn add_adhoc(
    c: &mut Conn<'_>,
    user: UserId,
    date: Date,
    meal: MealId,
    now: Timestamp,
) -> Result<SlotId> {
    let week = week_of(&mut c.reborrow(), user, date).await?;
    if !meals::exists(&mut c.reborrow(), user, meal).await? {
        return Err(Rejection::MealNotFound(meal).into());
    }
    if writes::day_record(&mut c.reborrow(), week, date)
        .await?
        .is_none()
    {
        writes::insert_day(&mut c.reborrow(), week, date, None, false, None, now).await?;
    }
    let meal_type = meals::type_ids(&mut c.reborrow(), meal)
        .await?
        .into_iter()
        .next();
    writes::insert_adhoc(c, week, date, meal, meal_type).await
}
