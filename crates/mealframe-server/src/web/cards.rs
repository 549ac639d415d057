//! What the Today and Week pages show of a day and its slots: page types built from the use
//! cases' domain values (`app::today`), with every text ready to print.

use mealframe_core::planning::macros::{MacroTotals, Macros};
use mealframe_store::{
    library::NamedRef,
    plans::views::{DayView, MealCompact, SlotView},
};

use crate::app::today::{DayPlan, DayTotals, marked, totals};

pub struct NameRef {
    pub id: String,
    pub name: String,
}

impl<Id: std::fmt::Display> From<&NamedRef<Id>> for NameRef {
    fn from(r: &NamedRef<Id>) -> Self {
        NameRef {
            id: r.id.to_string(),
            name: r.name.clone(),
        }
    }
}

/// A meal on a card: name, portion and the main macros.
pub struct MealLine {
    pub id: String,
    pub name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    pub protein_g: Option<String>,
    pub carbs_g: Option<String>,
    pub fat_g: Option<String>,
}

impl From<&MealCompact> for MealLine {
    fn from(m: &MealCompact) -> Self {
        let Macros {
            calories_kcal,
            protein,
            carbs,
            fat,
            ..
        } = m.macros;
        MealLine {
            id: m.id.to_string(),
            name: m.name.clone(),
            portion_description: m.portion_description.clone(),
            calories_kcal,
            protein_g: protein.map(short),
            carbs_g: carbs.map(short),
            fat_g: fat.map(short),
        }
    }
}

/// A macro value without a needless decimal: 22.0 → "22", 12.5 → "12.5".
fn short(t: mealframe_core::tenths::Tenths) -> String {
    let text = t.to_string();
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// One slot of a day.
pub struct SlotCard {
    pub id: String,
    pub position: i32,
    pub meal_type: Option<NameRef>,
    pub meal: Option<MealLine>,
    pub completion_status: Option<&'static str>,
    pub is_adhoc: bool,
    pub is_manual_override: bool,
    pub actual_meal: Option<MealLine>,
    /// The next slot to eat today.
    pub is_next: bool,
    /// "07:30" when the template slot has a time of day.
    pub time: Option<String>,
    /// Place in the day's display order (time order, see `mealframe_core::meal_time`), which the
    /// page's script keeps when it moves cards.
    pub order: usize,
}

impl SlotCard {
    /// The planned meal's name, or "Unassigned" for a slot whose type has no meal yet.
    pub fn meal_name(&self) -> &str {
        self.meal.as_ref().map_or("Unassigned", |m| m.name.as_str())
    }

    fn new(s: &SlotView, order: usize, is_next: bool) -> SlotCard {
        SlotCard {
            id: s.id.to_string(),
            position: s.position,
            meal_type: s.meal_type.as_ref().map(NameRef::from),
            meal: s.meal.as_ref().map(MealLine::from),
            completion_status: s.status.map(|c| c.as_str()),
            is_adhoc: s.is_adhoc,
            is_manual_override: s.is_manual_override,
            actual_meal: s.actual_meal.as_ref().map(MealLine::from),
            is_next,
            time: s.time.map(|t| t.to_string()),
            order,
        }
    }
}

/// Totals as a day's summary shows them: kcal, and whole grams with their unit ("132 g"); tenths
/// of a gram mean nothing to someone reading what a day holds.
pub struct TotalsLine {
    pub calories_kcal: i64,
    pub protein_g: String,
    pub carbs_g: String,
    pub sugar_g: String,
    pub fat_g: String,
    pub saturated_fat_g: String,
    pub fiber_g: String,
}

/// Tenths of a gram as whole grams, rounded half up: `1325` → "133 g".
fn grams(tenths: i64) -> String {
    format!("{} g", (tenths.max(0) + 5) / 10)
}

impl From<&MacroTotals> for TotalsLine {
    fn from(t: &MacroTotals) -> Self {
        TotalsLine {
            calories_kcal: t.calories_kcal,
            protein_g: grams(t.protein_dg),
            carbs_g: grams(t.carbs_dg),
            sugar_g: grams(t.sugar_dg),
            fat_g: grams(t.fat_dg),
            saturated_fat_g: grams(t.saturated_fat_dg),
            fiber_g: grams(t.fiber_dg),
        }
    }
}

pub struct PlannedEaten {
    pub planned: TotalsLine,
    pub eaten: TotalsLine,
}

pub struct Limits {
    pub max_calories_kcal: Option<i32>,
    pub max_protein_g: Option<String>,
    pub over_planned: bool,
    pub over_eaten: bool,
}

pub struct Counts {
    pub completed: u32,
    pub total: u32,
    pub streak_days: u32,
}

/// A day with its slots, counts, totals and limits.
pub struct DaySheet {
    pub date: String,
    pub template: Option<NameRef>,
    pub is_override: bool,
    pub override_reason: Option<String>,
    pub slots: Vec<SlotCard>,
    pub stats: Counts,
    pub macros: PlannedEaten,
    pub limits: Limits,
}

impl DaySheet {
    fn new(day: &DayView, next: Option<usize>, streak_days: u32, t: &DayTotals) -> DaySheet {
        DaySheet {
            date: day.date.to_string(),
            template: day.template.as_ref().map(NameRef::from),
            is_override: day.is_override,
            override_reason: day.override_reason.clone(),
            slots: day
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| SlotCard::new(s, i, Some(i) == next))
                .collect(),
            stats: {
                let (completed, total) = marked(day);
                Counts {
                    completed,
                    total,
                    streak_days,
                }
            },
            macros: PlannedEaten {
                planned: TotalsLine::from(&t.planned),
                eaten: TotalsLine::from(&t.eaten),
            },
            limits: Limits {
                max_calories_kcal: day.max_calories_kcal,
                max_protein_g: day.max_protein.map(|p| p.to_string()),
                over_planned: t.over_planned,
                over_eaten: t.over_eaten,
            },
        }
    }

    /// A day of the Today page (with the next slot and the streak).
    pub fn of_plan(p: &DayPlan) -> DaySheet {
        DaySheet::new(&p.day, p.next, p.streak_days, &p.totals)
    }

    /// A day of the Week page.
    pub fn of_day(day: &DayView) -> DaySheet {
        DaySheet::new(day, None, 0, &totals(day))
    }
}
