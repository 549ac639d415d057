//! "Now", injectable so that tests fix and move time (token expiry, rate-limit windows, quota
//! months, MealFrame's "today").
//!
//! Both servers hold an `Arc<dyn Clock>` in their state: [`SystemClock`] in production, a
//! [`ManualClock`] in tests.
//!
//! The trait answers [`time::OffsetDateTime`] (always UTC), not `dbkit::Timestamp`: `platform` is
//! plumbing below the database and does not depend on dbkit (nor, through it, on sqlx), and
//! `OffsetDateTime` is what callers compute with (token expiry in Unix seconds, calendar months,
//! time zones). Whoever stores an instant converts at that point with `Timestamp::from(now)`,
//! which truncates to microseconds exactly as `Timestamp::now()` does — MealFrame does so once,
//! in `AppState::now`.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime, UtcOffset};

/// The source of "now".
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock showing `at` (taken to UTC) until it is set or advanced.
    pub fn new(at: impl Into<OffsetDateTime>) -> ManualClock {
        ManualClock(Mutex::new(utc(at.into())))
    }

    /// Jump to `at` (backwards too).
    pub fn set(&self, at: impl Into<OffsetDateTime>) {
        *self.lock() = utc(at.into());
    }

    /// Move by `by` (negative moves back), saturating at the representable range.
    pub fn advance(&self, by: Duration) {
        let mut t = self.lock();
        *t = t.saturating_add(by);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A panic while holding the lock cannot leave a half-written instant: keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let clock = ManualClock::new(datetime!(2026-02-16 12:00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-02-16 12:00:00 UTC));
        assert_eq!(clock.now(), clock.now());
    }

    #[test]
    fn a_manual_clock_advances_and_sets() {
        let clock = ManualClock::new(datetime!(2026-02-16 12:00:00 UTC));
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), datetime!(2026-02-16 12:01:30 UTC));
        clock.advance(Duration::microseconds(1));
        assert_eq!(clock.now(), datetime!(2026-02-16 12:01:30.000001 UTC));
        clock.advance(Duration::days(-1));
        assert_eq!(clock.now(), datetime!(2026-02-15 12:01:30.000001 UTC));
        clock.set(datetime!(2027-06-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2027-06-01 00:00 UTC));
        clock.set(datetime!(2020-01-01 00:00 UTC));
        assert_eq!(
            clock.now(),
            datetime!(2020-01-01 00:00 UTC),
            "backwards too"
        );
    }

    #[test]
    fn a_manual_clock_answers_in_utc() {
        let clock = ManualClock::new(datetime!(2026-03-31 23:30 -01:00));
        assert_eq!(clock.now(), datetime!(2026-04-01 00:30 UTC));
        assert_eq!(clock.now().offset(), UtcOffset::UTC);
        clock.set(datetime!(2026-01-01 09:00 +09:00));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now().offset(), UtcOffset::UTC);
    }

    #[test]
    fn advancing_past_the_representable_range_saturates() {
        let clock = ManualClock::new(datetime!(2026-02-16 12:00 UTC));
        clock.advance(Duration::MAX);
        let end = clock.now();
        assert!(end > datetime!(9999-01-01 00:00 UTC));
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now(), end);
    }

    #[test]
    fn one_manual_clock_is_shared_through_the_trait() {
        let manual = Arc::new(ManualClock::new(datetime!(2026-02-16 12:00 UTC)));
        let seen: Arc<dyn Clock> = manual.clone();
        manual.advance(Duration::minutes(5));
        assert_eq!(seen.now(), datetime!(2026-02-16 12:05 UTC));
    }

    #[test]
    fn the_system_clock_is_utc_and_current() {
        let before = OffsetDateTime::now_utc();
        let now = SystemClock.now();
        let after = OffsetDateTime::now_utc();
        assert_eq!(now.offset(), UtcOffset::UTC);
        assert!(before <= now && now <= after);
    }
}
