//! Macro totals: what a day planned, and what was actually eaten.
//!
//! "Eaten" (a deliberate addition over the original, which only ever summed the planned meal):
//! a followed slot counts its planned meal; an equivalent or deviated slot counts the actual meal
//! linked to it (nothing if none was linked); skipped and social slots, and unmarked ones, count
//! nothing.

use crate::{planning::completion::CompletionStatus, tenths::Tenths};

/// The seven nutrient values of a meal (any may be unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Macros {
    pub calories_kcal: Option<i32>,
    pub protein: Option<Tenths>,
    pub carbs: Option<Tenths>,
    pub sugar: Option<Tenths>,
    pub fat: Option<Tenths>,
    pub saturated_fat: Option<Tenths>,
    pub fiber: Option<Tenths>,
}

impl Macros {
    /// Whether calories or protein is known (the original's "has data" rule for averages).
    pub fn has_energy_data(&self) -> bool {
        self.calories_kcal.is_some() || self.protein.is_some()
    }
}

/// A running total of macros, in kcal and tenths of a gram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MacroTotals {
    pub calories_kcal: i64,
    pub protein_dg: i64,
    pub carbs_dg: i64,
    pub sugar_dg: i64,
    pub fat_dg: i64,
    pub saturated_fat_dg: i64,
    pub fiber_dg: i64,
    /// Whether any added meal had calories or protein.
    pub has_data: bool,
}

impl MacroTotals {
    pub fn add(&mut self, m: &Macros) {
        let t = |v: Option<Tenths>| i64::from(v.map_or(0, Tenths::get));
        self.calories_kcal += i64::from(m.calories_kcal.unwrap_or(0));
        self.protein_dg += t(m.protein);
        self.carbs_dg += t(m.carbs);
        self.sugar_dg += t(m.sugar);
        self.fat_dg += t(m.fat);
        self.saturated_fat_dg += t(m.saturated_fat);
        self.fiber_dg += t(m.fiber);
        self.has_data |= m.has_energy_data();
    }
}

/// The meal whose macros count as eaten for a slot, per the rule above.
pub fn eaten_meal<'a>(
    status: Option<CompletionStatus>,
    planned: Option<&'a Macros>,
    actual: Option<&'a Macros>,
) -> Option<&'a Macros> {
    match status? {
        CompletionStatus::Followed => planned,
        CompletionStatus::Equivalent | CompletionStatus::Deviated => actual,
        CompletionStatus::Skipped | CompletionStatus::Social => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meal(kcal: i32) -> Macros {
        Macros {
            calories_kcal: Some(kcal),
            ..Macros::default()
        }
    }

    #[test]
    fn eaten_follows_the_status() {
        let (p, a) = (meal(500), meal(800));
        assert_eq!(
            eaten_meal(Some(CompletionStatus::Followed), Some(&p), Some(&a)),
            Some(&p)
        );
        assert_eq!(
            eaten_meal(Some(CompletionStatus::Deviated), Some(&p), Some(&a)),
            Some(&a)
        );
        assert_eq!(
            eaten_meal(Some(CompletionStatus::Equivalent), Some(&p), None),
            None
        );
        assert_eq!(
            eaten_meal(Some(CompletionStatus::Skipped), Some(&p), Some(&a)),
            None
        );
        assert_eq!(
            eaten_meal(Some(CompletionStatus::Social), Some(&p), None),
            None
        );
        assert_eq!(eaten_meal(None, Some(&p), None), None);
    }

    #[test]
    fn totals_add_and_track_whether_anything_was_known() {
        let mut t = MacroTotals::default();
        t.add(&Macros::default());
        assert!(!t.has_data);
        t.add(&Macros {
            protein: Some(Tenths::from_db(185)),
            ..meal(320)
        });
        assert_eq!(
            (t.calories_kcal, t.protein_dg, t.has_data),
            (320, 185, true)
        );
    }
}
