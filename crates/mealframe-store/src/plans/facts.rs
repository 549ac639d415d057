//! Bulk reads for streaks and stats: one query each, however long the period.

use std::collections::{BTreeMap, HashMap};

use dbkit::{Conn, fetch_all};
use mealframe_core::{
    ids::{MealTypeId, UserId},
    planning::{
        calendar::monday_of,
        macros::Macros,
        stats::{DayFacts, SlotFacts},
        streak::DayTally,
    },
};
use time::Date;
use uuid::Uuid;

use crate::{
    Result,
    library::meals::{MacroColumns, tenths},
};

/// Per generated day in `[from, to]`: slot count, unmarked count, override flag.
pub async fn tallies(
    c: &mut Conn<'_>,
    user: UserId,
    from: Date,
    to: Date,
) -> Result<BTreeMap<Date, DayTally>> {
    let rows = fetch_all!(
        c,
        (Date, bool, i64, i64),
        "SELECT d.date, d.is_override, CAST(COUNT(s.id) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.id IS NOT NULL AND s.completion_status IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM weekly_plan_instances i
         JOIN weekly_plan_days d ON d.weekly_plan_instance_id = i.id
         LEFT JOIN weekly_plan_slots s ON s.weekly_plan_instance_id = d.weekly_plan_instance_id AND s.date = d.date
         WHERE i.user_id = $1 AND i.week_start_date >= $2 AND i.week_start_date <= $3 AND d.date >= $4 AND d.date <= $3
         GROUP BY d.date, d.is_override",
        user.uuid(),
        monday_of(from),
        to,
        from
    )?;
    Ok(rows
        .into_iter()
        .map(|(date, is_override, total, unmarked)| {
            (
                date,
                DayTally {
                    total: total as u32,
                    unmarked: unmarked as u32,
                    is_override,
                },
            )
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct SlotRow {
    date: Date,
    completion_status: Option<String>,
    meal_type_id: Option<Uuid>,
    meal_id: Option<Uuid>,
    actual_meal_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct MacroRow {
    id: Uuid,
    #[sqlx(flatten)]
    macros: MacroColumns,
}

/// The slots of the user's weeks dated in `[$4, $3]` (`$2` = the Monday of `$4`): the `FROM …
/// WHERE` shared by the two queries of [`slots`].
macro_rules! slots_in_range {
    () => {
        " FROM weekly_plan_instances i
         JOIN weekly_plan_slots s ON s.weekly_plan_instance_id = i.id
         WHERE i.user_id = $1 AND i.week_start_date >= $2 AND i.week_start_date <= $3 AND s.date >= $4 AND s.date <= $3"
    };
}

/// Every slot dated in `[from, to]`, with its planned and actual meal's macros.
///
/// Two queries: narrow slot rows, then the macros of each distinct meal they mention once (a
/// year holds ~1,500 slots but a few dozen meals; wide joined rows cost more to move than to
/// look up).
pub async fn slots(c: &mut Conn<'_>, user: UserId, from: Date, to: Date) -> Result<Vec<SlotFacts>> {
    let rows = fetch_all!(
        c,
        SlotRow,
        concat!(
            "SELECT s.date, s.completion_status, s.meal_type_id, s.meal_id, s.actual_meal_id",
            slots_in_range!(),
            " ORDER BY s.date, s.position"
        ),
        user.uuid(),
        monday_of(from),
        to,
        from
    )?;
    let meals = fetch_all!(
        c,
        MacroRow,
        concat!(
            "SELECT id, calories_kcal, protein_dg, carbs_dg, sugar_dg, fat_dg, saturated_fat_dg, fiber_dg
             FROM meals WHERE id IN (SELECT s.meal_id",
            slots_in_range!(),
            " UNION SELECT s.actual_meal_id",
            slots_in_range!(),
            ")"
        ),
        user.uuid(),
        monday_of(from),
        to,
        from
    )?;
    let macros: HashMap<Uuid, Macros> =
        meals.into_iter().map(|m| (m.id, m.macros.into())).collect();
    let lookup = |id: Option<Uuid>| id.and_then(|id| macros.get(&id).copied());
    Ok(rows
        .into_iter()
        .map(|r| SlotFacts {
            date: r.date,
            status: r.completion_status.and_then(|s| s.parse().ok()),
            meal_type: r.meal_type_id.map(MealTypeId),
            planned: lookup(r.meal_id),
            actual: lookup(r.actual_meal_id),
        })
        .collect())
}

/// Every generated day in `[from, to]` with its current template's name and limits.
pub async fn days(c: &mut Conn<'_>, user: UserId, from: Date, to: Date) -> Result<Vec<DayFacts>> {
    let rows = fetch_all!(
        c,
        (Date, bool, Option<String>, Option<i32>, Option<i32>),
        "SELECT d.date, d.is_override, t.name, t.max_calories_kcal, t.max_protein_dg
         FROM weekly_plan_instances i
         JOIN weekly_plan_days d ON d.weekly_plan_instance_id = i.id
         LEFT JOIN day_templates t ON t.id = d.day_template_id
         WHERE i.user_id = $1 AND i.week_start_date >= $2 AND i.week_start_date <= $3 AND d.date >= $4 AND d.date <= $3
         ORDER BY d.date",
        user.uuid(),
        monday_of(from),
        to,
        from
    )?;
    Ok(rows
        .into_iter()
        .map(|(date, is_override, name, kcal, protein)| DayFacts {
            date,
            is_override,
            template_name: name,
            max_calories_kcal: kcal,
            max_protein: tenths(protein),
        })
        .collect())
}
