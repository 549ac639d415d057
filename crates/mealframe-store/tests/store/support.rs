//! Fixtures: a fresh database per test, a fixed clock and calendar, users, and a small library
//! (two meal types, five meals, a template, a default week plan) that generates a known week.

use dbkit::{Conn, Timestamp, fetch_scalar, testing::TestDb};
use mealframe_core::{
    ids::{DayTemplateId, MealId, MealTypeId, SlotId, UserId, WeekId, WeekPlanId},
    planning::{generation::TemplateSlot, macros::Macros},
};
use mealframe_store::{
    StoreError,
    accounts::users::{self, AuthProvider, NewUser},
    library::{
        day_templates::{self, NewTemplate},
        meal_types,
        meals::{self, NewMeal, Source},
        week_plans,
    },
    plans::{
        ops::{self, Generated},
        views,
    },
};
use time::{
    Date, Duration,
    macros::{date, datetime},
};

/// The Monday of the week the fixtures generate; "today" in most tests.
pub const MONDAY: Date = date!(2026 - 03 - 02);

/// `MONDAY + n` days.
pub fn day(n: i64) -> Date {
    MONDAY + Duration::days(n)
}

/// The fixed "now" of the tests: 08:00 UTC on [`MONDAY`].
pub fn t0() -> Timestamp {
    Timestamp::from(datetime!(2026-03-02 08:00 UTC))
}

/// `t0() + secs` seconds (negative for earlier).
pub fn at(secs: i64) -> Timestamp {
    t0().plus(Duration::seconds(secs))
}

/// A fresh, migrated database: SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.
pub async fn db() -> TestDb {
    TestDb::new(mealframe_store::MIGRATIONS).await
}

/// An id nobody has.
pub fn unknown<T: From<uuid::Uuid>>() -> T {
    T::from(uuid::Uuid::now_v7())
}

pub fn new_user(email: &str) -> NewUser<'_> {
    NewUser {
        email,
        email_key: email,
        password_hash: Some("$argon2id$stub"),
        email_verified: false,
        auth_provider: AuthProvider::Email,
        google_sub: None,
    }
}

/// A new e-mail account (`email` is also its lower-case key).
pub async fn user(c: &mut Conn<'_>, email: &str) -> UserId {
    users::insert(c, &new_user(email), t0()).await.unwrap().id
}

/// `(data_version, library_version)` of `user`.
pub async fn versions_of(c: &mut Conn<'_>, user: UserId) -> (i64, i64) {
    let row = users::by_id(c, user).await.unwrap().unwrap();
    (row.data_version, row.library_version)
}

/// `SELECT COUNT(*) …` for tables no store function reads.
pub async fn count(c: &mut Conn<'_>, sql: &'static str) -> i64 {
    fetch_scalar!(c.reborrow(), i64, sql).unwrap()
}

pub async fn meal_type(c: &mut Conn<'_>, user: UserId, name: &str) -> MealTypeId {
    meal_types::insert(c, user, name, None, &[], t0())
        .await
        .unwrap()
        .id
}

/// A manual meal with no nutrients, linked to `types`.
pub fn new_meal(name: &str, types: &[MealTypeId]) -> NewMeal {
    NewMeal {
        name: name.to_owned(),
        portion_description: format!("1 portion of {name}"),
        macros: Macros::default(),
        notes: None,
        source: Source::Manual,
        confidence_pct: None,
        image_path: None,
        ai_model_version: None,
        meal_types: types.to_vec(),
    }
}

/// A manual meal created at `created` (the rotation orders meals by creation time).
pub async fn meal(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
    types: &[MealTypeId],
    created: Timestamp,
) -> MealId {
    meals::insert(c, user, &new_meal(name, types), created)
        .await
        .unwrap()
}

/// Template slots for `types` at positions 1, 2, …
pub fn slots(types: &[MealTypeId]) -> Vec<TemplateSlot> {
    types
        .iter()
        .zip(1..)
        .map(|(t, position)| TemplateSlot {
            position,
            meal_type: *t,
            time: None,
        })
        .collect()
}

pub fn new_template(name: &str, types: &[MealTypeId]) -> NewTemplate {
    NewTemplate {
        name: name.to_owned(),
        notes: None,
        max_calories_kcal: None,
        max_protein: None,
        slots: slots(types),
    }
}

pub async fn template(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
    types: &[MealTypeId],
) -> DayTemplateId {
    day_templates::insert(c, user, &new_template(name, types), t0())
        .await
        .unwrap()
        .id
}

/// A week plan (the user's first one becomes the default).
pub async fn week_plan(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
    days: &[(u8, DayTemplateId)],
) -> WeekPlanId {
    week_plans::insert(c, user, name, false, days, t0())
        .await
        .unwrap()
        .id
}

/// A user's library, created in this order so that the rotation order is known.
pub struct Library {
    pub breakfast: MealTypeId,
    pub lunch: MealTypeId,
    /// Breakfasts, oldest first.
    pub oats: MealId,
    pub eggs: MealId,
    /// Lunches, oldest first.
    pub salad: MealId,
    pub soup: MealId,
    pub wrap: MealId,
    /// Breakfast (position 1), lunch (position 2).
    pub workday: DayTemplateId,
    /// The default plan: Monday to Friday are `workday`; the weekend is unmapped.
    pub plan: WeekPlanId,
}

pub async fn library(c: &mut Conn<'_>, user: UserId) -> Library {
    let breakfast = meal_type(c, user, "Breakfast").await;
    let lunch = meal_type(c, user, "Lunch").await;
    let oats = meal(c, user, "Oats", &[breakfast], at(1)).await;
    let eggs = meal(c, user, "Eggs", &[breakfast], at(2)).await;
    let salad = meal(c, user, "Salad", &[lunch], at(3)).await;
    let soup = meal(c, user, "Soup", &[lunch], at(4)).await;
    let wrap = meal(c, user, "Wrap", &[lunch], at(5)).await;
    let workday = template(c, user, "Workday", &[breakfast, lunch]).await;
    let days: Vec<(u8, DayTemplateId)> = (0..5).map(|d| (d, workday)).collect();
    let plan = week_plan(c, user, "Usual week", &days).await;
    Library {
        breakfast,
        lunch,
        oats,
        eggs,
        salad,
        soup,
        wrap,
        workday,
        plan,
    }
}

/// A library and its generated week starting on [`MONDAY`] (generated with today = `MONDAY`):
///
/// | day | breakfast | lunch |
/// |-----|-----------|-------|
/// | Mon | oats      | salad |
/// | Tue | eggs      | soup  |
/// | Wed | oats      | wrap  |
/// | Thu | eggs      | salad |
/// | Fri | oats      | soup  |
///
/// Saturday and Sunday have no day record.
pub struct Week {
    pub lib: Library,
    pub id: WeekId,
}

pub async fn generated_week(c: &mut Conn<'_>, user: UserId) -> Week {
    let lib = library(c, user).await;
    let id = match ops::generate(c, user, MONDAY, MONDAY, t0()).await.unwrap() {
        Generated::Created(id) => id,
        other => panic!("expected a new week, got {other:?}"),
    };
    Week { lib, id }
}

/// The slots of one of `user`'s days, in position order.
pub async fn slots_of(c: &mut Conn<'_>, user: UserId, date: Date) -> Vec<views::SlotView> {
    views::day(c, user, date)
        .await
        .unwrap()
        .and_then(|(_, d)| d)
        .map(|d| d.slots)
        .unwrap_or_default()
}

/// The slot ids of one of `user`'s days, in position order.
pub async fn slot_ids(c: &mut Conn<'_>, user: UserId, date: Date) -> Vec<SlotId> {
    slots_of(c, user, date)
        .await
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// The planned meal of each slot of a day, in position order.
pub async fn planned_meals(c: &mut Conn<'_>, user: UserId, date: Date) -> Vec<Option<MealId>> {
    slots_of(c, user, date)
        .await
        .into_iter()
        .map(|s| s.meal.map(|m| m.id))
        .collect()
}

/// The integrity rule a failed call broke, failing the test on any other outcome.
#[track_caller]
pub fn integrity<T: std::fmt::Debug>(r: Result<T, StoreError>) -> dbkit::ConstraintKind {
    match r {
        Err(StoreError::Integrity(kind)) => kind,
        other => panic!("expected an integrity error, got {other:?}"),
    }
}

/// The rejection of a refused planning operation, failing the test on any other outcome.
#[track_caller]
pub fn rejection<T: std::fmt::Debug>(r: Result<T, StoreError>) -> mealframe_store::Rejection {
    match r {
        Err(StoreError::Rejected(why)) => why,
        other => panic!("expected a rejection, got {other:?}"),
    }
}
