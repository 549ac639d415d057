//! Computed views cached per user: a day as the Today screen shows it and the stats of a period.
//!
//! A year of history makes these the most expensive reads (a streak walks up to 365 days, stats
//! over a year aggregate ~1,500 slots), and people open them far more often than they change
//! anything. Entries are keyed by the user's `data_version`, which database triggers move forward
//! on every change to what these views show (migration 0003) and which the request already read
//! with the user: an entry is used only when the version still matches, so a view is never older
//! than the data — across several server instances too. Nothing is ever invalidated by hand.
//!
//! The signed-in user's row, read on every request for that version, is cached too on SQLite:
//! keyed by the database's change token (`Db::change_token`), which moves with every commit of any
//! connection of any process, so an entry is used only while nothing at all has been written.
//! PostgreSQL gives no such token; there the row is read every time.
//!
//! The maps are bounded; when full, an arbitrary entry makes room (stale entries are simply
//! never matched again).

use std::{collections::HashMap, hash::Hash, sync::Mutex};

use bytes::Bytes;
use dbkit::ChangeToken;
use mealframe_core::{ids::UserId, planning::stats::Stats};
use mealframe_store::accounts::users::User;
use time::Date;

use crate::api::daily::TodayResponse;

/// Entries kept of each kind: a day view is a few kilobytes, a year of
/// stats (numbers or encoded) up to ~150 KB.
const MAX_DAYS: usize = 4096;
const MAX_STATS: usize = 32;
const MAX_USERS: usize = 4096;

/// A bounded map whose entries count only at the version they were stored with.
struct Versioned<K, V, Ver = i64> {
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
    days: Versioned<(UserId, Date), TodayResponse>,
    stats: Versioned<(UserId, u32, Date), Stats>,
    stats_json: Versioned<(UserId, u32, Date), Bytes>,
    users: Versioned<UserId, User, ChangeToken>,
}

impl Default for ViewCache {
    fn default() -> Self {
        Self {
            days: Versioned::new(MAX_DAYS),
            stats: Versioned::new(MAX_STATS),
            stats_json: Versioned::new(MAX_STATS),
            users: Versioned::new(MAX_USERS),
        }
    }
}

impl ViewCache {
    /// The user's row as it was when the database last looked like `token`.
    pub fn user(&self, id: UserId, token: ChangeToken) -> Option<User> {
        self.users.get(&id, token)
    }

    /// Remember `user` as read while the database looked like `token` (taken before the read).
    pub fn put_user(&self, user: User, token: ChangeToken) {
        self.users.put(user.id, token, user);
    }

    pub fn day(&self, user: UserId, date: Date, version: i64) -> Option<TodayResponse> {
        self.days.get(&(user, date), version)
    }

    pub fn put_day(&self, user: UserId, date: Date, version: i64, view: TodayResponse) {
        self.days.put((user, date), version, view);
    }

    /// The stats of the `days` days ending `today`.
    pub fn stats(&self, user: UserId, days: u32, today: Date, version: i64) -> Option<Stats> {
        self.stats.get(&(user, days, today), version)
    }

    pub fn put_stats(&self, user: UserId, days: u32, today: Date, version: i64, stats: Stats) {
        self.stats.put((user, days, today), version, stats);
    }

    /// The encoded `GET /stats` body of the same period.
    pub fn stats_json(&self, user: UserId, days: u32, today: Date, version: i64) -> Option<Bytes> {
        self.stats_json.get(&(user, days, today), version)
    }

    pub fn put_stats_json(&self, user: UserId, days: u32, today: Date, version: i64, body: Bytes) {
        self.stats_json.put((user, days, today), version, body);
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
