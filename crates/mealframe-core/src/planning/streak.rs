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
    count
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
