//! Computed views cached per user, owned by the use cases: a day as the Today screen shows it,
//! the stats of a period, and the library the Today page offers.
//!
//! A year of history makes these the most expensive reads (a streak walks up to 365 days, stats
//! over a year aggregate ~1,500 slots), and people open them far more often than they change
//! anything. Entries are keyed by the user's `data_version`, which database triggers move forward
//! on every change to what these views show (migration 0003) and which the request already read
//! with the user: an entry is used only when the version still matches, so a view is never older
//! than the data — across several server instances too. Nothing is ever invalidated by hand.
//!
//! On SQLite, reads that no trigger versions are cached under the database's change token
//! (`Db::change_token`), which moves with every commit of any connection of any process, so such
//! an entry is used only while nothing at all has been written: the signed-in user's row (read on
//! every request for that version), web sessions, and the Today page's picker data and checklist.
//! PostgreSQL gives no such token; there they are read every time.
//!
//! The maps are bounded; when full, an arbitrary entry makes room (stale entries are simply
//! never matched again).

use std::{collections::HashMap, hash::Hash, sync::Arc, sync::Mutex};

use bytes::Bytes;
use dbkit::ChangeToken;
use mealframe_core::{ids::UserId, planning::stats::Stats};
use mealframe_store::accounts::{sessions::WebSession, users::User};
use time::Date;

use super::day_plan::{DayPlan, TodayLibrary};

/// Entries kept of each kind: a day view is a few kilobytes, a year of
/// stats (numbers or encoded) up to ~150 KB.
const MAX_DAYS: usize = 4096;
const MAX_STATS: usize = 32;
const MAX_USERS: usize = 4096;
const MAX_SESSIONS: usize = 4096;
const MAX_TODAY_EXTRAS: usize = 1024;

/// A bounded map whose entries count only at the version they were stored with.
pub struct Versioned<K, V, Ver = i64> {
    map: Mutex<HashMap<K, (Ver, V)>>,
    cap: usize,
}

impl<K: Eq + Hash + Clone, V: Clone, Ver: Eq> Versioned<K, V, Ver> {
    fn new(cap: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            cap,
        }
    }

    fn get(&self, key: &K, version: Ver) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, value)| value.clone())
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
        Ver: Copy,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = version
            && let Some(hit) = self.get(&key, v)
        {
            return Ok(hit);
        }
        let value = compute().await?;
        if let Some(v) = version {
            self.put(key, v, value.clone());
        }
        Ok(value)
    }

    fn put(&self, key: K, version: Ver, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.cap
            && !map.contains_key(&key)
            && let Some(victim) = map.keys().next().cloned()
        {
            map.remove(&victim);
        }
        map.insert(key, (version, value));
    }
}

pub struct ViewCache {
    /// Days as the Today screen shows them, by user and date.
    pub days: Versioned<(UserId, Date), Arc<DayPlan>>,
    /// Stats of the `days` days ending a date, as numbers (web page) …
    pub stats: Versioned<(UserId, u32, Date), Arc<Stats>>,
    /// … and encoded by a front door (the API's `GET /stats` body: a year is ~140 KB of JSON).
    pub stats_encoded: Versioned<(UserId, u32, Date), Bytes>,
    /// Users' rows (whatever `is_active` says; the caller checks).
    pub users: Versioned<UserId, User, ChangeToken>,
    /// Web sessions by token hash (expiry is checked by the caller).
    pub sessions: Versioned<String, WebSession, ChangeToken>,
    /// The Today page's data besides the day views.
    pub today_library: Versioned<(UserId, Date), Arc<TodayLibrary>, ChangeToken>,
}

impl Default for ViewCache {
    fn default() -> Self {
        Self {
            days: Versioned::new(MAX_DAYS),
            stats: Versioned::new(MAX_STATS),
            stats_encoded: Versioned::new(MAX_STATS),
            users: Versioned::new(MAX_USERS),
            sessions: Versioned::new(MAX_SESSIONS),
            today_library: Versioned::new(MAX_TODAY_EXTRAS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_at_its_version() {
        let c: Versioned<u8, &str> = Versioned::new(4);
        c.put(1, 7, "seven");
        assert_eq!(c.get(&1, 7), Some("seven"));
        assert_eq!(c.get(&1, 8), None);
        c.put(1, 8, "eight");
        assert_eq!(c.get(&1, 7), None);
        assert_eq!(c.get(&1, 8), Some("eight"));
    }

    #[test]
    fn a_full_cache_makes_room_and_stays_bounded() {
        let c: Versioned<u32, u32> = Versioned::new(3);
        for k in 0..10 {
            c.put(k, 0, k);
            assert!(c.map.lock().unwrap().len() <= 3);
            assert_eq!(c.get(&k, 0), Some(k));
        }
    }
}
