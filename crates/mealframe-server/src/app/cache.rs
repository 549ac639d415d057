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
//! leave everyone else's entries alone. Nothing is ever invalidated by hand. The library lists
//! (the meal list, the pickers, the Today page's library, the Week page's choices) are keyed by
//! the user's `library_version` instead (migration 0013), which the same triggers move for the
//! library and for new or removed weeks but not for marks: marking a meal leaves them cached.
//!
//! On SQLite, the signed-in user's row and web sessions are kept too ([`SignedIn`]): the
//! database's change token (`Db::change_token`) moves with every commit of any connection of any
//! process, and when it has moved, one indexed read of the `user_changes` log (migration 0012)
//! says whose rows changed; only those users' entries are dropped. On PostgreSQL, changes to
//! users and sessions are announced with `NOTIFY` (migration 0014) and a listener drops the same
//! entries; a shared fence round before each request makes sure it heard of every commit that
//! came first (`dbkit::notices`), and while it is down nothing is kept.
//!
//! Every map is bounded (`quick_cache`, S3-FIFO eviction: an entry read again survives a stream
//! of one-off entries), by a count of entries or, for stats, by their size; a stale entry is
//! simply never matched again and ages out. Lookups are counted in `mealframe_cache_lookups_total{cache, outcome}`.

use std::{
    hash::Hash,
    sync::{Arc, Mutex, OnceLock, RwLock},
};

use bytes::Bytes;
use dbkit::{ChangeToken, Db, Engine, Notice, Notices};
use mealframe_core::{ids::UserId, planning::stats::Stats};
use mealframe_store::{
    accounts::{sessions::WebSession, user_changes, users::User},
    library::{day_templates::DayTemplate, meals::Meal},
    plans::views::WeekView,
};
use time::Date;

use super::{
    AppResult,
    day_plan::{DayPlan, TodayLibrary},
};

/// Entries kept of each kind: a day view is a few kilobytes, a week ~20 KB, a page of meals
/// ~10 KB. Stats grow with their period (a year, numbers or encoded, up to ~150 KB; a month about
/// a tenth of it), so they are bounded by weight instead: the numbers by the days they cover
/// (room for 16 years or ~100 months), the encoded bodies by their size in KiB (4 MiB). Stats
/// are recomputed after every mark anyway, so a larger bound buys few hits (room for 64 years
/// measured 30 → 34 % with 500 users).
const MAX_DAYS: usize = 8192;
const MAX_STATS_DAYS: u64 = 16 * STATS_WEIGHT_PER_YEAR;
const STATS_WEIGHT_PER_YEAR: u64 = 365 + STATS_ENTRY_DAYS;
/// A stats entry's fixed part (totals, per-type rows), counted as this many days.
const STATS_ENTRY_DAYS: u64 = 30;
const MAX_STATS_KIB: u64 = 4 * 1024;
const STATS_ENTRIES_EXPECTED: usize = 128;
const MAX_USERS: usize = 8192;
const MAX_SESSIONS: usize = 8192;
const MAX_TODAY_EXTRAS: usize = 4096;
const MAX_WEEKS: usize = 4096;
const MAX_MEAL_PAGES: usize = 2048;

/// A bounded map whose entries count only at the version they were stored with.
pub struct Versioned<K, V, Ver = i64> {
    name: &'static str,
    map: quick_cache::sync::Cache<K, (Ver, V), Weight<K, V>>,
}

/// What an entry costs against its map's capacity (one unit per entry unless told otherwise).
pub struct Weight<K, V>(fn(&K, &V) -> u64);

impl<K, V> Clone for Weight<K, V> {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl<K, V, Ver> quick_cache::Weighter<K, (Ver, V)> for Weight<K, V> {
    fn weight(&self, key: &K, (_, value): &(Ver, V)) -> u64 {
        (self.0)(key, value)
    }
}

impl<K: Eq + Hash + Clone, V: Clone, Ver: Eq + Clone> Versioned<K, V, Ver> {
    fn new(name: &'static str, cap: usize) -> Self {
        Self::weighted(name, cap, cap as u64, |_, _| 1)
    }

    /// At most `capacity` in total of what `weight` says each entry costs (about
    /// `expected_entries` of them).
    fn weighted(
        name: &'static str,
        expected_entries: usize,
        capacity: u64,
        weight: fn(&K, &V) -> u64,
    ) -> Self {
        Self {
            name,
            map: quick_cache::sync::Cache::with_weighter(
                expected_entries,
                capacity,
                Weight(weight),
            ),
        }
    }

    /// Whether an entry for `key` is kept at `version` (no lookup is counted).
    pub fn holds(&self, key: &K, version: &Ver) -> bool {
        self.map.peek(key).is_some_and(|(v, _)| &v == version)
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
                lookup("hit", self.name);
                return Ok(hit);
            }
            lookup("miss", self.name);
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
    /// … and encoded by a front door (the API's week body).
    pub weeks_encoded: Versioned<(UserId, Date), Option<Bytes>>,
    /// The Week page's templates and picker meals.
    pub week_choices: Versioned<UserId, Arc<WeekChoices>>,
    /// Pages of the meal library: first pages and filters by type or source, no search text.
    pub meal_pages: Versioned<MealPageKey, Arc<(Vec<Meal>, i64)>>,
    /// The Today page's data besides the day views.
    pub today_library: Versioned<(UserId, Date), Arc<TodayLibrary>>,
    /// Signed-in users' rows and web sessions (SQLite).
    pub signed_in: SignedIn,
}

impl Default for ViewCache {
    fn default() -> Self {
        Self {
            days: Versioned::new("days", MAX_DAYS),
            stats: Versioned::weighted(
                "stats",
                STATS_ENTRIES_EXPECTED,
                MAX_STATS_DAYS,
                |&(_, days, _), _| u64::from(days) + STATS_ENTRY_DAYS,
            ),
            stats_encoded: Versioned::weighted(
                "stats_encoded",
                STATS_ENTRIES_EXPECTED,
                MAX_STATS_KIB,
                |_, body| body.len() as u64 / 1024 + 1,
            ),
            weeks: Versioned::new("weeks", MAX_WEEKS),
            weeks_encoded: Versioned::new("weeks_encoded", MAX_WEEKS),
            week_choices: Versioned::new("week_choices", MAX_TODAY_EXTRAS),
            meal_pages: Versioned::new("meal_pages", MAX_MEAL_PAGES),
            today_library: Versioned::new("today_library", MAX_TODAY_EXTRAS),
            signed_in: SignedIn::default(),
        }
    }
}

/// Users' rows (whatever `is_active` says; the caller checks) and web sessions by token hash
/// (the caller checks the expiry), kept while nothing says they changed.
///
/// Every request first calls [`SignedIn::fresh`], which learns whose rows changed since the last
/// look and drops those users' entries:
/// - on SQLite, while the change token is the one last caught up with, nothing was committed and
///   every entry holds; when it moved, the `user_changes` log is read once (one request at a
///   time; the others wait for it);
/// - on PostgreSQL, a listener hears each change announced (migration 0014) and a shared fence
///   round tells that every announcement committed before the request has been applied
///   (`dbkit::notices`). While the listener is down, nothing is kept.
///
/// The answer is a *generation*, which moves with each catch-up that dropped something. An entry
/// is stored with the generation its read started at, and only if no catch-up ran meanwhile (a
/// read racing a write could otherwise put back an entry the catch-up had just dropped). A
/// session holds only while its user's entry is not newer than it: a change to the user's
/// sessions (sign-out, the hourly expiry slide) drops the user's entry, so the session is read
/// again with it.
pub struct SignedIn {
    kept: Arc<Kept>,
    /// SQLite: the change token and log position caught up with.
    seen: Mutex<Seen>,
    catching_up: tokio::sync::Mutex<()>,
    /// PostgreSQL: the listener, started by the first request (`None` inside on SQLite).
    notices: OnceLock<Option<Notices>>,
}

/// The entries, shared with the PostgreSQL listener's task.
struct Kept {
    users: quick_cache::sync::Cache<UserId, (u64, User)>,
    sessions: quick_cache::sync::Cache<String, (u64, WebSession)>,
    generation: RwLock<u64>,
}

/// The change token last caught up with, and the log position read up to.
#[derive(Default)]
struct Seen {
    token: Option<ChangeToken>,
    seq: i64,
}

impl Default for SignedIn {
    fn default() -> Self {
        Self {
            kept: Arc::new(Kept {
                users: quick_cache::sync::Cache::new(MAX_USERS),
                sessions: quick_cache::sync::Cache::new(MAX_SESSIONS),
                generation: RwLock::new(0),
            }),
            seen: Mutex::new(Seen::default()),
            catching_up: tokio::sync::Mutex::new(()),
            notices: OnceLock::new(),
        }
    }
}

fn lookup(outcome: &'static str, cache: &'static str) {
    metrics::counter!("mealframe_cache_lookups_total", "cache" => cache, "outcome" => outcome)
        .increment(1);
}

impl Kept {
    fn generation(&self) -> u64 {
        *self.generation.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Drop these users' entries; the generation moves if there were any.
    fn forget(&self, users: impl IntoIterator<Item = UserId>) -> u64 {
        let mut generation = self.generation.write().unwrap_or_else(|e| e.into_inner());
        let mut users = users.into_iter().peekable();
        if users.peek().is_some() {
            *generation += 1;
            for user in users {
                self.users.remove(&user);
            }
        }
        *generation
    }

    /// Drop every entry (changes may have gone unheard).
    fn forget_all(&self) {
        let mut generation = self.generation.write().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        self.users.clear();
        self.sessions.clear();
    }

    /// What the PostgreSQL listener heard.
    fn apply(&self, notice: Notice) {
        match notice {
            Notice::Changed(payloads) => {
                let users: Option<Vec<UserId>> =
                    payloads.iter().map(|p| user_changes::noticed(p)).collect();
                match users {
                    Some(users) => {
                        self.forget(users);
                    }
                    None => self.forget_all(),
                }
            }
            Notice::Lost => self.forget_all(),
        }
    }
}

impl SignedIn {
    fn seen_token(&self) -> Option<ChangeToken> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).token
    }

    /// The generation this request's lookups and stores use, after catching up with whose rows
    /// changed; `None` when nothing may be kept (no change token to be had on SQLite, the
    /// listener down on PostgreSQL).
    pub async fn fresh(&self, db: &Db) -> AppResult<Option<u64>> {
        if db.engine() == Engine::Postgres {
            return Ok(self.fresh_by_notices(db).await);
        }
        let Some(token) = db.change_token() else {
            return Ok(None);
        };
        if self.seen_token() == Some(token) {
            return Ok(Some(self.kept.generation()));
        }
        let _one_at_a_time = self.catching_up.lock().await;
        // Read again: whoever held the lock may have caught up already, or more was committed.
        let Some(token) = db.change_token() else {
            return Ok(None);
        };
        let from = {
            let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if seen.token == Some(token) {
                drop(seen);
                return Ok(Some(self.kept.generation()));
            }
            seen.seq
        };
        // The token was taken before this read, so the read sees every commit it stands for.
        let changed = {
            let mut r = db.reader().await?;
            user_changes::since(&mut r.conn(), from).await?
        };
        let generation = self.kept.forget(changed.iter().map(|(user, _)| *user));
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.token = Some(token);
        seen.seq = changed.last().map_or(from, |(_, seq)| *seq);
        Ok(Some(generation))
    }

    /// PostgreSQL: the generation once every change committed before this call was applied.
    async fn fresh_by_notices(&self, db: &Db) -> Option<u64> {
        let notices = self.notices.get_or_init(|| {
            let kept = self.kept.clone();
            Notices::listen(db, user_changes::NOTICE_CHANNEL, move |n| kept.apply(n))
        });
        match notices {
            Some(n) if n.caught_up().await => Some(self.kept.generation()),
            _ => None,
        }
    }

    /// The kept row of `user`, if any (only call with a generation from [`SignedIn::fresh`]).
    pub fn user(&self, user: UserId) -> Option<User> {
        let hit = self.kept.users.get(&user).map(|(_, u)| u);
        lookup(if hit.is_some() { "hit" } else { "miss" }, "users");
        hit
    }

    /// Keep `row`, read at `generation`, unless a catch-up ran since.
    pub fn keep_user(&self, row: &User, generation: u64) {
        let current = self
            .kept
            .generation
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if *current == generation {
            self.kept.users.insert(row.id, (generation, row.clone()));
        }
    }

    /// The kept session with this token hash, if it and its user's row still hold.
    pub fn session(&self, hash: &str) -> Option<WebSession> {
        let hit = self.kept.sessions.get(hash).and_then(|(at, session)| {
            let (user_at, _) = self.kept.users.get(&session.user())?;
            (at >= user_at).then_some(session)
        });
        lookup(if hit.is_some() { "hit" } else { "miss" }, "sessions");
        hit
    }

    /// Keep `session`, read at `generation`, unless a catch-up ran since.
    pub fn keep_session(&self, hash: String, session: &WebSession, generation: u64) {
        let current = self
            .kept
            .generation
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if *current == generation {
            self.kept
                .sessions
                .insert(hash, (generation, session.clone()));
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

    #[test]
    fn stats_are_bounded_by_the_days_they_cover() {
        let views = ViewCache::default();
        let user = UserId(uuid::Uuid::nil());
        let day = Date::from_calendar_date(2026, time::Month::December, 2).unwrap();
        let month = Arc::new(mealframe_core::planning::stats::compute(
            &mealframe_core::planning::stats::StatsInput {
                today: day,
                period_days: 30,
                slots: vec![],
                days: vec![],
                tallies: Default::default(),
                meal_type_names: Default::default(),
            },
        ));
        for n in 0..400 {
            let key = (user, 30, day + time::Duration::days(n));
            views.stats.put(key, 0, month.clone());
        }
        // ~30-day periods: about a hundred fit where only 16 year-long ones would.
        assert!(views.stats.map.len() > 64, "{} kept", views.stats.map.len());
        assert!(views.stats.map.weight() <= MAX_STATS_DAYS);
        // Years push months out: the total never passes the bound.
        for n in 0..400 {
            let key = (user, 365, day + time::Duration::days(n));
            views.stats.put(key, 0, month.clone());
            assert!(views.stats.map.weight() <= MAX_STATS_DAYS);
        }
        assert!(
            views.stats.map.len() < 400,
            "{} kept",
            views.stats.map.len()
        );
        // The largest entries still fit (a weight past a shard's share is never stored).
        let year = (user, 365, day - time::Duration::days(1));
        views.stats.put(year, 1, month.clone());
        assert!(views.stats.holds(&year, &1));
        let body = Bytes::from(vec![b' '; 200 * 1024]);
        views.stats_encoded.put(year, 1, body);
        assert!(views.stats_encoded.holds(&year, &1));
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
