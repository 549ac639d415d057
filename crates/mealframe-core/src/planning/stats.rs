//! The stats dashboard (`GET /stats?days=N`), computed from a few bulk reads.
//!
//! The period is `[today − (N−1), today]` in the user's calendar. Figures follow the original
//! (§4.8): status breakdown, adherence, streaks, override days, per-meal-type and per-day
//! adherence, average daily calories/protein of the *planned* meals on days with data, and soft
//! limits against planned totals. Added: the same averages and over-limit count for what was
//! *eaten* (see [`super::macros`]), and per-day planned/eaten totals.

use std::collections::{BTreeMap, HashMap};

use time::{Date, Duration};

use super::{
    adherence::{StatusCounts, div_half_up, rate_string},
    completion::CompletionStatus,
    macros::{MacroTotals, Macros, eaten_meal},
    streak::{self, DayTally},
};
use crate::{
    ids::MealTypeId,
    tenths::{Tenths, format_scaled},
};

/// A slot in the period.
#[derive(Debug, Clone)]
pub struct SlotFacts {
    pub date: Date,
    pub status: Option<CompletionStatus>,
    pub meal_type: Option<MealTypeId>,
    pub planned: Option<Macros>,
    pub actual: Option<Macros>,
}

/// A generated day in the period, with its current template's limits.
#[derive(Debug, Clone)]
pub struct DayFacts {
    pub date: Date,
    pub is_override: bool,
    pub template_name: Option<String>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein: Option<Tenths>,
}

pub struct StatsInput {
    pub today: Date,
    pub period_days: u32,
    pub slots: Vec<SlotFacts>,
    pub days: Vec<DayFacts>,
    /// Per-day tallies over the streak look-back window (365 days to today).
    pub tallies: BTreeMap<Date, DayTally>,
    pub meal_type_names: HashMap<MealTypeId, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MealTypeStats {
    pub meal_type_id: MealTypeId,
    pub name: String,
    pub total: u32,
    pub followed: u32,
    pub adherence_rate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DailyAdherence {
    pub date: Date,
    pub total: u32,
    pub followed: u32,
    pub adherence_rate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverLimit {
    pub template_name: String,
    pub days_over: u32,
    pub total_days: u32,
    pub exceeded_metric: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DailyMacros {
    pub date: Date,
    pub planned: MacroTotals,
    pub eaten: MacroTotals,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub period_days: u32,
    pub counts: StatusCounts,
    pub adherence_rate: String,
    pub current_streak: u32,
    pub best_streak: u32,
    pub override_days: u32,
    pub by_meal_type: Vec<MealTypeStats>,
    pub daily_adherence: Vec<DailyAdherence>,
    pub avg_daily_calories: Option<String>,
    pub avg_daily_protein: Option<String>,
    pub avg_daily_eaten_calories: Option<String>,
    pub avg_daily_eaten_protein: Option<String>,
    pub over_limit_days: u32,
    pub eaten_over_limit_days: u32,
    pub days_with_limits: u32,
    pub over_limit_breakdown: Vec<OverLimit>,
    pub daily_macros: Vec<DailyMacros>,
}

/// Averages of calories (integer) and protein (one decimal) over the days that have data.
fn averages(per_day: &BTreeMap<Date, MacroTotals>) -> (Option<String>, Option<String>) {
    let with_data: Vec<&MacroTotals> = per_day.values().filter(|t| t.has_data).collect();
    if with_data.is_empty() {
        return (None, None);
    }
    let n = with_data.len() as i64;
    let kcal: i64 = with_data.iter().map(|t| t.calories_kcal).sum();
    let protein: i64 = with_data.iter().map(|t| t.protein_dg).sum();
    (
        Some(div_half_up(kcal, n).to_string()),
        Some(format_scaled(div_half_up(protein, n), 1)),
    )
}

fn over(t: &MacroTotals, day: &DayFacts) -> (bool, bool) {
    let kcal = day
        .max_calories_kcal
        .is_some_and(|m| t.calories_kcal > i64::from(m));
    let protein = day
        .max_protein
        .is_some_and(|m| t.protein_dg > i64::from(m.get()));
    (kcal, protein)
}

pub fn compute(input: &StatsInput) -> Stats {
    let start = input.today - Duration::days(i64::from(input.period_days.max(1)) - 1);
    let in_period = |d: Date| d >= start && d <= input.today;

    let mut counts = StatusCounts::default();
    let mut by_type: HashMap<MealTypeId, StatusCounts> = HashMap::new();
    let mut by_day: BTreeMap<Date, StatusCounts> = BTreeMap::new();
    let mut planned: BTreeMap<Date, MacroTotals> = BTreeMap::new();
    let mut eaten: BTreeMap<Date, MacroTotals> = BTreeMap::new();
    for s in input.slots.iter().filter(|s| in_period(s.date)) {
        counts.add(s.status);
        by_day.entry(s.date).or_default().add(s.status);
        if let Some(t) = s.meal_type {
            by_type.entry(t).or_default().add(s.status);
        }
        let p = planned.entry(s.date).or_default();
        if let Some(m) = &s.planned {
            p.add(m);
        }
        let e = eaten.entry(s.date).or_default();
        if let Some(m) = eaten_meal(s.status, s.planned.as_ref(), s.actual.as_ref()) {
            e.add(m);
        }
    }

    let mut by_meal_type: Vec<(Option<(u32, u32)>, MealTypeStats)> = by_type
        .into_iter()
        .map(|(id, c)| {
            let name = input
                .meal_type_names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "Unknown".to_owned());
            (
                c.ratio(),
                MealTypeStats {
                    meal_type_id: id,
                    name,
                    total: c.total(),
                    followed: c.followed,
                    adherence_rate: c.rate(),
                },
            )
        })
        .collect();
    // Lowest adherence first (undefined rates count as 0), then by name for a stable order.
    by_meal_type.sort_by(|(ra, a), (rb, b)| {
        let (na, da) = ra.unwrap_or((0, 1));
        let (nb, db) = rb.unwrap_or((0, 1));
        (u64::from(na) * u64::from(db))
            .cmp(&(u64::from(nb) * u64::from(da)))
            .then_with(|| a.name.cmp(&b.name))
    });

    let daily_adherence = by_day
        .iter()
        .map(|(date, c)| DailyAdherence {
            date: *date,
            total: c.total(),
            followed: c.followed,
            adherence_rate: c.rate(),
        })
        .collect();

    let days: Vec<&DayFacts> = input.days.iter().filter(|d| in_period(d.date)).collect();
    let override_days = days.iter().filter(|d| d.is_override).count() as u32;

    let mut days_with_limits = 0;
    let mut over_limit_days = 0;
    let mut eaten_over_limit_days = 0;
    // template name → (total days, days over, calories exceeded, protein exceeded)
    let mut breakdown: BTreeMap<String, (u32, u32, bool, bool)> = BTreeMap::new();
    for day in days
        .iter()
        .filter(|d| !d.is_override && (d.max_calories_kcal.is_some() || d.max_protein.is_some()))
    {
        days_with_limits += 1;
        let none = MacroTotals::default();
        let (kcal, protein) = over(planned.get(&day.date).unwrap_or(&none), day);
        let (eaten_kcal, eaten_protein) = over(eaten.get(&day.date).unwrap_or(&none), day);
        let entry = breakdown
            .entry(day.template_name.clone().unwrap_or_default())
            .or_default();
        entry.0 += 1;
        if kcal || protein {
            over_limit_days += 1;
            entry.1 += 1;
            entry.2 |= kcal;
            entry.3 |= protein;
        }
        if eaten_kcal || eaten_protein {
            eaten_over_limit_days += 1;
        }
    }
    let mut over_limit_breakdown: Vec<OverLimit> = breakdown
        .into_iter()
        .filter(|(_, (_, over, _, _))| *over > 0)
        .map(|(name, (total, over, kcal, protein))| OverLimit {
            template_name: name,
            days_over: over,
            total_days: total,
            exceeded_metric: match (kcal, protein) {
                (true, true) => "both",
                (true, false) => "calories",
                _ => "protein",
            },
        })
        .collect();
    over_limit_breakdown.sort_by(|a, b| {
        b.days_over
            .cmp(&a.days_over)
            .then_with(|| a.template_name.cmp(&b.template_name))
    });

    let (avg_daily_calories, avg_daily_protein) = averages(&planned);
    let (avg_daily_eaten_calories, avg_daily_eaten_protein) = averages(&eaten);
    let daily_macros = planned
        .iter()
        .map(|(date, p)| DailyMacros {
            date: *date,
            planned: *p,
            eaten: eaten.get(date).copied().unwrap_or_default(),
        })
        .collect();

    Stats {
        period_days: input.period_days,
        adherence_rate: counts.rate(),
        counts,
        current_streak: streak::current_streak(&input.tallies, input.today),
        best_streak: streak::best_streak(&input.tallies, input.today),
        override_days,
        by_meal_type: by_meal_type.into_iter().map(|(_, s)| s).collect(),
        daily_adherence,
        avg_daily_calories,
        avg_daily_protein,
        avg_daily_eaten_calories,
        avg_daily_eaten_protein,
        over_limit_days,
        eaten_over_limit_days,
        days_with_limits,
        over_limit_breakdown,
        daily_macros,
    }
}

/// A rate string for `num/den` (re-exported for callers formatting their own tallies).
pub fn rate(num: u32, den: u32) -> String {
    rate_string(num, den)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use uuid::Uuid;

    fn meal(kcal: i32, protein_dg: i32) -> Macros {
        Macros {
            calories_kcal: Some(kcal),
            protein: Some(Tenths::from_db(protein_dg)),
            ..Macros::default()
        }
    }

    fn slot(
        date: Date,
        status: Option<CompletionStatus>,
        t: u128,
        planned: Option<Macros>,
        actual: Option<Macros>,
    ) -> SlotFacts {
        SlotFacts {
            date,
            status,
            meal_type: Some(MealTypeId(Uuid::from_u128(t))),
            planned,
            actual,
        }
    }

    fn input(slots: Vec<SlotFacts>, days: Vec<DayFacts>) -> StatsInput {
        StatsInput {
            today: date!(2026 - 11 - 18),
            period_days: 7,
            slots,
            days,
            tallies: BTreeMap::new(),
            meal_type_names: HashMap::from([
                (MealTypeId(Uuid::from_u128(1)), "Breakfast".into()),
                (MealTypeId(Uuid::from_u128(2)), "Lunch".into()),
            ]),
        }
    }

    #[test]
    fn counts_statuses_and_adherence_over_the_period_only() {
        use CompletionStatus::*;
        let d = date!(2026 - 11 - 17);
        let s = compute(&input(
            vec![
                slot(d, Some(Followed), 1, None, None),
                slot(d, Some(Followed), 1, None, None),
                slot(d, Some(Skipped), 2, None, None),
                slot(d, Some(Followed), 2, None, None),
                slot(d, None, 2, None, None),
                slot(date!(2026 - 11 - 01), Some(Skipped), 2, None, None),
                slot(date!(2026 - 11 - 19), Some(Skipped), 2, None, None),
            ],
            vec![],
        ));
        assert_eq!(s.counts.total(), 5);
        assert_eq!(s.adherence_rate, "0.750");
        assert_eq!(
            s.by_meal_type
                .iter()
                .map(|m| (m.name.as_str(), m.adherence_rate.as_str()))
                .collect::<Vec<_>>(),
            vec![("Lunch", "0.500"), ("Breakfast", "1.000")]
        );
        assert_eq!(s.daily_adherence.len(), 1);
    }

    #[test]
    fn averages_use_planned_meals_and_eaten_follows_the_status() {
        use CompletionStatus::*;
        let d1 = date!(2026 - 11 - 16);
        let d2 = date!(2026 - 11 - 17);
        let s = compute(&input(
            vec![
                slot(d1, Some(Followed), 1, Some(meal(500, 300)), None),
                slot(d1, Some(Skipped), 2, Some(meal(400, 100)), None),
                slot(
                    d2,
                    Some(Deviated),
                    1,
                    Some(meal(600, 200)),
                    Some(meal(900, 150)),
                ),
                slot(d2, Some(Equivalent), 2, Some(meal(243, 1)), None),
            ],
            vec![],
        ));
        // planned: d1 900 kcal / 40.0 g, d2 843 kcal / 20.1 g → 871.5 → "872", 30.05 → "30.1"
        assert_eq!(s.avg_daily_calories.as_deref(), Some("872"));
        assert_eq!(s.avg_daily_protein.as_deref(), Some("30.1"));
        // eaten: d1 500 / 30.0, d2 900 / 15.0
        assert_eq!(s.avg_daily_eaten_calories.as_deref(), Some("700"));
        assert_eq!(s.avg_daily_eaten_protein.as_deref(), Some("22.5"));
    }

    #[test]
    fn soft_limits_count_non_override_days_and_name_the_metric() {
        let d1 = date!(2026 - 11 - 16);
        let d2 = date!(2026 - 11 - 17);
        let day = |date, over: bool| DayFacts {
            date,
            is_override: over,
            template_name: Some("Workday".into()),
            max_calories_kcal: Some(1500),
            max_protein: Some(Tenths::from_db(500)),
        };
        let s = compute(&input(
            vec![
                slot(d1, None, 1, Some(meal(800, 100)), None),
                slot(d1, None, 1, Some(meal(800, 100)), None),
                slot(d2, None, 1, Some(meal(100, 600)), None),
            ],
            vec![
                day(d1, false),
                day(d2, false),
                day(date!(2026 - 11 - 15), true),
            ],
        ));
        assert_eq!(
            (
                s.days_with_limits,
                s.over_limit_days,
                s.eaten_over_limit_days
            ),
            (2, 2, 0)
        );
        assert_eq!(
            s.over_limit_breakdown,
            vec![OverLimit {
                template_name: "Workday".into(),
                days_over: 2,
                total_days: 2,
                exceeded_metric: "both"
            }]
        );
        assert_eq!(s.override_days, 1);
    }

    #[test]
    fn no_data_means_null_averages_and_a_zero_rate() {
        let s = compute(&input(vec![], vec![]));
        assert_eq!(
            (s.avg_daily_calories, s.adherence_rate.as_str()),
            (None, "0")
        );
    }
}
