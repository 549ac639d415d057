//! The Today page (`/`): the next meal as the instruction, the rest of the day, marking with the
//! five statuses, ad-hoc meals, reassignment, yesterday's review, planned vs eaten totals, and the
//! first-run checklist. Reading works without JavaScript; `today.js` adds the sheets, gestures and
//! the offline queue (actions call the JSON API with the session cookie).

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::Response,
};
use mealframe_store::library::SetupProgress;
use serde::Serialize;
use time::{Date, Duration};

use super::{
    cards::{DaySheet, SlotCard, TotalsLine},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    app::{
        self,
        today::{TodayLibrary, today_of},
    },
    extract::CurrentUser,
    state::AppState,
};

/// Meals for the pickers, embedded so that linking works offline.
#[derive(Serialize)]
struct PickerMeal {
    id: String,
    name: String,
    portion: String,
    kcal: Option<i32>,
    types: Vec<String>,
    ai: bool,
}

#[derive(Serialize)]
struct PickerType {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct PageData {
    user: String,
    date: String,
    yesterday: String,
    meals: Vec<PickerMeal>,
    types: Vec<PickerType>,
    /// Whether photo capture is configured on this server.
    ai: bool,
    /// Meals whose capture is still being estimated (the page looks again until it is done).
    processing: Vec<String>,
}

pub struct Checklist {
    pub items: Vec<(bool, &'static str, &'static str, &'static str)>,
    pub starter: bool,
}

impl Checklist {
    fn from(p: SetupProgress, week_exists: bool) -> Checklist {
        Checklist {
            items: vec![
                (
                    p.meal_types > 0,
                    "Add meal types",
                    "purpose slots such as Breakfast",
                    "/setup?tab=types",
                ),
                (
                    p.meals > 0,
                    "Add meals",
                    "exact portions, optional macros — or import a CSV",
                    "/meals",
                ),
                (
                    p.templates > 0,
                    "Create a day template",
                    "the order of meal types in a day",
                    "/setup?tab=templates",
                ),
                (
                    p.default_plan,
                    "Create a week plan",
                    "which template each weekday uses",
                    "/setup?tab=plans",
                ),
                (
                    week_exists,
                    "Generate this week",
                    "fill the days by round-robin",
                    "/week",
                ),
            ],
            starter: crate::app::starter::offered(&p),
        }
    }

    pub fn ready_to_generate(&self) -> bool {
        self.items[..4].iter().all(|i| i.0)
    }
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    layout: Layout,
    long_date: String,
    day: DaySheet,
    next: Option<SlotCard>,
    rest: Vec<SlotCard>,
    yesterday: Vec<SlotCard>,
    checklist: Option<Checklist>,
    ring_offset: String,
    planned: TotalsLine,
    eaten: TotalsLine,
    /// Photo capture is configured.
    ai: bool,
    data: String,
}

const RING: f64 = 2.0 * std::f64::consts::PI * 34.0;

pub fn long_date(d: Date) -> String {
    format!("{}, {} {}", d.weekday(), d.month(), d.day())
}

/// JSON for a `<script type="application/json">` island. `<`, `>` and `&` only occur inside
/// strings, where `\u003c` … mean the same: no text can close the element (`</script>`) or open
/// an HTML comment (`<!--`), which would swallow the rest of the page.
fn json_for_script<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let today = today_of(&user.user, state.now());
    let plan = app::today::day(&state, &user.user, today).await?;
    let before = app::today::day(&state, &user.user, today - Duration::days(1)).await?;
    // Yesterday is only reviewed when the account existed then: a week generated on the first
    // day of use fills the days before it too, and those were never anyone's to follow.
    let yesterday_counts = today - Duration::days(1) >= today_of(&user.user, user.user.created_at);
    let library = app::today::library(&state, &user.user, today).await?;
    let mut day = DaySheet::of_plan(&plan);
    let checklist = (day.slots.is_empty() && !day.is_override)
        .then(|| Checklist::from(library.setup, library.week_exists));
    let slots = std::mem::take(&mut day.slots);
    let (mut next, mut rest): (Vec<SlotCard>, Vec<SlotCard>) =
        slots.into_iter().partition(|s| s.is_next);
    rest.sort_by_key(|s| (s.completion_status.is_some(), s.position));
    let completed = f64::from(day.stats.completed);
    let total = f64::from(day.stats.total.max(1));
    let layout = Layout::new("Today", "today", Some(&user), &headers);
    let had_flash = layout.flash.is_some();
    let page = TodayPage {
        ai: state.vision.is_some(),
        layout,
        long_date: long_date(today),
        planned: TotalsLine::from(&plan.totals.planned),
        eaten: TotalsLine::from(&plan.totals.eaten),
        ring_offset: format!("{:.2}", RING * (1.0 - completed / total)),
        next: next.pop(),
        rest,
        yesterday: if yesterday_counts {
            DaySheet::of_plan(&before)
                .slots
                .into_iter()
                .filter(|s| s.completion_status.is_none())
                .collect()
        } else {
            Vec::new()
        },
        checklist,
        data: page_data(&state, &user, today, &library),
        day,
    };
    let mut resp = render(&page, had_flash);
    // Lets the service worker keep cached pages per user.
    if let Ok(v) = HeaderValue::from_str(&user.id().to_string()) {
        resp.headers_mut().insert("x-mf-user", v);
    }
    Ok(resp)
}

/// The data the page script needs (the pickers' meals and types), encoded for the page.
fn page_data(state: &AppState, user: &CurrentUser, today: Date, library: &TodayLibrary) -> String {
    let data = PageData {
        user: user.id().to_string(),
        date: today.to_string(),
        yesterday: (today - Duration::days(1)).to_string(),
        meals: library
            .meals
            .iter()
            .filter(|m| m.processing_status != "processing")
            .map(|m| PickerMeal {
                id: m.id.to_string(),
                name: m.name.clone(),
                portion: m.portion_description.chars().take(80).collect(),
                kcal: m.macros.calories_kcal,
                types: m.meal_types.iter().map(|t| t.id.to_string()).collect(),
                ai: m.source != "manual",
            })
            .collect(),
        types: library
            .meal_types
            .iter()
            .map(|(id, name)| PickerType {
                id: id.to_string(),
                name: name.clone(),
            })
            .collect(),
        ai: state.vision.is_some(),
        processing: library
            .meals
            .iter()
            .filter(|m| m.processing_status == "processing")
            .map(|m| m.id.to_string())
            .collect(),
    };
    json_for_script(&data)
}

/// Accept the starter library (first run).
pub async fn install_starter(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    if crate::app::starter::install(&state, &user.write()).await? {
        Ok(redirect_with(
            "/",
            "ok",
            "Starter library added: 4 meal types, 12 meals, 2 templates and a default week. Generate your week next.",
        ))
    } else {
        Ok(redirect_with(
            "/",
            "warn",
            "The starter library is only offered for an empty library.",
        ))
    }
}
