//! Streaks: consecutive fully tracked days.
//!
//! A day is complete when it has at least one slot and every slot has a status (any status:
//! the streak measures tracking, as the original's does). Today never counts towards the current
//! streak (it is still in progress): the walk starts yesterday and goes back until a day that has
//! no slots or an unmarked slot. "No Plan" (override) days pause the streak — they are skipped,
//! neither counted nor breaking it (a deliberate difference: the original broke streaks on them,
//! against its own spec). The best streak is the longest run of complete days among the days
//! that have slots (days without any slots are passed over, as in the original), today included.

use std::collections::BTreeMap;

use time::{Date, Duration};

/// What one day looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTally {
    pub total: u32,
    pub unmarked: u32,
    pub is_override: bool,
}

impl DayTally {
    fn complete(&self) -> bool {
        self.total > 0 && self.unmarked == 0
    }
}

/// How far back streaks look.
pub const LOOKBACK_DAYS: i64 = 365;

/// Complete days counted backwards from the day before `target`.
pub fn current_streak(days: &BTreeMap<Date, DayTally>, target: Date) -> u32 {
    walk_back(days, target).0
}

/// [`current_streak`] from tallies read only for `from..target` (a recent window, so that a
/// short streak costs a few days of rows instead of a year). `None` when the walk reached the
/// window's start unbroken: the days before it decide, so the caller reads the whole lookback.
pub fn current_streak_within(
    days: &BTreeMap<Date, DayTally>,
    target: Date,
    from: Date,
) -> Option<u32> {
    let (count, stopped_at) = walk_back(days, target);
    let lookback_done = stopped_at <= target - Duration::days(LOOKBACK_DAYS + 1);
    (stopped_at >= from || lookback_done).then_some(count)
}

/// The walk of [`current_streak`]: the count, and the day it stopped at (the first day before
/// the streak that breaks it, or the end of the lookback).
fn walk_back(days: &BTreeMap<Date, DayTally>, target: Date) -> (u32, Date) {
    let mut count = 0;
    let mut d = target - Duration::days(1);
    let stop = target - Duration::days(LOOKBACK_DAYS + 1);
    while d > stop {
        match days.get(&d) {
            Some(t) if t.is_override => {}
            Some(t) if t.complete() => count += 1,
            _ => break,
        }
        d -= Duration::days(1);
    }
    (count, d)
}

/// The longest run of complete days among days with slots, from `through − 365` to `through`.
pub fn best_streak(days: &BTreeMap<Date, DayTally>, through: Date) -> u32 {
    let from = through - Duration::days(LOOKBACK_DAYS);
    let (mut best, mut run) = (0, 0);
    for (_, t) in days.range(from..=through) {
        if t.is_override || t.total == 0 {
            continue;
        }
        if t.complete() {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn tally(total: u32, unmarked: u32) -> DayTally {
        DayTally {
            total,
            unmarked,
            is_override: false,
        }
    }
    const OVERRIDE: DayTally = DayTally {
        total: 0,
        unmarked: 0,
        is_override: true,
    };

    #[test]
    fn the_current_streak_starts_yesterday_and_ignores_today() {
        let days = BTreeMap::from([
            (date!(2026 - 11 - 16), tally(3, 0)),
            (date!(2026 - 11 - 17), tally(3, 0)),
            (date!(2026 - 11 - 18), tally(3, 3)),
        ]);
        assert_eq!(current_streak(&days, date!(2026 - 11 - 18)), 2);
    }

    #[test]
    fn an_unmarked_or_empty_day_breaks_the_streak() {
        let days = BTreeMap::from([
            (date!(2026 - 11 - 15), tally(3, 0)),
            (date!(2026 - 11 - 16), tally(3, 1)),
            (date!(2026 - 11 - 17), tally(2, 0)),
        ]);
        assert_eq!(current_streak(&days, date!(2026 - 11 - 18)), 1);
        let gap = BTreeMap::from([
            (date!(2026 - 11 - 15), tally(3, 0)),
            (date!(2026 - 11 - 17), tally(2, 0)),
        ]);
        assert_eq!(current_streak(&gap, date!(2026 - 11 - 18)), 1);
    }

    #[test]
    fn override_days_pause_instead_of_breaking() {
        let days = BTreeMap::from([
            (date!(2026 - 11 - 14), tally(3, 0)),
            (date!(2026 - 11 - 15), OVERRIDE),
            (date!(2026 - 11 - 16), OVERRIDE),
            (date!(2026 - 11 - 17), tally(2, 0)),
        ]);
        assert_eq!(current_streak(&days, date!(2026 - 11 - 18)), 2);
        assert_eq!(best_streak(&days, date!(2026 - 11 - 18)), 2);
    }

    #[test]
    fn a_streak_inside_the_window_is_known_and_one_reaching_its_start_is_not() {
        let target = date!(2026 - 11 - 18);
        let from = date!(2026 - 11 - 15);
        let broken = BTreeMap::from([
            (date!(2026 - 11 - 15), tally(3, 0)),
            (date!(2026 - 11 - 16), tally(3, 1)),
            (date!(2026 - 11 - 17), tally(2, 0)),
        ]);
        assert_eq!(current_streak_within(&broken, target, from), Some(1));
        // Unbroken back to the window's first day: the day before it decides.
        let unbroken = BTreeMap::from([
            (date!(2026 - 11 - 15), tally(3, 0)),
            (date!(2026 - 11 - 16), OVERRIDE),
            (date!(2026 - 11 - 17), tally(2, 0)),
        ]);
        assert_eq!(current_streak_within(&unbroken, target, from), None);
        // A missing day inside the window is a real break.
        let gap = BTreeMap::from([(date!(2026 - 11 - 17), tally(2, 0))]);
        assert_eq!(current_streak_within(&gap, target, from), Some(1));
    }

    proptest::proptest! {
        /// Whatever the history, the windowed walk agrees with the full one whenever it answers,
        /// and answers whenever the streak's break lies inside the window.
        #[test]
        fn the_windowed_streak_agrees_with_the_full_walk(
            kinds in proptest::collection::vec(0u8..6, 0..40),
            window in 1i64..30,
        ) {
            let target = date!(2026 - 11 - 18);
            let days: BTreeMap<Date, DayTally> = kinds
                .iter()
                .enumerate()
                .filter_map(|(i, k)| {
                    let d = target - Duration::days(i as i64 + 1);
                    match k {
                        0 => None,
                        1 => Some((d, OVERRIDE)),
                        2 => Some((d, tally(3, 1))),
                        _ => Some((d, tally(3, 0))),
                    }
                })
                .collect();
            let from = target - Duration::days(window);
            let in_window: BTreeMap<Date, DayTally> =
                days.range(from..target).map(|(d, t)| (*d, *t)).collect();
            let (full, stopped_at) = walk_back(&days, target);
            match current_streak_within(&in_window, target, from) {
                Some(n) => proptest::prop_assert_eq!(n, full),
                None => proptest::prop_assert!(stopped_at < from),
            }
        }
    }

    #[test]
    fn the_best_streak_passes_over_days_without_slots_and_includes_today() {
        let days = BTreeMap::from([
            (date!(2026 - 11 - 10), tally(2, 0)),
            (date!(2026 - 11 - 12), tally(2, 0)),
            (date!(2026 - 11 - 13), tally(2, 1)),
            (date!(2026 - 11 - 16), tally(1, 0)),
            (date!(2026 - 11 - 17), tally(1, 0)),
            (date!(2026 - 11 - 18), tally(1, 0)),
        ]);
        assert_eq!(best_streak(&days, date!(2026 - 11 - 18)), 3);
        assert_eq!(current_streak(&days, date!(2026 - 11 - 18)), 2);
    }
}
