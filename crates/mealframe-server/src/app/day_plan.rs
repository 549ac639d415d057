//! The values the Today use cases return and the view cache keeps: a day as the Today screen
//! shows it (with its totals, a rule: `totals`) and the library the Today page offers. Plain
//! values, apart from the cache and the state, so that both can hold them.

use mealframe_core::{
    ids::MealTypeId,
    planning::macros::{MacroTotals, eaten_meal},
};
use mealframe_store::{
    library::{SetupProgress, meals::Meal},
    plans::views,
};

/// One day as the Today screen shows it.
#[derive(Debug, Clone)]
pub struct DayPlan {
    /// The day (no slots, no template when the date has no generated day).
    pub day: views::DayView,
    /// The index in `day.slots` of the next slot to eat: the first without a status.
    pub next: Option<usize>,
    /// Days in a row ending yesterday with every slot marked (see `streak`).
    pub streak_days: u32,
    pub totals: DayTotals,
}

impl DayPlan {
    pub fn completed(&self) -> u32 {
        marked(&self.day).0
    }

    pub fn total(&self) -> u32 {
        marked(&self.day).1
    }
}

/// How many of a day's slots are marked (with any status), and how many it has.
pub fn marked(day: &views::DayView) -> (u32, u32) {
    let done = day.slots.iter().filter(|s| s.status.is_some()).count();
    (done as u32, day.slots.len() as u32)
}

/// Planned and eaten totals of a day's slots, and whether they exceed its soft limits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayTotals {
    pub planned: MacroTotals,
    pub eaten: MacroTotals,
    pub over_planned: bool,
    pub over_eaten: bool,
}

/// The totals of `day` (a "No Plan" day is never over its limits).
pub fn totals(day: &views::DayView) -> DayTotals {
    let mut planned = MacroTotals::default();
    let mut eaten = MacroTotals::default();
    for s in &day.slots {
        if let Some(m) = &s.meal {
            planned.add(&m.macros);
        }
        let actual = s.actual_meal.as_ref().map(|a| &a.macros);
        if let Some(m) = eaten_meal(s.status, s.meal.as_ref().map(|m| &m.macros), actual) {
            eaten.add(m);
        }
    }
    let over = |t: &MacroTotals| {
        day.max_calories_kcal
            .is_some_and(|m| t.calories_kcal > i64::from(m))
            || day
                .max_protein
                .is_some_and(|m| t.protein_dg > i64::from(m.get()))
    };
    DayTotals {
        over_planned: !day.is_override && over(&planned),
        over_eaten: !day.is_override && over(&eaten),
        planned,
        eaten,
    }
}

/// What the Today page offers besides the day: the library for its pickers and the first-run
/// checklist's counts.
#[derive(Debug, Clone)]
pub struct TodayLibrary {
    pub meals: Vec<Meal>,
    pub meal_types: Vec<(MealTypeId, String)>,
    pub setup: SetupProgress,
    /// Whether the week of the day asked for is generated.
    pub week_exists: bool,
}
