//! The grocery list (issue 11): what to buy for a range of planned days, computed from the plan
//! on every read (so it is never stale after a regeneration) and merged with what the person did
//! to it (check-offs, removals, extras, aisles, staples — stored per trip, `plans::grocery`).
//! The rules of the list itself are pure and live in `mealframe_core::grocery`.
//!
//! A trip is named by its last day: the default range (today to the end of this week) keeps its
//! check-offs as the days pass. Every change also stores the list as shown, so that the next
//! read after a regeneration can say what changed. Trips that ended more than a week ago are
//! forgotten on the next change.

use std::collections::HashMap;

use mealframe_core::{
    grocery::{
        self, Category, Decision, Mark, ShoppingList, aggregate, fraction, parse_fraction, snapshot,
    },
    ids::{GroceryExtraId, MealId, UserId},
    planning::calendar::monday_of,
};
use mealframe_store::plans::grocery::{self as store, Extra, ListState, Preference};
use time::{Date, Duration};

use super::{AppError, AppResult, Write};
use crate::state::AppState;

/// The longest range a list covers.
pub const MAX_DAYS: i64 = 28;

/// The days a list covers, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: Date,
    pub to: Date,
}

impl Range {
    /// `from`/`to` as asked for; each defaults from the user's `today`: from today, to the end of
    /// the week of `from`. Refused when `to` is before `from` or the range is over 28 days.
    pub fn resolve(today: Date, from: Option<Date>, to: Option<Date>) -> AppResult<Range> {
        let from = from.unwrap_or(today);
        let to = to.unwrap_or_else(|| monday_of(from) + Duration::days(6));
        if to < from {
            return Err(AppError::Invalid("to must not be before from".into()));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(AppError::Invalid(
                format!("A grocery list covers at most {MAX_DAYS} days").into(),
            ));
        }
        Ok(Range { from, to })
    }

    /// The week after the one `today` is in.
    pub fn next_week(today: Date) -> Range {
        let from = monday_of(today) + Duration::days(7);
        Range {
            from,
            to: from + Duration::days(6),
        }
    }
}

/// What to count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Only slots not marked yet (what is still to be eaten).
    pub only_unmarked: bool,
    /// List pantry staples with everything else.
    pub include_staples: bool,
}

/// Where an item comes from: a meal planned on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub date: Date,
    pub meal_id: MealId,
    pub meal_name: String,
}

/// The list for a range, as shown.
#[derive(Debug, Clone)]
pub struct GroceryList {
    pub range: Range,
    pub options: Options,
    pub list: ShoppingList<Source>,
    pub extras: Vec<Extra>,
    /// Mondays of weeks in the range that are not generated (nothing of them is counted).
    pub missing_weeks: Vec<Date>,
    /// The person acted on this list before (changes are reported against that).
    pub stored: bool,
}

/// The list for `range`.
pub async fn list(
    state: &AppState,
    user: UserId,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let mut r = state.db.reader().await?;
    compute(&mut r.conn(), user, range, options).await
}

async fn compute(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let portions = store::planned_portions(&mut c.reborrow(), user, range.from, range.to).await?;
    let weeks = store::generated_weeks(&mut c.reborrow(), user, range.from, range.to).await?;
    let state = store::list(&mut c.reborrow(), user, range.to).await?;
    let prefs = store::preferences(c, user).await?;

    let summed = aggregate(
        portions
            .iter()
            .filter(|p| !options.only_unmarked || p.status.is_none())
            .map(|p| {
                (
                    p.portion.as_str(),
                    Source {
                        date: p.date,
                        meal_id: p.meal_id,
                        meal_name: p.meal_name.clone(),
                    },
                )
            }),
    );
    let marks: HashMap<String, Mark> = state
        .iter()
        .flat_map(|s| &s.items)
        .map(|m| {
            (
                m.key.clone(),
                Mark {
                    checked: m.checked_amount.as_deref().and_then(parse_fraction),
                    removed: m.removed,
                },
            )
        })
        .collect();
    let decisions: HashMap<String, Decision> = prefs
        .into_iter()
        .map(|p| {
            (
                p.ingredient,
                Decision {
                    category: p.category.as_deref().and_then(Category::from_slug),
                    staple: p.staple,
                },
            )
        })
        .collect();
    let list = grocery::build(
        summed,
        &marks,
        &decisions,
        state.as_ref().map(|s| s.seen.as_str()),
        options.include_staples,
    );
    let mut missing_weeks = Vec::new();
    let mut monday = monday_of(range.from);
    while monday <= range.to {
        if !weeks.contains(&monday) {
            missing_weeks.push(monday);
        }
        monday += Duration::days(7);
    }
    let stored = state.is_some();
    Ok(GroceryList {
        range,
        options,
        list,
        extras: state.map(|s: ListState| s.extras).unwrap_or_default(),
        missing_weeks,
        stored,
    })
}

/// The list of the range, stored (created if need be) with everything about to change: returns
/// its id. Forgets trips that ended a week before `range.from`.
async fn open(
    state: &AppState,
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    range: Range,
) -> AppResult<mealframe_core::ids::GroceryListId> {
    store::delete_lists_before(&mut c.reborrow(), user, range.from - Duration::days(7)).await?;
    Ok(store::touch(c, user, range.to, state.now()).await?)
}

/// Remember the list as it is now shown (after a change, or when the person dismissed the
/// changes).
async fn remember(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let now = compute(&mut c.reborrow(), user, range, options).await?;
    if let Some(list) = store::list(&mut c.reborrow(), user, range.to).await? {
        store::set_seen(c, user, list.id, &snapshot(&now.list.items)).await?;
    }
    let mut shown = now;
    for i in &mut shown.list.items {
        i.change = None;
    }
    shown.list.gone.clear();
    shown.stored = true;
    Ok(shown)
}

/// What to change about an item of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemChange {
    pub checked: Option<bool>,
    pub removed: Option<bool>,
}

/// Check off, uncheck, remove or restore an item (by its key). Checking covers the amount the
/// plan needs now. Not found when the item is not on the list of the range.
pub async fn change_item(
    state: &AppState,
    w: &Write,
    range: Range,
    options: Options,
    key: &str,
    change: ItemChange,
) -> AppResult<GroceryList> {
    let mut tx = state.begin_for(w).await?;
    let now = compute(&mut tx.conn(), w.user, range, options).await?;
    let l = &now.list;
    let item = l
        .items
        .iter()
        .chain(&l.staples)
        .chain(&l.removed)
        .find(|i| i.key == key)
        .ok_or_else(|| AppError::NotFound("Item not on this grocery list".into()))?;
    let was_removed = l.removed.iter().any(|i| i.key == key);
    let checked = change.checked.unwrap_or(item.checked);
    let removed = change.removed.unwrap_or(was_removed);
    let covered = checked.then(|| fraction(item.quantity));
    let id = open(state, &mut tx.conn(), w.user, range).await?;
    store::set_item(&mut tx.conn(), w.user, id, key, covered.as_deref(), removed).await?;
    let shown = remember(&mut tx.conn(), w.user, range, options).await?;
    tx.commit().await?;
    Ok(shown)
}

/// The longest name of an extra item.
pub const MAX_EXTRA_NAME: usize = 200;

/// Add something to buy that is not in the plan.
pub async fn add_extra(state: &AppState, w: &Write, range: Range, name: &str) -> AppResult<Extra> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_EXTRA_NAME {
        return Err(AppError::Invalid(
            format!("name must be 1 to {MAX_EXTRA_NAME} characters").into(),
        ));
    }
    let mut tx = state.begin_for(w).await?;
    let id = open(state, &mut tx.conn(), w.user, range).await?;
    let extra = store::add_extra(&mut tx.conn(), w.user, id, name, state.now())
        .await?
        .ok_or_else(|| AppError::Internal("a list just touched is gone".into()))?;
    tx.commit().await?;
    Ok(extra)
}

/// Check or uncheck an extra item.
pub async fn check_extra(
    state: &AppState,
    w: &Write,
    range: Range,
    id: GroceryExtraId,
    checked: bool,
) -> AppResult<Extra> {
    let mut tx = state.begin_for(w).await?;
    let list = store::list(&mut tx.conn(), w.user, range.to)
        .await?
        .ok_or_else(extra_not_found)?;
    let mut extra = list
        .extras
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(extra_not_found)?;
    store::set_extra_checked(&mut tx.conn(), w.user, list.id, id, checked).await?;
    tx.commit().await?;
    extra.checked = checked;
    Ok(extra)
}

/// Delete an extra item.
pub async fn delete_extra(
    state: &AppState,
    w: &Write,
    range: Range,
    id: GroceryExtraId,
) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    let list = store::list(&mut tx.conn(), w.user, range.to)
        .await?
        .ok_or_else(extra_not_found)?;
    if !store::delete_extra(&mut tx.conn(), w.user, list.id, id).await? {
        return Err(extra_not_found());
    }
    tx.commit().await?;
    Ok(())
}

fn extra_not_found() -> AppError {
    AppError::NotFound("Extra item not found on this grocery list".into())
}

/// The longest ingredient key a decision is stored for.
pub const MAX_INGREDIENT: usize = 200;

/// Decide, for every list, an ingredient's aisle and whether it is a staple kept at home
/// (`None`: back to the built-in rules).
pub async fn decide(
    state: &AppState,
    w: &Write,
    ingredient: &str,
    decision: Decision,
) -> AppResult<Decision> {
    let ingredient = ingredient.trim().to_lowercase();
    if ingredient.is_empty() || ingredient.chars().count() > MAX_INGREDIENT {
        return Err(AppError::Invalid(
            format!("ingredient must be 1 to {MAX_INGREDIENT} characters").into(),
        ));
    }
    let mut tx = state.begin_for(w).await?;
    store::set_preference(
        &mut tx.conn(),
        w.user,
        &Preference {
            ingredient,
            category: decision.category.map(|c| c.slug().to_owned()),
            staple: decision.staple,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(decision)
}

/// The person saw what changed: the list as now shown becomes the one to compare with.
pub async fn mark_seen(
    state: &AppState,
    w: &Write,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let mut tx = state.begin_for(w).await?;
    open(state, &mut tx.conn(), w.user, range).await?;
    let shown = remember(&mut tx.conn(), w.user, range, options).await?;
    tx.commit().await?;
    Ok(shown)
}

/// The list as plain text, grouped by aisle, for sharing ("Produce\n- apple: 5\n…").
pub fn as_text(g: &GroceryList) -> String {
    let mut out = format!("Groceries {} to {}\n", g.range.from, g.range.to);
    let mut aisle = None;
    for item in &g.list.items {
        if aisle != Some(item.category) {
            aisle = Some(item.category);
            out.push_str(&format!("\n{}\n", item.category.label()));
        }
        let mark = if item.checked { "[x]" } else { "[ ]" };
        out.push_str(&format!("{mark} {}: {}\n", item.name, item.amount));
    }
    if !g.extras.is_empty() {
        out.push_str("\nExtras\n");
        for e in &g.extras {
            let mark = if e.checked { "[x]" } else { "[ ]" };
            out.push_str(&format!("{mark} {}\n", e.name));
        }
    }
    if !g.list.staples.is_empty() {
        let names: Vec<&str> = g.list.staples.iter().map(|i| i.name.as_str()).collect();
        out.push_str(&format!("\nAt home (staples): {}\n", names.join(", ")));
    }
    if !g.list.unread.is_empty() {
        out.push_str("\nAlso in the plan (not read)\n");
        for u in &g.list.unread {
            out.push_str(&format!("- {} ({})\n", u.text, u.source.meal_name));
        }
    }
    out
}
