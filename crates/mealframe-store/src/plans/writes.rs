//! Writing generated weeks: instances, day records and slots. Primitive statements; the rules
//! that decide what to write live in [`super::ops`] and `mealframe-core`.

use dbkit::{Conn, Timestamp, execute, fetch_optional, fetch_scalar, on_conn};
use mealframe_core::{
    ids::{DayId, DayTemplateId, MealId, MealTypeId, SlotId, UserId, WeekId, WeekPlanId},
    planning::{
        completion::CompletionStatus,
        generation::{ExistingDay, ExistingSlot, PlannedDay, PlannedSlot},
    },
};
use time::Date;
use uuid::Uuid;

use crate::Result;

/// Insert a week with its days and slots. A concurrent insert of the same week fails with
/// `StoreError::Integrity(Unique)` (the caller retries as a regeneration).
pub async fn insert_week(
    c: &mut Conn<'_>,
    user: UserId,
    monday: Date,
    plan: WeekPlanId,
    days: &[PlannedDay],
    now: Timestamp,
) -> Result<WeekId> {
    let week = WeekId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO weekly_plan_instances (id, user_id, week_plan_id, week_start_date, created_at) VALUES ($1, $2, $3, $4, $5)",
        week.uuid(),
        user.uuid(),
        plan.uuid(),
        monday,
        now
    )?;
    for day in days {
        insert_day(
            &mut c.reborrow(),
            week,
            day.date,
            Some(day.template),
            false,
            None,
            now,
        )
        .await?;
    }
    let slots: Vec<(Date, PlannedSlot)> = days
        .iter()
        .flat_map(|d| d.slots.iter().map(move |s| (d.date, *s)))
        .collect();
    insert_slots(c, week, &slots).await?;
    Ok(week)
}

pub async fn insert_day(
    c: &mut Conn<'_>,
    week: WeekId,
    date: Date,
    template: Option<DayTemplateId>,
    is_override: bool,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<DayId> {
    let id = DayId::new();
    execute!(
        c,
        "INSERT INTO weekly_plan_days (id, weekly_plan_instance_id, date, day_template_id, is_override, override_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        id.uuid(),
        week.uuid(),
        date,
        template.map(DayTemplateId::uuid),
        is_override,
        reason,
        now
    )?;
    Ok(id)
}

/// Insert template slots (not ad hoc, not overridden), many rows per statement.
pub async fn insert_slots(
    c: &mut Conn<'_>,
    week: WeekId,
    slots: &[(Date, PlannedSlot)],
) -> Result<()> {
    for chunk in slots.chunks(200) {
        let text = format!(
            "INSERT INTO weekly_plan_slots (id, weekly_plan_instance_id, date, position, meal_type_id, meal_id, is_adhoc, is_manual_override)
             VALUES {}",
            (0..chunk.len())
                .map(|r| format!("(${}, ${}, ${}, ${}, ${}, ${}, FALSE, FALSE)", r * 6 + 1, r * 6 + 2, r * 6 + 3, r * 6 + 4, r * 6 + 5, r * 6 + 6))
                .collect::<Vec<_>>()
                .join(", ")
        );
        on_conn!(c.reborrow(), |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(text.clone()));
            for (date, s) in chunk {
                q = q
                    .bind(Uuid::now_v7())
                    .bind(week.uuid())
                    .bind(*date)
                    .bind(s.position)
                    .bind(s.meal_type.uuid())
                    .bind(s.meal.map(MealId::uuid));
            }
            q.execute(e).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// The day record of a date in a week: `(id, template, is_override)`.
pub async fn day_record(
    c: &mut Conn<'_>,
    week: WeekId,
    date: Date,
) -> Result<Option<(DayId, Option<DayTemplateId>, bool)>> {
    let row = fetch_optional!(
        c,
        (Uuid, Option<Uuid>, bool),
        "SELECT id, day_template_id, is_override FROM weekly_plan_days WHERE weekly_plan_instance_id = $1 AND date = $2",
        week.uuid(),
        date
    )?;
    Ok(row.map(|(id, t, o)| (DayId(id), t.map(DayTemplateId), o)))
}

pub async fn delete_slots(c: &mut Conn<'_>, week: WeekId, date: Date) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM weekly_plan_slots WHERE weekly_plan_instance_id = $1 AND date = $2",
        week.uuid(),
        date
    )?)
}

/// Move the slots of a date at `from` or after by `by` positions (keeping their order).
pub async fn shift_slots(
    c: &mut Conn<'_>,
    week: WeekId,
    date: Date,
    from: i32,
    by: i32,
) -> Result<u64> {
    Ok(execute!(
        c,
        "UPDATE weekly_plan_slots SET position = position + $4
         WHERE weekly_plan_instance_id = $1 AND date = $2 AND position >= $3",
        week.uuid(),
        date,
        from,
        by
    )?)
}

/// The highest slot position of a date below `below`, if any.
pub async fn last_position_below(
    c: &mut Conn<'_>,
    week: WeekId,
    date: Date,
    below: i32,
) -> Result<Option<i32>> {
    Ok(fetch_scalar!(
        c,
        Option<i32>,
        "SELECT MAX(position) FROM weekly_plan_slots
         WHERE weekly_plan_instance_id = $1 AND date = $2 AND position < $3",
        week.uuid(),
        date,
        below
    )?)
}

pub async fn slot_count(c: &mut Conn<'_>, week: WeekId, date: Date) -> Result<i64> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM weekly_plan_slots WHERE weekly_plan_instance_id = $1 AND date = $2",
        week.uuid(),
        date
    )?)
}

/// Set a day's template and clear any override.
pub async fn set_day_template(
    c: &mut Conn<'_>,
    day: DayId,
    template: DayTemplateId,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE weekly_plan_days SET day_template_id = $2, is_override = FALSE, override_reason = NULL, updated_at = $3 WHERE id = $1",
        day.uuid(),
        template.uuid(),
        now
    )?;
    Ok(())
}

pub async fn set_day_override(
    c: &mut Conn<'_>,
    day: DayId,
    is_override: bool,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE weekly_plan_days SET is_override = $2, override_reason = $3, updated_at = $4 WHERE id = $1",
        day.uuid(),
        is_override,
        reason,
        now
    )?;
    Ok(())
}

/// Regeneration's view of a week's days and slots.
pub async fn existing_days(c: &mut Conn<'_>, week: WeekId) -> Result<Vec<ExistingDay>> {
    let days = dbkit::fetch_all!(
        c.reborrow(),
        (Date, Option<Uuid>, bool),
        "SELECT date, day_template_id, is_override FROM weekly_plan_days WHERE weekly_plan_instance_id = $1 ORDER BY date",
        week.uuid()
    )?;
    let slots = dbkit::fetch_all!(
        c,
        (Uuid, Date, i32, Option<String>, bool, bool),
        "SELECT id, date, position, completion_status, is_manual_override, is_adhoc FROM weekly_plan_slots
         WHERE weekly_plan_instance_id = $1 ORDER BY date, position",
        week.uuid()
    )?;
    Ok(days
        .into_iter()
        .map(|(date, template, is_override)| ExistingDay {
            date,
            template: template.map(DayTemplateId),
            is_override,
            slots: slots
                .iter()
                .filter(|s| s.1 == date)
                .map(|(id, _, position, status, manual, adhoc)| ExistingSlot {
                    id: SlotId(*id),
                    position: *position,
                    status: status.as_deref().and_then(|s| s.parse().ok()),
                    is_manual_override: *manual,
                    is_adhoc: *adhoc,
                })
                .collect(),
        })
        .collect())
}

pub async fn set_slot_meal(c: &mut Conn<'_>, slot: SlotId, meal: Option<MealId>) -> Result<()> {
    execute!(
        c,
        "UPDATE weekly_plan_slots SET meal_id = $2 WHERE id = $1",
        slot.uuid(),
        meal.map(MealId::uuid)
    )?;
    Ok(())
}

/// Give many slots their meals in one statement per 200 slots (a regeneration changes dozens;
/// one `UPDATE` per slot cost a round trip each on PostgreSQL).
pub async fn set_slot_meals(c: &mut Conn<'_>, changes: &[(SlotId, Option<MealId>)]) -> Result<()> {
    for chunk in changes.chunks(200) {
        let cases = (0..chunk.len())
            .map(|r| format!("WHEN ${} THEN ${}", r * 2 + 1, r * 2 + 2))
            .collect::<Vec<_>>()
            .join(" ");
        let ids = (0..chunk.len())
            .map(|r| format!("${}", r * 2 + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            "UPDATE weekly_plan_slots SET meal_id = CASE id {cases} END WHERE id IN ({ids})"
        );
        on_conn!(c.reborrow(), |e| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(text.clone()));
            for (slot, meal) in chunk {
                q = q.bind(slot.uuid()).bind(meal.map(MealId::uuid));
            }
            q.execute(e).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// A slot of the user's with what the slot operations need to check.
#[derive(Debug, Clone, Copy)]
pub struct SlotRef {
    pub id: SlotId,
    pub week: WeekId,
    pub date: Date,
    pub meal_type: Option<MealTypeId>,
    pub is_adhoc: bool,
    pub has_status: bool,
}

pub async fn slot_ref(c: &mut Conn<'_>, user: UserId, id: SlotId) -> Result<Option<SlotRef>> {
    let row = fetch_optional!(
        c,
        (Uuid, Date, Option<Uuid>, bool, Option<String>),
        "SELECT s.weekly_plan_instance_id, s.date, s.meal_type_id, s.is_adhoc, s.completion_status
         FROM weekly_plan_slots s JOIN weekly_plan_instances i ON i.id = s.weekly_plan_instance_id
         WHERE s.id = $1 AND i.user_id = $2",
        id.uuid(),
        user.uuid()
    )?;
    Ok(row.map(|(week, date, t, adhoc, status)| SlotRef {
        id,
        week: WeekId(week),
        date,
        meal_type: t.map(MealTypeId),
        is_adhoc: adhoc,
        has_status: status.is_some(),
    }))
}

pub async fn set_completion(
    c: &mut Conn<'_>,
    slot: SlotId,
    status: Option<CompletionStatus>,
    at: Option<Timestamp>,
    actual: Option<MealId>,
) -> Result<()> {
    execute!(
        c,
        "UPDATE weekly_plan_slots SET completion_status = $2, completed_at = $3, actual_meal_id = $4 WHERE id = $1",
        slot.uuid(),
        status.map(CompletionStatus::as_str),
        at,
        actual.map(MealId::uuid)
    )?;
    Ok(())
}

/// Mark one of `user`'s slots without an actual meal; `false` when no such slot is theirs.
pub async fn mark_owned_slot(
    c: &mut Conn<'_>,
    user: UserId,
    slot: SlotId,
    status: CompletionStatus,
    at: Timestamp,
) -> Result<bool> {
    let n = execute!(
        c,
        "UPDATE weekly_plan_slots SET completion_status = $3, completed_at = $4, actual_meal_id = NULL
         WHERE id = $1 AND weekly_plan_instance_id IN (SELECT id FROM weekly_plan_instances WHERE user_id = $2)",
        slot.uuid(),
        user.uuid(),
        status.as_str(),
        at
    )?;
    Ok(n == 1)
}

/// Put a meal on a slot by hand: marks it overridden and, if it was marked, unmarks it (the
/// linked actual meal is kept, as in the original).
pub async fn reassign(
    c: &mut Conn<'_>,
    slot: SlotId,
    meal: MealId,
    meal_type: Option<MealTypeId>,
) -> Result<()> {
    execute!(
        c,
        "UPDATE weekly_plan_slots SET meal_id = $2, meal_type_id = COALESCE($3, meal_type_id), is_manual_override = TRUE,
                completion_status = NULL, completed_at = NULL
         WHERE id = $1",
        slot.uuid(),
        meal.uuid(),
        meal_type.map(MealTypeId::uuid)
    )?;
    Ok(())
}

/// Add an ad-hoc slot after the date's last one (position 0 on an empty day).
pub async fn insert_adhoc(
    c: &mut Conn<'_>,
    week: WeekId,
    date: Date,
    meal: MealId,
    meal_type: Option<MealTypeId>,
) -> Result<SlotId> {
    let next: i64 = fetch_scalar!(
        c.reborrow(),
        i64,
        "SELECT CAST(COALESCE(MAX(position) + 1, 0) AS BIGINT) FROM weekly_plan_slots WHERE weekly_plan_instance_id = $1 AND date = $2",
        week.uuid(),
        date
    )?;
    let id = SlotId::new();
    execute!(
        c,
        "INSERT INTO weekly_plan_slots (id, weekly_plan_instance_id, date, position, meal_type_id, meal_id, is_adhoc, is_manual_override)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, FALSE)",
        id.uuid(),
        week.uuid(),
        date,
        next as i32,
        meal_type.map(MealTypeId::uuid),
        meal.uuid()
    )?;
    Ok(id)
}

pub async fn delete_slot(c: &mut Conn<'_>, slot: SlotId) -> Result<()> {
    execute!(
        c,
        "DELETE FROM weekly_plan_slots WHERE id = $1",
        slot.uuid()
    )?;
    Ok(())
}
