//! Reading generated weeks, days and slots as the API and the pages show them: one query for the
//! week, one for its days, one for all their slots (with meal type, planned and actual meal).

use dbkit::{Conn, Timestamp, fetch_all, fetch_optional};
use mealframe_core::{
    ids::{DayId, DayTemplateId, MealId, MealTypeId, SlotId, UserId, WeekId, WeekPlanId},
    meal_time::{MealTime, display_order},
    planning::{completion::CompletionStatus, macros::Macros},
    tenths::Tenths,
};
use time::Date;
use uuid::Uuid;

use crate::{
    Result,
    library::{MealTypeRef, NamedRef, meals::tenths},
};

/// A meal embedded in a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct MealCompact {
    pub id: MealId,
    pub name: String,
    pub portion_description: String,
    pub macros: Macros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotView {
    pub id: SlotId,
    pub date: Date,
    pub position: i32,
    pub meal_type: Option<MealTypeRef>,
    pub meal: Option<MealCompact>,
    pub status: Option<CompletionStatus>,
    pub completed_at: Option<Timestamp>,
    pub is_adhoc: bool,
    pub is_manual_override: bool,
    pub actual_meal: Option<MealCompact>,
    /// The time of the template slot this slot was planned from (same position and meal type
    /// in the day's current template; never for ad-hoc slots), read live so editing the
    /// template's times shows at once.
    pub time: Option<MealTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayView {
    pub id: DayId,
    pub date: Date,
    pub template: Option<NamedRef<DayTemplateId>>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein: Option<Tenths>,
    pub is_override: bool,
    pub override_reason: Option<String>,
    /// In display order: by time of day, untimed slots after the slot before them in position
    /// order ([`mealframe_core::meal_time::display_order`]); position order when nothing is timed.
    pub slots: Vec<SlotView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeekView {
    pub id: WeekId,
    pub week_start_date: Date,
    pub week_plan: Option<NamedRef<WeekPlanId>>,
    pub days: Vec<DayView>,
}

#[derive(sqlx::FromRow)]
struct SlotRow {
    id: Uuid,
    date: Date,
    position: i32,
    meal_type_id: Option<Uuid>,
    meal_type_name: Option<String>,
    completion_status: Option<String>,
    completed_at: Option<Timestamp>,
    is_adhoc: bool,
    is_manual_override: bool,
    m_id: Option<Uuid>,
    m_name: Option<String>,
    m_portion: Option<String>,
    m_kcal: Option<i32>,
    m_protein: Option<i32>,
    m_carbs: Option<i32>,
    m_sugar: Option<i32>,
    m_fat: Option<i32>,
    m_sat: Option<i32>,
    m_fiber: Option<i32>,
    a_id: Option<Uuid>,
    a_name: Option<String>,
    a_portion: Option<String>,
    a_kcal: Option<i32>,
    a_protein: Option<i32>,
    a_carbs: Option<i32>,
    a_sugar: Option<i32>,
    a_fat: Option<i32>,
    a_sat: Option<i32>,
    a_fiber: Option<i32>,
    time_minutes: Option<i32>,
}

#[allow(clippy::too_many_arguments)]
fn compact(
    id: Option<Uuid>,
    name: Option<String>,
    portion: Option<String>,
    kcal: Option<i32>,
    protein: Option<i32>,
    carbs: Option<i32>,
    sugar: Option<i32>,
    fat: Option<i32>,
    sat: Option<i32>,
    fiber: Option<i32>,
) -> Option<MealCompact> {
    Some(MealCompact {
        id: MealId(id?),
        name: name.unwrap_or_default(),
        portion_description: portion.unwrap_or_default(),
        macros: Macros {
            calories_kcal: kcal,
            protein: tenths(protein),
            carbs: tenths(carbs),
            sugar: tenths(sugar),
            fat: tenths(fat),
            saturated_fat: tenths(sat),
            fiber: tenths(fiber),
        },
    })
}

impl From<SlotRow> for SlotView {
    fn from(r: SlotRow) -> Self {
        SlotView {
            id: SlotId(r.id),
            date: r.date,
            position: r.position,
            meal_type: r
                .meal_type_id
                .zip(r.meal_type_name)
                .map(|(id, n)| MealTypeRef::new(id, n)),
            meal: compact(
                r.m_id,
                r.m_name,
                r.m_portion,
                r.m_kcal,
                r.m_protein,
                r.m_carbs,
                r.m_sugar,
                r.m_fat,
                r.m_sat,
                r.m_fiber,
            ),
            status: r.completion_status.and_then(|s| s.parse().ok()),
            completed_at: r.completed_at,
            is_adhoc: r.is_adhoc,
            is_manual_override: r.is_manual_override,
            actual_meal: compact(
                r.a_id,
                r.a_name,
                r.a_portion,
                r.a_kcal,
                r.a_protein,
                r.a_carbs,
                r.a_sugar,
                r.a_fat,
                r.a_sat,
                r.a_fiber,
            ),
            time: r.time_minutes.and_then(MealTime::from_minutes),
        }
    }
}

macro_rules! slot_select {
    ($where:literal) => {
        concat!(
            "SELECT s.id, s.date, s.position, s.meal_type_id, mt.name AS meal_type_name, s.completion_status, s.completed_at,
                    s.is_adhoc, s.is_manual_override,
                    m.id AS m_id, m.name AS m_name, m.portion_description AS m_portion, m.calories_kcal AS m_kcal,
                    m.protein_dg AS m_protein, m.carbs_dg AS m_carbs, m.sugar_dg AS m_sugar, m.fat_dg AS m_fat,
                    m.saturated_fat_dg AS m_sat, m.fiber_dg AS m_fiber,
                    a.id AS a_id, a.name AS a_name, a.portion_description AS a_portion, a.calories_kcal AS a_kcal,
                    a.protein_dg AS a_protein, a.carbs_dg AS a_carbs, a.sugar_dg AS a_sugar, a.fat_dg AS a_fat,
                    a.saturated_fat_dg AS a_sat, a.fiber_dg AS a_fiber, ts.time_minutes
             FROM weekly_plan_slots s
             LEFT JOIN meal_types mt ON mt.id = s.meal_type_id
             LEFT JOIN meals m ON m.id = s.meal_id
             LEFT JOIN meals a ON a.id = s.actual_meal_id
             LEFT JOIN weekly_plan_days sd ON sd.weekly_plan_instance_id = s.weekly_plan_instance_id AND sd.date = s.date
             LEFT JOIN day_template_slots ts ON ts.day_template_id = sd.day_template_id
                  AND ts.position = s.position AND ts.meal_type_id = s.meal_type_id AND NOT s.is_adhoc ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct DayRow {
    id: Uuid,
    date: Date,
    day_template_id: Option<Uuid>,
    template_name: Option<String>,
    max_calories_kcal: Option<i32>,
    max_protein_dg: Option<i32>,
    is_override: bool,
    override_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WeekRow {
    id: Uuid,
    week_plan_id: Option<Uuid>,
    plan_name: Option<String>,
}

/// The user's week starting on `monday`, if generated.
pub async fn week_row(
    c: &mut Conn<'_>,
    user: UserId,
    monday: Date,
) -> Result<Option<(WeekId, Option<NamedRef<WeekPlanId>>)>> {
    let row = fetch_optional!(
        c,
        WeekRow,
        "SELECT i.id, i.week_plan_id, p.name AS plan_name
         FROM weekly_plan_instances i LEFT JOIN week_plans p ON p.id = i.week_plan_id
         WHERE i.user_id = $1 AND i.week_start_date = $2",
        user.uuid(),
        monday
    )?;
    Ok(row.map(|r| {
        (
            WeekId(r.id),
            r.week_plan_id
                .zip(r.plan_name)
                .map(|(id, n)| NamedRef::new(id, n)),
        )
    }))
}

async fn days(c: &mut Conn<'_>, week: WeekId, only: Option<Date>) -> Result<Vec<DayView>> {
    let rows = fetch_all!(
        c.reborrow(),
        DayRow,
        "SELECT d.id, d.date, d.day_template_id, t.name AS template_name, t.max_calories_kcal, t.max_protein_dg,
                d.is_override, d.override_reason
         FROM weekly_plan_days d LEFT JOIN day_templates t ON t.id = d.day_template_id
         WHERE d.weekly_plan_instance_id = $1 AND ($2 IS NULL OR d.date = $2) ORDER BY d.date",
        week.uuid(),
        only
    )?;
    let slots = fetch_all!(
        c,
        SlotRow,
        slot_select!(
            "WHERE s.weekly_plan_instance_id = $1 AND ($2 IS NULL OR s.date = $2) ORDER BY s.date, s.position"
        ),
        week.uuid(),
        only
    )?;
    let mut by_date: std::collections::HashMap<Date, Vec<SlotView>> =
        std::collections::HashMap::new();
    for s in slots {
        let view = SlotView::from(s);
        by_date.entry(view.date).or_default().push(view);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = in_display_order(by_date.remove(&r.date).unwrap_or_default());
            DayView {
                id: DayId(r.id),
                date: r.date,
                template: r
                    .day_template_id
                    .zip(r.template_name)
                    .map(|(id, n)| NamedRef::new(id, n)),
                max_calories_kcal: r.max_calories_kcal,
                max_protein: tenths(r.max_protein_dg),
                is_override: r.is_override,
                override_reason: r.override_reason,
                slots: mine,
            }
        })
        .collect())
}

fn in_display_order(slots: Vec<SlotView>) -> Vec<SlotView> {
    let keys: Vec<_> = slots.iter().map(|s| (s.position, s.time)).collect();
    let mut slots: Vec<Option<SlotView>> = slots.into_iter().map(Some).collect();
    display_order(&keys)
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

/// The whole week starting on `monday`.
pub async fn week(c: &mut Conn<'_>, user: UserId, monday: Date) -> Result<Option<WeekView>> {
    let Some((id, week_plan)) = week_row(&mut c.reborrow(), user, monday).await? else {
        return Ok(None);
    };
    let days = days(c, id, None).await?;
    Ok(Some(WeekView {
        id,
        week_start_date: monday,
        week_plan,
        days,
    }))
}

/// One day: `None` if its week is not generated; `Some((week, None))` if the week exists but has
/// no record for the date.
pub async fn day(
    c: &mut Conn<'_>,
    user: UserId,
    date: Date,
) -> Result<Option<(WeekId, Option<DayView>)>> {
    let monday = mealframe_core::planning::calendar::monday_of(date);
    let Some((id, _)) = week_row(&mut c.reborrow(), user, monday).await? else {
        return Ok(None);
    };
    let mut days = days(c, id, Some(date)).await?;
    Ok(Some((id, days.pop())))
}

/// One slot of the user's, with its meals.
pub async fn slot(c: &mut Conn<'_>, user: UserId, id: SlotId) -> Result<Option<SlotView>> {
    let row = fetch_optional!(
        c,
        SlotRow,
        slot_select!(
            "JOIN weekly_plan_instances i ON i.id = s.weekly_plan_instance_id WHERE s.id = $1 AND i.user_id = $2"
        ),
        id.uuid(),
        user.uuid()
    )?;
    Ok(row.map(SlotView::from))
}

/// A meal's compact form, if it is the user's.
pub async fn meal_compact(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
) -> Result<Option<MealCompact>> {
    let row = fetch_optional!(
        c,
        (Uuid, String, String, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<i32>, Option<i32>),
        "SELECT id, name, portion_description, calories_kcal, protein_dg, carbs_dg, sugar_dg, fat_dg, saturated_fat_dg, fiber_dg
         FROM meals WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )?;
    Ok(row.and_then(|(id, n, p, k, pr, cb, s, f, sf, fi)| {
        compact(Some(id), Some(n), Some(p), k, pr, cb, s, f, sf, fi)
    }))
}

/// The meal type a slot belongs to, if any (for checks).
pub fn slot_meal_type(s: &SlotView) -> Option<MealTypeId> {
    s.meal_type.as_ref().map(|t| t.id)
}

/// The Mondays of all the user's generated weeks, oldest first.
pub async fn week_starts(c: &mut Conn<'_>, user: UserId) -> Result<Vec<Date>> {
    let rows = fetch_all!(
        c,
        (Date,),
        "SELECT week_start_date FROM weekly_plan_instances WHERE user_id = $1 ORDER BY week_start_date",
        user.uuid()
    )?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The latest change to anything the user's calendar feed shows: a week generated, a day's
/// template or "No Plan" changed, a template or a meal edited. `None` without any of them. The
/// feed's `DTSTAMP`, so the same plan always renders the same bytes.
pub async fn last_change(c: &mut Conn<'_>, user: UserId) -> Result<Option<Timestamp>> {
    let row = fetch_optional!(
        c,
        (Option<Timestamp>,),
        "SELECT MAX(x) FROM (
             SELECT MAX(created_at) AS x FROM weekly_plan_instances WHERE user_id = $1
             UNION ALL
             SELECT MAX(d.updated_at) FROM weekly_plan_days d
                 JOIN weekly_plan_instances i ON i.id = d.weekly_plan_instance_id WHERE i.user_id = $1
             UNION ALL
             SELECT MAX(updated_at) FROM day_templates WHERE user_id = $1
             UNION ALL
             SELECT MAX(updated_at) FROM meals WHERE user_id = $1
         ) changes",
        user.uuid()
    )?;
    Ok(row.and_then(|r| r.0))
}
