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
        self, Category, Decision, Mark, ShoppingList, aggregate, assist, fraction, parse_fraction,
        snapshot,
    },
    ids::{GroceryExtraId, GroceryListId, MealId, UserId},
    planning::calendar::monday_of,
};
use mealframe_store::plans::grocery::{self as store, AiStatus, Extra, ListState, Preference};
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
        Range::check(today, from, to).map_err(|e| AppError::Invalid(e.into()))
    }

    /// [`Range::resolve`], the refusal as words (for the front doors' own error shapes).
    pub fn check(today: Date, from: Option<Date>, to: Option<Date>) -> Result<Range, String> {
        let from = from.unwrap_or(today);
        let to = to.unwrap_or_else(|| monday_of(from) + Duration::days(6));
        if to < from {
            return Err("to must not be before from".into());
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(format!("A grocery list covers at most {MAX_DAYS} days"));
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
    pub list: ShoppingList<Source>,
    pub extras: Vec<Extra>,
    /// Mondays of weeks in the range that are not generated (nothing of them is counted).
    pub missing_weeks: Vec<Date>,
    /// Where the AI reading of each unread line stands (a line without an entry was never
    /// asked about).
    pub assist: HashMap<String, AiStatus>,
}

/// The list for `range`.
pub async fn list(
    state: &AppState,
    user: UserId,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let mut g = {
        let mut r = state.db.reader().await?;
        compute(&mut r.conn(), user, range, options).await?
    };
    if state.config.grocery_ai {
        ask_about_unread(state, user, &mut g).await?;
    }
    Ok(g)
}

/// Queue the unread lines the AI reader was never asked about, and wake it. The list does not
/// wait: it shows the raw lines until the readings are in.
async fn ask_about_unread(state: &AppState, user: UserId, g: &mut GroceryList) -> AppResult<()> {
    let mut new: Vec<String> = g
        .list
        .unread
        .iter()
        .map(|u| u.text.clone())
        .filter(|t| !g.assist.contains_key(t) && t.chars().count() <= assist::MAX_LINE)
        .collect();
    new.sort_unstable();
    new.dedup();
    if new.is_empty() {
        return Ok(());
    }
    let lines: Vec<&str> = new.iter().map(String::as_str).collect();
    let mut tx = state.begin_for(&Write::by(user)).await?;
    store::queue_ai_lines(&mut tx.conn(), user, &lines, state.now()).await?;
    tx.commit().await?;
    state.grocery_wake.notify_one();
    g.assist
        .extend(new.into_iter().map(|line| (line, AiStatus::Waiting)));
    Ok(())
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

    let counted: Vec<(&str, Source)> = portions
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
        })
        .collect();
    let mut summed = aggregate(counted.iter().map(|(t, s)| (*t, s.clone())));
    // Lines the parser could not read: the AI's readings, where there are any (read by our parser
    // in their place; the raw line stays when the reading is empty, "nothing to buy").
    let mut assist = HashMap::new();
    if !summed.unread.is_empty() {
        let known = store::ai_lines(&mut c.reborrow(), user).await?;
        let readings: HashMap<&str, &str> = known
            .iter()
            .filter(|l| l.status == AiStatus::Done)
            .filter_map(|l| {
                Some((
                    l.line.as_str(),
                    l.reading.as_deref().filter(|r| !r.is_empty())?,
                ))
            })
            .collect();
        let read: Vec<(&str, Source)> = summed
            .unread
            .iter()
            .filter_map(|u| Some((*readings.get(u.text.as_str())?, u.source.clone())))
            .collect();
        if !read.is_empty() {
            summed = aggregate(counted.iter().map(|(t, s)| (*t, s.clone())).chain(read));
            summed
                .unread
                .retain(|u| !readings.contains_key(u.text.as_str()));
        }
        assist = known.into_iter().map(|l| (l.line, l.status)).collect();
    }
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
    Ok(GroceryList {
        range,
        list,
        assist,
        extras: state.map(|s: ListState| s.extras).unwrap_or_default(),
        missing_weeks,
    })
}

/// The list of the range, stored (created if need be) with everything about to change: returns
/// its id. Forgets trips that ended a week before `range.from`.
async fn open(
    state: &AppState,
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    range: Range,
) -> AppResult<GroceryListId> {
    store::delete_lists_before(&mut c.reborrow(), user, range.from - Duration::days(7)).await?;
    Ok(store::touch(c, user, range.to, state.now()).await?)
}

/// Remember the list as it is now shown (after a change, or when the person dismissed the
/// changes).
async fn remember(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    list: GroceryListId,
    range: Range,
    options: Options,
) -> AppResult<GroceryList> {
    let mut shown = compute(&mut c.reborrow(), user, range, options).await?;
    store::set_seen(c, user, list, &snapshot(&shown.list.items)).await?;
    for i in &mut shown.list.items {
        i.change = None;
    }
    shown.list.gone.clear();
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
    let shown = remember(&mut tx.conn(), w.user, id, range, options).await?;
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

/// An ingredient key as decisions are stored under it (trimmed, lower case), or why not.
pub fn ingredient_key(raw: &str) -> Result<String, String> {
    let key = raw.trim().to_lowercase();
    if key.is_empty() || key.chars().count() > MAX_INGREDIENT || key.chars().any(char::is_control) {
        return Err(format!(
            "ingredient must be 1 to {MAX_INGREDIENT} characters, without control characters"
        ));
    }
    Ok(key)
}

/// Decide, for every list, an ingredient's aisle and whether it is a staple kept at home
/// (`None`: back to the built-in rules).
pub async fn decide(
    state: &AppState,
    w: &Write,
    ingredient: &str,
    decision: Decision,
) -> AppResult<Decision> {
    let ingredient = ingredient_key(ingredient).map_err(|e| AppError::Invalid(e.into()))?;
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
    let id = open(state, &mut tx.conn(), w.user, range).await?;
    let shown = remember(&mut tx.conn(), w.user, id, range, options).await?;
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

// ----- the AI reader (background) -----------------------------------------------------------------

/// How long a reader holds the lines it claimed.
const AI_LEASE: time::Duration = time::Duration::minutes(2);
/// Attempts on provider errors before a line is given up.
const AI_ATTEMPTS: i32 = 6;

/// One round of the AI reader: claim due lines (any users'), ask the model about each user's in
/// one call, store the readings. Returns how many lines were settled. Does nothing when the
/// grocery AI is off.
pub async fn read_lines_once(state: &AppState) -> AppResult<usize> {
    let Some(model) = state.vision.clone().filter(|_| state.config.grocery_ai) else {
        return Ok(0);
    };
    let now = state.now();
    let claim = uuid::Uuid::new_v4().to_string();
    let claimed = {
        let mut tx = state.db.begin().await?;
        let c = store::claim_ai_lines(
            &mut tx.conn(),
            &claim,
            now,
            now.plus(AI_LEASE),
            assist::BATCH as i64,
        )
        .await?;
        tx.commit().await?;
        c
    };
    let mut users: Vec<UserId> = claimed.iter().map(|l| l.user).collect();
    users.sort_unstable_by_key(|u| u.uuid());
    users.dedup();
    for user in users {
        // In text order, so that a request is the same whatever order the claim returned.
        let mut lines: Vec<&store::ClaimedLine> =
            claimed.iter().filter(|l| l.user == user).collect();
        lines.sort_by(|a, b| a.line.cmp(&b.line));
        let asked: Vec<&str> = lines.iter().map(|l| l.line.as_str()).collect();
        let request =
            ai_providers::ChatRequest::text(assist::SYSTEM_PROMPT, assist::user_prompt(&asked))
                .json()
                .max_tokens(800);
        let answer = model.chat(&request).await;
        let mut tx = state.begin_for(&Write::by(user)).await?;
        // The readings of an answer (the call is paid for: its usage is recorded whatever it
        // says), or none when the call failed.
        let readings = match &answer {
            Ok(answer) => {
                let usage = mealframe_store::ai_usage::Usage {
                    model: &state.config.ai_capture.model,
                    tokens_prompt: answer.usage.input_tokens.min(i32::MAX as u64) as i32,
                    tokens_completion: answer.usage.output_tokens.min(i32::MAX as u64) as i32,
                    cost_micro_usd: state.config.prices.tokens(
                        &state.config.ai_capture.model,
                        answer.usage.input_tokens,
                        answer.usage.output_tokens,
                    ),
                };
                mealframe_store::ai_usage::record(&mut tx.conn(), user, &usage, state.now())
                    .await?;
                metrics::counter!("mealframe_grocery_ai_total", "outcome" => "answered")
                    .increment(1);
                Some(assist::parse_answer(&answer.text, &asked).unwrap_or_default())
            }
            Err(e) => {
                tracing::warn!(error = e.class(), "grocery AI call failed; will retry");
                metrics::counter!("mealframe_grocery_ai_total", "outcome" => e.class())
                    .increment(1);
                None
            }
        };
        for l in &lines {
            let (outcome, reading, at) = match &readings {
                Some(readings) => {
                    let reading = readings
                        .iter()
                        .find(|(t, _)| *t == l.line)
                        .map(|(_, r)| r.as_str());
                    let outcome = if reading.is_some() {
                        AiStatus::Done
                    } else {
                        AiStatus::Failed
                    };
                    (outcome, reading, now)
                }
                None if l.attempts + 1 >= AI_ATTEMPTS => (AiStatus::Failed, None, now),
                None => {
                    let wait = time::Duration::seconds(30 * (1i64 << l.attempts.clamp(0, 10)));
                    (AiStatus::Waiting, None, now.plus(wait))
                }
            };
            store::finish_ai_line(&mut tx.conn(), user, &l.line, &claim, outcome, reading, at)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(claimed.len())
}
