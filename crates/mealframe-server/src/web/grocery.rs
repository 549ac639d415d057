//! The Groceries page (`/groceries`): the list of a range of planned days grouped by aisle in
//! store order, big check targets, checked items sinking to the end of their aisle, extras,
//! what changed since last time, sharing as text. Its script (`grocery.js`) sends every change
//! to the JSON API through the offline queue, like Today; the service worker keeps the last page
//! per user so the list opens in a shop without signal.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::Response,
};
use mealframe_core::{
    grocery::{Category, Change, ListItem},
    planning::calendar::weekday_name,
};
use mealframe_store::plans::grocery::AiStatus;
use time::{Date, Duration};

use super::layout::{Layout, PageError, PageUser, render};
use crate::{
    app::{
        self,
        grocery::{Options, Range, Source},
    },
    extract::{Issues, QueryParams},
    state::AppState,
};

pub struct Row {
    pub key: String,
    pub ingredient: String,
    pub name: String,
    pub amount: String,
    pub checked: bool,
    /// "Oats · Mon, Thu"
    pub from: String,
    /// A short note on what changed or was already bought.
    pub note: Option<String>,
    pub new: bool,
    pub category: &'static str,
}

pub struct Aisle {
    pub slug: &'static str,
    pub label: &'static str,
    pub rows: Vec<Row>,
}

pub struct Preset {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "grocery.html")]
struct GroceryPage {
    layout: Layout,
    user: String,
    from: String,
    to: String,
    title: String,
    presets: Vec<Preset>,
    aisles: Vec<Aisle>,
    total: usize,
    left: usize,
    extras: Vec<(String, String, bool)>,
    staples: Vec<Row>,
    removed: Vec<Row>,
    /// (line, meal, what the AI reader says about it)
    unread: Vec<(String, String, &'static str)>,
    gone: Vec<String>,
    changed: usize,
    missing: Vec<(String, String)>,
    include_staples: bool,
    categories: Vec<(&'static str, &'static str)>,
}

fn short(d: Date) -> String {
    format!(
        "{} {} {}",
        &weekday_name(d)[..3],
        d.day(),
        &d.month().to_string()[..3]
    )
}

/// "Oats · Mon, Thu; Toast · Wed"
fn sources(s: &[Source]) -> String {
    let mut by_meal: Vec<(&str, Vec<String>)> = Vec::new();
    for src in s {
        let day = weekday_name(src.date)[..3].to_owned();
        match by_meal.iter_mut().find(|(m, _)| *m == src.meal_name) {
            Some((_, days)) => days.push(day),
            None => by_meal.push((&src.meal_name, vec![day])),
        }
    }
    by_meal
        .iter()
        .map(|(m, d)| format!("{m} · {}", d.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn row(i: &ListItem<Source>) -> Row {
    let note = match (&i.bought, &i.change) {
        (Some(b), _) => Some(format!("{b} bought — the plan now needs {}", i.amount)),
        (None, Some(Change::More { was })) => Some(format!("was {was}")),
        (None, Some(Change::Less { was })) => Some(format!("was {was}")),
        _ => None,
    };
    Row {
        key: i.key.clone(),
        ingredient: i.ingredient.clone(),
        name: i.name.clone(),
        amount: i.amount.clone(),
        checked: i.checked,
        from: sources(&i.sources),
        note,
        new: i.change == Some(Change::Added),
        category: i.category.slug(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    q: QueryParams,
) -> Result<Response, PageError> {
    let today = user.today(state.now());
    let mut v = Issues::query();
    let date = |v: &mut Issues, k: &str| q.get(k).and_then(|s| v.date_str(k, s));
    let (from, to) = (date(&mut v, "from"), date(&mut v, "to"));
    // A range the list cannot show falls back to the default one rather than an error page.
    let range = Range::resolve(today, from, to)
        .or_else(|_| Range::resolve(today, None, None))
        .map_err(PageError::from)?;
    let include_staples = q.get("include_staples") == Some("1");
    let g = app::grocery::list(
        &state,
        user.id(),
        range,
        Options {
            only_unmarked: false,
            include_staples,
        },
    )
    .await?;

    let mut aisles: Vec<Aisle> = Vec::new();
    for item in &g.list.items {
        let r = row(item);
        match aisles.iter_mut().find(|a| a.slug == item.category.slug()) {
            Some(a) => a.rows.push(r),
            None => aisles.push(Aisle {
                slug: item.category.slug(),
                label: item.category.label(),
                rows: vec![r],
            }),
        }
    }
    // Checked items sink to the end of their aisle.
    for a in &mut aisles {
        a.rows.sort_by_key(|r| r.checked);
    }
    let total = g.list.items.len() + g.extras.len();
    let left = g.list.items.iter().filter(|i| !i.checked).count()
        + g.extras.iter().filter(|e| !e.checked).count();
    let this_week = Range::resolve(today, None, None).map_err(PageError::from)?;
    let next_week = Range::next_week(today);
    let two_weeks = Range {
        from: today,
        to: today + Duration::days(13),
    };
    let preset = |label, r: Range| Preset {
        label,
        href: format!("/groceries?from={}&to={}", r.from, r.to),
        current: r == range,
    };
    let page = GroceryPage {
        layout: Layout::new("Groceries", "groceries", Some(&user), &headers),
        user: user.id().to_string(),
        from: range.from.to_string(),
        to: range.to.to_string(),
        title: if range.from == range.to {
            short(range.from)
        } else {
            format!("{} – {}", short(range.from), short(range.to))
        },
        presets: vec![
            preset("This week", this_week),
            preset("Next week", next_week),
            preset("Next 14 days", two_weeks),
        ],
        aisles,
        total,
        left,
        extras: g
            .extras
            .iter()
            .map(|e| (e.id.to_string(), e.name.clone(), e.checked))
            .collect(),
        staples: g.list.staples.iter().map(row).collect(),
        removed: g.list.removed.iter().map(row).collect(),
        unread: g
            .list
            .unread
            .iter()
            .map(|u| {
                let note = match g.assist.get(&u.text) {
                    Some(AiStatus::Waiting) => "being read…",
                    Some(AiStatus::Done) => "nothing to buy",
                    Some(AiStatus::Failed) | None => "",
                };
                (u.text.clone(), u.source.meal_name.clone(), note)
            })
            .collect(),
        gone: g
            .list
            .gone
            .iter()
            .map(|x| format!("{} ({})", x.name, x.amount))
            .collect(),
        changed: g.list.items.iter().filter(|i| i.change.is_some()).count() + g.list.gone.len(),
        missing: g
            .missing_weeks
            .iter()
            .map(|m| (m.to_string(), short(*m)))
            .collect(),
        include_staples,
        categories: Category::ALL
            .iter()
            .map(|c| (c.slug(), c.label()))
            .collect(),
    };
    let mut resp = render(&page, false);
    if let Ok(v) = HeaderValue::from_str(&user.id().to_string()) {
        resp.headers_mut().insert("x-mf-user", v);
    }
    Ok(resp)
}
