//! Bulk reads for streaks and stats: one query each, however long the period.

use std::collections::BTreeMap;

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

use crate::{Result, library::meals::tenths};

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
    m_id: Option<Uuid>,
    m_kcal: Option<i32>,
    m_protein: Option<i32>,
    m_carbs: Option<i32>,
    m_sugar: Option<i32>,
    m_fat: Option<i32>,
    m_sat: Option<i32>,
    m_fiber: Option<i32>,
    a_id: Option<Uuid>,
    a_kcal: Option<i32>,
    a_protein: Option<i32>,
    a_carbs: Option<i32>,
    a_sugar: Option<i32>,
    a_fat: Option<i32>,
    a_sat: Option<i32>,
    a_fiber: Option<i32>,
}

#[allow(clippy::too_many_arguments)]
fn macros(
    id: Option<Uuid>,
    kcal: Option<i32>,
    p: Option<i32>,
    c: Option<i32>,
    s: Option<i32>,
    f: Option<i32>,
    sf: Option<i32>,
    fi: Option<i32>,
) -> Option<Macros> {
    id.map(|_| Macros {
        calories_kcal: kcal,
        protein: tenths(p),
        carbs: tenths(c),
        sugar: tenths(s),
        fat: tenths(f),
        saturated_fat: tenths(sf),
        fiber: tenths(fi),
    })
}

/// Every slot dated in `[from, to]`, with its planned and actual meal's macros.
pub async fn slots(c: &mut Conn<'_>, user: UserId, from: Date, to: Date) -> Result<Vec<SlotFacts>> {
    let rows = fetch_all!(
        c,
        SlotRow,
        "SELECT s.date, s.completion_status, s.meal_type_id,
                m.id AS m_id, m.calories_kcal AS m_kcal, m.protein_dg AS m_protein, m.carbs_dg AS m_carbs, m.sugar_dg AS m_sugar,
                m.fat_dg AS m_fat, m.saturated_fat_dg AS m_sat, m.fiber_dg AS m_fiber,
                a.id AS a_id, a.calories_kcal AS a_kcal, a.protein_dg AS a_protein, a.carbs_dg AS a_carbs, a.sugar_dg AS a_sugar,
                a.fat_dg AS a_fat, a.saturated_fat_dg AS a_sat, a.fiber_dg AS a_fiber
         FROM weekly_plan_instances i
         JOIN weekly_plan_slots s ON s.weekly_plan_instance_id = i.id
         LEFT JOIN meals m ON m.id = s.meal_id
         LEFT JOIN meals a ON a.id = s.actual_meal_id
         WHERE i.user_id = $1 AND i.week_start_date >= $2 AND i.week_start_date <= $3 AND s.date >= $4 AND s.date <= $3
         ORDER BY s.date, s.position",
        user.uuid(),
        monday_of(from),
        to,
        from
    )?;
    Ok(rows
        .into_iter()
        .map(|r| SlotFacts {
            date: r.date,
            status: r.completion_status.and_then(|s| s.parse().ok()),
            meal_type: r.meal_type_id.map(MealTypeId),
            planned: macros(
                r.m_id,
                r.m_kcal,
                r.m_protein,
                r.m_carbs,
                r.m_sugar,
                r.m_fat,
                r.m_sat,
                r.m_fiber,
            ),
            actual: macros(
                r.a_id,
                r.a_kcal,
                r.a_protein,
                r.a_carbs,
                r.a_sugar,
                r.a_fat,
                r.a_sat,
                r.a_fiber,
            ),
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
