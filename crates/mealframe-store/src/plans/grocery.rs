//! Grocery lists (issue 11): the planned portions of a date range, read in one query, and what a
//! person did to a list — check-offs, removals, extra items, the last list they saw — and to an
//! ingredient for every list (its aisle, whether it is a staple kept at home).
//!
//! A list is named by its user and last day (`to_date`): one shopping trip. The list's content is
//! never stored; the use case computes it from the plan on every read (`app::grocery`).

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional};
use mealframe_core::{
    ids::{GroceryExtraId, GroceryListId, MealId, SlotId, UserId},
    planning::{calendar::monday_of, completion::CompletionStatus},
};
use time::Date;
use uuid::Uuid;

use crate::Result;

/// One planned slot's meal and portion in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPortion {
    pub date: Date,
    pub slot: SlotId,
    pub status: Option<CompletionStatus>,
    pub is_adhoc: bool,
    pub meal_id: MealId,
    pub meal_name: String,
    pub portion: String,
}

#[derive(sqlx::FromRow)]
struct PortionRow {
    date: Date,
    id: Uuid,
    completion_status: Option<String>,
    is_adhoc: bool,
    meal_id: Uuid,
    name: String,
    portion_description: String,
}

/// Every slot with a meal from `from` to `to` (inclusive) of the user's generated weeks, by date
/// and position: the reassigned meal where one was reassigned, ad-hoc meals, nothing for a
/// "No Plan" day's removed slots (they no longer exist).
pub async fn planned_portions(
    c: &mut Conn<'_>,
    user: UserId,
    from: Date,
    to: Date,
) -> Result<Vec<PlannedPortion>> {
    let rows = fetch_all!(
        c,
        PortionRow,
        "SELECT s.date, s.id, s.completion_status, s.is_adhoc, m.id AS meal_id, m.name, m.portion_description
         FROM weekly_plan_instances i
         JOIN weekly_plan_slots s ON s.weekly_plan_instance_id = i.id
         JOIN meals m ON m.id = s.meal_id
         WHERE i.user_id = $1 AND i.week_start_date BETWEEN $2 AND $4
           AND s.date BETWEEN $3 AND $4
         ORDER BY s.date, s.position",
        user.uuid(),
        monday_of(from),
        from,
        to
    )?;
    Ok(rows
        .into_iter()
        .map(|r| PlannedPortion {
            date: r.date,
            slot: SlotId(r.id),
            status: r.completion_status.and_then(|s| s.parse().ok()),
            is_adhoc: r.is_adhoc,
            meal_id: MealId(r.meal_id),
            meal_name: r.name,
            portion: r.portion_description,
        })
        .collect())
}

/// The Mondays of the user's generated weeks that overlap `from..=to`.
pub async fn generated_weeks(
    c: &mut Conn<'_>,
    user: UserId,
    from: Date,
    to: Date,
) -> Result<Vec<Date>> {
    Ok(fetch_all!(
        c,
        (Date,),
        "SELECT week_start_date FROM weekly_plan_instances
         WHERE user_id = $1 AND week_start_date BETWEEN $2 AND $3 ORDER BY week_start_date",
        user.uuid(),
        monday_of(from),
        to
    )?
    .into_iter()
    .map(|(d,)| d)
    .collect())
}

/// What is stored about one item of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemMark {
    pub key: String,
    /// The amount (exact, base unit, `"n/d"`) it was checked off at; `None` when not checked.
    pub checked_amount: Option<String>,
    pub removed: bool,
}

/// An item added by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    pub id: GroceryExtraId,
    pub name: String,
    pub checked: bool,
    pub created_at: Timestamp,
}

/// A stored list and everything done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    pub id: GroceryListId,
    pub to: Date,
    /// The list as last seen (see migration 0007); empty before the first change.
    pub seen: String,
    pub updated_at: Timestamp,
    pub items: Vec<ItemMark>,
    /// In the order added.
    pub extras: Vec<Extra>,
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    to_date: Date,
    seen: String,
    updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct MarkRow {
    item_key: String,
    checked_amount: Option<String>,
    removed: bool,
}

#[derive(sqlx::FromRow)]
struct ExtraRow {
    id: Uuid,
    name: String,
    checked: bool,
    created_at: Timestamp,
}

impl From<ExtraRow> for Extra {
    fn from(r: ExtraRow) -> Extra {
        Extra {
            id: GroceryExtraId(r.id),
            name: r.name,
            checked: r.checked,
            created_at: r.created_at,
        }
    }
}

/// The user's list ending on `to`, if they ever changed it.
pub async fn list(c: &mut Conn<'_>, user: UserId, to: Date) -> Result<Option<ListState>> {
    let Some(row) = fetch_optional!(
        c.reborrow(),
        ListRow,
        "SELECT id, to_date, seen, updated_at FROM grocery_lists WHERE user_id = $1 AND to_date = $2",
        user.uuid(),
        to
    )?
    else {
        return Ok(None);
    };
    let items = fetch_all!(
        c.reborrow(),
        MarkRow,
        "SELECT item_key, checked_amount, removed FROM grocery_list_items WHERE list_id = $1 ORDER BY item_key",
        row.id
    )?;
    let extras = fetch_all!(
        c,
        ExtraRow,
        "SELECT id, name, checked, created_at FROM grocery_extras WHERE list_id = $1 ORDER BY created_at, id",
        row.id
    )?;
    Ok(Some(ListState {
        id: GroceryListId(row.id),
        to: row.to_date,
        seen: row.seen,
        updated_at: row.updated_at,
        items: items
            .into_iter()
            .map(|m| ItemMark {
                key: m.item_key,
                checked_amount: m.checked_amount,
                removed: m.removed,
            })
            .collect(),
        extras: extras.into_iter().map(Extra::from).collect(),
    }))
}

/// The user's list ending on `to`, created when it does not exist yet; its `updated_at` moves to
/// `now` either way (call it in the transaction of every change to the list).
pub async fn touch(
    c: &mut Conn<'_>,
    user: UserId,
    to: Date,
    now: Timestamp,
) -> Result<GroceryListId> {
    let id = GroceryListId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO grocery_lists (id, user_id, to_date, seen, updated_at) VALUES ($1, $2, $3, '', $4)
         ON CONFLICT (user_id, to_date) DO UPDATE SET updated_at = EXCLUDED.updated_at",
        id.uuid(),
        user.uuid(),
        to,
        now
    )?;
    let row = fetch_optional!(
        c,
        ListRow,
        "SELECT id, to_date, seen, updated_at FROM grocery_lists WHERE user_id = $1 AND to_date = $2",
        user.uuid(),
        to
    )?;
    Ok(row.map_or(id, |r| GroceryListId(r.id)))
}

/// Remember the list as the person saw it when they last acted on it.
pub async fn set_seen(
    c: &mut Conn<'_>,
    user: UserId,
    list: GroceryListId,
    seen: &str,
) -> Result<bool> {
    let n = execute!(
        c,
        "UPDATE grocery_lists SET seen = $3 WHERE id = $1 AND user_id = $2",
        list.uuid(),
        user.uuid(),
        seen
    )?;
    Ok(n == 1)
}

/// Store an item's check-off and removal; an item neither checked nor removed leaves no row.
pub async fn set_item(
    c: &mut Conn<'_>,
    user: UserId,
    list: GroceryListId,
    key: &str,
    checked_amount: Option<&str>,
    removed: bool,
) -> Result<()> {
    if checked_amount.is_none() && !removed {
        execute!(
            c,
            "DELETE FROM grocery_list_items WHERE item_key = $2
               AND list_id = (SELECT id FROM grocery_lists WHERE id = $1 AND user_id = $3)",
            list.uuid(),
            key,
            user.uuid()
        )?;
        return Ok(());
    }
    execute!(
        c,
        "INSERT INTO grocery_list_items (list_id, item_key, checked_amount, removed)
         SELECT id, $2, $3, $4 FROM grocery_lists WHERE id = $1 AND user_id = $5
         ON CONFLICT (list_id, item_key) DO UPDATE SET checked_amount = EXCLUDED.checked_amount, removed = EXCLUDED.removed",
        list.uuid(),
        key,
        checked_amount,
        removed,
        user.uuid()
    )?;
    Ok(())
}

/// Add an item by hand.
pub async fn add_extra(
    c: &mut Conn<'_>,
    user: UserId,
    list: GroceryListId,
    name: &str,
    now: Timestamp,
) -> Result<Option<Extra>> {
    let id = GroceryExtraId::new();
    let n = execute!(
        c,
        "INSERT INTO grocery_extras (id, list_id, name, checked, created_at)
         SELECT $1, id, $3, FALSE, $4 FROM grocery_lists WHERE id = $2 AND user_id = $5",
        id.uuid(),
        list.uuid(),
        name,
        now,
        user.uuid()
    )?;
    Ok((n == 1).then(|| Extra {
        id,
        name: name.to_owned(),
        checked: false,
        created_at: now,
    }))
}

/// Check or uncheck an extra item of the user's list; `false` when there is no such item.
pub async fn set_extra_checked(
    c: &mut Conn<'_>,
    user: UserId,
    list: GroceryListId,
    id: GroceryExtraId,
    checked: bool,
) -> Result<bool> {
    let n = execute!(
        c,
        "UPDATE grocery_extras SET checked = $3 WHERE id = $1
           AND list_id = (SELECT id FROM grocery_lists WHERE id = $2 AND user_id = $4)",
        id.uuid(),
        list.uuid(),
        checked,
        user.uuid()
    )?;
    Ok(n == 1)
}

/// Delete an extra item of the user's list; `false` when there is no such item.
pub async fn delete_extra(
    c: &mut Conn<'_>,
    user: UserId,
    list: GroceryListId,
    id: GroceryExtraId,
) -> Result<bool> {
    let n = execute!(
        c,
        "DELETE FROM grocery_extras WHERE id = $1
           AND list_id = (SELECT id FROM grocery_lists WHERE id = $2 AND user_id = $3)",
        id.uuid(),
        list.uuid(),
        user.uuid()
    )?;
    Ok(n == 1)
}

/// Forget the user's lists of trips that ended before `before` (nothing to shop for any more).
pub async fn delete_lists_before(c: &mut Conn<'_>, user: UserId, before: Date) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM grocery_lists WHERE user_id = $1 AND to_date < $2",
        user.uuid(),
        before
    )?)
}

/// What a person decided about one ingredient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    pub ingredient: String,
    /// A category slug (`mealframe_core::grocery::Category::slug`); `None`: the dictionary's.
    pub category: Option<String>,
    /// `None`: the built-in staples decide.
    pub staple: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct PreferenceRow {
    ingredient_key: String,
    category: Option<String>,
    staple: Option<bool>,
}

/// All of the user's ingredient decisions, by ingredient.
pub async fn preferences(c: &mut Conn<'_>, user: UserId) -> Result<Vec<Preference>> {
    let rows = fetch_all!(
        c,
        PreferenceRow,
        "SELECT ingredient_key, category, staple FROM grocery_preferences WHERE user_id = $1 ORDER BY ingredient_key",
        user.uuid()
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Preference {
            ingredient: r.ingredient_key,
            category: r.category,
            staple: r.staple,
        })
        .collect())
}

/// Store the user's decision about an ingredient (both `None`: back to the built-in rules).
pub async fn set_preference(c: &mut Conn<'_>, user: UserId, p: &Preference) -> Result<()> {
    if p.category.is_none() && p.staple.is_none() {
        execute!(
            c,
            "DELETE FROM grocery_preferences WHERE user_id = $1 AND ingredient_key = $2",
            user.uuid(),
            &p.ingredient
        )?;
        return Ok(());
    }
    execute!(
        c,
        "INSERT INTO grocery_preferences (user_id, ingredient_key, category, staple) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, ingredient_key) DO UPDATE SET category = EXCLUDED.category, staple = EXCLUDED.staple",
        user.uuid(),
        &p.ingredient,
        p.category.as_deref(),
        p.staple
    )?;
    Ok(())
}

/// Where the AI reading of a line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiStatus {
    Waiting,
    Done,
    Failed,
}

impl AiStatus {
    fn parse(s: &str) -> AiStatus {
        match s {
            "done" => AiStatus::Done,
            "failed" => AiStatus::Failed,
            _ => AiStatus::Waiting,
        }
    }
}

/// A portion line sent (or to be sent) to the model, and its reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiLine {
    pub line: String,
    pub status: AiStatus,
    /// A portion text (`done`); empty when the line names nothing to buy.
    pub reading: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AiLineRow {
    line: String,
    status: String,
    reading: Option<String>,
}

/// Every line of the user's known to the AI reader.
pub async fn ai_lines(c: &mut Conn<'_>, user: UserId) -> Result<Vec<AiLine>> {
    let rows = fetch_all!(
        c,
        AiLineRow,
        "SELECT line, status, reading FROM grocery_ai_lines WHERE user_id = $1 ORDER BY line",
        user.uuid()
    )?;
    Ok(rows
        .into_iter()
        .map(|r| AiLine {
            line: r.line,
            status: AiStatus::parse(&r.status),
            reading: r.reading,
        })
        .collect())
}

/// Queue lines for the AI reader (a line already known is left as it is); returns how many were
/// new.
pub async fn queue_ai_lines(
    c: &mut Conn<'_>,
    user: UserId,
    lines: &[&str],
    now: Timestamp,
) -> Result<u64> {
    let mut added = 0;
    for line in lines {
        added += execute!(
            c.reborrow(),
            "INSERT INTO grocery_ai_lines (user_id, line, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, 'waiting', 0, $3, $3) ON CONFLICT (user_id, line) DO NOTHING",
            user.uuid(),
            *line,
            now
        )?;
    }
    Ok(added)
}

/// A claimed line: whose, which, and how many attempts it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedLine {
    pub user: UserId,
    pub line: String,
    pub attempts: i32,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    user_id: Uuid,
    line: String,
    attempts: i32,
}

/// Claim up to `limit` due waiting lines (of any users) for `claim` until `lease_until`.
pub async fn claim_ai_lines(
    c: &mut Conn<'_>,
    claim: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<ClaimedLine>> {
    let rows = fetch_all!(
        c,
        ClaimedRow,
        "UPDATE grocery_ai_lines SET claim = $1, lease_until = $2
         WHERE (user_id, line) IN (SELECT user_id, line FROM grocery_ai_lines
                                   WHERE status = 'waiting' AND next_attempt_at <= $3
                                     AND (lease_until IS NULL OR lease_until < $3)
                                   ORDER BY next_attempt_at LIMIT $4)
           AND (lease_until IS NULL OR lease_until < $3)
         RETURNING user_id, line, attempts",
        claim,
        lease_until,
        now,
        limit
    )?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedLine {
            user: UserId(r.user_id),
            line: r.line,
            attempts: r.attempts,
        })
        .collect())
}

/// Store the outcome of a claimed line: its reading (`done`), given up (`failed`, no reading),
/// or try again at `retry_at` (`Waiting`). Returns whether the claim was still held.
pub async fn finish_ai_line(
    c: &mut Conn<'_>,
    user: UserId,
    line: &str,
    claim: &str,
    outcome: AiStatus,
    reading: Option<&str>,
    retry_at: Timestamp,
) -> Result<bool> {
    let status = match outcome {
        AiStatus::Waiting => "waiting",
        AiStatus::Done => "done",
        AiStatus::Failed => "failed",
    };
    Ok(execute!(
        c,
        "UPDATE grocery_ai_lines SET status = $4, reading = $5, attempts = attempts + 1,
                                     next_attempt_at = $6, claim = NULL, lease_until = NULL
         WHERE user_id = $1 AND line = $2 AND claim = $3",
        user.uuid(),
        line,
        claim,
        status,
        reading,
        retry_at
    )? == 1)
}
