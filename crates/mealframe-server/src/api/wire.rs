//! Wire shapes shared by several routers, in the original's field order and encodings: decimals
//! as strings with one decimal (`"18.0"`), instants as `…+00:00`, dates `YYYY-MM-DD`, optional
//! fields always present (as `null`).

use dbkit::Timestamp;
use mealframe_core::{
    planning::{
        calendar::weekday_name,
        macros::{MacroTotals, Macros},
    },
    tenths::{Tenths, format_scaled},
};

use mealframe_store::{
    library::NamedRef,
    plans::views::{DayView, MealCompact as StoreMeal, SlotView, WeekView},
};
use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use crate::app::today::{DayTotals, marked, totals};

pub fn decimal(v: Option<Tenths>) -> Option<String> {
    v.map(|t| t.to_string())
}

pub fn instant(t: Timestamp) -> String {
    platform::timefmt::python_isoformat(t.into_inner())
}

pub fn date(d: Date) -> String {
    d.to_string()
}

// The document's name for `mealframe_core::planning::completion::CompletionStatus`.
/// How a slot went: `followed` the plan, ate something `equivalent`, `skipped` it, `deviated`, or
/// a `social` event.
#[derive(ToSchema)]
#[schema(as = CompletionStatus)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum CompletionStatusName {
    Followed,
    Equivalent,
    Skipped,
    Deviated,
    Social,
}

// The document's names of the days of the week (`weekday_name`).
/// A day of the week.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum WeekdayName {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

// How request bodies may give a decimal (`Issues::tenths`, `Issues::unit_fraction`).
/// A decimal, as a JSON number or a numeric string; grams are 0 to 99999.9.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum DecimalInput {
    Number(f64),
    Text(String),
}

/// `{id, name}`
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Compact {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
}

impl<Id: std::fmt::Display> From<&NamedRef<Id>> for Compact {
    fn from(r: &NamedRef<Id>) -> Self {
        Compact {
            id: r.id.to_string(),
            name: r.name.clone(),
        }
    }
}

/// A meal embedded in another object.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct MealCompact {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    pub protein_g: Option<String>,
    pub carbs_g: Option<String>,
    pub sugar_g: Option<String>,
    pub fat_g: Option<String>,
    pub saturated_fat_g: Option<String>,
    pub fiber_g: Option<String>,
}

impl MealCompact {
    pub fn new(id: String, name: String, portion: String, m: &Macros) -> MealCompact {
        MealCompact {
            id,
            name,
            portion_description: portion,
            calories_kcal: m.calories_kcal,
            protein_g: decimal(m.protein),
            carbs_g: decimal(m.carbs),
            sugar_g: decimal(m.sugar),
            fat_g: decimal(m.fat),
            saturated_fat_g: decimal(m.saturated_fat),
            fiber_g: decimal(m.fiber),
        }
    }
}

impl From<&StoreMeal> for MealCompact {
    fn from(m: &StoreMeal) -> Self {
        MealCompact::new(
            m.id.to_string(),
            m.name.clone(),
            m.portion_description.clone(),
            &m.macros,
        )
    }
}

/// A slot of a generated day (`WeeklyPlanSlotResponse`).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Slot {
    #[schema(format = Uuid)]
    pub id: String,
    pub position: i32,
    pub meal_type: Option<Compact>,
    pub meal: Option<MealCompact>,
    /// Null while the slot is unmarked.
    #[schema(value_type = Option<CompletionStatusName>)]
    pub completion_status: Option<&'static str>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    pub is_adhoc: bool,
    pub is_manual_override: bool,
    pub actual_meal: Option<MealCompact>,
    /// Time of day `"HH:MM"` from the day template's slot (user's time zone); present only when
    /// the slot has one. Added by MealFrame.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "07:30")]
    pub time: Option<String>,
}

impl From<&SlotView> for Slot {
    fn from(s: &SlotView) -> Self {
        Slot {
            id: s.id.to_string(),
            position: s.position,
            meal_type: s.meal_type.as_ref().map(Compact::from),
            meal: s.meal.as_ref().map(MealCompact::from),
            completion_status: s.status.map(|c| c.as_str()),
            completed_at: s.completed_at.map(instant),
            is_adhoc: s.is_adhoc,
            is_manual_override: s.is_manual_override,
            actual_meal: s.actual_meal.as_ref().map(MealCompact::from),
            time: s.time.map(|t| t.to_string()),
        }
    }
}

/// A slot with `is_next` (`WeeklyPlanSlotWithNext`).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SlotWithNext {
    #[serde(flatten)]
    pub slot: Slot,
    pub is_next: bool,
}

/// `{completed, total}` — completed counts slots with any status.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CompletionSummary {
    pub completed: u32,
    pub total: u32,
}

/// Totals of a day, in kcal and grams (decimal strings).
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct Totals {
    pub calories_kcal: i64,
    pub protein_g: String,
    pub carbs_g: String,
    pub sugar_g: String,
    pub fat_g: String,
    pub saturated_fat_g: String,
    pub fiber_g: String,
}

impl From<&MacroTotals> for Totals {
    fn from(t: &MacroTotals) -> Self {
        Totals {
            calories_kcal: t.calories_kcal,
            protein_g: format_scaled(t.protein_dg, 1),
            carbs_g: format_scaled(t.carbs_dg, 1),
            sugar_g: format_scaled(t.sugar_dg, 1),
            fat_g: format_scaled(t.fat_dg, 1),
            saturated_fat_g: format_scaled(t.saturated_fat_dg, 1),
            fiber_g: format_scaled(t.fiber_dg, 1),
        }
    }
}

/// A day's planned and eaten totals (addition: see `mealframe_core::planning::macros`).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DayMacros {
    pub planned: Totals,
    pub eaten: Totals,
}

/// The day's soft limits and whether the planned or eaten totals exceed them (addition).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DayLimits {
    pub max_calories_kcal: Option<i32>,
    pub max_protein_g: Option<String>,
    pub over_planned: bool,
    pub over_eaten: bool,
}

/// A day's totals and limits as the wire has them (the totals are the use cases':
/// `app::today::totals`).
pub fn day_macros(day: &DayView, t: &DayTotals) -> (DayMacros, DayLimits) {
    (
        DayMacros {
            planned: Totals::from(&t.planned),
            eaten: Totals::from(&t.eaten),
        },
        DayLimits {
            max_calories_kcal: day.max_calories_kcal,
            max_protein_g: decimal(day.max_protein),
            over_planned: t.over_planned,
            over_eaten: t.over_eaten,
        },
    )
}

/// A generated day (`WeeklyPlanInstanceDayResponse`).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Day {
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = WeekdayName)]
    pub weekday: &'static str,
    pub template: Option<Compact>,
    pub is_override: bool,
    pub override_reason: Option<String>,
    pub slots: Vec<Slot>,
    pub completion_summary: CompletionSummary,
    /// Addition: planned and eaten totals.
    pub macros: DayMacros,
    /// Addition: soft limits of the day's template.
    pub limits: DayLimits,
}

impl From<&DayView> for Day {
    fn from(d: &DayView) -> Self {
        let (macros, limits) = day_macros(d, &totals(d));
        Day {
            date: date(d.date),
            weekday: weekday_name(d.date),
            template: d.template.as_ref().map(Compact::from),
            is_override: d.is_override,
            override_reason: d.override_reason.clone(),
            slots: d.slots.iter().map(Slot::from).collect(),
            completion_summary: {
                let (completed, total) = marked(d);
                CompletionSummary { completed, total }
            },
            macros,
            limits,
        }
    }
}

/// A generated week (`WeeklyPlanInstanceResponse`).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Week {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Date)]
    pub week_start_date: String,
    pub week_plan: Option<Compact>,
    pub days: Vec<Day>,
}

impl From<&WeekView> for Week {
    fn from(w: &WeekView) -> Self {
        Week {
            id: w.id.to_string(),
            week_start_date: date(w.week_start_date),
            week_plan: w.week_plan.as_ref().map(Compact::from),
            days: w.days.iter().map(Day::from).collect(),
        }
    }
}
