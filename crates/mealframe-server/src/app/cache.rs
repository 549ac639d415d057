//! Computed views cached per user, owned by the use cases: a day as the Today screen shows it,
//! the stats of a period, a generated week, pages of the meal library, and what the Today and
//! Week pages offer around them.
//!
//! A year of history makes these the most expensive reads (a streak walks up to 365 days, stats
//! over a year aggregate ~1,500 slots), and people open them far more often than they change
//! anything. Entries are keyed by the user's `data_version`, which database triggers move forward
//! on every change to what these views show (migrations 0003 and 0011) and which the request
//! already read with the user: an entry is used only when the version still matches, so a view
//! is never older than the data — across several server instances too — and one user's writes
//! leave everyone else's entries alone. Nothing is ever invalidated by hand.
//!
//! On SQLite, the signed-in user's row and web sessions are cached under the database's change
//! token (`Db::change_token`), which moves with every commit of any connection of any process, so
//! such an entry is used only while nothing at all has been written. PostgreSQL gives no such
//! token; there they are read every time.
//!
//! Every map is bounded by a count of entries (`quick_cache`, S3-FIFO eviction: an entry read
//! again survives a stream of one-off entries); a stale entry is simply never matched again and
//! ages out. Lookups are counted in `mealframe_cache_lookups_total{cache, outcome}`.

use std::{hash::Hash, sync::Arc};

use bytes::Bytes;
use dbkit::ChangeToken;
use mealframe_core::{ids::UserId, planning::stats::Stats};
use mealframe_store::{
    accounts::{sessions::WebSession, users::User},
    library::{day_templates::DayTemplate, meals::Meal},
    plans::views::WeekView,
};
use time::Date;

use super::day_plan::{DayPlan, TodayLibrary};

/// Entries kept of each kind: a day view is a few kilobytes, a year of stats (numbers or
/// encoded) up to ~150 KB, a week ~20 KB, a page of meals ~10 KB.
const MAX_DAYS: usize = 8192;
const MAX_STATS: usize = 64;
const MAX_USERS: usize = 8192;
const MAX_SESSIONS: usize = 8192;
const MAX_TODAY_EXTRAS: usize = 4096;
const MAX_WEEKS: usize = 4096;
const MAX_MEAL_PAGES: usize = 2048;

/// A bounded map whose entries count only at the version they were stored with.
pub struct Versioned<K, V, Ver = i64> {
    name: &'static str,
    map: quick_cache::sync::Cache<K, (Ver, V)>,
}

impl<K: Eq + Hash + Clone, V: Clone, Ver: Eq + Clone> Versioned<K, V, Ver> {
    fn new(name: &'static str, cap: usize) -> Self {
        Self {
            name,
            map: quick_cache::sync::Cache::new(cap),
        }
    }

    fn get(&self, key: &K, version: &Ver) -> Option<V> {
        self.map
            .get(key)
            .filter(|(v, _)| v == version)
            .map(|(_, value)| value)
    }

    /// The entry at `version`, else `compute` it and keep it at that version. Without a version
    /// (no change token to be had) nothing is cached. `version` must be taken before `compute`
    /// reads anything: a write landing in between then only makes the entry newer than its key.
    pub async fn get_or_try<E, Fut>(
        &self,
        key: K,
        version: Option<Ver>,
        compute: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = &version {
            if let Some(hit) = self.get(&key, v) {
                metrics::counter!("mealframe_cache_lookups_total", "cache" => self.name, "outcome" => "hit")
                    .increment(1);
                return Ok(hit);
            }
            metrics::counter!("mealframe_cache_lookups_total", "cache" => self.name, "outcome" => "miss")
                .increment(1);
        }
        let value = compute().await?;
        if let Some(v) = version {
            self.put(key, v, value.clone());
        }
        Ok(value)
    }

    fn put(&self, key: K, version: Ver, value: V) {
        self.map.insert(key, (version, value));
    }
}

/// The Week page's choices besides the week itself: the user's templates and the pickers' meals.
pub struct WeekChoices {
    pub templates: Vec<DayTemplate>,
    pub meals: Vec<Meal>,
}

/// What identifies a page of the meal library (filters without free-text search).
pub type MealPageKey = (
    UserId,
    Option<uuid::Uuid>,
    Option<String>,
    &'static str,
    u32,
    u32,
);

pub struct ViewCache {
    /// Days as the Today screen shows them, by user and date.
    pub days: Versioned<(UserId, Date), Arc<DayPlan>>,
    /// Stats of the `days` days ending a date, as numbers (web page) …
    pub stats: Versioned<(UserId, u32, Date), Arc<Stats>>,
    /// … and encoded by a front door (the API's `GET /stats` body: a year is ~140 KB of JSON).
    pub stats_encoded: Versioned<(UserId, u32, Date), Bytes>,
    /// Generated weeks by user and Monday (`None`: not generated).
    pub weeks: Versioned<(UserId, Date), Arc<Option<WeekView>>>,
    /// The Week page's templates and picker meals.
    pub week_choices: Versioned<UserId, Arc<WeekChoices>>,
    /// Pages of the meal library: first pages and filters by type or source, no search text.
    pub meal_pages: Versioned<MealPageKey, Arc<(Vec<Meal>, i64)>>,
    /// The Today page's data besides the day views.
    pub today_library: Versioned<(UserId, Date), Arc<TodayLibrary>>,
    /// Users' rows (whatever `is_active` says; the caller checks).
    pub users: Versioned<UserId, User, ChangeToken>,
    /// Web sessions by token hash (expiry is checked by the caller).
    pub sessions: Versioned<String, WebSession, ChangeToken>,
}

impl Default for ViewCache {
    fn default() -> Self {
        Self {
            days: Versioned::new("days", MAX_DAYS),
            stats: Versioned::new("stats", MAX_STATS),
            stats_encoded: Versioned::new("stats_encoded", MAX_STATS),
            weeks: Versioned::new("weeks", MAX_WEEKS),
            week_choices: Versioned::new("week_choices", MAX_TODAY_EXTRAS),
            meal_pages: Versioned::new("meal_pages", MAX_MEAL_PAGES),
            today_library: Versioned::new("today_library", MAX_TODAY_EXTRAS),
            users: Versioned::new("users", MAX_USERS),
            sessions: Versioned::new("sessions", MAX_SESSIONS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_at_its_version() {
        let c: Versioned<u8, &str> = Versioned::new("t", 4);
        c.put(1, 7, "seven");
        assert_eq!(c.get(&1, &7), Some("seven"));
        assert_eq!(c.get(&1, &8), None);
        c.put(1, 8, "eight");
        assert_eq!(c.get(&1, &7), None);
        assert_eq!(c.get(&1, &8), Some("eight"));
    }

    #[test]
    fn a_full_cache_makes_room_and_stays_bounded() {
        let c: Versioned<u32, u32> = Versioned::new("t", 3);
        for k in 0..100 {
            c.put(k, 0, k);
            assert!(c.map.len() <= 3, "{} entries", c.map.len());
            assert_eq!(c.get(&k, &0), Some(k));
        }
    }

    #[tokio::test]
    async fn a_lookup_computes_once_per_version() {
        let c: Versioned<u8, u32> = Versioned::new("t", 4);
        let mut calls = 0;
        for version in [1, 1, 2, 2, 1] {
            let v: Result<u32, ()> = c
                .get_or_try(0, Some(version), || {
                    calls += 1;
                    async move { Ok(version as u32 * 10) }
                })
                .await;
            assert_eq!(v, Ok(version as u32 * 10));
        }
        assert_eq!(
            calls, 3,
            "computed at 1, at 2, and at 1 again (the entry had moved on)"
        );
    }
}
